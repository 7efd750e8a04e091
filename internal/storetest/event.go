package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
	"github.com/heraldhq/herald/wire"
)

func exerciseEvent(t *testing.T, setup setupFunc) {
	t.Run("PublishDeliversToEndpointsThatWant", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		cust := testfactory.Customer(ctx, t, store, nil)
		ep := func(opts testfactory.EndpointOpts) *herald.Endpoint {
			opts.CustomerID = cust.ID
			return testfactory.Endpoint(ctx, t, store, &opts)
		}
		all := ep(testfactory.EndpointOpts{})
		jobs := ep(testfactory.EndpointOpts{EventTypes: []wire.EventType{wire.EventTypeJobPostToWeb}})
		// A disabled endpoint that wants every type gets a failed
		// delivery of each event (PublishToDisabledEndpoint).
		off := ep(testfactory.EndpointOpts{Disabled: true, DisabledReason: "410 Gone"})
		hired := ep(testfactory.EndpointOpts{
			EventTypes:     []wire.EventType{wire.EventTypeWorkFlowStatusChange},
			StatusTriggers: []string{"Hired", "Offer Accepted"},
		})
		anyStatus := ep(testfactory.EndpointOpts{EventTypes: []wire.EventType{wire.EventTypeWorkFlowStatusChange}})
		// Another customer's endpoint that wants everything.
		testfactory.Endpoint(ctx, t, store, nil)

		for _, tc := range []struct {
			name      string
			typ       wire.EventType
			newStatus string
			want      []*herald.Endpoint
		}{
			{"Assessment", wire.EventTypeAssessment, "", []*herald.Endpoint{all}},
			{"JobPost", wire.EventTypeJobPostToWeb, "", []*herald.Endpoint{all, jobs}},
			{"StatusTriggered", wire.EventTypeWorkFlowStatusChange, "Hired", []*herald.Endpoint{all, hired, anyStatus}},
			{"StatusNotTriggered", wire.EventTypeWorkFlowStatusChange, "Rejected", []*herald.Endpoint{all, anyStatus}},
			{"RemoteLogin", wire.EventTypeRemoteLogin, "", []*herald.Endpoint{all}},
		} {
			createdAt := base.Add(time.Duration(len(tc.name)) * time.Second)
			ev := testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: cust.ID, Type: tc.typ, NewStatus: tc.newStatus, CreatedAt: createdAt})
			res, err := store.EventPublish(ctx, []*herald.Event{ev})
			requireNoError(t, "publish "+tc.name, err)
			if len(res) != 1 || res[0].Err != nil {
				t.Fatalf("%s: results %v", tc.name, res)
			}
			r := res[0]
			if r.Event == nil || r.Event.ID != ev.ID || len(r.Event.Body) != 0 {
				t.Fatalf("%s: result event %+v, want %s without Body", tc.name, r.Event, ev.ID)
			}

			var wantIDs []string
			for _, e := range tc.want {
				wantIDs = append(wantIDs, e.ID)
			}
			gotIDs := endpointIDs(r.Deliveries)
			slices.Sort(wantIDs)
			slices.Sort(gotIDs)
			if !slices.Equal(gotIDs, wantIDs) {
				t.Fatalf("%s: deliveries for endpoints %v, want %v", tc.name, gotIDs, wantIDs)
			}
			for _, d := range r.Deliveries {
				want := &herald.Delivery{
					ID: d.ID, EventID: ev.ID, EndpointID: d.EndpointID, CustomerID: cust.ID, EventType: tc.typ,
					State: herald.DeliveryStatePending, NextAttemptAt: createdAt, CreatedAt: createdAt, UpdatedAt: createdAt,
				}
				requireNoDiff(t, tc.name+" delivery", d, want)
				if !strings.HasPrefix(d.ID, herald.IDPrefixDelivery) {
					t.Fatalf("delivery id %q lacks the %s prefix", d.ID, herald.IDPrefixDelivery)
				}
			}

			// What was returned is what was stored, with the failed
			// delivery to the disabled endpoint besides.
			stored, err := store.DeliveryListForEvent(ctx, ev.ID)
			requireNoError(t, "list deliveries of event", err)
			if len(stored) != len(r.Deliveries)+1 {
				t.Fatalf("%s: %d deliveries stored, %d returned and 1 failed", tc.name, len(stored), len(r.Deliveries))
			}
			if i := slices.IndexFunc(stored, func(s *herald.Delivery) bool { return s.EndpointID == off.ID }); i < 0 ||
				stored[i].State != herald.DeliveryStateFailed {
				t.Fatalf("%s: no failed delivery to the disabled endpoint among %v", tc.name, endpointIDs(stored))
			}
			for _, d := range r.Deliveries {
				i := slices.IndexFunc(stored, func(s *herald.Delivery) bool { return s.ID == d.ID })
				if i < 0 {
					t.Fatalf("%s: delivery %s returned but not stored", tc.name, d.ID)
				}
				requireNoDiff(t, "stored delivery", stored[i], d)
			}
		}
	})

	t.Run("PublishToDisabledEndpoint", func(t *testing.T) { t.Parallel(); exercisePublishToDisabled(t, setup) })

	t.Run("PublishBatchResultsInOrder", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		a := testfactory.Endpoint(ctx, t, store, nil)
		b := testfactory.Endpoint(ctx, t, store, nil)
		var events []*herald.Event
		for i := range 10 {
			cust := a.CustomerID
			if i%3 == 1 {
				cust = b.CustomerID
			}
			events = append(events, testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: cust, CreatedAt: base.Add(time.Duration(i) * time.Millisecond)}))
		}
		// An unknown customer in the middle refuses that event only.
		events[4] = testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: "nobody", CreatedAt: base})

		res, err := store.EventPublish(ctx, events)
		requireNoError(t, "publish batch", err)
		if len(res) != len(events) {
			t.Fatalf("%d results for %d events", len(res), len(events))
		}
		for i, r := range res {
			if i == 4 {
				requireCode(t, r.Err, herald.ENOTFOUND)
				_, err := store.EventGet(ctx, events[i].ID)
				requireCode(t, err, herald.ENOTFOUND)
				continue
			}
			if r.Err != nil {
				t.Fatalf("result %d: %v", i, r.Err)
			}
			if r.Event.ID != events[i].ID {
				t.Fatalf("result %d is for event %s, want %s", i, r.Event.ID, events[i].ID)
			}
			wantEP := a.ID
			if events[i].CustomerID == b.CustomerID {
				wantEP = b.ID
			}
			if len(r.Deliveries) != 1 || r.Deliveries[0].EndpointID != wantEP || r.Deliveries[0].EventID != events[i].ID {
				t.Fatalf("result %d: deliveries %v, want one for %s", i, endpointIDs(r.Deliveries), wantEP)
			}
			if _, err := store.EventGet(ctx, events[i].ID); err != nil {
				t.Fatalf("event %d not stored: %v", i, err)
			}
		}
	})

	t.Run("PublishDuplicateID", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		first := testfactory.Event(ctx, t, store, &testfactory.EventOpts{CustomerID: e.CustomerID, CreatedAt: base})

		again := testfactory.NewEvent(t, &testfactory.EventOpts{ID: first.Event.ID, CustomerID: e.CustomerID, CreatedAt: base})
		other := testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: e.CustomerID, CreatedAt: base})
		res, err := store.EventPublish(ctx, []*herald.Event{again, other})
		requireNoError(t, "publish", err)
		requireCode(t, res[0].Err, herald.ECONFLICT)
		if res[1].Err != nil || len(res[1].Deliveries) != 1 {
			t.Fatalf("the other event of the batch: %+v", res[1])
		}
		ds, err := store.DeliveryListForEvent(ctx, first.Event.ID)
		requireNoError(t, "list deliveries of event", err)
		if len(ds) != 1 {
			t.Fatalf("the duplicate added deliveries: %d, want 1", len(ds))
		}
	})

	t.Run("PublishDuplicateIDInBatch", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		first := testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: e.CustomerID, CreatedAt: base})
		again := testfactory.NewEvent(t, &testfactory.EventOpts{ID: first.ID, CustomerID: e.CustomerID, CreatedAt: base})
		other := testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: e.CustomerID, CreatedAt: base})
		res, err := store.EventPublish(ctx, []*herald.Event{first, again, other})
		requireNoError(t, "publish", err)
		if res[0].Err != nil || len(res[0].Deliveries) != 1 {
			t.Fatalf("the first of the id: %+v", res[0])
		}
		// The second of an id in one batch is refused as one in a later
		// batch is, and the rest of the batch stands.
		requireCode(t, res[1].Err, herald.ECONFLICT)
		if res[2].Err != nil || len(res[2].Deliveries) != 1 {
			t.Fatalf("the other event of the batch: %+v", res[2])
		}
		ds, err := store.DeliveryListForEvent(ctx, first.ID)
		requireNoError(t, "list deliveries of event", err)
		if len(ds) != 1 {
			t.Fatalf("the duplicate added deliveries: %d, want 1", len(ds))
		}
	})

	t.Run("PublishRefusalsInBatch", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		lonely := testfactory.Customer(ctx, t, store, nil)
		good := testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: e.CustomerID, CreatedAt: base})
		invalid := testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: e.CustomerID, CreatedAt: base})
		invalid.BodyGzip = nil
		unknown := testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: "nobody", CreatedAt: base})
		// Created between milliseconds and microseconds: the result
		// carries it at the store's precision.
		noEndpoints := testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: lonely.ID, CreatedAt: base.Add(1234567)})
		res, err := store.EventPublish(ctx, []*herald.Event{good, invalid, nil, unknown, noEndpoints})
		requireNoError(t, "publish", err)
		if len(res) != 5 {
			t.Fatalf("%d results for 5 events", len(res))
		}
		if res[0].Err != nil || len(res[0].Deliveries) != 1 {
			t.Fatalf("the good event: %+v", res[0])
		}
		requireCode(t, res[1].Err, herald.EINVALID)
		requireCode(t, res[2].Err, herald.EINVALID)
		requireCode(t, res[3].Err, herald.ENOTFOUND)
		for _, ev := range []*herald.Event{invalid, unknown} {
			_, err := store.EventGet(ctx, ev.ID)
			requireCode(t, err, herald.ENOTFOUND)
		}
		r := res[4]
		if r.Err != nil || r.Deliveries == nil || len(r.Deliveries) != 0 {
			t.Fatalf("an event of a customer without endpoints: %+v, want no deliveries (an empty list)", r)
		}
		got, err := store.EventGet(ctx, noEndpoints.ID)
		requireNoError(t, "get the event without endpoints", err)
		if !r.Event.CreatedAt.Equal(got.CreatedAt) {
			t.Fatalf("result created at %v, stored %v", r.Event.CreatedAt, got.CreatedAt)
		}
	})

	t.Run("PublishSeesEndpointEdits", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		res := testfactory.Event(ctx, t, store, &testfactory.EventOpts{CustomerID: e.CustomerID, CreatedAt: base})
		if len(res.Deliveries) != 1 {
			t.Fatalf("%d deliveries, want 1", len(res.Deliveries))
		}
		requireNoError(t, "disable", store.EndpointDisable(ctx, e.ID, "", base))
		res = testfactory.Event(ctx, t, store, &testfactory.EventOpts{CustomerID: e.CustomerID, CreatedAt: base})
		if len(res.Deliveries) != 0 {
			t.Fatalf("%d pending deliveries for a disabled endpoint, want 0", len(res.Deliveries))
		}
		upd := *e
		upd.Enabled = true
		upd.EventTypes = []wire.EventType{wire.EventTypeRemoteLogin}
		requireNoError(t, "update", store.EndpointUpdate(ctx, &upd))
		res = testfactory.Event(ctx, t, store, &testfactory.EventOpts{CustomerID: e.CustomerID, Type: wire.EventTypeAssessment, CreatedAt: base})
		if len(res.Deliveries) != 0 {
			t.Fatalf("%d deliveries for a type the endpoint no longer wants", len(res.Deliveries))
		}
		res = testfactory.Event(ctx, t, store, &testfactory.EventOpts{CustomerID: e.CustomerID, Type: wire.EventTypeRemoteLogin, CreatedAt: base})
		if len(res.Deliveries) != 1 {
			t.Fatalf("%d deliveries for a re-enabled endpoint, want 1", len(res.Deliveries))
		}
	})

	t.Run("PublishNoEndpoints", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		res := testfactory.Event(ctx, t, store, &testfactory.EventOpts{CreatedAt: base})
		if len(res.Deliveries) != 0 {
			t.Fatalf("%d deliveries without endpoints", len(res.Deliveries))
		}
		if _, err := store.EventGet(ctx, res.Event.ID); err != nil {
			t.Fatalf("an event without deliveries is still kept: %v", err)
		}
	})

	t.Run("PublishToOneEndpoint", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		other := testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{CustomerID: e.CustomerID})
		ev := testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: e.CustomerID, CreatedAt: base})
		ev.OnlyEndpointID = other.ID
		res, err := store.EventPublish(ctx, []*herald.Event{ev})
		requireNoError(t, "publish to one endpoint", err)
		if res[0].Err != nil || len(res[0].Deliveries) != 1 || res[0].Deliveries[0].EndpointID != other.ID {
			t.Fatalf("publish to %s only: %+v, want one delivery to it", other.ID, res[0])
		}
		ds, err := store.DeliveryListForEvent(ctx, ev.ID)
		requireNoError(t, "list deliveries of the event", err)
		if len(ds) != 1 || ds[0].EndpointID != other.ID {
			t.Fatalf("%d deliveries stored, want one to %s", len(ds), other.ID)
		}
	})

	t.Run("PublishEmptyBatch", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		res, err := store.EventPublish(ctx, nil)
		requireNoError(t, "publish nothing", err)
		if len(res) != 0 {
			t.Fatalf("%d results for no events", len(res))
		}
	})

	t.Run("Get", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		cust := testfactory.Customer(ctx, t, store, nil)
		ev := testfactory.NewEvent(t, &testfactory.EventOpts{
			CustomerID: cust.ID, Type: wire.EventTypeWorkFlowStatusChange, NewStatus: "Hired",
			LinkHeader: `<https://api.icims.com/customers/6269/people/42>; rel="person"; title="Person"`,
			CreatedAt:  base,
		})
		_, err := store.EventPublish(ctx, []*herald.Event{ev})
		requireNoError(t, "publish", err)

		got, err := store.EventGet(ctx, ev.ID)
		requireNoError(t, "get event", err)
		want := *ev
		want.Body = nil
		requireNoDiff(t, "event", got, &want)

		_, err = store.EventGet(ctx, "evt_nothing")
		requireCode(t, err, herald.ENOTFOUND)
	})
}
