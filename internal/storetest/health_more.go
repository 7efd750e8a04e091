package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
)

// exerciseOperatorEventFilters lists with every filter at once, so each
// condition's argument must reach its own placeholder.
func exerciseOperatorEventFilters(t *testing.T, setup recoverySetupFunc) {
	ctx, store := setup(t)
	a := testfactory.Endpoint(ctx, t, store, nil)
	b := testfactory.Endpoint(ctx, t, store, nil)
	requireEvents(t, scan(ctx, t, store, base))
	for range 3 {
		healthAttempt(ctx, t, store, a, base.Add(time.Minute), 503, 0, herald.DeliveryStateDead)
	}
	healthAttempt(ctx, t, store, b, base.Add(time.Minute), 503, 0, herald.DeliveryStateDead)
	requireNoError(t, "disable", store.EndpointDisable(ctx, a.ID, "gone", base.Add(2*time.Minute)))
	if n := len(scan(ctx, t, store, base.Add(time.Hour))); n != 5 {
		t.Fatalf("scan recorded %d events, want 5", n)
	}

	p := &herald.OperatorEventListParams{CustomerID: a.CustomerID, Type: herald.OperatorEventDeliveryDead,
		Since: base.Add(time.Hour), Limit: 2}
	var got []*herald.OperatorEvent
	for page := 0; ; page++ {
		res, err := store.OperatorEventList(ctx, p)
		requireNoError(t, "list operator events", err)
		got = append(got, res.Events...)
		if res.NextCursor == "" {
			break
		}
		if page == 3 {
			t.Fatalf("more pages than events")
		}
		p.Cursor = res.NextCursor
	}
	if len(got) != 3 {
		t.Fatalf("listed %d delivery.dead events of customer a since the scan, want 3", len(got))
	}
	for i, ev := range got {
		if ev.Type != herald.OperatorEventDeliveryDead || ev.EndpointID != a.ID {
			t.Fatalf("event %d = %s for %s, want delivery.dead for %s", i, ev.Type, ev.EndpointID, a.ID)
		}
		if i > 0 && got[i-1].ID <= ev.ID {
			t.Fatalf("events are not newest first")
		}
	}
	res, err := store.OperatorEventList(ctx, &herald.OperatorEventListParams{CustomerID: a.CustomerID,
		Type: herald.OperatorEventDeliveryDead, Since: base.Add(2 * time.Hour)})
	requireNoError(t, "list operator events", err)
	if len(res.Events) != 0 {
		t.Fatalf("listed %d events since after the scan, want 0", len(res.Events))
	}
}

// healthScanConcurrently runs health scans on several nodes at once: each
// change is reported by one event, whichever node's scan finds it.
func healthScanConcurrently(t *testing.T, stores ...herald.Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	nodes := make([]herald.HealthStore, len(stores))
	for i, store := range stores {
		hs, ok := store.(herald.HealthStore)
		if !ok {
			t.Skip("the store does not implement herald.HealthStore")
		}
		nodes[i] = hs
	}
	nodeScan := func(store herald.HealthStore, now time.Time) ([]*herald.OperatorEvent, error) {
		res, err := store.HealthScan(ctx, &herald.HealthScanParams{Now: now, RecoveredAfter: time.Hour, DeadSettle: 5 * time.Minute})
		if err != nil {
			return nil, err
		}
		return res.Events, nil
	}
	if _, err := nodeScan(nodes[0], base); err != nil {
		t.Fatalf("first scan: %v", err)
	}
	const endpoints = 4
	want := map[string]bool{} // endpoint or delivery id -> reported
	for range endpoints {
		e := testfactory.Endpoint(ctx, t, stores[0], nil)
		d := healthAttempt(ctx, t, stores[0], e, base.Add(time.Minute), 503, 0, herald.DeliveryStateDead)
		requireNoError(t, "disable", stores[0].EndpointDisable(ctx, e.ID, "gone", base.Add(2*time.Minute)))
		want[e.ID], want[d.ID] = false, false
	}

	var (
		mu   sync.Mutex
		evs  []*herald.OperatorEvent
		errs = make(chan error, len(nodes)*2)
		wg   sync.WaitGroup
	)
	for _, store := range nodes {
		for round := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := nodeScan(store, base.Add(time.Hour+time.Duration(round)*time.Minute))
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				evs = append(evs, got...)
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent scan: %v", err)
	}
	for _, ev := range evs {
		id := ev.EndpointID
		if ev.Type == herald.OperatorEventDeliveryDead {
			id = ev.DeliveryID
		}
		reported, ok := want[id]
		switch {
		case !ok:
			t.Fatalf("unexpected event %s for %s", ev.Type, id)
		case reported:
			t.Fatalf("%s for %s reported twice", ev.Type, id)
		}
		want[id] = true
	}
	for id, reported := range want {
		if !reported {
			t.Fatalf("no event for %s", id)
		}
	}
}
