package main

import (
	"bytes"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestBenchOrdered runs a tiny `herald bench --ordered`: the ordered runs
// take place, every delivery arrives, and none out of its subject's order.
func TestBenchOrdered(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	err := run(t.Context(), []string{"bench", "--events", "60", "--endpoints", "2", "--concurrency", "4",
		"--latency-rate", "0", "--ordered", "--events-per-subject", "5"}, strings.NewReader(""), &out, t.Output())
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"ordered endpoints, 1 event(s) per subject (60 subjects)",
		"ordered endpoints, 5 event(s) per subject (12 subjects)",
		"SQLite writer:        busy ",
		"SQLite log fsyncs:    ",
		"work per delivery:    ",
		" heap allocations",
		"publish→202:          p50 ",
		"load generator:       ",
	} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("bench output lacks %q:\n%s", want, out.String())
		}
	}
	if n := strings.Count(out.String(), "arrivals out of subject order: 0 "); n != 2 {
		t.Fatalf("ordered runs with arrivals out of order (%d clean):\n%s", n, out.String())
	}
}

// TestBenchCompare runs a tiny `herald bench --compare` of this build with
// itself: both builds run in each pair, in alternating order, and the
// summary gives B÷A for every figure over both pairs.
func TestBenchCompare(t *testing.T) {
	t.Parallel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = run(t.Context(), []string{"bench", "--events", "60", "--concurrency", "4", "--compare", exe, "--pairs", "2"},
		strings.NewReader(""), &out, t.Output())
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out.String())
	}
	text := out.String()
	requireInOrder(t, text, "=== pair 1 of 2, A:", "=== pair 1 of 2, B:", "=== pair 2 of 2, B:", "=== pair 2 of 2, A:", "comparison: A = ")
	for _, want := range []string{"B÷A deliveries/s:", "B÷A p99:", "B÷A publish→202 p50:", "B÷A Herald CPU/delivery:", "B÷A allocations/delivery:", "of 2 pairs", "95% interval", "events twice 0 / 0"} {
		if !strings.Contains(text, want) {
			t.Fatalf("bench output lacks %q:\n%s", want, text)
		}
	}
	if n := strings.Count(text, "checked: 60 of 60 acknowledged events arrived"); n != 4 {
		t.Fatalf("%d runs checked every event, want 4:\n%s", n, text)
	}
}

// TestBenchRuns runs a tiny `herald bench --runs 2`: two runs, each with
// its own baseline and proofs, then each run's figures and each figure's
// range.
func TestBenchRuns(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	err := run(t.Context(), []string{"bench", "--events", "60", "--concurrency", "4", "--runs", "2"},
		strings.NewReader(""), &out, t.Output())
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out.String())
	}
	text := out.String()
	requireInOrder(t, text, "=== run 1 of 2", "baseline: ", "=== run 2 of 2", "baseline: ", "runs: 2 of the same test, each with its own baseline",
		"  run 1 (baseline ", "  run 2 (baseline ", "baseline POSTs/s:", "deliveries/s:", "ratio to baseline:", "p99:",
		"Herald CPU in baseline POSTs:", "allocations/delivery:")
	if n := strings.Count(text, "checked: 60 of 60 acknowledged events arrived"); n != 2 {
		t.Fatalf("%d runs checked every event, want 2:\n%s", n, text)
	}
	if n := strings.Count(text, "events twice 0\n"); n != 2 {
		t.Fatalf("%d runs' lines count no event twice, want 2:\n%s", n, text)
	}
}

func TestSpread(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in          []float64
		lo, mid, hi float64
	}{
		{nil, 0, 0, 0},
		{[]float64{5}, 5, 5, 5},
		{[]float64{3, 1, 2}, 1, 2, 3},
		{[]float64{4, 1, 3, 2}, 1, 2.5, 4},
	} {
		in := slices.Clone(tc.in)
		lo, mid, hi := spread(in)
		if lo != tc.lo || mid != tc.mid || hi != tc.hi {
			t.Errorf("spread(%v) = %v, %v, %v; want %v, %v, %v", tc.in, lo, mid, hi, tc.lo, tc.mid, tc.hi)
		}
		if !slices.Equal(in, tc.in) {
			t.Errorf("spread(%v) reordered its input to %v", tc.in, in)
		}
	}
}

// TestBenchPartners runs tiny benches against the partners the bench can
// play besides one that answers at once: every acknowledged event arrives.
//   - --reply-delay: every delivery is answered late, as a real partner's is;
//   - --tls: the node trusts the receiver's self-signed certificate through
//     SSL_CERT_FILE and delivers over HTTPS;
//   - --backlog-hangs: the healthy customers' events arrive while the
//     backlog's partner holds every request it gets.
func TestBenchPartners(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"slow", []string{"--events", "40", "--reply-delay", "20ms"},
			[]string{"the receiver answers each delivery after 20ms (the baseline's POSTs at once)"}},
		{"https", []string{"--events", "40", "--tls"},
			[]string{"the receiver serves HTTPS", "deliveries arrived:   over HTTP/2.0 with TLS"}},
		{"hanging backlog", []string{"--customers", "2", "--rate", "40", "--duration", "1s", "--backlog", "100", "--backlog-hangs"},
			[]string{"with a partner that never answers (each attempt waits for its timeout) holding 100 deliveries"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			args := append([]string{"bench", "--concurrency", "4"}, tc.args...)
			if err := run(t.Context(), args, strings.NewReader(""), &out, t.Output()); err != nil {
				t.Fatalf("bench: %v\n%s", err, out.String())
			}
			for _, want := range append(tc.want, "checked: 40 of 40 acknowledged events arrived") {
				if !strings.Contains(out.String(), want) {
					t.Fatalf("bench output lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}

func TestBenchUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"bench", "--backlog-hangs"},
		{"bench", "--reply-delay", "-1s"},
		{"bench", "--reply-delay", "11s"},
		{"bench", "--compare", "x", "--pairs", "0"},
		{"bench", "--compare", "x", "--cpuprofile", "p"},
		{"bench", "--compare", "x", "--memprofile", "p"},
		{"bench", "--compare", "x", "--ordered"},
		{"bench", "--runs", "0"},
		{"bench", "--runs", "2", "--compare", "x"},
		{"bench", "--runs", "2", "--cpuprofile", "p"},
		{"bench", "--runs", "2", "--memprofile", "p"},
		{"bench", "--runs", "2", "--ordered"},
	} {
		var out bytes.Buffer
		if err := run(t.Context(), args, strings.NewReader(""), &out, &out); err == nil {
			t.Errorf("%q: want a usage error", args)
		}
	}
}

func TestComparePairs(t *testing.T) {
	t.Parallel()
	a, b := []float64{100, 200, 100}, []float64{110, 180, 100}
	got := comparePairs(a, b, true)
	want := pairStats{mean: 1, min: 0.9, max: 1.1, better: 1, pairs: 3}
	near := func(x, y float64) bool { return x-y < 1e-9 && y-x < 1e-9 }
	if !near(got.mean, want.mean) || !near(got.min, want.min) || !near(got.max, want.max) || got.better != want.better || got.pairs != want.pairs {
		t.Errorf("higher better: got %+v, want %+v", got, want)
	}
	// Lower is better (CPU, latency): only the pair at 0.9 counts.
	if got := comparePairs(a, b, false); got.better != 1 {
		t.Errorf("lower better: %d pairs better, want 1", got.better)
	}
	if got := comparePairs([]float64{2, 4}, []float64{3, 2}, true); !near(got.mean, 1) || got.better != 1 {
		t.Errorf("mean of 1.5 and 0.5: got %+v", got)
	}
	// A pair with no A figure has no ratio: it is left out, not the end.
	if got := comparePairs([]float64{0, 2, 4}, []float64{1, 3, 2}, true); got.pairs != 2 || !near(got.mean, 1) {
		t.Errorf("a zero A figure: got %+v, want 2 pairs with mean 1", got)
	}
}

// TestComparePairsInterval checks the 95 % interval of --compare against
// figures worked out by hand, and what it concludes.
func TestComparePairsInterval(t *testing.T) {
	t.Parallel()
	near := func(x, y float64) bool { return math.Abs(x-y) < 1e-3 }
	// Log ratios ln 1.1 and ln 1.2 (mean 0.13873, sd 0.06152): half-width
	// 12.706 × 0.06152 / √2 = 0.55274, so the interval is wide.
	st := comparePairs([]float64{100, 100}, []float64{110, 120}, true)
	if !near(st.lo, math.Exp(0.13873-0.55274)) || !near(st.hi, math.Exp(0.13873+0.55274)) {
		t.Errorf("two pairs: interval %.4f to %.4f", st.lo, st.hi)
	}
	if v := st.verdict(true); v != noDifferenceShown {
		t.Errorf("two scattered pairs: verdict %q", v)
	}
	// Eight pairs all near 1.10: B shown higher; as CPU (lower better) it
	// is shown worse.
	a, b := make([]float64, 8), make([]float64, 8)
	for i := range a {
		a[i], b[i] = 100, 110+float64(i%3)-1
	}
	st = comparePairs(a, b, true)
	if st.lo <= 1 || st.hi <= st.lo {
		t.Fatalf("eight pairs near 1.1: interval %.4f to %.4f, want it above 1", st.lo, st.hi)
	}
	if v := st.verdict(true); v != "B better" {
		t.Errorf("higher better, interval above 1: verdict %q", v)
	}
	if v := comparePairs(a, b, false).verdict(false); v != "B worse" {
		t.Errorf("lower better, interval above 1: verdict %q", v)
	}
	if v := comparePairs(b, a, false).verdict(false); v != "B better" {
		t.Errorf("lower better, interval below 1: verdict %q", v)
	}
	if v := comparePairs([]float64{1}, []float64{2}, true).verdict(true); v != "too few pairs to tell" {
		t.Errorf("one pair: verdict %q", v)
	}
	// The spread of ±10 % per pair (sd of the logs about 0.1) needs about
	// (1.96 × 0.1 / ln 1.05)² = 17 pairs to show 5 %.
	st = pairStats{sdLog: 0.1}
	if n := st.needPairs(0.05); n != 17 {
		t.Errorf("pairs for 5%% at sd 0.1 = %d, want 17", n)
	}
	if studentT975(3) != 3.182 || studentT975(100) != 1.96 {
		t.Errorf("t quantiles: %v, %v", studentT975(3), studentT975(100))
	}
}

// TestCollectP99BySecond: a run's p99 is also given for the events sent in
// each second of it, so a slow start or a stall shows where it was.
func TestCollectP99BySecond(t *testing.T) {
	start := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	// 200 events in the first second at 5 ms, two of them at 90 ms;
	// 100 in the third at 7 ms; none in the second.
	var sent []time.Time
	var latency []time.Duration
	for i := range 200 {
		sent = append(sent, start.Add(time.Duration(i)*time.Millisecond))
		latency = append(latency, 5*time.Millisecond)
	}
	latency[10], latency[20] = 90*time.Millisecond, 90*time.Millisecond
	for i := range 100 {
		sent = append(sent, start.Add(2*time.Second+time.Duration(i)*time.Millisecond))
		latency = append(latency, 7*time.Millisecond)
	}
	rc := &benchReceiver{perEvent: 1, first: make([]time.Time, len(sent)), arrivals: make([]int32, len(sent)), last: map[string]int{}}
	acked := make([]bool, len(sent))
	for i := range sent {
		rc.first[i], rc.arrivals[i], acked[i] = sent[i].Add(latency[i]), 1, true
	}
	res := rc.collect(sent, acked, start)
	want := []time.Duration{90 * time.Millisecond, 0, 7 * time.Millisecond}
	if !slices.Equal(res.p99BySecond, want) {
		t.Fatalf("p99 by second %v, want %v", res.p99BySecond, want)
	}
	if got := formatBySecond(res.p99BySecond); got != "90 0 7" {
		t.Fatalf("formatBySecond: %q", got)
	}
}

func TestMachineIdle(t *testing.T) {
	t.Parallel()
	// user nice system idle iowait irq softirq steal guest guest_nice
	before := parseMachineCPU("cpu  1000 10 200 5000 100 0 20 0 0 0")
	after := parseMachineCPU("cpu  1600 10 300 5300 200 0 40 0 0 0")
	idle, ok := before.idleUntil(after)
	// 400 idle and iowait ticks of 1,120 in all.
	if !ok || idle < 0.357 || idle > 0.358 {
		t.Fatalf("idle = %v, %v; want 400/1120, true", idle, ok)
	}
	for _, bad := range []string{"", "cpu0 1 2 3 4 5", "cpu 1 2 x 4 5", "cpu 1 2"} {
		if m := parseMachineCPU(bad); m.ok {
			t.Errorf("parseMachineCPU(%q) = %+v, want not ok", bad, m)
		}
	}
	if _, ok := after.idleUntil(before); ok {
		t.Error("idleUntil backwards: ok, want not ok")
	}
}

// TestUndeliveredCountsAcknowledgedEvents: the wait after publishing ends
// when every acknowledged event arrived at each of its endpoints. An
// unacknowledged event's arrival (a killed node may commit and deliver an
// event without answering its publisher) must not stand in for an
// acknowledged one still waiting for its lease to expire.
func TestUndeliveredCountsAcknowledgedEvents(t *testing.T) {
	rc := &benchReceiver{perEvent: 2, arrivals: make([]int32, 3*2)}
	acked := []bool{true, true, false}
	if n := rc.undelivered(acked); n != 2 {
		t.Fatalf("nothing arrived: %d undelivered, want 2", n)
	}
	rc.arrivals[0], rc.arrivals[1] = 1, 2 // event 0 at both endpoints
	rc.arrivals[2] = 1                    // event 1 at one of two
	rc.arrivals[4], rc.arrivals[5] = 1, 1 // event 2, never acknowledged
	if n := rc.undelivered(acked); n != 1 {
		t.Fatalf("%d undelivered, want 1 (event 1's second endpoint)", n)
	}
	rc.arrivals[3] = 1
	if n := rc.undelivered(acked); n != 0 {
		t.Fatalf("%d undelivered, want 0", n)
	}
}

// TestPrintRunsLeavesOutUnmeasured: a figure that is 0 in every run (no
// allocations counted with several nodes) has no range line, one that is
// not has one.
func TestPrintRunsLeavesOutUnmeasured(t *testing.T) {
	t.Parallel()
	runs := []*benchFigures{
		{basePerSec: 10000, baseCPU: 100 * time.Microsecond, deliveredPerSec: 2000, ratio: 0.2, heraldCPU: 300 * time.Microsecond},
		{basePerSec: 12000, baseCPU: 100 * time.Microsecond, deliveredPerSec: 3000, ratio: 0.25, heraldCPU: 200 * time.Microsecond, dupEvents: 1},
	}
	var out bytes.Buffer
	printRuns(&out, runs)
	text := out.String()
	for _, want := range []string{
		"runs: 2 of the same test",
		"baseline POSTs/s:                 lowest 10000, median 11000, highest 12000",
		"deliveries/s:                     lowest 2000/s, median 2500/s, highest 3000/s",
		"Herald CPU in baseline POSTs:     lowest 2.00, median 2.50, highest 3.00",
		"events twice 0\n", "events twice 1\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "allocations/delivery") || strings.Contains(text, "writes/delivery") {
		t.Errorf("output has a figure no run measured:\n%s", text)
	}
}

// requireInOrder fails t unless text holds each of want, in that order.
func requireInOrder(t *testing.T, text string, want ...string) {
	t.Helper()
	at := 0
	for _, w := range want {
		i := strings.Index(text[at:], w)
		if i < 0 {
			t.Fatalf("output lacks %q after offset %d (want %q in that order):\n%s", w, at, want, text)
		}
		at += i + len(w)
	}
}
