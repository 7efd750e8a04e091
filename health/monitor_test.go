package health_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/health"
	"github.com/heraldhq/herald/internal/dbtest"
	"github.com/heraldhq/herald/internal/testfactory"
	"github.com/heraldhq/herald/sqlite"
)

var base = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

// testClock is a clock tests move by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func newStore(t testing.TB) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), &sqlite.Config{
		Path:   dbtest.NewSQLitePath(t),
		Logger: slog.New(slog.NewTextHandler(t.Output(), nil)),
	})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// attempt publishes an event for e at at and records one attempt of its
// delivery with status, leaving it in state.
func attempt(ctx context.Context, t *testing.T, store herald.Store, e *herald.Endpoint, at time.Time, status int, state herald.DeliveryState) *herald.Delivery {
	t.Helper()
	res := testfactory.Event(ctx, t, store, &testfactory.EventOpts{CustomerID: e.CustomerID, CreatedAt: at})
	var d *herald.Delivery
	for _, x := range res.Deliveries {
		if x.EndpointID == e.ID {
			d = x
		}
	}
	if d == nil {
		t.Fatalf("no delivery for %s", e.ID)
	}
	cs, err := store.DeliveryClaimIDs(ctx, []string{d.ID}, &herald.DeliveryClaimParams{Now: at, LeaseUntil: at.Add(time.Minute), Owner: "test"})
	if err != nil || len(cs) != 1 {
		t.Fatalf("claim %s: %d, %v", d.ID, len(cs), err)
	}
	a := &herald.Attempt{DeliveryID: d.ID, Number: 1, At: at, StatusCode: status}
	if status != 200 {
		a.Error = "503 Service Unavailable"
	}
	rec := &herald.AttemptRecord{Lease: cs[0].Lease, Attempt: a, State: state}
	if state == herald.DeliveryStatePending {
		rec.NextAttemptAt = at.Add(time.Hour)
	}
	if err := store.DeliveryRecordAttempts(ctx, []*herald.AttemptRecord{rec}); err != nil {
		t.Fatalf("record: %v", err)
	}
	return d
}

func newMonitor(t *testing.T, store health.MonitorStore, clock *testClock, wake func()) *health.Monitor {
	t.Helper()
	m, err := health.NewMonitor(health.MonitorConfig{
		Store:      store,
		Logger:     slog.New(slog.NewTextHandler(t.Output(), nil)),
		NowFunc:    clock.Now,
		EventsFunc: wake,
	})
	if err != nil {
		t.Fatalf("new monitor: %v", err)
	}
	return m
}

func TestMonitorDisablesFailingEndpoint(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := newStore(t)
	clock := &testClock{t: base}
	wakes := 0
	m := newMonitor(t, store, clock, func() { wakes++ })

	failing := testfactory.Endpoint(ctx, t, store, nil)
	attempt(ctx, t, store, failing, base, 503, herald.DeliveryStatePending)
	attempt(ctx, t, store, failing, base.Add(4*day), 503, herald.DeliveryStatePending)
	// Failed as long, but succeeded recently.
	recovered := testfactory.Endpoint(ctx, t, store, nil)
	attempt(ctx, t, store, recovered, base, 503, herald.DeliveryStatePending)
	attempt(ctx, t, store, recovered, base.Add(4*day), 200, herald.DeliveryStateDelivered)
	// Failing, but for less than five days.
	recent := testfactory.Endpoint(ctx, t, store, nil)
	attempt(ctx, t, store, recent, base.Add(day), 503, herald.DeliveryStatePending)

	// Just under five days: nothing yet.
	clock.Set(base.Add(5*day - time.Minute))
	evs, err := m.Scan(ctx)
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	for _, ev := range evs {
		if ev.Type == herald.OperatorEventEndpointDisabled {
			t.Fatalf("disabled %s before the window ran out", ev.EndpointID)
		}
	}

	clock.Set(base.Add(5*day + time.Minute))
	evs, err = m.Scan(ctx)
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	var disabled []*herald.OperatorEvent
	for _, ev := range evs {
		if ev.Type == herald.OperatorEventEndpointDisabled {
			disabled = append(disabled, ev)
		}
	}
	if len(disabled) != 1 || disabled[0].EndpointID != failing.ID {
		t.Fatalf("disabled events = %+v, want one for %s", disabled, failing.ID)
	}
	if !strings.HasPrefix(disabled[0].Detail, "no successful delivery for 120h1m0s") {
		t.Fatalf("detail = %q", disabled[0].Detail)
	}
	if wakes == 0 {
		t.Fatalf("EventsFunc was not called")
	}
	for _, tc := range []struct {
		e       *herald.Endpoint
		enabled bool
	}{{failing, false}, {recovered, true}, {recent, true}} {
		got, err := store.EndpointGet(ctx, tc.e.ID)
		if err != nil {
			t.Fatalf("get endpoint: %v", err)
		}
		if got.Enabled != tc.enabled {
			t.Fatalf("endpoint %s enabled = %v, want %v", tc.e.ID, got.Enabled, tc.enabled)
		}
		if !tc.enabled && got.DisabledReason != disabled[0].Detail {
			t.Fatalf("disabled reason = %q, want the event's detail %q", got.DisabledReason, disabled[0].Detail)
		}
		// The endpoint page and the API say the monitor did it, and when.
		if !tc.enabled && (got.DisabledBy != herald.DisabledByHealthMonitor || !got.DisabledAt.Equal(base.Add(5*day+time.Minute))) {
			t.Fatalf("disabled by %q at %v, want the health monitor at %v", got.DisabledBy, got.DisabledAt, base.Add(5*day+time.Minute))
		}
	}

	// Once only.
	clock.Set(base.Add(5*day + 2*time.Minute))
	if evs, err := m.Scan(ctx); err != nil || len(evs) != 0 {
		t.Fatalf("second scan = %d events, %v; want none", len(evs), err)
	}

	// Re-enabled: recovered, and not disabled again by the old streak.
	ep, _ := store.EndpointGet(ctx, failing.ID)
	ep.Enabled = true
	if err := store.EndpointUpdate(ctx, ep); err != nil {
		t.Fatalf("enable: %v", err)
	}
	clock.Set(base.Add(5*day + 3*time.Minute))
	evs, err = m.Scan(ctx)
	if err != nil || len(evs) != 1 || evs[0].Type != herald.OperatorEventEndpointRecovered || evs[0].EndpointID != failing.ID {
		t.Fatalf("scan after re-enable = %+v, %v; want one endpoint.recovered", evs, err)
	}
	if got, _ := store.EndpointGet(ctx, failing.ID); !got.Enabled {
		t.Fatalf("the monitor disabled the re-enabled endpoint again")
	}
}

func TestMonitorRecoveredAndDead(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := newStore(t)
	clock := &testClock{t: base}
	m := newMonitor(t, store, clock, nil)
	if _, err := m.Scan(ctx); err != nil {
		t.Fatalf("scan: %v", err)
	}
	e := testfactory.Endpoint(ctx, t, store, nil)
	dead := attempt(ctx, t, store, e, base.Add(time.Minute), 503, herald.DeliveryStateDead)
	attempt(ctx, t, store, e, base.Add(3*time.Hour), 200, herald.DeliveryStateDelivered)

	clock.Set(base.Add(4 * time.Hour))
	evs, err := m.Scan(ctx)
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	got := map[herald.OperatorEventType]*herald.OperatorEvent{}
	for _, ev := range evs {
		got[ev.Type] = ev
	}
	if len(evs) != 2 || got[herald.OperatorEventDeliveryDead] == nil || got[herald.OperatorEventEndpointRecovered] == nil {
		t.Fatalf("events = %+v, want delivery.dead and endpoint.recovered", evs)
	}
	if got[herald.OperatorEventDeliveryDead].DeliveryID != dead.ID {
		t.Fatalf("dead event for %s, want %s", got[herald.OperatorEventDeliveryDead].DeliveryID, dead.ID)
	}
	clock.Set(base.Add(5 * time.Hour))
	if evs, err := m.Scan(ctx); err != nil || len(evs) != 0 {
		t.Fatalf("second scan = %d events, %v; want none", len(evs), err)
	}
}

func TestMonitorRun(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	ctx, cancel := context.WithCancel(t.Context())
	e := testfactory.Endpoint(ctx, t, store, nil)
	if err := store.EndpointDisable(ctx, e.ID, "the partner answered 410 Gone", base); err != nil {
		t.Fatalf("disable: %v", err)
	}
	woken := make(chan struct{}, 1)
	m := newMonitor(t, store, &testClock{t: base.Add(time.Minute)}, func() {
		select {
		case woken <- struct{}{}:
		default:
		}
	})
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	select {
	case <-woken:
	case <-time.After(10 * time.Second):
		t.Fatalf("the monitor recorded nothing")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	res, err := store.OperatorEventList(t.Context(), &herald.OperatorEventListParams{Type: herald.OperatorEventEndpointDisabled})
	if err != nil || len(res.Events) != 1 || res.Events[0].Detail != "the partner answered 410 Gone" {
		t.Fatalf("endpoint.disabled events = %+v, %v", res, err)
	}
}

func TestNewMonitorValidates(t *testing.T) {
	t.Parallel()
	if _, err := health.NewMonitor(health.MonitorConfig{}); err == nil {
		t.Fatalf("NewMonitor without a store succeeded")
	}
	if _, err := health.NewMonitor(health.MonitorConfig{Store: newStore(t), Interval: -time.Second}); err == nil {
		t.Fatalf("NewMonitor with a negative interval succeeded")
	}
}
