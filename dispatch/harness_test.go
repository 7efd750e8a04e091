package dispatch_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/dispatch"
	"github.com/heraldhq/herald/sqlite"
	"github.com/heraldhq/herald/wire"
)

// rig is a running dispatcher over a real SQLite store, for the tests of
// the per-endpoint controls, retry policies, observer and benchmark. It is
// separate from dispatcher_test.go's setup so that each can change without
// the other; configure lets a test set any dispatch.Config field.
type rig struct {
	store herald.Store
	disp  *dispatch.Dispatcher
	pub   *dispatch.Publisher
	stop  func()
}

func newRig(t testing.TB, configure func(*dispatch.Config)) *rig {
	t.Helper()
	store, err := sqlite.Open(t.Context(), &sqlite.Config{Path: filepath.Join(t.TempDir(), "herald.db")})
	if err != nil {
		t.Fatal(err)
	}
	timeout := 5 * time.Second
	client := dispatch.NewHTTPClient(dispatch.ClientConfig{Policy: loopbackOnly, Timeout: timeout})
	cfg := dispatch.Config{
		Store:          store,
		RetryPolicies:  store,
		Logger:         slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo})),
		Client:         client,
		RequestTimeout: timeout,
		LeaseDuration:  timeout + time.Minute,
		PollInterval:   50 * time.Millisecond,
	}
	if configure != nil {
		configure(&cfg)
	}
	disp, err := dispatch.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pub := dispatch.NewPublisher(dispatch.PublisherConfig{Store: store, Handoff: disp})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = disp.Run(ctx); close(done) }()
	// A publish before Run has begun hands nothing off, which the tests
	// that count handoffs would read as a claim on a busy machine.
	select {
	case <-disp.Started():
	case <-time.After(10 * time.Second):
		t.Fatal("the dispatcher did not start within 10s")
	}
	var once sync.Once
	r := &rig{store: store, disp: disp, pub: pub}
	r.stop = func() {
		once.Do(func() {
			pub.Close()
			cancel()
			<-done
			client.CloseIdleConnections()
			_ = store.Close()
		})
	}
	t.Cleanup(r.stop)
	return r
}

func (r *rig) customer(t testing.TB, id string) {
	t.Helper()
	if err := r.store.CustomerCreate(t.Context(), &herald.Customer{ID: id, Name: "Customer " + id}); err != nil {
		t.Fatal(err)
	}
}

func (r *rig) endpoint(t testing.TB, customerID, url string, mutate func(*herald.Endpoint)) *herald.Endpoint {
	t.Helper()
	e := &herald.Endpoint{
		CustomerID: customerID,
		URL:        url,
		EventTypes: []wire.EventType{wire.EventTypeWorkFlowStatusChange, wire.EventTypeAssessment},
		Auth:       herald.Auth{Type: herald.AuthTypeNone},
		Gzip:       true,
		Enabled:    true,
	}
	if mutate != nil {
		mutate(e)
	}
	if err := r.store.EndpointCreate(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	return e
}

// publish publishes an event of type typ (a Status Flow Update unless
// typ is AssessmentEvent) for workflow systemID.
func (r *rig) publish(t testing.TB, customerID, systemID string, typ wire.EventType) *herald.EventPublishResult {
	t.Helper()
	return r.publishAt(t, customerID, systemID, typ, time.Now().UTC())
}

// publishAt publishes an event created, and so due, at the given time: a
// time in the future keeps the background loop off its deliveries, which
// DeliverNow still claims.
func (r *rig) publishAt(t testing.TB, customerID, systemID string, typ wire.EventType, now time.Time) *herald.EventPublishResult {
	t.Helper()
	params := &wire.EventParams{EventType: typ, SystemID: systemID, PersonID: "9166", UserID: "9059", JobID: "4442"}
	switch typ {
	case wire.EventTypeWorkFlowStatusChange:
		params.OldStatus, params.NewStatus = "1753", "20786"
	case wire.EventTypeAssessment:
		params.ReturnURL = "https://platform.example/return"
	}
	body, links, err := wire.BuildEvent("https://platform.example", customerID, params)
	if err != nil {
		t.Fatal(err)
	}
	ev := &herald.Event{
		ID:         herald.NewID(herald.IDPrefixEvent, now),
		CustomerID: customerID,
		Type:       typ,
		NewStatus:  params.NewStatus,
		Body:       body,
		BodyGzip:   wire.Gzip(body),
		LinkHeader: wire.FormatLinkHeader(links),
		CreatedAt:  now,
	}
	res, err := r.pub.Publish(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	return res
}

// wait polls the delivery until ok holds, or fails the test.
func (r *rig) wait(t testing.TB, id string, ok func(*herald.Delivery) bool) *herald.Delivery {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		d, err := r.store.DeliveryGet(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if ok(d) {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery %s: condition not met in time; state %s, attempts %d, last error %q", id, d.State, d.Attempts, d.LastError)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// fakeClock is a NowFunc that moves only when told.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}
