package sqlite

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
	"github.com/heraldhq/herald/wire"
)

// An event whose customer is gone by the time its batch takes the writer
// (deleted after the batch read its endpoints) is refused alone, as one of
// an unknown customer is: the foreign key stops its insert.
func TestPublishRefusesAnEventWhoseCustomerWentBeforeItsInsert(t *testing.T) {
	t.Parallel()
	s := hotTestStore(t)
	ctx := t.Context()
	gone := &herald.Event{ID: herald.NewID(herald.IDPrefixEvent, time.Now()), CustomerID: "deleted-customer",
		Type: wire.EventTypeWorkFlowStatusChange, BodyGzip: []byte{0x1f, 0x8b}, CreatedAt: time.Now()}
	plan := &plannedBatch{s: s, events: []plannedEvent{{ev: gone}}}
	var refused map[string]error
	if err := s.hotWrites.run(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		refused, err = plan.insert(ctx, tx)
		return err
	}); err != nil {
		t.Fatalf("the batch failed: %v", err)
	}
	if code := herald.ErrorCode(refused[gone.ID]); code != herald.ENOTFOUND {
		t.Fatalf("refused %v (code %q), want the customer not found", refused[gone.ID], code)
	}
}

// Publishing keeps customers' endpoints between batches (storerules.EndpointCache),
// and every change to them applies to the next batch: a new endpoint, an
// edit, a deletion, a customer created after a publish found none.
func TestPublishSeesEndpointChangesAtTheNextBatch(t *testing.T) {
	t.Parallel()
	s := hotTestStore(t)
	ctx := t.Context()
	publish := func(customerID string) (int, error) {
		t.Helper()
		params := &wire.EventParams{EventType: wire.EventTypeWorkFlowStatusChange, SystemID: "1", PersonID: "2",
			UserID: "3", JobID: "4", OldStatus: "5", NewStatus: "6"}
		ev, err := herald.NewEvent("http://127.0.0.1", customerID, params, time.Now(), wire.Gzip)
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.EventPublish(ctx, []*herald.Event{ev})
		if err != nil {
			t.Fatal(err)
		}
		return len(res[0].Deliveries), res[0].Err
	}
	wantDeliveries := func(step, customerID string, want int) {
		t.Helper()
		n, err := publish(customerID)
		if err != nil || n != want {
			t.Fatalf("%s: %d deliveries (%v), want %d", step, n, err, want)
		}
	}

	cust := testfactory.Customer(ctx, t, s, nil)
	first := testfactory.Endpoint(ctx, t, s, &testfactory.EndpointOpts{CustomerID: cust.ID})
	wantDeliveries("one endpoint", cust.ID, 1)
	second := testfactory.Endpoint(ctx, t, s, &testfactory.EndpointOpts{CustomerID: cust.ID})
	wantDeliveries("an endpoint added", cust.ID, 2)

	second.EventTypes = []wire.EventType{wire.EventTypeAssessment}
	if err := s.EndpointUpdate(ctx, second); err != nil {
		t.Fatal(err)
	}
	wantDeliveries("an endpoint no longer subscribed", cust.ID, 1)
	if err := s.EndpointDelete(ctx, cust.ID, first.ID); err != nil {
		t.Fatal(err)
	}
	wantDeliveries("an endpoint deleted", cust.ID, 0)

	if _, err := publish("7777"); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("unknown customer: %v, want not found", err)
	}
	later := testfactory.Customer(ctx, t, s, &testfactory.CustomerOpts{ID: "7777"})
	testfactory.Endpoint(ctx, t, s, &testfactory.EndpointOpts{CustomerID: later.ID})
	wantDeliveries("a customer created since", later.ID, 1)
}

// A batch of events from customers new to the publish's endpoint cache
// reads their endpoints together (prime), and what it keeps is what each
// customer's own read returns: its endpoints in creation order, none for a
// customer without any, nothing for an unknown customer, which is refused.
func TestPublishPrimesTheEndpointsOfNewCustomers(t *testing.T) {
	t.Parallel()
	s := hotTestStore(t)
	ctx := t.Context()
	none := testfactory.Customer(ctx, t, s, nil)
	one := testfactory.Customer(ctx, t, s, nil)
	two := testfactory.Customer(ctx, t, s, nil)
	testfactory.Endpoint(ctx, t, s, &testfactory.EndpointOpts{CustomerID: one.ID})
	for range 2 {
		testfactory.Endpoint(ctx, t, s, &testfactory.EndpointOpts{CustomerID: two.ID})
	}
	var events []*herald.Event
	for _, id := range []string{two.ID, none.ID, "unknown-customer", one.ID, two.ID} {
		events = append(events, testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: id, Type: wire.EventTypeWorkFlowStatusChange}))
	}
	// prime alone fills the cache, before any customer is asked for.
	plan := &plannedBatch{s: s, seen: map[string]bool{}}
	if err := plan.prime(ctx, events); err != nil {
		t.Fatal(err)
	}
	v, _ := s.endpoints.Stamp()
	for _, c := range []*herald.Customer{none, one, two} {
		kept, ok := s.endpoints.Get(v, c.ID)
		if !ok {
			t.Fatalf("customer %s: not kept", c.ID)
		}
		want, err := s.EndpointList(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(kept) != len(want) {
			t.Fatalf("customer %s: %d endpoints kept, %d listed", c.ID, len(kept), len(want))
		}
		for i := range want {
			if kept[i].ID != want[i].ID {
				t.Fatalf("customer %s: endpoint %d is %s, listed %s", c.ID, i, kept[i].ID, want[i].ID)
			}
		}
	}
	if _, ok := s.endpoints.Get(v, "unknown-customer"); ok {
		t.Fatal("an unknown customer was kept")
	}

	res, err := s.EventPublish(ctx, events)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{2, 0, -1, 1, 2} {
		switch {
		case want < 0 && herald.ErrorCode(res[i].Err) != herald.ENOTFOUND:
			t.Fatalf("event %d, of an unknown customer: %v, want not found", i, res[i].Err)
		case want >= 0 && (res[i].Err != nil || len(res[i].Deliveries) != want):
			t.Fatalf("event %d: %d deliveries (%v), want %d", i, len(res[i].Deliveries), res[i].Err, want)
		}
	}
}
