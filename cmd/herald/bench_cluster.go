package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/heraldhq/herald/api"
)

// benchToken is the admin token of the bench's nodes.
const benchToken = "bench-admin-token-0123456789"

// benchCluster is one or more `herald serve` processes sharing a store.
type benchCluster struct {
	nodes   []*benchNode
	clients []*api.Client
	hung    *hangingPartner // --backlog-hangs: the backlog's partner
}

// benchNode is one `herald serve` process.
type benchNode struct {
	cmd     *exec.Cmd
	dir     string
	baseURL string
	done    chan struct{}

	mu         sync.Mutex
	killed     bool
	lastCPU    time.Duration // at the kill
	lastRSS    int
	lastWrites int64
}

// startBenchCluster starts c.nodes processes of c.binary's serve, one
// after another (the first runs the migrations), each with a data
// directory of its own; with SQLite that directory holds the database.
// rootsFile, if not empty, is the PEM file of the receiver's certificate,
// which the nodes are to trust (--tls).
func startBenchCluster(ctx context.Context, c *benchConfig, pg *benchPostgres, rootsFile string, stderr io.Writer) (*benchCluster, error) {
	cl := &benchCluster{}
	for i := range c.nodes {
		nd, err := startBenchNode(ctx, c, pg, i, rootsFile, stderr)
		if err != nil {
			cl.stop()
			return nil, fmt.Errorf("start node %d: %w", i, err)
		}
		cl.nodes = append(cl.nodes, nd)
		cl.clients = append(cl.clients, api.NewClient(nd.baseURL, benchToken,
			&http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}))
	}
	return cl, nil
}

func startBenchNode(ctx context.Context, c *benchConfig, pg *benchPostgres, i int, rootsFile string, stderr io.Writer) (*benchNode, error) {
	dir, err := os.MkdirTemp("", "herald-bench-")
	if err != nil {
		return nil, err
	}
	args := []string{"serve", "--listen", "127.0.0.1:0", "--data", dir,
		"--allow-destinations", "127.0.0.0/8", "--log-level", "error", "--node-id", "bench-" + strconv.Itoa(i)}
	if pg != nil {
		args = append(args, "--database", pg.url)
	}
	if c.killAfter > 0 {
		// Short leases, so the killed node's deliveries are taken over
		// within the run rather than after the default 5 minutes.
		args = append(args, "--request-timeout", "5s", "--lease", "25s")
	}
	cmd := exec.Command(c.binary, args...)
	cmd.Env = append(os.Environ(), "HERALD_ADMIN_TOKEN="+benchToken)
	if rootsFile != "" {
		cmd.Env = append(cmd.Env, "SSL_CERT_FILE="+rootsFile)
	}
	if c.cpuProfile != "" && i == 0 {
		cmd.Env = append(cmd.Env, "HERALD_CPUPROFILE="+c.cpuProfile)
	}
	if c.memProfile != "" && i == 0 {
		cmd.Env = append(cmd.Env, "HERALD_MEMPROFILE="+c.memProfile)
	}
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	nd := &benchNode{cmd: cmd, dir: dir, done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "Herald listening on "); ok {
				select {
				case addr <- u:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	go func() { _ = cmd.Wait(); close(nd.done) }()
	select {
	case nd.baseURL = <-addr:
		return nd, nil
	case <-nd.done:
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("herald serve exited: %v", cmd.ProcessState)
	case <-time.After(60 * time.Second):
	case <-ctx.Done():
	}
	nd.stop()
	return nil, fmt.Errorf("herald serve did not start listening")
}

// clientFor is the API client publisher w uses: publishers are spread
// over the nodes, and a killed node's publishers move to the others.
func (cl *benchCluster) clientFor(w int) *api.Client {
	for k := range len(cl.nodes) {
		i := (w + k) % len(cl.nodes)
		nd := cl.nodes[i]
		nd.mu.Lock()
		killed := nd.killed
		nd.mu.Unlock()
		if !killed {
			return cl.clients[i]
		}
	}
	return cl.clients[0]
}

// kill SIGKILLs node i, keeping the CPU time and peak memory it had.
func (cl *benchCluster) kill(i int) {
	nd := cl.nodes[i]
	nd.mu.Lock()
	defer nd.mu.Unlock()
	if st, err := readProcStat(nd.cmd.Process.Pid); err == nil {
		nd.lastCPU = st.utime + st.stime
	}
	nd.lastRSS = peakRSSOf(nd.cmd.Process.Pid)
	nd.lastWrites, _ = procWriteBytes(nd.cmd.Process.Pid)
	nd.killed = true
	_ = nd.cmd.Process.Signal(syscall.SIGKILL)
}

// cpu is the CPU time (user + system) of the nodes so far.
// nodeCounters are the counters the bench reads from a node's /metrics.
type nodeCounters struct {
	// The SQLite writer's busy seconds, writes and transactions, and the
	// log's fsyncs and their seconds; writer is false if the node exposes
	// them not (PostgreSQL).
	writerBusy, writes, transactions float64
	logSyncs, logSyncSeconds         float64
	writer                           bool
	// mallocs is go_memstats_mallocs_total: the heap allocations so far.
	mallocs float64
	// handedOff is herald_deliveries_handed_off_total.
	handedOff float64
}

// counters reads node 0's counters from its /metrics; ok is false if it
// cannot be read.
func (cl *benchCluster) counters(ctx context.Context) (c nodeCounters, ok bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cl.nodes[0].baseURL+"/metrics", nil)
	if err != nil {
		return c, false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return c, false
	}
	defer resp.Body.Close()
	writer := 0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, cut := strings.Cut(sc.Text(), " ")
		if !cut {
			continue
		}
		var dst *float64
		switch name {
		case "herald_sqlite_writer_busy_seconds_total":
			dst, writer = &c.writerBusy, writer+1
		case "herald_sqlite_writer_writes_total":
			dst, writer = &c.writes, writer+1
		case "herald_sqlite_writer_transactions_total":
			dst, writer = &c.transactions, writer+1
		case "herald_sqlite_log_syncs_total":
			dst, writer = &c.logSyncs, writer+1
		case "herald_sqlite_log_sync_seconds_total":
			dst, writer = &c.logSyncSeconds, writer+1
		case "herald_deliveries_handed_off_total":
			dst = &c.handedOff
		case "go_memstats_mallocs_total":
			dst = &c.mallocs
		default:
			continue
		}
		if v, err := strconv.ParseFloat(value, 64); err == nil {
			*dst = v
		}
	}
	c.writer = writer == 5
	return c, sc.Err() == nil
}

func (cl *benchCluster) cpu() time.Duration {
	var total time.Duration
	for _, nd := range cl.nodes {
		nd.mu.Lock()
		if nd.killed {
			total += nd.lastCPU
		} else if st, err := readProcStat(nd.cmd.Process.Pid); err == nil {
			total += st.utime + st.stime
		}
		nd.mu.Unlock()
	}
	return total
}

// diskWrites is what the nodes have written to storage so far
// (procWriteBytes), -1 if it cannot be read.
func (cl *benchCluster) diskWrites() int64 {
	var total int64
	for _, nd := range cl.nodes {
		nd.mu.Lock()
		n, err := nd.lastWrites, error(nil)
		if !nd.killed {
			n, err = procWriteBytes(nd.cmd.Process.Pid)
		}
		nd.mu.Unlock()
		if err != nil {
			return -1
		}
		total += n
	}
	return total
}

// peakRSS lists the nodes' peak resident set sizes in MB.
func (cl *benchCluster) peakRSS() string {
	var s []string
	for _, nd := range cl.nodes {
		nd.mu.Lock()
		rss := nd.lastRSS
		if !nd.killed {
			rss = peakRSSOf(nd.cmd.Process.Pid)
		}
		nd.mu.Unlock()
		s = append(s, strconv.Itoa(rss))
	}
	return strings.Join(s, ", ")
}

func (cl *benchCluster) stop() {
	if cl.hung != nil {
		cl.hung.close() // the attempts it holds end now, not at shutdown's timeout
	}
	for _, nd := range cl.nodes {
		_ = nd.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, nd := range cl.nodes {
		nd.stop()
	}
}

// stop ends the node (SIGTERM, then SIGKILL after 20s) and removes its
// data directory.
func (nd *benchNode) stop() {
	_ = nd.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-nd.done:
	case <-time.After(20 * time.Second):
		_ = nd.cmd.Process.Kill()
		<-nd.done
	}
	_ = os.RemoveAll(nd.dir)
}

// hangingPartner accepts connections, reads what comes, and never answers:
// a partner whose server hangs, so each attempt waits for its timeout
// (--backlog-hangs).
type hangingPartner struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func startHangingPartner(ln net.Listener) *hangingPartner {
	hp := &hangingPartner{ln: ln}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			hp.mu.Lock()
			hp.conns = append(hp.conns, conn)
			hp.mu.Unlock()
			go func() { _, _ = io.Copy(io.Discard, conn) }()
		}
	}()
	return hp
}

func (hp *hangingPartner) close() {
	_ = hp.ln.Close()
	hp.mu.Lock()
	defer hp.mu.Unlock()
	for _, c := range hp.conns {
		_ = c.Close()
	}
	hp.conns = nil
}
