package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/heraldhq/herald/api"
	"github.com/heraldhq/herald/internal/dbtest"
	"github.com/heraldhq/herald/wire"
)

// TestThreeNodesShareWorkAndSurviveKill9 runs three `herald serve`
// processes on one PostgreSQL schema, publishes thousands of events spread
// over them, SIGKILLs one under load, and checks what several nodes
// promise:
//
//   - every event acknowledged with a 202 reaches every endpoint, the killed
//     node's leases being taken over once they expire;
//   - no delivery is sent twice by Herald's own races: an event arrives at an
//     endpoint more than once only when the killed node had it in flight,
//     and then the delivery's attempt log holds the one attempt a live node
//     recorded (two live nodes sending it would have logged two);
//   - the per-endpoint concurrency cap holds across the nodes: the partner
//     never sees more requests at once on one endpoint than its cap.
func TestThreeNodesShareWorkAndSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	connURL := dbtest.NewPostgresSchema(t)
	testStart := time.Now()

	const (
		nodes      = 3
		paths      = 3 // endpoints
		capacity   = 3 // maxConcurrency of each endpoint
		publishers = 24
		killAfter  = 1200 // acknowledged events before the kill
		maxEvents  = 3000
		replyDelay = 3 * time.Millisecond
	)

	type key struct{ event, path string }
	var (
		mu       sync.Mutex
		arrivals = map[key][]time.Time{}
		inFlight = map[string]int{}
		maxSeen  = map[string]int{}
	)
	partner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		k := key{r.Header.Get(wire.HeaderEventID), r.URL.Path}
		mu.Lock()
		arrivals[k] = append(arrivals[k], now)
		inFlight[k.path]++
		maxSeen[k.path] = max(maxSeen[k.path], inFlight[k.path])
		mu.Unlock()
		defer func() {
			mu.Lock()
			inFlight[k.path]--
			mu.Unlock()
		}()
		_, _ = io.Copy(io.Discard, r.Body)
		// A partner that takes a moment to answer, so requests overlap
		// and the cap has something to hold back.
		time.Sleep(replyDelay)
	}))
	t.Cleanup(partner.Close)

	// A short lease so the killed node's leases expire within the test.
	// 25s, not the 20s that --request-timeout 5s plus the dispatcher's
	// 15s margin allows: at exactly 20s a claimed delivery never has
	// enough lease left to start, and is handed back unattempted.
	var procs []*process
	var clients []*api.Client
	for i := range nodes {
		p := startProcess(t, "--database", connURL, "--data", t.TempDir(), "--node-id", fmt.Sprintf("node-%d", i),
			"--lease", "25s", "--request-timeout", "5s")
		procs = append(procs, p)
		clients = append(clients, api.NewClient(p.base, testAdminToken, nil))
	}
	t.Logf("%d nodes up after %s", nodes, time.Since(testStart))

	ctx := t.Context()
	if _, err := clients[0].CustomerCreate(ctx, &api.CustomerCreateRequest{ID: "2187", Name: "Several nodes"}); err != nil {
		t.Fatal(err)
	}
	pathOf := map[string]string{} // endpoint id → path
	for i := range paths {
		path := fmt.Sprintf("/ep%d", i)
		ep, err := clients[i%nodes].EndpointCreate(ctx, "2187", &api.EndpointCreateRequest{
			URL: partner.URL + path, EventTypes: []wire.EventType{wire.EventTypeWorkFlowStatusChange},
			Auth: &api.AuthRequest{Type: "none"}, MaxConcurrency: capacity,
		})
		if err != nil {
			t.Fatal(err)
		}
		pathOf[ep.ID] = path
	}

	const victim = 1
	var (
		ackMu     sync.Mutex
		acked     []string
		attempted atomic.Int64
		killed    atomic.Bool
		killedAt  time.Time // set before killed is
		killOnce  sync.Once
		wg        sync.WaitGroup
	)
	for range publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := attempted.Add(1)
				if n > maxEvents || ctx.Err() != nil {
					return
				}
				node := int(n) % nodes
				if node == victim && killed.Load() {
					node = (node + 1) % nodes
				}
				res, err := clients[node].EventPublish(ctx, "2187", &api.EventPublishRequest{EventParams: wire.EventParams{
					EventType: wire.EventTypeWorkFlowStatusChange, SystemID: fmt.Sprintf("%06d", n),
					PersonID: "9166", UserID: "9059", JobID: "4442", OldStatus: "1753", NewStatus: "20786",
				}})
				if err != nil {
					continue // the victim died under this publish: not acknowledged, not counted
				}
				ackMu.Lock()
				acked = append(acked, res.ID)
				count := len(acked)
				ackMu.Unlock()
				if count == killAfter {
					killOnce.Do(func() {
						killedAt = time.Now()
						if err := procs[victim].cmd.Process.Signal(syscall.SIGKILL); err != nil {
							t.Errorf("kill: %v", err)
						}
						killed.Store(true)
					})
				}
			}
		}()
	}
	wg.Wait()
	<-procs[victim].done
	if !killed.Load() {
		t.Fatalf("only %d events acknowledged; the node was never killed", len(acked))
	}
	mu.Lock()
	arrivedAtKill := 0
	for _, ts := range arrivals {
		for _, at := range ts {
			if !at.After(killedAt) {
				arrivedAtKill++
			}
		}
	}
	mu.Unlock()
	t.Logf("acknowledged %d of %d events after %s; node-%d killed with %d deliveries arrived",
		len(acked), maxEvents, time.Since(testStart), victim, arrivedAtKill)
	if len(acked) < maxEvents-100 {
		t.Fatalf("only %d of %d events acknowledged: the surviving nodes should take the publishes", len(acked), maxEvents)
	}

	// Every acknowledged event reaches every endpoint, the killed node's
	// leases (25s) being taken over.
	// Bounded generously: under -race, beside the other packages, the
	// live nodes took 56s once to work through the backlog at the cap.
	deadline := time.Now().Add(90 * time.Second)
	for {
		missing := 0
		mu.Lock()
		for _, id := range acked {
			for _, p := range pathOf {
				if len(arrivals[key{id, p}]) == 0 {
					missing++
				}
			}
		}
		mu.Unlock()
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d acknowledged deliveries never arrived", missing)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("every acknowledged event reached all %d endpoints after %s", paths, time.Since(testStart))

	// Duplicates: only what the killed node had in flight. Requests it
	// sent arrived before it died (a little slack for bytes already on the
	// wire); the live node that took the lease over sent the last one and
	// logged the only attempt.
	const slack = time.Second
	mu.Lock()
	dupEvents := map[string]bool{}
	dups := 0
	for k, ts := range arrivals {
		if len(ts) < 2 {
			continue
		}
		dups += len(ts) - 1
		dupEvents[k.event] = true
		for _, at := range ts[:len(ts)-1] {
			if at.After(killedAt.Add(slack)) {
				t.Errorf("event %s arrived at %s %d times, an earlier time %s after the kill: a live node sent it twice",
					k.event, k.path, len(ts), at.Sub(killedAt))
			}
		}
	}
	maxConc := map[string]int{}
	for p, m := range maxSeen {
		maxConc[p] = m
	}
	mu.Unlock()
	// The victim held at most capacity leases per endpoint.
	if dups > paths*capacity {
		t.Errorf("%d duplicate arrivals, more than the %d attempts the killed node could have in flight", dups, paths*capacity)
	}
	settle := time.Now().Add(30 * time.Second)
	for id := range dupEvents {
		// A delivery of this event that the killed node sent before it
		// died arrived once already, but it stays leased until its lease
		// expires and is then sent again, perhaps behind the backlog at
		// its capped endpoint: wait for that before judging its state.
		// (The killed node published many events itself, and it held all
		// of their deliveries: publishes lease to their own node.)
		ev, err := clients[0].EventGet(ctx, id)
		for err == nil && time.Now().Before(settle) && slices.ContainsFunc(ev.Deliveries,
			func(d api.DeliveryDetail) bool { return d.State == "pending" }) {
			time.Sleep(50 * time.Millisecond)
			ev, err = clients[0].EventGet(ctx, id)
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(ev.Deliveries) != paths {
			t.Errorf("event %s has %d deliveries, want one per endpoint (%d)", id, len(ev.Deliveries), paths)
		}
		for _, d := range ev.Deliveries {
			if d.State != "delivered" || len(d.Attempts) != 1 {
				t.Errorf("delivery %s of event %s to %s: state %s with %d attempts logged, want delivered with 1",
					d.ID, id, pathOf[d.EndpointID], d.State, len(d.Attempts))
			}
		}
	}
	t.Logf("%d duplicate arrivals, all in flight on the killed node", dups)

	// The cap holds across nodes.
	for p, m := range maxConc {
		if m > capacity {
			t.Errorf("endpoint %s saw %d requests at once, over its cap of %d across nodes", p, m, capacity)
		}
	}
	t.Logf("most requests at once per endpoint: %v (cap %d); done after %s", maxConc, capacity, time.Since(testStart))
}

// TestAnotherNodeDeliversWhatAKilledNodeHeld kills a node while it holds
// the only deliveries an endpoint has, and checks that another node
// delivers them once their leases run out. A node leases what it
// publishes to itself, and such a publish wakes no endpoint (its node will
// record the delivery), so nothing but the live nodes' sweep of expired
// leases finds these again: no other traffic reaches the endpoint here,
// unlike in TestThreeNodesShareWorkAndSurviveKill9, whose backlog keeps
// every endpoint claimed and passes without the sweep.
func TestAnotherNodeDeliversWhatAKilledNodeHeld(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	t.Parallel() // it mostly waits for the leases to run out
	connURL := dbtest.NewPostgresSchema(t)

	const (
		events = 4
		lease  = 25 * time.Second // the least --request-timeout 5s allows
	)
	var (
		mu       sync.Mutex
		arrivals = map[string]int{} // event id → requests
		answered = map[string]int{} // event id → 200s
		holding  atomic.Bool        // hold requests open: the victim's
	)
	holding.Store(true)
	partner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(wire.HeaderEventID)
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		arrivals[id]++
		mu.Unlock()
		if holding.Load() {
			<-r.Context().Done() // until the victim dies
			return
		}
		mu.Lock()
		answered[id]++
		mu.Unlock()
	}))
	t.Cleanup(partner.Close)

	var nodes []*process
	var clients []*api.Client
	for i := range 2 {
		p := startProcess(t, "--database", connURL, "--data", t.TempDir(), "--node-id", fmt.Sprintf("node-%d", i),
			"--lease", lease.String(), "--request-timeout", "5s")
		nodes = append(nodes, p)
		clients = append(clients, api.NewClient(p.base, testAdminToken, nil))
	}
	survivor, victim := clients[0], clients[1]
	ctx := t.Context()
	if _, err := survivor.CustomerCreate(ctx, &api.CustomerCreateRequest{ID: "2188", Name: "Held by the dead"}); err != nil {
		t.Fatal(err)
	}
	if _, err := survivor.EndpointCreate(ctx, "2188", &api.EndpointCreateRequest{
		URL: partner.URL + "/held", EventTypes: []wire.EventType{wire.EventTypeWorkFlowStatusChange},
		Auth: &api.AuthRequest{Type: "none"}, MaxConcurrency: events,
	}); err != nil {
		t.Fatal(err)
	}

	// Until its dispatcher runs, a node hands nothing off at publish, and
	// either node could claim what it published.
	waitFor(t, 10*time.Second, "the victim to be ready", func() bool {
		resp, err := http.Get(nodes[1].base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	var ids []string
	published := time.Now()
	for i := range events {
		res, err := victim.EventPublish(ctx, "2188", &api.EventPublishRequest{EventParams: wire.EventParams{
			EventType: wire.EventTypeWorkFlowStatusChange, SystemID: fmt.Sprintf("held-%d", i),
			PersonID: "9166", UserID: "9059", JobID: "4442", OldStatus: "1753", NewStatus: "20786",
		}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.ID)
	}
	// The victim sends each at once (publishes lease to their own node)
	// and the partner holds every request open: kill the node while it
	// holds all of them, long before its 5s request timeout would record
	// them as failed.
	waitFor(t, 10*time.Second, "the victim's requests", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(arrivals) == events
	})
	t.Logf("all %d held %s after the first publish", events, time.Since(published).Round(time.Millisecond))
	if err := nodes[1].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-nodes[1].done
	killedAt := time.Now()
	holding.Store(false)

	// The survivor sends each again once its lease has run out, within
	// the sweep's interval (5s) and a claim's poll.
	waitFor(t, lease+30*time.Second, "the survivor's deliveries", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, id := range ids {
			if answered[id] == 0 {
				return false
			}
		}
		return true
	})
	t.Logf("delivered by the survivor %s after the kill", time.Since(killedAt).Round(100*time.Millisecond))
	mu.Lock()
	for _, id := range ids {
		if arrivals[id] != 2 || answered[id] != 1 {
			t.Errorf("event %s: %d requests, %d answered; want 2, the second answered", id, arrivals[id], answered[id])
		}
	}
	mu.Unlock()
	for _, id := range ids {
		// The partner answered; the survivor records the result in its
		// next batch.
		var ev *api.Event
		waitFor(t, 10*time.Second, "the survivor's record of "+id, func() bool {
			var err error
			if ev, err = survivor.EventGet(ctx, id); err != nil {
				t.Fatal(err)
			}
			return len(ev.Deliveries) == 1 && ev.Deliveries[0].State != "pending"
		})
		// The victim died before recording its attempt: the log holds the
		// survivor's only.
		if ev.Deliveries[0].State != "delivered" || len(ev.Deliveries[0].Attempts) != 1 {
			t.Errorf("event %s: deliveries %+v, want one delivered with one attempt", id, ev.Deliveries)
		}
	}
}

// waitFor polls done until it holds, failing the test after limit.
func waitFor(t *testing.T, limit time.Duration, what string, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
