package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"time"
)

// benchCompare is `herald bench --compare B`: the same test run with two
// builds in turn, A (--herald-binary, default this one) and B, c.pairs
// times each, then each pair's figures and B's as a ratio of A's.
//
// Why: on a shared machine the same build's rate can move by a third from
// one minute to the next, more than most changes are worth. Runs of A and B
// one after the other see about the same machine, so the ratio within a
// pair is worth far more than two figures from different minutes; the
// order alternates (AB, BA, AB, ...) so a machine getting busier or quieter
// favours neither. Every run keeps its own proofs (nothing lost,
// duplicates counted per event) and its own baseline, and one that loses
// an event stops the comparison.
func benchCompare(ctx context.Context, c *benchConfig, stdout, stderr io.Writer) error {
	builds := [2]string{c.binary, c.compare}
	var figs [2][]*benchFigures
	for i := range c.pairs {
		order := [2]int{0, 1}
		if i%2 == 1 {
			order = [2]int{1, 0}
		}
		for _, b := range order {
			fmt.Fprintf(stdout, "=== pair %d of %d, %s: %s\n", i+1, c.pairs, "AB"[b:b+1], builds[b])
			run := *c
			run.binary = builds[b]
			f, err := benchRun(ctx, &run, stdout, stderr)
			if err != nil {
				return fmt.Errorf("pair %d, %s: %w", i+1, "AB"[b:b+1], err)
			}
			figs[b] = append(figs[b], f)
			fmt.Fprintln(stdout)
		}
	}
	fmt.Fprintf(stdout, "comparison: A = %s\n            B = %s\n", builds[0], builds[1])
	printComparison(stdout, figs[0], figs[1])
	return nil
}

// figure is one of benchFigures' measures, as --compare reports it.
type figure struct {
	name         string
	value        func(*benchFigures) float64
	format       func(float64) string
	higherBetter bool
}

// over returns the figure's value in each run.
func (f figure) over(runs []*benchFigures) []float64 {
	vs := make([]float64, len(runs))
	for i, r := range runs {
		vs[i] = f.value(r)
	}
	return vs
}

func comparedFigures(pg bool) []figure {
	rate := func(v float64) string { return fmt.Sprintf("%.0f/s", v) }
	ms := func(v float64) string { return fmt.Sprintf("%.1f ms", v) }
	us := func(v float64) string { return fmt.Sprintf("%.0f µs", v) }
	fs := []figure{
		{"deliveries/s", func(f *benchFigures) float64 { return f.deliveredPerSec }, rate, true},
		{"ratio to baseline", func(f *benchFigures) float64 { return f.ratio }, func(v float64) string { return fmt.Sprintf("%.3f", v) }, true},
		{"p50", func(f *benchFigures) float64 { return msOf(f.p50) }, ms, false},
		{"p99", func(f *benchFigures) float64 { return msOf(f.p99) }, ms, false},
		{"publish→202 p50", func(f *benchFigures) float64 { return msOf(f.ackP50) }, ms, false},
		{"Herald CPU/delivery", func(f *benchFigures) float64 { return usOf(f.heraldCPU) }, us, false},
	}
	kb := func(v float64) string { return fmt.Sprintf("%.1f KB", v/1024) }
	if pg {
		fs = append(fs, figure{"PostgreSQL CPU/delivery", func(f *benchFigures) float64 { return usOf(f.pgCPU) }, us, false})
	}
	// The same CPU in the run's own baseline POSTs (issue 11's item 6):
	// what a run costs against what the machine did that minute.
	posts := func(v float64) string { return fmt.Sprintf("%.2f", v) }
	fs = append(fs, figure{"Herald CPU in baseline POSTs", func(f *benchFigures) float64 { return inPosts(f.heraldCPU, f) }, posts, false})
	if pg {
		fs = append(fs, figure{"PostgreSQL CPU in baseline POSTs", func(f *benchFigures) float64 { return inPosts(f.pgCPU, f) }, posts, false})
	}
	// The work per delivery: a build that does less shows it here even
	// when the machine's pace hides it in the rates.
	fs = append(fs, figure{"Herald writes/delivery", func(f *benchFigures) float64 { return f.heraldWrites }, kb, false})
	if pg {
		fs = append(fs, figure{"PostgreSQL writes/delivery", func(f *benchFigures) float64 { return f.pgWrites }, kb, false})
	}
	fs = append(fs, figure{"allocations/delivery", func(f *benchFigures) float64 { return f.allocations },
		func(v float64) string { return fmt.Sprintf("%.0f", v) }, false})
	return fs
}

// inPosts is cpu, a CPU time per delivery, in the baseline's CPU per POST
// of the same run; 0 if the baseline's was not measured.
func inPosts(cpu time.Duration, f *benchFigures) float64 {
	if f.baseCPU <= 0 {
		return 0
	}
	return float64(cpu) / float64(f.baseCPU)
}

func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func usOf(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// pairStats summarises B÷A over the pairs: the mean, the range, in how
// many pairs B was better (higher or lower, as the figure wants), and a 95 %
// confidence interval of the ratio.
//
// Why the interval: on this kind of machine one pair's ratio can be 0.8 or
// 1.2 for builds that do the same work, so three pairs in a row can all
// favour B by chance (session 9 of docs/performance.md met one that showed
// a fifth less database CPU in three of three pairs and 4 % in eight). The
// interval says whether the pairs show a difference at all; a change
// smaller than the machine's spread needs more pairs, and needPairs says
// about how many.
type pairStats struct {
	mean, min, max float64
	better, pairs  int
	// lo and hi bound the geometric mean of B÷A with 95 % confidence
	// (Student's t over the pairs' log ratios); zero with fewer than two
	// pairs.
	lo, hi float64
	// sdLog is the standard deviation of the pairs' log ratios.
	sdLog float64
}

// A pair whose A figure is 0 has no ratio and is left out.
func comparePairs(a, b []float64, higherBetter bool) pairStats {
	var st pairStats
	var logs []float64
	for i := range min(len(a), len(b)) {
		if a[i] == 0 {
			continue
		}
		r := b[i] / a[i]
		if st.pairs == 0 || r < st.min {
			st.min = r
		}
		if st.pairs == 0 || r > st.max {
			st.max = r
		}
		st.pairs++
		st.mean += r
		if (higherBetter && r > 1) || (!higherBetter && r < 1) {
			st.better++
		}
		if r > 0 {
			logs = append(logs, math.Log(r))
		}
	}
	if st.pairs > 0 {
		st.mean /= float64(st.pairs)
	}
	if n := len(logs); n >= 2 {
		var sum, sq float64
		for _, l := range logs {
			sum += l
		}
		m := sum / float64(n)
		for _, l := range logs {
			sq += (l - m) * (l - m)
		}
		st.sdLog = math.Sqrt(sq / float64(n-1))
		half := studentT975(n-1) * st.sdLog / math.Sqrt(float64(n))
		st.lo, st.hi = math.Exp(m-half), math.Exp(m+half)
	}
	return st
}

// verdict says what the interval shows: that B is better or worse than A,
// or no difference (the interval holds 1).
func (st pairStats) verdict(higherBetter bool) string {
	switch {
	case st.lo == 0 && st.hi == 0:
		return "too few pairs to tell"
	case st.lo > 1 && higherBetter, st.hi < 1 && !higherBetter:
		return "B better"
	case st.lo > 1, st.hi < 1:
		return "B worse"
	}
	return noDifferenceShown
}

// noDifferenceShown is the verdict of an interval that holds 1.
const noDifferenceShown = "no difference shown"

// needPairs is about how many pairs would show a change of frac (0.05 for
// 5 %) at the spread these pairs had; 0 if they had none.
func (st pairStats) needPairs(frac float64) int {
	if st.sdLog == 0 {
		return 0
	}
	z := 1.96 * st.sdLog / math.Log1p(frac)
	return int(math.Ceil(z * z))
}

// studentT975 is the 97.5th percentile of Student's t with df degrees of
// freedom: the half-width of a two-sided 95 % interval, in standard errors.
func studentT975(df int) float64 {
	table := [...]float64{12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
		2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
		2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042}
	if df >= 1 && df <= len(table) {
		return table[df-1]
	}
	return 1.96
}

// printComparison prints every pair's figures, then B÷A for each figure.
func printComparison(w io.Writer, a, b []*benchFigures) {
	pg := len(a) > 0 && a[0].pgMeasured
	fs := comparedFigures(pg)
	for i := range min(len(a), len(b)) {
		fmt.Fprintf(w, "  pair %d (baseline %.0f / %.0f POSTs/s):", i+1, a[i].basePerSec, b[i].basePerSec)
		for _, f := range fs {
			fmt.Fprintf(w, " %s %s / %s;", f.name, f.format(f.value(a[i])), f.format(f.value(b[i])))
		}
		fmt.Fprintf(w, " events twice %d / %d\n", a[i].dupEvents, b[i].dupEvents)
	}
	for _, f := range fs {
		st := comparePairs(f.over(a), f.over(b), f.higherBetter)
		if st.pairs == 0 {
			continue
		}
		word := "lower"
		if f.higherBetter {
			word = "higher"
		}
		fmt.Fprintf(w, "  B÷A %-33s mean %.3f (%.3f to %.3f); B %s in %d of %d pairs",
			f.name+":", st.mean, st.min, st.max, word, st.better, st.pairs)
		if st.lo > 0 {
			v := st.verdict(f.higherBetter)
			fmt.Fprintf(w, "; 95%% interval %.3f to %.3f: %s", st.lo, st.hi, v)
			if n := st.needPairs(0.05); v == noDifferenceShown && n > 0 {
				fmt.Fprintf(w, " (about %d pairs would show a 5%% change at this spread)", n)
			}
		}
		fmt.Fprintln(w)
	}
}
