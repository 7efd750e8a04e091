package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/api"
	"github.com/heraldhq/herald/internal/proccpu"
	"github.com/heraldhq/herald/wire"
)

// benchConfig is one `herald bench` run, from its flags.
type benchConfig struct {
	store        string // sqlite or postgres
	database     string // postgres://... (a schema of its own is made in it)
	customers    int
	perEvent     int // endpoints per event: each customer has this many endpoints
	events       int // full-speed mode: events published
	conc         int
	maxConc      int
	nodes        int
	rate         int // events/s offered (open loop); 0: full speed
	duration     time.Duration
	backlog      int // deliveries held by a dead partner before the measured run
	killAfter    int // SIGKILL the last node after this many acknowledged events (0: never)
	binary       string
	cpuProfile   string
	memProfile   string
	deliverAfter time.Duration // how long to wait for deliveries once publishing ended
	ordered      bool          // also run with ordered endpoints, and compare
	perSubject   int           // with ordered: also run with this many events per subject
	compare      string        // another herald binary to run alternately with binary (bench_compare.go)
	pairs        int           // with compare: runs of each binary
	runs         int           // the same test this many times in a row (bench_runs.go)
	replyDelay   time.Duration // how long the receiver takes to answer Herald
	tls          bool          // the receiver serves HTTPS
	backlogHangs bool          // the backlog's partner accepts connections and never answers
}

// runBench is `herald bench`: Herald end to end against plain HTTP, in one
// run on this machine, so the ratio means something wherever it runs.
//
// Herald runs as separate `herald serve` processes (--nodes of them), so
// their CPU time and memory are measured apart from the load generator and
// the receiver, which run in this process, and so a node can be killed
// with SIGKILL (--kill-after). --herald-binary runs another build's serve
// (say, the commit before a change) under the same harness.
//
// Every run proves what it measured: each acknowledged event must arrive
// at each of its endpoints (the run fails, naming how many are missing, if
// not), and events that arrived more than once are counted per event.
func runBench(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", stderr)
	var c benchConfig
	fs.StringVar(&c.store, "store", "sqlite", "sqlite or postgres")
	fs.StringVar(&c.database, "database", "", "postgres://... for --store postgres (the bench makes and drops a schema of its own)")
	fs.IntVar(&c.customers, "customers", 10, "customers publishing; the events are spread over them round robin")
	fs.IntVar(&c.perEvent, "endpoints-per-event", 1, "endpoints of each customer, so deliveries per event")
	fs.IntVar(&c.perEvent, "endpoints", 1, "same as --endpoints-per-event")
	fs.IntVar(&c.events, "events", 20000, "events published in the full-speed run")
	fs.IntVar(&c.conc, "concurrency", 32, "concurrent API clients publishing (and senders in the baseline)")
	fs.IntVar(&c.maxConc, "endpoint-concurrency", 64, "maxConcurrency of each endpoint")
	fs.IntVar(&c.nodes, "nodes", 1, "Herald nodes (processes) sharing the database; above 1 needs PostgreSQL")
	fs.IntVar(&c.rate, "rate", 0, "events/s offered at a steady rate (open loop: latency counts from each event's scheduled time); 0: full speed")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "length of a --rate run")
	fs.IntVar(&c.backlog, "backlog", 0, "before the measured run, publish this many events to a partner that refuses connections, and keep it down")
	fs.BoolVar(&c.backlogHangs, "backlog-hangs", false, "with --backlog, the dead partner accepts connections and never answers (each attempt waits for its timeout) instead of refusing them")
	fs.IntVar(&c.killAfter, "kill-after", 0, "SIGKILL the last node once this many events are acknowledged (needs --nodes 2 or more)")
	fs.StringVar(&c.binary, "herald-binary", "", "the herald binary whose serve is measured (default: this one)")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of node 0 to this file")
	fs.StringVar(&c.memProfile, "memprofile", "", "write the allocations of node 0 (an allocs profile) to this file when it stops")
	fs.DurationVar(&c.deliverAfter, "deliver-timeout", 3*time.Minute, "how long deliveries may take to arrive once publishing ended")
	fs.BoolVar(&c.ordered, "ordered", false, "also run at full speed with ordered endpoints (one subject per event), check arrivals keep their subject's order, and compare")
	fs.IntVar(&c.perSubject, "events-per-subject", 1, "with --ordered, also run with this many events per subject (above 1)")
	fs.StringVar(&c.compare, "compare", "", "another herald binary: run the same test with it and with --herald-binary in turn, --pairs times each, and print each pair's figures and their ratios")
	fs.IntVar(&c.pairs, "pairs", 3, "with --compare, how many runs of each binary")
	fs.IntVar(&c.runs, "runs", 1, "run the same test this many times in a row, each with its own baseline, and print each run's figures and each figure's range")
	fs.BoolVar(&c.tls, "tls", false, "the receiver serves HTTPS (TLS 1.3, a self-signed certificate the nodes trust through SSL_CERT_FILE), to Herald and to the baseline's POSTs alike")
	fs.DurationVar(&c.replyDelay, "reply-delay", 0, "how long the receiver takes to answer each of Herald's deliveries, as a real partner does (not the baseline's POSTs); arrival times are taken before it")
	// --latency-rate is the previous bench's flag: deliveries/s of a
	// separate steady-rate run, 0 to skip it. This bench measures latency
	// in its one run, so N above 0 means --rate N/endpoints, and 0 (the
	// default) the full-speed run.
	var latencyRate int
	fs.IntVar(&latencyRate, "latency-rate", 0, "deliveries/s offered at a steady rate: same as --rate (events/s) times the endpoints per event; 0: full speed")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if latencyRate > 0 && c.rate == 0 {
		c.rate = max(1, latencyRate/max(1, c.perEvent))
	}
	if strings.HasPrefix(c.database, "postgres") && c.store == "sqlite" {
		c.store = "postgres" // --database postgres://... alone says it
	}
	switch {
	case c.store != "sqlite" && c.store != "postgres":
		return usagef("--store must be sqlite or postgres")
	case c.store == "postgres" && !strings.HasPrefix(c.database, "postgres"):
		return usagef("--store postgres needs --database postgres://...")
	case c.store == "sqlite" && c.database != "":
		return usagef("--database is for --store postgres")
	case c.events < 1 || c.perEvent < 1 || c.conc < 1 || c.nodes < 1 || c.customers < 1:
		return usagef("--events, --endpoints-per-event, --concurrency, --customers and --nodes must be at least 1")
	case c.maxConc < 1 || c.maxConc > 64:
		return usagef("--endpoint-concurrency must be between 1 and 64")
	case c.nodes > 1 && c.store != "postgres":
		return usagef("--nodes above 1 needs --store postgres")
	case c.killAfter > 0 && c.nodes < 2:
		return usagef("--kill-after needs --nodes 2 or more")
	case c.rate < 0 || c.backlog < 0 || c.killAfter < 0 || latencyRate < 0 || c.replyDelay < 0:
		return usagef("--rate, --latency-rate, --backlog, --kill-after and --reply-delay cannot be negative")
	case c.replyDelay > 10*time.Second:
		return usagef("--reply-delay must be at most 10s")
	case c.backlogHangs && c.backlog == 0:
		return usagef("--backlog-hangs needs --backlog")
	case c.perSubject < 1:
		return usagef("--events-per-subject must be at least 1")
	case c.compare != "" && (c.pairs < 1 || c.cpuProfile != "" || c.memProfile != "" || c.ordered):
		return usagef("--compare needs --pairs of at least 1, and cannot be combined with --cpuprofile, --memprofile or --ordered")
	case c.runs < 1:
		return usagef("--runs must be at least 1")
	case c.runs > 1 && (c.compare != "" || c.cpuProfile != "" || c.memProfile != "" || c.ordered):
		return usagef("--runs cannot be combined with --compare (which has --pairs), --cpuprofile, --memprofile or --ordered")
	case c.ordered && c.rate > 0:
		// A steady rate hands one subject's events to different
		// publishers, which could publish them out of order.
		return usagef("--ordered runs at full speed: it cannot be combined with --rate or --latency-rate")
	}
	if c.binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("find the herald binary: %w", err)
		}
		c.binary = exe
	}
	if c.rate > 0 {
		c.events = max(1, int(float64(c.rate)*c.duration.Seconds()))
	}
	switch {
	case c.compare != "":
		return benchCompare(ctx, &c, stdout, stderr)
	case c.runs > 1:
		return benchRuns(ctx, &c, stdout, stderr)
	}
	_, err := benchRun(ctx, &c, stdout, stderr)
	return err
}

// benchFigures are what one benchRun measured, for --compare and --runs.
type benchFigures struct {
	basePerSec      float64       // the baseline's POSTs/s
	baseCPU         time.Duration // the baseline's CPU per POST, sender and receiver
	deliveredPerSec float64
	ratio           float64 // deliveredPerSec ÷ basePerSec
	p50, p99        time.Duration
	ackP50          time.Duration // publish→202
	heraldCPU       time.Duration // per delivery
	benchCPU        time.Duration // per delivery: this process (API clients and receiver)
	pgCPU           time.Duration // per delivery, if pgMeasured (PostgreSQL)
	pgMeasured      bool
	dupEvents       int
	// Work per delivery, which unlike rates and CPU times hardly moves
	// with how busy the machine is: bytes the Herald nodes and the
	// PostgreSQL server wrote to storage (/proc/PID/io, 0 if unknown),
	// and node 0's heap allocations (one-node runs only, else 0).
	heraldWrites, pgWrites float64
	allocations            float64
}

func benchRun(ctx context.Context, c *benchConfig, stdout, stderr io.Writer) (*benchFigures, error) {
	var pg *benchPostgres
	if c.store == "postgres" {
		var err error
		if pg, err = newBenchPostgres(ctx, c.database); err != nil {
			return nil, err
		}
		defer pg.drop()
	}
	rc, err := startBenchReceiver(c.events, c.perEvent, c.replyDelay, c.tls)
	if err != nil {
		return nil, err
	}
	defer rc.close()

	mode := "full speed"
	if c.rate > 0 {
		mode = fmt.Sprintf("%d events/s offered for %s (open loop)", c.rate, c.duration)
	}
	fmt.Fprintf(stdout, "herald bench: %s, %d node(s); %d customers × %d endpoint(s) per event; %d events = %d deliveries; %s; %d clients; maxConcurrency %d\n",
		c.store, c.nodes, c.customers, c.perEvent, c.events, c.events*c.perEvent, mode, c.conc, c.maxConc)
	switch {
	case c.backlog > 0 && c.backlogHangs:
		fmt.Fprintf(stdout, "  with a partner that never answers (each attempt waits for its timeout) holding %d deliveries\n", c.backlog)
	case c.backlog > 0:
		fmt.Fprintf(stdout, "  with a dead partner (connection refused) holding %d deliveries\n", c.backlog)
	}
	if c.replyDelay > 0 {
		fmt.Fprintf(stdout, "  the receiver answers each delivery after %s (the baseline's POSTs at once)\n", c.replyDelay)
	}
	if rc.cert != nil {
		fmt.Fprintf(stdout, "  the receiver serves HTTPS (a self-signed certificate), to Herald and the baseline alike\n")
	}
	fmt.Fprintf(stdout, "  load: %s\n\n", loadAverage())

	bodies := make([][]byte, c.events)
	for i := range bodies {
		b, _, err := wire.BuildEvent("http://127.0.0.1", benchCustomer(i%c.customers), benchParams(i, 1))
		if err != nil {
			return nil, fmt.Errorf("build bench body: %w", err)
		}
		bodies[i] = b
	}
	debug.FreeOSMemory() // as before the measured run below
	base := baselineRun(ctx, rc, bodies, c)
	fmt.Fprintf(stdout, "baseline: plain keep-alive gzip POSTs of the same bodies, one gzip.Writer per sender, %d senders, no storage\n", c.conc)
	fmt.Fprintf(stdout, "  %8.0f POSTs/s (%d in %s); CPU %.0f µs per POST (sender and receiver)\n\n",
		base.perSec, base.n, base.elapsed.Round(time.Millisecond), base.cpuPerPost.Seconds()*1e6)

	cl, err := startBenchCluster(ctx, c, pg, rc.rootsFile(), stderr)
	if err != nil {
		return nil, err
	}
	defer cl.stop()
	if err := cl.configure(ctx, rc.url, c, 0, false); err != nil {
		return nil, err
	}
	if c.backlog > 0 {
		if err := cl.fillBacklog(ctx, c, stdout); err != nil {
			return nil, err
		}
	}

	// The baseline's garbage goes back to the OS now, not during the
	// run: the runtime's background scavenger would otherwise spend a
	// few per cent of a CPU on madvise while Herald is measured.
	debug.FreeOSMemory()
	cpu0, self0 := cl.cpu(), proccpu.Self()
	machine0 := readMachineCPU()
	pgCPU0 := pg.cpu()
	writes0, pgWrites0 := cl.diskWrites(), pg.diskWrites()
	n0, countersOK0 := cl.counters(ctx)
	res, err := cl.publishRun(ctx, rc, c, benchRunSpec{perSubject: 1, kill: c.killAfter > 0}, stdout)
	if err != nil {
		return nil, err
	}
	cpu1, self1 := cl.cpu(), proccpu.Self()
	machine1 := readMachineCPU()
	pgCPU1 := pg.cpu()
	writes1, pgWrites1 := cl.diskWrites(), pg.diskWrites()
	n1, countersOK1 := cl.counters(ctx)
	countersOK := countersOK0 && countersOK1

	delivered := res.deliveries
	figs := &benchFigures{basePerSec: base.perSec, baseCPU: base.cpuPerPost, deliveredPerSec: res.deliveredPerSec,
		ratio: res.deliveredPerSec / base.perSec, p50: res.p50, p99: res.p99, ackP50: res.ackP50, dupEvents: res.dupEvents}
	if delivered > 0 {
		figs.heraldCPU = (cpu1 - cpu0) / time.Duration(delivered)
		figs.benchCPU = (self1 - self0) / time.Duration(delivered)
		if pg != nil && pgCPU0 >= 0 && pgCPU1 >= 0 {
			figs.pgCPU, figs.pgMeasured = (pgCPU1-pgCPU0)/time.Duration(delivered), true
		}
		if writes0 >= 0 && writes1 >= 0 {
			figs.heraldWrites = float64(writes1-writes0) / float64(delivered)
		}
		if pg != nil && pgWrites0 >= 0 && pgWrites1 >= 0 {
			figs.pgWrites = float64(pgWrites1-pgWrites0) / float64(delivered)
		}
		if countersOK && len(cl.nodes) == 1 {
			figs.allocations = (n1.mallocs - n0.mallocs) / float64(delivered)
		}
	}
	fmt.Fprintf(stdout, "herald (%s):\n", mode)
	fmt.Fprintf(stdout, "  events accepted:      %8.0f /s (%d in %s)\n", res.acceptedPerSec, res.acked, res.publishElapsed.Round(time.Millisecond))
	fmt.Fprintf(stdout, "  deliveries:           %8.0f /s (%d in %s)\n", res.deliveredPerSec, delivered, res.elapsed.Round(time.Millisecond))
	fmt.Fprintf(stdout, "  ratio to baseline:    %8.2f (deliveries/s ÷ baseline POSTs/s)\n", figs.ratio)
	from := "publish start"
	if c.rate > 0 {
		from = "scheduled time"
	}
	fmt.Fprintf(stdout, "  publish→arrival:      p50 %s  p99 %s  max %s (from each event's %s)\n",
		res.p50.Round(100*time.Microsecond), res.p99.Round(100*time.Microsecond), res.max.Round(100*time.Microsecond), from)
	printAcks(stdout, res)
	if len(res.p99BySecond) > 1 {
		fmt.Fprintf(stdout, "  p99 by second (ms):   %s\n", formatBySecond(res.p99BySecond))
	}
	if delivered > 0 {
		fmt.Fprintf(stdout, "  CPU per delivery:     Herald %.0f µs", usOf(figs.heraldCPU))
		if figs.pgMeasured {
			fmt.Fprintf(stdout, ", PostgreSQL %.0f µs", usOf(figs.pgCPU))
		}
		fmt.Fprintf(stdout, " (baseline: %.0f µs per POST)\n", base.cpuPerPost.Seconds()*1e6)
		fmt.Fprintf(stdout, "  load generator:       %.0f µs per delivery (this process: the API clients and the receiver)\n", usOf(figs.benchCPU))
		printWork(stdout, figs, pg != nil)
	}
	if idle, ok := machine0.idleUntil(machine1); ok {
		// Near 0, the row is bound by the CPUs; well above, by how long
		// each publish waits (its commit and fsync), since the clients
		// wait for one publish before the next.
		fmt.Fprintf(stdout, "  machine idle:         %.0f %% of all CPUs' time during the run (/proc/stat)\n", 100*idle)
	}
	if countersOK && n0.writer && n1.writer && n1.transactions > n0.transactions && res.elapsed > 0 {
		// The SQLite store's single writer: near 100 % it is what limits
		// the node; well below, the CPUs or the clients do.
		fmt.Fprintf(stdout, "  SQLite writer:        busy %.0f %% of the run; %.1f writes per transaction\n",
			100*(n1.writerBusy-n0.writerBusy)/res.elapsed.Seconds(), (n1.writes-n0.writes)/(n1.transactions-n0.transactions))
		// The log's group fsync, which every publish waits for after
		// its commit: how many it took and how long each one was.
		if syncs := n1.logSyncs - n0.logSyncs; syncs > 0 {
			fmt.Fprintf(stdout, "  SQLite log fsyncs:    %.2f per transaction, %.2f ms each, busy %.0f %% of the run\n",
				syncs/(n1.transactions-n0.transactions), 1000*(n1.logSyncSeconds-n0.logSyncSeconds)/syncs,
				100*(n1.logSyncSeconds-n0.logSyncSeconds)/res.elapsed.Seconds())
		}
	}
	if countersOK && delivered > 0 && len(cl.nodes) == 1 {
		// Deliveries leased at publish and never claimed (dispatch's
		// handoff); the rest waited for a claim.
		fmt.Fprintf(stdout, "  handed off at publish: %.0f %% of deliveries (the rest claimed)\n",
			100*(n1.handedOff-n0.handedOff)/float64(delivered))
	}
	fmt.Fprintf(stdout, "  peak RSS per node:    %s MB\n", cl.peakRSS())
	if proto, ok := rc.proto.Load().(string); ok && rc.cert != nil {
		fmt.Fprintf(stdout, "  deliveries arrived:   over %s with TLS\n", proto)
	}
	if err := printChecked(stdout, res, c); err != nil {
		return nil, err
	}
	if c.ordered {
		fmt.Fprintln(stdout)
		return figs, cl.orderedRuns(ctx, rc, c, res, stdout)
	}
	return figs, nil
}

// orderedRuns is --ordered: the full-speed run again with ordered
// endpoints (herald.Endpoint.Ordered), one event per subject and then
// c.perSubject, each on customers of their own so the runs share nothing
// but the nodes and the store; then the unordered run once more, on the
// store the ordered runs grew, which shows how much of a difference comes
// from running later rather than from order. Each run gets the same proofs
// as the first, and the receiver counts arrivals out of subject order.
func (cl *benchCluster) orderedRuns(ctx context.Context, rc *benchReceiver, c *benchConfig, unordered *runResult, stdout io.Writer) error {
	runs := []int{1}
	if c.perSubject > 1 {
		runs = append(runs, c.perSubject)
	}
	var ordRuns []*runResult
	for r, k := range runs {
		first := (r + 1) * c.customers
		if err := cl.configure(ctx, rc.url, c, first, true); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "herald, ordered endpoints, %d event(s) per subject (%d subjects):\n", k, (c.events+k-1)/k)
		res, err := cl.publishRun(ctx, rc, c, benchRunSpec{firstCustomer: first, perSubject: k}, stdout)
		if err != nil {
			return err
		}
		printRun(stdout, res)
		fmt.Fprintf(stdout, "  ratio to unordered:   %8.2f (deliveries/s); arrivals out of subject order: %d (unordered run: %d)\n",
			res.deliveredPerSec/unordered.deliveredPerSec, res.outOfOrder, unordered.outOfOrder)
		if err := printChecked(stdout, res, c); err != nil {
			return err
		}
		fmt.Fprintln(stdout)
		ordRuns = append(ordRuns, res)
	}
	first := (len(runs) + 1) * c.customers
	if err := cl.configure(ctx, rc.url, c, first, false); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "herald, unordered again, after the ordered runs:\n")
	again, err := cl.publishRun(ctx, rc, c, benchRunSpec{firstCustomer: first, perSubject: 1}, stdout)
	if err != nil {
		return err
	}
	printRun(stdout, again)
	if err := printChecked(stdout, again, c); err != nil {
		return err
	}
	for i, res := range ordRuns {
		fmt.Fprintf(stdout, "  ordered run %d ÷ mean of the two unordered runs: %.2f\n", i+1,
			res.deliveredPerSec/((unordered.deliveredPerSec+again.deliveredPerSec)/2))
	}
	return nil
}

// printRun prints a further run's rates and latency.
func printRun(w io.Writer, res *runResult) {
	fmt.Fprintf(w, "  events accepted:      %8.0f /s (%d in %s)\n", res.acceptedPerSec, res.acked, res.publishElapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "  deliveries:           %8.0f /s (%d in %s)\n", res.deliveredPerSec, res.deliveries, res.elapsed.Round(time.Millisecond))
	fmt.Fprintf(w, "  publish→arrival:      p50 %s  p99 %s  max %s\n",
		res.p50.Round(100*time.Microsecond), res.p99.Round(100*time.Microsecond), res.max.Round(100*time.Microsecond))
	printAcks(w, res)
}

// printAcks prints how long publishers waited for their 202: at full speed
// each client waits for one before it sends the next, so this wait, not
// only CPU, sets the rate.
func printAcks(w io.Writer, res *runResult) {
	fmt.Fprintf(w, "  publish→202:          p50 %s  p99 %s\n", res.ackP50.Round(100*time.Microsecond), res.ackP99.Round(100*time.Microsecond))
}

// printChecked prints a run's proofs, and fails if an acknowledged event
// did not arrive at every endpoint.
func printChecked(w io.Writer, res *runResult, c *benchConfig) error {
	fmt.Fprintf(w, "  checked: %d of %d acknowledged events arrived at each of their %d endpoint(s); %d events arrived more than once (%d extra requests)\n",
		res.complete, res.acked, c.perEvent, res.dupEvents, res.dupRequests)
	if res.killed {
		fmt.Fprintf(w, "  (node %d was killed with SIGKILL after %d acknowledged events: duplicates are its attempts in flight)\n", c.nodes-1, c.killAfter)
	}
	if res.complete != res.acked {
		return fmt.Errorf("%d acknowledged events did not arrive at every endpoint", res.acked-res.complete)
	}
	return nil
}

// benchCustomer names the bench's i-th customer.
func benchCustomer(i int) string { return strconv.Itoa(7000 + i) }

// benchDeadCustomer owns the endpoint that refuses connections (--backlog).
const benchDeadCustomer = "6999"

// benchParams is the i-th event of a run: a status change of applicant
// workflow i/perSubject (its subject), whose newStatus is i, by which the
// receiver knows it.
func benchParams(i, perSubject int) *wire.EventParams {
	return &wire.EventParams{
		EventType: wire.EventTypeWorkFlowStatusChange,
		SystemID:  strconv.Itoa(i / perSubject), PersonID: "9166", UserID: "9059", JobID: "4442",
		OldStatus: "1753", NewStatus: strconv.Itoa(i),
	}
}

// loadAverage is /proc/loadavg's first three fields: how busy the machine
// was, printed with every run because the figures mean little without it.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// machineCPU is the time all the machine's CPUs had spent idle (idle and
// iowait) and in all, in clock ticks, from the first line of /proc/stat.
type machineCPU struct {
	idle, total uint64
	ok          bool
}

// readMachineCPU reads /proc/stat; ok is false where there is none.
func readMachineCPU() machineCPU {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return machineCPU{}
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return parseMachineCPU(line)
}

// parseMachineCPU parses /proc/stat's "cpu" line: user, nice, system,
// idle, iowait, irq, softirq, steal (guest time is counted in user).
func parseMachineCPU(line string) machineCPU {
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return machineCPU{}
	}
	var m machineCPU
	for i, s := range f[1:min(len(f), 9)] {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return machineCPU{}
		}
		m.total += v
		if i == 3 || i == 4 {
			m.idle += v
		}
	}
	m.ok = true
	return m
}

// idleUntil is the share of all CPUs' time between m and later that they
// were idle.
func (m machineCPU) idleUntil(later machineCPU) (float64, bool) {
	if !m.ok || !later.ok || later.total <= m.total || later.idle < m.idle {
		return 0, false
	}
	return float64(later.idle-m.idle) / float64(later.total-m.total), true
}

// benchReceiver is the partners: it reads and parses every body (gunzip +
// JSON), as a real receiver would, in the baseline and Herald runs alike,
// and counts arrivals per event and endpoint.
type benchReceiver struct {
	srv      *http.Server
	url      string
	perEvent int
	count    atomic.Int64
	recordOn atomic.Bool
	// replyDelay is how long a recorded arrival (Herald's, not the
	// baseline's) waits before its answer, as a real partner's would.
	replyDelay time.Duration
	cert       *benchCert   // with --tls: the receiver serves HTTPS
	proto      atomic.Value // string, with --tls: the protocol of Herald's first delivery
	mu         sync.Mutex
	first      []time.Time // per event×endpoint: first arrival
	arrivals   []int32     // per event×endpoint: arrivals
	// last is the highest event index that arrived per endpoint path and
	// subject (systemId); outOfOrder counts arrivals below it.
	last       map[string]int
	outOfOrder int
}

func startBenchReceiver(events, perEvent int, replyDelay time.Duration, useTLS bool) (*benchReceiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("bench receiver: %w", err)
	}
	rc := &benchReceiver{url: "http://" + ln.Addr().String(), perEvent: perEvent, replyDelay: replyDelay,
		first: make([]time.Time, events*perEvent), arrivals: make([]int32, events*perEvent), last: map[string]int{}}
	rc.srv = &http.Server{Handler: http.HandlerFunc(rc.serve), ReadHeaderTimeout: 10 * time.Second}
	if !useTLS {
		go func() { _ = rc.srv.Serve(ln) }()
		return rc, nil
	}
	if rc.cert, err = newBenchCert(); err != nil {
		_ = ln.Close()
		return nil, err
	}
	rc.url = "https://" + ln.Addr().String()
	rc.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{rc.cert.cert}, MinVersion: tls.VersionTLS12}
	go func() { _ = rc.srv.ServeTLS(ln, "", "") }()
	return rc, nil
}

// rootsFile is the SSL_CERT_FILE the nodes need to trust the receiver:
// empty unless it serves HTTPS.
func (rc *benchReceiver) rootsFile() string {
	if rc.cert == nil {
		return ""
	}
	return rc.cert.rootsFile()
}

// endpointPath is the receiver path of a customer's j-th endpoint.
func endpointPath(customer, j int) string {
	return "/c" + strconv.Itoa(customer) + "/e" + strconv.Itoa(j)
}

func (rc *benchReceiver) serve(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err == nil && r.Header.Get("Content-Encoding") == "gzip" {
		body, err = wire.Gunzip(body, 1<<20)
	}
	var ev *wire.Body
	if err == nil {
		ev, err = wire.ParseBody(body)
	}
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	rc.count.Add(1)
	if !rc.recordOn.Load() {
		return
	}
	if rc.cert != nil && rc.proto.Load() == nil {
		rc.proto.Store(r.Proto) // once: a Store per request would allocate
	}
	if rc.replyDelay > 0 {
		defer time.Sleep(rc.replyDelay)
	}
	_, ep, _ := strings.Cut(r.URL.Path[1:], "/e")
	j, err1 := strconv.Atoi(ep)
	seq, err2 := strconv.Atoi(ev.NewStatus)
	if err1 != nil || err2 != nil || j < 0 || j >= rc.perEvent || seq < 0 || seq*rc.perEvent >= len(rc.arrivals) {
		return
	}
	k := seq*rc.perEvent + j
	key := r.URL.Path + " " + ev.SystemID
	rc.mu.Lock()
	if rc.arrivals[k] == 0 {
		rc.first[k] = now
	}
	rc.arrivals[k]++
	if last, ok := rc.last[key]; ok && seq < last {
		rc.outOfOrder++
	} else {
		rc.last[key] = seq
	}
	rc.mu.Unlock()
}

// reset forgets the previous run's arrivals and starts recording.
func (rc *benchReceiver) reset() {
	rc.mu.Lock()
	clear(rc.first)
	clear(rc.arrivals)
	clear(rc.last)
	rc.outOfOrder = 0
	rc.mu.Unlock()
	rc.count.Store(0)
	rc.recordOn.Store(true)
}

func (rc *benchReceiver) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = rc.srv.Shutdown(ctx)
	if rc.cert != nil {
		rc.cert.remove()
	}
}

type baselineResult struct {
	n          int
	elapsed    time.Duration
	perSec     float64
	cpuPerPost time.Duration // this process's CPU (sender + receiver) per POST
}

// baselineRun POSTs every body to each of its endpoints' paths, gzip'ing
// each inside the timed loop with one gzip.Writer per sender (Reset, the
// strongest plain sender), over keep-alive connections, with the run's
// concurrency and no storage: the ceiling Herald is compared with.
func baselineRun(ctx context.Context, rc *benchReceiver, bodies [][]byte, c *benchConfig) baselineResult {
	rc.recordOn.Store(false)
	transport := &http.Transport{MaxIdleConnsPerHost: c.conc, MaxConnsPerHost: c.conc, DisableCompression: true}
	if rc.cert != nil {
		// As Herald's client does: HTTP/2 where the partner offers it.
		transport.TLSClientConfig = &tls.Config{RootCAs: rc.cert.roots, MinVersion: tls.VersionTLS12}
		transport.ForceAttemptHTTP2 = true
	}
	client := &http.Client{Transport: transport}
	defer client.CloseIdleConnections()
	total := len(bodies) * c.perEvent
	var next atomic.Int64
	var wg sync.WaitGroup
	cpu0 := proccpu.Self()
	start := time.Now()
	for range c.conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			for {
				i := int(next.Add(1)) - 1
				if i >= total || ctx.Err() != nil {
					return
				}
				buf.Reset()
				zw.Reset(&buf)
				ev := i / c.perEvent
				_, _ = zw.Write(bodies[ev])
				_ = zw.Close()
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, rc.url+endpointPath(ev%c.customers, i%c.perEvent), bytes.NewReader(buf.Bytes()))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Content-Encoding", "gzip")
				resp, err := client.Do(req)
				if err != nil {
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := proccpu.Self() - cpu0
	return baselineResult{n: total, elapsed: elapsed, perSec: float64(total) / elapsed.Seconds(), cpuPerPost: cpu / time.Duration(total)}
}

// configure creates c.customers customers, numbered from first, each with
// perEvent endpoints at the receiver, ordered or not.
func (cl *benchCluster) configure(ctx context.Context, receiverURL string, c *benchConfig, first int, ordered bool) error {
	api0 := cl.clients[0]
	for ci := first; ci < first+c.customers; ci++ {
		if _, err := api0.CustomerCreate(ctx, &api.CustomerCreateRequest{ID: benchCustomer(ci), Name: "Bench " + strconv.Itoa(ci)}); err != nil {
			return fmt.Errorf("create customer: %w", err)
		}
		for j := range c.perEvent {
			if _, err := api0.EndpointCreate(ctx, benchCustomer(ci), &api.EndpointCreateRequest{
				Ordered:        ordered,
				URL:            receiverURL + endpointPath(ci, j),
				EventTypes:     []wire.EventType{wire.EventTypeWorkFlowStatusChange},
				Auth:           &api.AuthRequest{Type: "hmac", Username: "bench", Secret: "bench-secret-0123456789"},
				MaxConcurrency: c.maxConc,
			}); err != nil {
				return fmt.Errorf("create endpoint: %w", err)
			}
		}
	}
	return nil
}

// fillBacklog publishes c.backlog events to a customer whose one endpoint
// refuses connections (a port that was listened on, then closed), at full
// speed, and returns once they are all acknowledged: their deliveries stay
// in the queue, failing and retrying, for the whole measured run.
func (cl *benchCluster) fillBacklog(ctx context.Context, c *benchConfig, stdout io.Writer) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("dead partner: %w", err)
	}
	deadURL := "http://" + ln.Addr().String() + "/dead"
	if c.backlogHangs {
		cl.hung = startHangingPartner(ln)
	} else {
		ln.Close()
	}
	api0 := cl.clients[0]
	if _, err := api0.CustomerCreate(ctx, &api.CustomerCreateRequest{ID: benchDeadCustomer, Name: "Dead partner"}); err != nil {
		return fmt.Errorf("create customer: %w", err)
	}
	if _, err := api0.EndpointCreate(ctx, benchDeadCustomer, &api.EndpointCreateRequest{
		URL: deadURL, EventTypes: []wire.EventType{wire.EventTypeWorkFlowStatusChange},
		Auth: &api.AuthRequest{Type: "none"}, MaxConcurrency: c.maxConc,
	}); err != nil {
		return fmt.Errorf("create endpoint: %w", err)
	}
	start := time.Now()
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	for w := range c.conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := cl.clients[w%len(cl.clients)]
			for {
				i := int(next.Add(1)) - 1
				if i >= c.backlog || ctx.Err() != nil {
					return
				}
				// SystemIDs past the measured run's, so the receiver
				// would never mistake one for a measured event.
				if _, err := client.EventPublish(ctx, benchDeadCustomer, &api.EventPublishRequest{EventParams: *benchParams(c.events+i, 1)}); err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		return fmt.Errorf("backlog: %d publishes failed", n)
	}
	fmt.Fprintf(stdout, "backlog: %d events for the dead partner published in %s\n\n", c.backlog, time.Since(start).Round(time.Millisecond))
	return nil
}

type runResult struct {
	acked           int // events acknowledged with a 202
	deliveries      int // distinct (event, endpoint) arrivals
	complete        int // acknowledged events that arrived at every endpoint
	dupEvents       int // events that arrived more than once at some endpoint
	dupRequests     int // arrivals beyond the first
	outOfOrder      int // arrivals of an event after a later one of its subject, at one endpoint
	killed          bool
	publishElapsed  time.Duration
	elapsed         time.Duration
	acceptedPerSec  float64
	deliveredPerSec float64
	p50, p99, max   time.Duration
	// ackP50 and ackP99 are publish-to-202 latencies, counted from the
	// same start as p50 and p99: how long a publisher waited for its
	// commit (and, at a steady rate, for a free client).
	ackP50, ackP99 time.Duration
	// p99BySecond is the p99 of the events sent (or due) in each second
	// of the run: where in the run the tail is (a start that is slower
	// than the rest, a stall).
	p99BySecond []time.Duration
}

// benchRunSpec is what sets one publishRun apart from another.
type benchRunSpec struct {
	firstCustomer int  // the run's customers are firstCustomer up to c.customers more
	perSubject    int  // events per subject (systemId); above 1 only at full speed
	kill          bool // SIGKILL the last node after c.killAfter acknowledged events
}

// publishRun publishes c.events events through the API, at full speed or
// at c.rate per second, spread over the nodes and the customers, then
// waits until every acknowledged event arrived at each of its endpoints
// (or c.deliverAfter passed) and checks what arrived.
//
// A subject's events all go to one customer, and at full speed one
// publisher takes a subject and publishes its events one after the other,
// so their publish order is their index order, which the receiver checks
// arrivals against (ordered runs).
func (cl *benchCluster) publishRun(ctx context.Context, rc *benchReceiver, c *benchConfig, spec benchRunSpec, stdout io.Writer) (*runResult, error) {
	rc.reset()
	customer := func(i int) string { return benchCustomer(spec.firstCustomer + (i/spec.perSubject)%c.customers) }
	sent := make([]time.Time, c.events) // publish start or scheduled time
	acked := make([]bool, c.events)
	ackLatency := make([]time.Duration, c.events)
	var ackedN, failed atomic.Int64
	var killOnce sync.Once
	killed := false
	publish := func(client *api.Client, i int) {
		_, err := client.EventPublish(ctx, customer(i), &api.EventPublishRequest{EventParams: *benchParams(i, spec.perSubject)})
		if err != nil {
			failed.Add(1)
			return
		}
		acked[i] = true
		ackLatency[i] = time.Since(sent[i])
		if n := ackedN.Add(1); spec.kill && int(n) >= c.killAfter {
			killOnce.Do(func() { cl.kill(len(cl.nodes) - 1); killed = true })
		}
	}
	stopProgress := reportProgress(rc, int64(c.events*c.perEvent), stdout)
	defer stopProgress()
	var wg sync.WaitGroup
	start := time.Now()
	if c.rate == 0 {
		var next atomic.Int64
		for w := range c.conc {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					first := (int(next.Add(1)) - 1) * spec.perSubject
					if first >= c.events || ctx.Err() != nil {
						return
					}
					for i := first; i < min(first+spec.perSubject, c.events); i++ {
						sent[i] = time.Now()
						publish(cl.clientFor(w), i)
					}
				}
			}()
		}
	} else {
		// Open loop: event i is due at start + i/rate whether or not
		// earlier publishes have returned; latency counts from then, so
		// a slow publish is not hidden (no coordinated omission). The
		// same clients as at full speed take them from a queue.
		interval := time.Second / time.Duration(c.rate)
		due := make(chan int, c.events)
		for w := range c.conc {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range due {
					if ctx.Err() == nil {
						publish(cl.clientFor(w), i)
					}
				}
			}()
		}
		for i := range c.events {
			at := start.Add(time.Duration(i) * interval)
			if d := time.Until(at); d > 0 {
				time.Sleep(d)
			}
			sent[i] = at
			due <- i
		}
		close(due)
	}
	wg.Wait()
	publishElapsed := time.Since(start)
	if n := failed.Load(); n > 0 && !killed {
		return nil, fmt.Errorf("%d publishes failed", n)
	}
	// Wait for every acknowledged event, not for as many arrivals: after
	// a kill, an event the dead node committed but never acknowledged may
	// arrive while one it acknowledged waits for its lease to expire.
	deadline := time.Now().Add(c.deliverAfter)
	for rc.undelivered(acked) > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	if killed {
		// Duplicates from the killed node's attempts in flight may come
		// later than the last first arrival; give them a moment so the
		// count is whole.
		time.Sleep(time.Second)
	}
	res := rc.collect(sent, acked, start)
	res.acked = int(ackedN.Load())
	res.killed = killed
	res.publishElapsed = publishElapsed
	res.acceptedPerSec = float64(res.acked) / publishElapsed.Seconds()
	ackLat := make([]time.Duration, 0, res.acked)
	for i, ok := range acked {
		if ok {
			ackLat = append(ackLat, ackLatency[i])
		}
	}
	res.ackP99 = p99Of(ackLat) // sorts ackLat
	if len(ackLat) > 0 {
		res.ackP50 = ackLat[len(ackLat)/2]
	}
	return res, nil
}

// undelivered counts the acknowledged events that have not yet arrived at
// each of their endpoints.
func (rc *benchReceiver) undelivered(acked []bool) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	n := 0
	for ev, ok := range acked {
		if ok && slices.Contains(rc.arrivals[ev*rc.perEvent:(ev+1)*rc.perEvent], 0) {
			n++
		}
	}
	return n
}

func (rc *benchReceiver) collect(sent []time.Time, acked []bool, start time.Time) *runResult {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	res := &runResult{outOfOrder: rc.outOfOrder}
	lat := make([]time.Duration, 0, len(rc.arrivals))
	var bySecond [][]time.Duration // by the second of the run the event was sent in
	var last time.Time
	for ev := range sent {
		all, dup := true, false
		for j := range rc.perEvent {
			k := ev*rc.perEvent + j
			n := rc.arrivals[k]
			if n == 0 {
				all = false
				continue
			}
			t := rc.first[k]
			lat = append(lat, t.Sub(sent[ev]))
			if sec := int(sent[ev].Sub(start) / time.Second); sec >= 0 {
				for len(bySecond) <= sec {
					bySecond = append(bySecond, nil)
				}
				bySecond[sec] = append(bySecond[sec], t.Sub(sent[ev]))
			}
			if t.After(last) {
				last = t
			}
			if n > 1 {
				dup = true
				res.dupRequests += int(n - 1)
			}
		}
		if acked[ev] && all {
			res.complete++
		}
		if dup {
			res.dupEvents++
		}
	}
	slices.Sort(lat)
	res.deliveries = len(lat)
	res.elapsed = last.Sub(start)
	if res.elapsed > 0 {
		res.deliveredPerSec = float64(len(lat)) / res.elapsed.Seconds()
	}
	if len(lat) > 0 {
		res.p50 = lat[len(lat)/2]
		res.p99 = lat[len(lat)*99/100]
		res.max = lat[len(lat)-1]
	}
	for _, l := range bySecond {
		res.p99BySecond = append(res.p99BySecond, p99Of(l))
	}
	return res
}

// p99Of is the 99th percentile of l (0 for none); it sorts l.
func p99Of(l []time.Duration) time.Duration {
	if len(l) == 0 {
		return 0
	}
	slices.Sort(l)
	return l[len(l)*99/100]
}

// formatBySecond prints one figure per second of a run, in milliseconds.
func formatBySecond(d []time.Duration) string {
	parts := make([]string, len(d))
	for i, v := range d {
		parts[i] = strconv.FormatFloat(float64(v)/float64(time.Millisecond), 'f', 0, 64)
	}
	return strings.Join(parts, " ")
}

// reportProgress prints deliveries arrived once a second until stopped.
func reportProgress(rc *benchReceiver, total int64, w io.Writer) func() {
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				fmt.Fprintf(w, "  ... %d / %d delivered\n", rc.count.Load(), total)
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(stop); <-done }) }
}

// printWork prints the work per delivery that the run measured.
func printWork(w io.Writer, figs *benchFigures, pg bool) {
	var parts []string
	if figs.heraldWrites > 0 || pg {
		s := fmt.Sprintf("storage writes Herald %.1f KB", figs.heraldWrites/1024)
		if pg && figs.pgWrites > 0 {
			s += fmt.Sprintf(", PostgreSQL %.1f KB", figs.pgWrites/1024)
		}
		parts = append(parts, s)
	}
	if figs.allocations > 0 {
		parts = append(parts, fmt.Sprintf("%.0f heap allocations", figs.allocations))
	}
	if len(parts) > 0 {
		fmt.Fprintf(w, "  work per delivery:    %s\n", strings.Join(parts, "; "))
	}
}

// benchPostgres is the bench's schema in the database under test, and the
// server's processes, whose CPU time the bench reads from /proc.
type benchPostgres struct {
	url        string // with search_path set to the schema
	drop       func()
	postmaster int // 0: not on this machine (or not readable): no CPU figure
}

// newBenchPostgres creates a schema with a random name, so runs one after
// another on one database each start empty, and finds the server's
// postmaster (the parent of this session's backend).
func newBenchPostgres(ctx context.Context, connURL string) (*benchPostgres, error) {
	u, err := url.Parse(connURL)
	if err != nil {
		return nil, usagef("--database does not parse as a URL")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "herald_bench_" + hex.EncodeToString(b[:])
	conn, err := pgx.Connect(ctx, connURL)
	if err != nil {
		return nil, fmt.Errorf("bench schema: %w", err)
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return nil, fmt.Errorf("bench schema: %w", err)
	}
	pg := &benchPostgres{}
	var backend int
	if err := conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&backend); err == nil {
		if st, err := readProcStat(backend); err == nil {
			pg.postmaster = st.ppid
		}
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	pg.url = u.String()
	pg.drop = func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, connURL)
		if err != nil {
			return
		}
		defer func() { _ = conn.Close(ctx) }()
		_, _ = conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
	}
	return pg, nil
}

// cpu is the CPU time of the PostgreSQL server so far: the postmaster's
// own and its reaped children's, plus every live child's (backends,
// WAL writer, checkpointer...). -1 if unknown.
func (pg *benchPostgres) cpu() time.Duration {
	if pg == nil || pg.postmaster == 0 {
		return -1
	}
	pm, err := readProcStat(pg.postmaster)
	if err != nil {
		return -1
	}
	total := pm.utime + pm.stime + pm.cutime + pm.cstime
	children, err := childProcesses(pg.postmaster)
	if err != nil {
		return -1
	}
	for _, st := range children {
		total += st.utime + st.stime
	}
	return total
}

// diskWrites is what the PostgreSQL server has written to storage so far
// (write_bytes, as cpu counts its CPU): the postmaster's and every live
// child's. -1 if unknown.
func (pg *benchPostgres) diskWrites() int64 {
	if pg == nil || pg.postmaster == 0 {
		return -1
	}
	total, err := procWriteBytes(pg.postmaster)
	if err != nil {
		return -1
	}
	children, err := childProcesses(pg.postmaster)
	if err != nil {
		return -1
	}
	for pid := range children {
		if n, err := procWriteBytes(pid); err == nil {
			total += n
		}
	}
	return total
}

// childProcesses are the live children of the process ppid, by pid, with
// what /proc/PID/stat says of each.
func childProcesses(ppid int) (map[int]procStat, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	children := map[int]procStat{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := readProcStat(pid); err == nil && st.ppid == ppid {
			children[pid] = st
		}
	}
	return children, nil
}

// procWriteBytes is /proc/PID/io's write_bytes: what the process caused
// to be written to storage, counted as it dirtied the page cache, so an
// fsync'd log and a checkpoint's pages count once each, whenever the
// kernel writes them back.
func procWriteBytes(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/io")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "write_bytes:"); ok {
			return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, errors.New("no write_bytes in /proc/PID/io")
}

// procStat is what the bench reads from /proc/PID/stat.
type procStat struct {
	ppid                         int
	utime, stime, cutime, cstime time.Duration
}

// clockTick is USER_HZ, the unit of /proc's CPU times: 100 on every Linux
// architecture Go supports.
const clockTick = 10 * time.Millisecond

func readProcStat(pid int) (procStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	// The command name is in parentheses and may hold spaces: fields
	// are counted from the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, errors.New("malformed stat")
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state): ppid is field 4, utime..cstime 14..17.
	if len(f) < 15 {
		return procStat{}, errors.New("malformed stat")
	}
	num := func(k int) int64 { n, _ := strconv.ParseInt(f[k-3], 10, 64); return n }
	return procStat{
		ppid:   int(num(4)),
		utime:  time.Duration(num(14)) * clockTick,
		stime:  time.Duration(num(15)) * clockTick,
		cutime: time.Duration(num(16)) * clockTick,
		cstime: time.Duration(num(17)) * clockTick,
	}, nil
}

// peakRSSOf reads a process's peak resident set size (VmHWM) in MB.
func peakRSSOf(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return -1
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err == nil {
				return kb / 1024
			}
		}
	}
	return -1
}
