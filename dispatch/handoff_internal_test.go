package dispatch

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
	"github.com/heraldhq/herald/sqlite"
)

// A publish that reserved room while the dispatcher ran, and committed once
// it had begun to drain, hands its deliveries back to the store rather
// than to lanes no worker will serve; a dispatcher that is not running
// takes nothing.
func TestHandoffAfterDrainHandsTheDeliveriesBack(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store, err := sqlite.Open(ctx, &sqlite.Config{Path: filepath.Join(t.TempDir(), "herald.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	cust := testfactory.Customer(ctx, t, store, nil)
	testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{CustomerID: cust.ID, URL: "http://127.0.0.1:9/events"})
	d, err := New(Config{Store: store, PollInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := d.newHandoff(); h.take(&herald.Delivery{EndpointID: "ep"}) {
		t.Fatal("a dispatcher that has not started took a delivery")
	}

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = d.Run(runCtx); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		d.mu.Lock()
		running := d.running
		d.mu.Unlock()
		if running {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the dispatcher did not start")
		}
		time.Sleep(time.Millisecond)
	}

	// The event first, as the API makes it before it publishes: its
	// delivery is due at its creation, and a lease offers only deliveries
	// due by the lease's Now. Made after the lease, a millisecond boundary
	// in between left it not yet due and the test failed now and then.
	ev := testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: cust.ID})
	h, lease := d.newHandoff()
	results, claimed, err := store.EventPublishLeased(ctx, []*herald.Event{ev}, lease)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("leased %d (%v), want the event's one delivery", len(claimed), err)
	}
	stop()
	<-done
	h.accept(claimed)

	got, err := store.DeliveryGet(ctx, results[0].Deliveries[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != herald.DeliveryStatePending || got.Attempts != 0 || got.NextAttemptAt.After(time.Now()) {
		t.Errorf("delivery %s due %v after the drain, want pending, unattempted and due again", got.State, got.NextAttemptAt)
	}
	d.mu.Lock()
	outstanding := d.outstanding
	d.mu.Unlock()
	if outstanding != 0 {
		t.Errorf("%d outstanding after the hand-back, want 0", outstanding)
	}
}
