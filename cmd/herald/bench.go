package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/api"
	"github.com/heraldhq/herald/wire"
)

// runBench is `herald bench`: Herald end to end against plain HTTP, in one
// run on this machine, so the ratio means something wherever it runs.
func runBench(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench", stderr)
	events := fs.Int("events", 20000, "events to publish in the throughput run")
	endpoints := fs.Int("endpoints", 4, "endpoints subscribed to every event (deliveries = events × endpoints)")
	conc := fs.Int("concurrency", 32, "concurrent publishers, and concurrent senders in the plain HTTP baseline")
	maxConc := fs.Int("endpoint-concurrency", 64, "maxConcurrency of each endpoint (attempts in flight per endpoint)")
	rate := fs.Int("latency-rate", 3000, "deliveries/s offered in the latency run (0 skips it)")
	latencyFor := fs.Duration("latency-duration", 10*time.Second, "length of the latency run")
	database := fs.String("database", "", "empty: SQLite in a temporary directory; postgres://... for PostgreSQL")
	nodes := fs.Int("nodes", 1, "Herald nodes sharing the database (PostgreSQL only above 1)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the Herald runs to this file")
	ordered := fs.Bool("ordered", false, "also run the throughput run with ordered endpoints (one subject per event), and compare")
	perSubject := fs.Int("events-per-subject", 1, "with --ordered, also run with this many events per subject (above 1)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *events < 1 || *endpoints < 1 || *conc < 1 || *nodes < 1 || *perSubject < 1:
		return usagef("--events, --endpoints, --concurrency, --nodes and --events-per-subject must be at least 1")
	case *maxConc < 1 || *maxConc > 64:
		return usagef("--endpoint-concurrency must be between 1 and 64")
	case *nodes > 1 && !strings.HasPrefix(*database, "postgres"):
		return usagef("--nodes above 1 needs --database postgres://...")
	}

	if strings.HasPrefix(*database, "postgres") {
		// A schema of its own, dropped at the end: runs one after another
		// on one database (--nodes 1, then --nodes 3) each start empty,
		// and none trips over the previous run's customer.
		schemaURL, drop, err := benchSchema(ctx, *database)
		if err != nil {
			return err
		}
		defer drop()
		*database = schemaURL
	}
	rc, err := startBenchReceiver()
	if err != nil {
		return err
	}
	defer rc.close()

	bodies := make([][]byte, *events)
	for i := range bodies {
		b, _, err := wire.BuildEvent("http://127.0.0.1", "6269", benchParams(i, 1))
		if err != nil {
			return fmt.Errorf("build bench body: %w", err)
		}
		bodies[i] = b
	}
	fmt.Fprintf(stdout, "herald bench: %d events × %d endpoints = %d deliveries, %d concurrent, maxConcurrency %d per endpoint, %d node(s) on %s\n\n",
		*events, *endpoints, *events**endpoints, *conc, *maxConc, *nodes, dbName(*database))

	fmt.Fprintf(stdout, "baseline: plain HTTP POSTs of the same bodies, each gzip'd in the timed loop (stdlib default level), keep-alive, same concurrency, no storage...\n")
	plain := baselineRun(ctx, rc, bodies, *endpoints, *conc, false)
	fmt.Fprintf(stdout, "  gzip.NewWriter per POST:     %6.0f POSTs/s (%d in %s)\n", plain.perSec, plain.n, plain.elapsed.Round(time.Millisecond))
	base := baselineRun(ctx, rc, bodies, *endpoints, *conc, true)
	fmt.Fprintf(stdout, "  one gzip.Writer per sender:  %6.0f POSTs/s (%d in %s)\n\n", base.perSec, base.n, base.elapsed.Round(time.Millisecond))

	cluster, err := startBenchCluster(ctx, *database, *nodes, stderr)
	if err != nil {
		return err
	}
	defer cluster.stop()
	if err := cluster.configure(ctx, benchCustomer, rc.url, *endpoints, *maxConc, false); err != nil {
		return err
	}

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Fprintf(stdout, "herald: publish through the API, durable, delivered to the same receiver...\n")
	tp, err := cluster.throughputRun(ctx, rc, benchCustomer, *events, *endpoints, *conc, 1, stdout)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  events accepted:     %8.0f /s (%d in %s)\n", tp.acceptedPerSec, *events, tp.publishElapsed.Round(time.Millisecond))
	fmt.Fprintf(stdout, "  deliveries end to end: %6.0f /s (%d in %s)\n", tp.deliveredPerSec, tp.deliveries, tp.elapsed.Round(time.Millisecond))
	fmt.Fprintf(stdout, "  publish→arrival:     p50 %s  p99 %s  (at full load: includes the backlog)\n", tp.p50.Round(100*time.Microsecond), tp.p99.Round(100*time.Microsecond))
	fmt.Fprintf(stdout, "  ratio to baseline:   %.2f against a writer per POST, %.2f against a reused writer (deliveries/s ÷ POSTs/s)\n\n",
		tp.deliveredPerSec/plain.perSec, tp.deliveredPerSec/base.perSec)

	if *ordered {
		// Ordered delivery per subject (herald.Endpoint.Ordered) on
		// endpoints of a customer of their own, so the runs share nothing
		// but the process and the store.
		runs := []int{1}
		if *perSubject > 1 {
			runs = append(runs, *perSubject)
		}
		var ordRuns []*runResult
		for i, k := range runs {
			customer := strconv.Itoa(6270 + i)
			if err := cluster.configure(ctx, customer, rc.url, *endpoints, *maxConc, true); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "herald, ordered endpoints, %d event(s) per subject (%d subjects)...\n", k, (*events+k-1)/k)
			otp, err := cluster.throughputRun(ctx, rc, customer, *events, *endpoints, *conc, k, stdout)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "  events accepted:     %8.0f /s (%d in %s)\n", otp.acceptedPerSec, *events, otp.publishElapsed.Round(time.Millisecond))
			fmt.Fprintf(stdout, "  deliveries end to end: %6.0f /s (%d in %s)\n", otp.deliveredPerSec, otp.deliveries, otp.elapsed.Round(time.Millisecond))
			fmt.Fprintf(stdout, "  publish→arrival:     p50 %s  p99 %s\n", otp.p50.Round(100*time.Microsecond), otp.p99.Round(100*time.Microsecond))
			fmt.Fprintf(stdout, "  ratio to unordered:  %.2f (deliveries/s); arrivals out of subject order: %d (unordered run: %d)\n\n",
				otp.deliveredPerSec/tp.deliveredPerSec, otp.outOfOrder, tp.outOfOrder)
			ordRuns = append(ordRuns, otp)
		}
		// The unordered run again, on the store the ordered runs grew:
		// the runs go one after the other, so this shows how much of a
		// difference comes from running later rather than from order.
		if err := cluster.configure(ctx, "6280", rc.url, *endpoints, *maxConc, false); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "herald, unordered again, after the ordered runs...\n")
		again, err := cluster.throughputRun(ctx, rc, "6280", *events, *endpoints, *conc, 1, stdout)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "  deliveries end to end: %6.0f /s (%d in %s)\n", again.deliveredPerSec, again.deliveries, again.elapsed.Round(time.Millisecond))
		for i, otp := range ordRuns {
			fmt.Fprintf(stdout, "  ordered run %d ÷ mean of the two unordered runs: %.2f\n", i+1,
				otp.deliveredPerSec/((tp.deliveredPerSec+again.deliveredPerSec)/2))
		}
		fmt.Fprintln(stdout)
	}

	if *rate > 0 {
		fmt.Fprintf(stdout, "herald: latency at an offered %d deliveries/s for %s...\n", *rate, *latencyFor)
		lt, err := cluster.latencyRun(ctx, rc, *rate, *endpoints, *latencyFor)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "  delivered %.0f /s; publish→arrival p50 %s  p99 %s  max %s\n\n", lt.deliveredPerSec,
			lt.p50.Round(100*time.Microsecond), lt.p99.Round(100*time.Microsecond), lt.max.Round(100*time.Microsecond))
	}
	fmt.Fprintf(stdout, "peak memory (whole process: Herald, load generator and receiver): %d MB RSS\n", peakRSSMB())
	return nil
}

// benchSchema creates a schema with a random name in the database at
// connURL and returns a URL whose search_path is that schema, and a func
// that drops it.
func benchSchema(ctx context.Context, connURL string) (string, func(), error) {
	u, err := url.Parse(connURL)
	if err != nil {
		return "", nil, usagef("--database does not parse as a URL")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "herald_bench_" + hex.EncodeToString(b[:])
	exec := func(ctx context.Context, sql string) error {
		conn, err := pgx.Connect(ctx, connURL)
		if err != nil {
			return fmt.Errorf("bench schema: %w", err)
		}
		defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
		if _, err := conn.Exec(ctx, sql); err != nil {
			return fmt.Errorf("bench schema: %w", err)
		}
		return nil
	}
	if err := exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	drop := func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_ = exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
	}
	return u.String(), drop, nil
}

func dbName(database string) string {
	if database == "" {
		return "SQLite (temporary directory)"
	}
	return "PostgreSQL"
}

// benchCustomer is the customer of the unordered runs.
const benchCustomer = "6269"

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

// benchReceiver is the partner: it reads and parses every body (gunzip +
// JSON), as a real receiver would, in both runs alike.
type benchReceiver struct {
	srv      *http.Server
	url      string
	count    atomic.Int64
	mu       sync.Mutex
	arrivals map[int][]time.Time // event index (newStatus) → arrival times (one per endpoint)
	notify   chan struct{}
	recordOn atomic.Bool
	// last is the highest event index that arrived per endpoint path and
	// subject (systemId); outOfOrder counts arrivals below it.
	last       map[string]int
	outOfOrder atomic.Int64
}

func startBenchReceiver() (*benchReceiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("bench receiver: %w", err)
	}
	rc := &benchReceiver{url: "http://" + ln.Addr().String(), arrivals: map[int][]time.Time{}, notify: make(chan struct{}, 1),
		last: map[string]int{}}
	rc.srv = &http.Server{Handler: http.HandlerFunc(rc.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = rc.srv.Serve(ln) }()
	return rc, nil
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
	if rc.recordOn.Load() {
		seq, _ := strconv.Atoi(ev.NewStatus)
		key := r.URL.Path + " " + ev.SystemID
		rc.mu.Lock()
		rc.arrivals[seq] = append(rc.arrivals[seq], now)
		if last, ok := rc.last[key]; ok && seq < last {
			rc.outOfOrder.Add(1)
		} else {
			rc.last[key] = seq
		}
		rc.mu.Unlock()
	}
	rc.count.Add(1)
	select {
	case rc.notify <- struct{}{}:
	default:
	}
}

func (rc *benchReceiver) reset(record bool) {
	rc.mu.Lock()
	rc.arrivals = map[int][]time.Time{}
	rc.last = map[string]int{}
	rc.mu.Unlock()
	rc.count.Store(0)
	rc.outOfOrder.Store(0)
	rc.recordOn.Store(record)
}

// waitFor waits until n requests arrived or timeout.
func (rc *benchReceiver) waitFor(ctx context.Context, n int64, timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for rc.count.Load() < n {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return fmt.Errorf("only %d of %d deliveries arrived within %s", rc.count.Load(), n, timeout)
		case <-rc.notify:
		case <-tick.C:
		}
	}
	return nil
}

func (rc *benchReceiver) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = rc.srv.Shutdown(ctx)
}

type baselineResult struct {
	n       int
	elapsed time.Duration
	perSec  float64
}

// baselineRun POSTs every body to every endpoint path, gzip'ing each inside
// the timed loop with the standard library's default level, over keep-alive
// connections, with conc senders and no storage: the ceiling Herald is
// compared with.
//
// reuse picks how the sender compresses: true reuses one gzip.Writer per
// sender (Reset), the strongest plain sender; false makes a gzip.NewWriter
// per request, as code that calls the standard library plainly does (each
// costs the compressor's ~800 KB of state).
func baselineRun(ctx context.Context, rc *benchReceiver, bodies [][]byte, endpoints, conc int, reuse bool) baselineResult {
	rc.reset(false)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc, DisableCompression: true}}
	defer client.CloseIdleConnections()
	total := len(bodies) * endpoints
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
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
				if reuse {
					zw.Reset(&buf)
				} else {
					zw = gzip.NewWriter(&buf)
				}
				_, _ = zw.Write(bodies[i/endpoints])
				_ = zw.Close()
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, rc.url+"/ep"+strconv.Itoa(i%endpoints), bytes.NewReader(buf.Bytes()))
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
	return baselineResult{n: total, elapsed: elapsed, perSec: float64(total) / elapsed.Seconds()}
}

// benchCluster is one or more Herald nodes sharing a store.
type benchCluster struct {
	nodes   []*node
	clients []*api.Client
	cancel  context.CancelFunc
	done    []chan error
	dirs    []string
}

func startBenchCluster(ctx context.Context, database string, n int, stderr io.Writer) (*benchCluster, error) {
	c := &benchCluster{}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	c.cancel = cancel
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	token := "bench-admin-token-0123456789"
	for i := range n {
		dir, err := os.MkdirTemp("", "herald-bench-")
		if err != nil {
			c.stop()
			return nil, err
		}
		c.dirs = append(c.dirs, dir)
		nd, err := startNode(ctx, serverConfig{
			Listen:            "127.0.0.1:0",
			DataDir:           dir,
			Database:          database,
			AllowDestinations: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
			AdminToken:        token,
			RequestTimeout:    30 * time.Second,
			LeaseDuration:     5 * time.Minute,
			ShutdownTimeout:   5 * time.Second,
			NodeID:            fmt.Sprintf("bench-%d", i),
			Logger:            logger,
		})
		if err != nil {
			c.stop()
			return nil, fmt.Errorf("start node %d: %w", i, err)
		}
		done := make(chan error, 1)
		go func() { done <- nd.run(runCtx) }()
		c.nodes = append(c.nodes, nd)
		c.done = append(c.done, done)
		c.clients = append(c.clients, api.NewClient(nd.baseURL, token, &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}))
	}
	return c, nil
}

func (c *benchCluster) stop() {
	c.cancel()
	for _, d := range c.done {
		<-d
	}
	for _, dir := range c.dirs {
		_ = os.RemoveAll(dir)
	}
}

func (c *benchCluster) configure(ctx context.Context, customerID, receiverURL string, endpoints, maxConc int, ordered bool) error {
	cl := c.clients[0]
	if _, err := cl.CustomerCreate(ctx, &api.CustomerCreateRequest{ID: customerID, Name: "Bench " + customerID}); err != nil {
		return fmt.Errorf("create customer: %w", err)
	}
	for i := range endpoints {
		if _, err := cl.EndpointCreate(ctx, customerID, &api.EndpointCreateRequest{
			Ordered:        ordered,
			URL:            receiverURL + "/ep" + strconv.Itoa(i),
			EventTypes:     []wire.EventType{wire.EventTypeWorkFlowStatusChange},
			Auth:           &api.AuthRequest{Type: "hmac", Username: "bench", Secret: "bench-secret-0123456789"},
			MaxConcurrency: maxConc,
		}); err != nil {
			return fmt.Errorf("create endpoint: %w", err)
		}
	}
	return nil
}

type runResult struct {
	deliveries      int
	publishElapsed  time.Duration
	elapsed         time.Duration
	acceptedPerSec  float64
	deliveredPerSec float64
	p50, p99, max   time.Duration
	outOfOrder      int64 // arrivals of an event before an earlier one of its subject, to one endpoint
}

// throughputRun publishes events as fast as conc publishers can, spread over
// the nodes, and waits until every delivery arrived.
func (c *benchCluster) throughputRun(ctx context.Context, rc *benchReceiver, customerID string, events, endpoints, conc, perSubject int, progress io.Writer) (*runResult, error) {
	rc.reset(true)
	published := make([]time.Time, events)
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := c.clients[w%len(c.clients)]
			// A publisher takes a subject and publishes its events one
			// after the other, so that their publish order is their
			// index order, which the receiver checks arrivals against.
			for {
				first := (int(next.Add(1)) - 1) * perSubject
				if first >= events || ctx.Err() != nil {
					return
				}
				for i := first; i < min(first+perSubject, events); i++ {
					published[i] = time.Now()
					if _, err := cl.EventPublish(ctx, customerID, &api.EventPublishRequest{EventParams: *benchParams(i, perSubject)}); err != nil {
						failed.Add(1)
					}
				}
			}
		}()
	}
	stopProgress := reportProgress(rc, int64(events*endpoints), progress)
	wg.Wait()
	publishElapsed := time.Since(start)
	if n := failed.Load(); n > 0 {
		stopProgress()
		return nil, fmt.Errorf("%d publishes failed", n)
	}
	err := rc.waitFor(ctx, int64(events*endpoints), 5*time.Minute)
	stopProgress()
	if err != nil {
		return nil, err
	}
	res := c.collect(rc, published, start)
	res.outOfOrder = rc.outOfOrder.Load()
	res.publishElapsed = publishElapsed
	res.acceptedPerSec = float64(events) / publishElapsed.Seconds()
	return res, nil
}

// latencyRun offers a steady rate (an open loop: publishes start on a
// clock, not when the previous one returns) and measures publish-to-arrival.
func (c *benchCluster) latencyRun(ctx context.Context, rc *benchReceiver, deliveriesPerSec, endpoints int, d time.Duration) (*runResult, error) {
	rc.reset(true)
	eventsPerSec := max(1, deliveriesPerSec/endpoints)
	events := int(float64(eventsPerSec) * d.Seconds())
	published := make([]time.Time, events)
	interval := time.Second / time.Duration(eventsPerSec)
	var wg sync.WaitGroup
	var failed atomic.Int64
	sem := make(chan struct{}, 512) // bound publishes in flight
	start := time.Now()
	for i := range events {
		at := start.Add(time.Duration(i) * interval)
		if wait := time.Until(at); wait > 0 {
			time.Sleep(wait)
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			published[i] = time.Now()
			if _, err := c.clients[i%len(c.clients)].EventPublish(ctx, benchCustomer, &api.EventPublishRequest{EventParams: *benchParams(i, 1)}); err != nil {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		return nil, fmt.Errorf("%d publishes failed", n)
	}
	if err := rc.waitFor(ctx, int64(events*endpoints), 2*time.Minute); err != nil {
		return nil, err
	}
	return c.collect(rc, published, start), nil
}

func (c *benchCluster) collect(rc *benchReceiver, published []time.Time, start time.Time) *runResult {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var lat []time.Duration
	var last time.Time
	for seq, ts := range rc.arrivals {
		for _, t := range ts {
			lat = append(lat, t.Sub(published[seq]))
			if t.After(last) {
				last = t
			}
		}
	}
	slices.Sort(lat)
	elapsed := last.Sub(start)
	res := &runResult{deliveries: len(lat), elapsed: elapsed, deliveredPerSec: float64(len(lat)) / elapsed.Seconds()}
	if len(lat) > 0 {
		res.p50 = lat[len(lat)/2]
		res.p99 = lat[len(lat)*99/100]
		res.max = lat[len(lat)-1]
	}
	return res
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
	return func() { close(stop); <-done }
}

// peakRSSMB reads the process's peak resident set size (VmHWM).
func peakRSSMB() int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err == nil {
				return kb / 1024
			}
		}
	}
	return -1
}
