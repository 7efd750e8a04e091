package dispatch_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/dispatch"
	"github.com/heraldhq/herald/internal/dbtest"
	"github.com/heraldhq/herald/postgres"
	"github.com/heraldhq/herald/sqlite"
	"github.com/heraldhq/herald/wire"
)

// testBundle is a running dispatcher over a real store: SQLite, or
// PostgreSQL for the tests that onPostgres runs again (postgres_test.go).
type testBundle struct {
	store herald.Store
	// reopen opens the bundle's database again, as a restarted node would,
	// and closes it when t ends.
	reopen func(t *testing.T) herald.Store
	disp   *dispatch.Dispatcher
	pub    *dispatch.Publisher
	stop   func()
}

type setupOpts struct {
	policy          *dispatch.DestinationPolicy
	requestTimeout  time.Duration
	shutdownTimeout time.Duration
}

var loopbackOnly = dispatch.DestinationPolicy{Allow: []netip.Prefix{
	netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"),
}}

// postgresTests holds the tests (*testing.T) whose setup opens a
// PostgreSQL store; see onPostgres.
var postgresTests sync.Map

// setup starts a dispatcher over a new, empty store: SQLite, unless t was
// marked by onPostgres.
func setup(t *testing.T, opts *setupOpts) *testBundle {
	t.Helper()
	if opts == nil {
		opts = &setupOpts{}
	}
	policy := loopbackOnly
	if opts.policy != nil {
		policy = *opts.policy
	}
	if opts.requestTimeout == 0 {
		opts.requestTimeout = 5 * time.Second
	}
	var open func(t *testing.T) herald.Store
	if _, ok := postgresTests.Load(t); ok {
		connURL := dbtest.NewPostgresSchema(t)
		open = func(t *testing.T) herald.Store {
			// A few connections: the package's tests run in parallel
			// against one server.
			store, err := postgres.Open(t.Context(), &postgres.Config{URL: connURL, MaxConns: 8})
			if err != nil {
				t.Fatal(err)
			}
			return store
		}
	} else {
		path := filepath.Join(t.TempDir(), "herald.db")
		open = func(t *testing.T) herald.Store {
			store, err := sqlite.Open(t.Context(), &sqlite.Config{Path: path})
			if err != nil {
				t.Fatal(err)
			}
			return store
		}
	}
	store := open(t)
	client := dispatch.NewHTTPClient(dispatch.ClientConfig{Policy: policy, Timeout: opts.requestTimeout})
	policies, _ := store.(herald.RetryPolicyStore) // both real stores keep them
	disp, err := dispatch.New(dispatch.Config{
		Store:           store,
		RetryPolicies:   policies,
		Logger:          testLogger(t),
		Client:          client,
		RequestTimeout:  opts.requestTimeout,
		LeaseDuration:   opts.requestTimeout + time.Minute,
		PollInterval:    50 * time.Millisecond,
		ShutdownTimeout: opts.shutdownTimeout,
	})
	if err != nil {
		t.Fatal(err)
	}
	pub := dispatch.NewPublisher(dispatch.PublisherConfig{Store: store, Handoff: disp})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = disp.Run(ctx); close(done) }()
	var once sync.Once
	b := &testBundle{store: store, disp: disp, pub: pub}
	b.reopen = func(t *testing.T) herald.Store {
		s := open(t)
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	b.stop = func() {
		once.Do(func() {
			pub.Close()
			cancel()
			<-done
			client.CloseIdleConnections()
			_ = store.Close()
		})
	}
	t.Cleanup(b.stop)
	return b
}

func (b *testBundle) customer(t *testing.T, id string) {
	t.Helper()
	if err := b.store.CustomerCreate(t.Context(), &herald.Customer{ID: id, Name: "Customer " + id}); err != nil {
		t.Fatal(err)
	}
}

func (b *testBundle) endpoint(t *testing.T, customerID, url string, mutate func(*herald.Endpoint)) *herald.Endpoint {
	t.Helper()
	e := &herald.Endpoint{
		CustomerID: customerID,
		URL:        url,
		EventTypes: []wire.EventType{wire.EventTypeWorkFlowStatusChange},
		Auth:       herald.Auth{Type: herald.AuthTypeNone},
		Gzip:       true,
		Enabled:    true,
	}
	if mutate != nil {
		mutate(e)
	}
	if err := b.store.EndpointCreate(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	return e
}

// publish publishes a Status Flow Update for workflow systemID.
func (b *testBundle) publish(t testing.TB, customerID, systemID string) *herald.EventPublishResult {
	t.Helper()
	body, links, err := wire.BuildEvent("https://platform.example", customerID, &wire.EventParams{
		EventType: wire.EventTypeWorkFlowStatusChange,
		SystemID:  systemID, PersonID: "9166", UserID: "9059", JobID: "4442",
		OldStatus: "1753", NewStatus: "20786",
	})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	ev := &herald.Event{
		ID:         herald.NewID(herald.IDPrefixEvent, now),
		CustomerID: customerID,
		Type:       wire.EventTypeWorkFlowStatusChange,
		NewStatus:  "20786",
		Body:       body,
		BodyGzip:   wire.Gzip(body),
		LinkHeader: wire.FormatLinkHeader(links),
		CreatedAt:  now,
	}
	res, err := b.pub.Publish(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	return res
}

// waitDelivery waits until the delivery satisfies ok, or fails the test.
func (b *testBundle) waitDelivery(t *testing.T, id string, ok func(*herald.Delivery) bool) *herald.Delivery {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		d, err := b.store.DeliveryGet(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if ok(d) {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery %s: condition not met in time; state %s, attempts %d, last error %q", id, d.State, d.Attempts, d.LastError)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func inState(s herald.DeliveryState) func(*herald.Delivery) bool {
	return func(d *herald.Delivery) bool { return d.State == s }
}

func attempted(n int) func(*herald.Delivery) bool {
	return func(d *herald.Delivery) bool { return d.Attempts >= n }
}

func TestDeliveryRepliesDecideState(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.customer(t, "2187")

	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })
	mux.HandleFunc("/see-other", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "https://vendor.example/check/42")
		w.WriteHeader(303)
	})
	mux.HandleFunc("/reject", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		_, _ = io.WriteString(w, `{"error":{"userMessage":"Please provide a valid US SSN before requesting Background Check.","debugErrorMessage":"US SSN was not populated."}}`)
	})
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(410) })
	mux.HandleFunc("/busy", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(429)
	})
	var redirectFollowed atomic.Bool
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/target", http.StatusFound) })
	mux.HandleFunc("/target", func(w http.ResponseWriter, r *http.Request) { redirectFollowed.Store(true) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	paths := []string{"/ok", "/see-other", "/reject", "/gone", "/busy", "/moved"}
	byEndpoint := map[string]string{}
	for _, p := range paths {
		e := b.endpoint(t, "2187", srv.URL+p, nil)
		byEndpoint[e.ID] = p
	}
	res := b.publish(t, "2187", "13437")
	if len(res.Deliveries) != len(paths) {
		t.Fatalf("deliveries = %d, want %d", len(res.Deliveries), len(paths))
	}
	started := time.Now()
	for _, d := range res.Deliveries {
		switch p := byEndpoint[d.EndpointID]; p {
		case "/ok":
			got := b.waitDelivery(t, d.ID, inState(herald.DeliveryStateDelivered))
			if got.AttemptLog[0].StatusCode != 200 || got.AttemptLog[0].Number != 1 {
				t.Errorf("%s: attempt %+v", p, got.AttemptLog[0])
			}
		case "/see-other":
			got := b.waitDelivery(t, d.ID, inState(herald.DeliveryStateDelivered))
			if got.Location != "https://vendor.example/check/42" || got.AttemptLog[0].Location != got.Location {
				t.Errorf("%s: location %q, attempt %q", p, got.Location, got.AttemptLog[0].Location)
			}
		case "/reject":
			got := b.waitDelivery(t, d.ID, inState(herald.DeliveryStateRejected))
			a := got.AttemptLog[0]
			if a.StatusCode != 400 || a.UserMessage != "Please provide a valid US SSN before requesting Background Check." || a.DebugErrorMessage != "US SSN was not populated." {
				t.Errorf("%s: attempt %+v", p, a)
			}
		case "/gone":
			b.waitDelivery(t, d.ID, inState(herald.DeliveryStateFailed))
			ep, err := b.store.EndpointGet(t.Context(), d.EndpointID)
			if err != nil {
				t.Fatal(err)
			}
			if ep.Enabled || ep.DisabledReason == "" {
				t.Errorf("%s: endpoint enabled=%v reason=%q, want disabled with a reason", p, ep.Enabled, ep.DisabledReason)
			}
		case "/busy":
			got := b.waitDelivery(t, d.ID, attempted(1))
			if got.State != herald.DeliveryStatePending {
				t.Fatalf("%s: state %s, want pending", p, got.State)
			}
			// Retry-After: 120 beats the first scheduled wait (5s ± 20%).
			if wait := got.NextAttemptAt.Sub(started); wait < 110*time.Second || wait > 130*time.Second {
				t.Errorf("%s: next attempt in %s, want about 120s (Retry-After)", p, wait)
			}
			if !strings.Contains(got.AttemptLog[0].Error, "429") {
				t.Errorf("%s: error %q should name the status", p, got.AttemptLog[0].Error)
			}
		case "/moved":
			got := b.waitDelivery(t, d.ID, attempted(1))
			if got.State != herald.DeliveryStatePending || got.AttemptLog[0].StatusCode != 302 {
				t.Errorf("%s: state %s attempt %+v", p, got.State, got.AttemptLog[0])
			}
			if redirectFollowed.Load() {
				t.Errorf("%s: the redirect was followed", p)
			}
		}
	}
}

func TestDeliveryAsThePartnerSeesIt(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.customer(t, "2187")

	type seen struct {
		header http.Header
		body   []byte
	}
	got := make(chan seen, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- seen{r.Header.Clone(), body}
		if r.Header.Get(wire.HeaderAttempt) == "1" {
			w.WriteHeader(503) // make it retry once, to check the headers of attempt 2
			return
		}
	}))
	t.Cleanup(srv.Close)
	e := b.endpoint(t, "2187", srv.URL+"/hook", func(e *herald.Endpoint) {
		e.Auth = herald.Auth{Type: herald.AuthTypeHMAC, Username: "partner", Secret: "s3cret-s3cret"}
	})
	res := b.publish(t, "2187", "13437")

	first := waitFor(t, got)
	for k, want := range map[string]string{
		"Content-Type":     "application/json",
		"Content-Encoding": "gzip",
		"Accept-Encoding":  "gzip,deflate",
		wire.HeaderEventID: res.Event.ID,
		wire.HeaderAttempt: "1",
	} {
		if v := first.header.Get(k); v != want {
			t.Errorf("header %s = %q, want %q", k, v, want)
		}
	}
	if link := first.header.Get("Link"); !strings.HasSuffix(link, ",") || !strings.Contains(link, `rel="applicantWorkflow"`) {
		t.Errorf("Link header %q is not in the iCIMS form", link)
	}
	plain, err := wire.Gunzip(first.body, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := wire.ParseBody(plain)
	if err != nil {
		t.Fatal(err)
	}
	if parsed.SystemID != "13437" || parsed.CustomerID != "2187" || parsed.NewStatus != "20786" {
		t.Errorf("body %+v", parsed)
	}
	req := httptest.NewRequest(http.MethodPost, srv.URL+"/hook", nil)
	req.Header = first.header
	req.Host = strings.TrimPrefix(srv.URL, "http://")
	if _, err := wire.VerifyHMAC(req, first.body, func(u string) ([]byte, bool) { return []byte("s3cret-s3cret"), u == "partner" }, time.Now(), 5*time.Minute); err != nil {
		t.Errorf("HMAC does not verify: %v", err)
	}

	second := waitFor(t, got) // the retry after the 503, 5s ± 20% later
	if second.header.Get(wire.HeaderAttempt) != "2" || second.header.Get(wire.HeaderEventID) != res.Event.ID {
		t.Errorf("retry headers: attempt %q event %q", second.header.Get(wire.HeaderAttempt), second.header.Get(wire.HeaderEventID))
	}
	d := b.waitDelivery(t, res.Deliveries[0].ID, inState(herald.DeliveryStateDelivered))
	if d.Attempts != 2 || d.EndpointID != e.ID {
		t.Errorf("attempts = %d, want 2", d.Attempts)
	}
	if auth := d.AttemptLog[0].RequestHeaders["Authorization"]; strings.Contains(auth, "signature=") {
		t.Errorf("attempt log keeps the Authorization header unredacted: %q", auth)
	}
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func waitFor[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(15 * time.Second):
		t.Fatal("timed out waiting")
	}
	panic("unreachable")
}

func TestOutboundSafetyRefusesInternalAddresses(t *testing.T) {
	t.Parallel()
	b := setup(t, &setupOpts{policy: &dispatch.DestinationPolicy{}}) // the default: global only
	b.customer(t, "2187")
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	// "localhost" resolves to loopback: the check runs on the address
	// actually dialled, after resolution, so names cannot get around it.
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	for _, u := range []string{srv.URL, "http://localhost:" + port + "/"} {
		b.endpoint(t, "2187", u, nil)
	}
	// A token URL is an outbound request too, refused the same way.
	b.endpoint(t, "2187", "https://partner.example/events", func(e *herald.Endpoint) {
		e.Auth = herald.Auth{Type: herald.AuthTypeOAuth2, TokenURL: "http://localhost:" + port + "/token",
			ClientID: "herald", ClientSecret: "client-secret-1234"}
	})
	res := b.publish(t, "2187", "13437")
	for _, d := range res.Deliveries {
		got := b.waitDelivery(t, d.ID, attempted(1))
		a := got.AttemptLog[0]
		// Customers learn that the destination is refused, never the
		// address their host name resolved to (the operator's log has it).
		if a.StatusCode != 0 || !strings.Contains(a.Error, "not allowed") {
			t.Errorf("attempt %+v: want a refusal", a)
		}
		for _, leak := range []string{"127.0.0.1", "::1", "loopback", port} {
			if strings.Contains(a.Error, leak) || strings.Contains(got.LastError, leak) {
				t.Errorf("attempt error %q (last error %q) names the internal address (%s)", a.Error, got.LastError, leak)
			}
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the internal server got %d requests", n)
	}
}

// A partner that hangs until the timeout must not slow the others.
func TestHangingEndpointDoesNotSlowOthers(t *testing.T) {
	t.Parallel()
	// Long, so a busy machine (CI runs packages side by side) cannot make the
	// healthy deliveries look slow; nothing waits for it in a passing run.
	const timeout = 30 * time.Second
	b := setup(t, &setupOpts{requestTimeout: timeout, shutdownTimeout: 100 * time.Millisecond})
	b.customer(t, "2187")

	release := make(chan struct{})
	var hangingInFlight, hangingMax atomic.Int32
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		n := hangingInFlight.Add(1)
		defer hangingInFlight.Add(-1)
		for {
			m := hangingMax.Load()
			if n <= m || hangingMax.CompareAndSwap(m, n) {
				break
			}
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); hanging.Close() })
	var healthyHits atomic.Int32
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { healthyHits.Add(1) }))
	t.Cleanup(healthy.Close)

	b.endpoint(t, "2187", hanging.URL, nil)
	healthyEP := b.endpoint(t, "2187", healthy.URL, nil)
	const events = 200
	start := time.Now()
	var healthyIDs []string
	for i := range events {
		res := b.publish(t, "2187", "wf"+itoa(i))
		for _, d := range res.Deliveries {
			if d.EndpointID == healthyEP.ID {
				healthyIDs = append(healthyIDs, d.ID)
			}
		}
	}
	for _, id := range healthyIDs {
		b.waitDelivery(t, id, inState(herald.DeliveryStateDelivered))
	}
	elapsed := time.Since(start)
	// With the hanging partner holding its lane's slots for the whole
	// timeout, the healthy partner still got every event before a single
	// hanging attempt could time out.
	if elapsed >= timeout {
		t.Fatalf("healthy deliveries took %s, longer than the hanging partner's timeout", elapsed)
	}
	if got := int(healthyHits.Load()); got != events {
		t.Fatalf("healthy partner got %d requests, want %d", got, events)
	}
	if m := hangingMax.Load(); m > herald.DefaultEndpointConcurrency {
		t.Fatalf("hanging partner saw %d concurrent requests, more than the cap %d", m, herald.DefaultEndpointConcurrency)
	}
	t.Logf("200 healthy deliveries in %s beside a hanging endpoint (max %d in flight there)", elapsed, hangingMax.Load())
}

func itoa(i int) string { return strconv.Itoa(i) }

// An attempt cut off by shutdown goes back to the queue unchanged, and is
// delivered by the next run.
func TestShutdownHandsBackInterruptedAttempts(t *testing.T) {
	t.Parallel()
	b := setup(t, &setupOpts{shutdownTimeout: 200 * time.Millisecond})
	b.customer(t, "2187")
	arrived := make(chan struct{}, 1)
	var slow atomic.Bool
	slow.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read the body first: only then does the server notice the client
		// hanging up and end r.Context().
		_, _ = io.Copy(io.Discard, r.Body)
		if slow.Load() {
			arrived <- struct{}{}
			<-r.Context().Done()
			return
		}
	}))
	t.Cleanup(srv.Close)
	b.endpoint(t, "2187", srv.URL, nil)
	res := b.publish(t, "2187", "13437")
	waitFor(t, arrived)

	b.stop()

	store := b.reopen(t)
	d, err := store.DeliveryGet(t.Context(), res.Deliveries[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.State != herald.DeliveryStatePending || d.Attempts != 0 {
		t.Fatalf("after shutdown: state %s attempts %d, want pending with no attempt counted", d.State, d.Attempts)
	}
	if d.NextAttemptAt.After(time.Now().Add(time.Second)) {
		t.Fatalf("after shutdown the delivery is due at %s, want now (handed back, not left leased)", d.NextAttemptAt)
	}
}
