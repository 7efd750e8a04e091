package storetest

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
	"github.com/heraldhq/herald/wire"
)

// publishSubject publishes one status change of the applicant workflow
// systemID for the endpoint's customer, created at at, and returns its
// delivery to e.
func publishSubject(ctx context.Context, t *testing.T, store herald.Store, e *herald.Endpoint, systemID string, at time.Time) *herald.Delivery {
	t.Helper()
	res := testfactory.Event(ctx, t, store, &testfactory.EventOpts{
		CustomerID: e.CustomerID, Type: wire.EventTypeWorkFlowStatusChange, SystemID: systemID, CreatedAt: at,
	})
	for _, d := range res.Deliveries {
		if d.EndpointID == e.ID {
			return d
		}
	}
	t.Fatalf("event %s has no delivery to %s", res.Event.ID, e.ID)
	return nil
}

// requireWaiting fails t unless the stored delivery id waits for waitingFor
// ("" for none), and a waiting one is held until herald.HoldUntil.
func requireWaiting(ctx context.Context, t *testing.T, store herald.Store, id, waitingFor string) {
	t.Helper()
	d := getDelivery(ctx, t, store, id)
	if d.WaitingFor != waitingFor {
		t.Fatalf("delivery %s: WaitingFor = %q, want %q", id, d.WaitingFor, waitingFor)
	}
	if held := d.NextAttemptAt.Equal(herald.HoldUntil); held != (waitingFor != "") {
		t.Fatalf("delivery %s: NextAttemptAt = %v with WaitingFor %q", id, d.NextAttemptAt, waitingFor)
	}
}

// recordState records an attempt of c that leaves it in state, due again
// at next if pending.
func recordState(ctx context.Context, t *testing.T, store herald.Store, c *herald.ClaimedDelivery, at time.Time, state herald.DeliveryState, next time.Time) {
	t.Helper()
	status := map[herald.DeliveryState]int{
		herald.DeliveryStateDelivered: 200, herald.DeliveryStateRejected: 400,
		herald.DeliveryStateFailed: 410, herald.DeliveryStateDead: 500, herald.DeliveryStatePending: 500,
	}[state]
	record(ctx, t, store, &herald.AttemptRecord{
		Lease:         c.Lease,
		Attempt:       &herald.Attempt{DeliveryID: c.ID, Number: c.Attempts + 1, At: at, StatusCode: status},
		State:         state,
		NextAttemptAt: next,
	})
}

// exerciseOrdered is the contract of ordered delivery per subject
// (herald.Endpoint.Ordered, order.go).
func exerciseOrdered(t *testing.T, setup setupFunc) {
	// bundle: an ordered endpoint, and, if asked for, an unordered one
	// of the same customer.
	type bundle struct {
		ctx       context.Context
		store     herald.Store
		ordered   *herald.Endpoint
		unordered *herald.Endpoint
	}
	setupBundle := func(t *testing.T, unordered ...bool) *bundle {
		t.Helper()
		ctx, store := setup(t)
		b := &bundle{ctx: ctx, store: store}
		b.ordered = testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{Ordered: true, MaxConcurrency: herald.MaxEndpointConcurrency})
		if len(unordered) > 0 && unordered[0] {
			b.unordered = testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{CustomerID: b.ordered.CustomerID, MaxConcurrency: herald.MaxEndpointConcurrency})
		}
		return b
	}

	t.Run("PublishOrderKept", func(t *testing.T) {
		t.Parallel()
		b := setupBundle(t, true)
		a1 := publishSubject(b.ctx, t, b.store, b.ordered, "wf-a", base)
		a2 := publishSubject(b.ctx, t, b.store, b.ordered, "wf-a", base.Add(time.Millisecond))
		bb := publishSubject(b.ctx, t, b.store, b.ordered, "wf-b", base.Add(2*time.Millisecond))
		a3 := publishSubject(b.ctx, t, b.store, b.ordered, "wf-a", base.Add(3*time.Millisecond))
		// Two of one subject in one batch line up in batch order.
		c1 := testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: b.ordered.CustomerID,
			Type: wire.EventTypeWorkFlowStatusChange, SystemID: "wf-c", CreatedAt: base})
		c2 := testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: b.ordered.CustomerID,
			Type: wire.EventTypeWorkFlowStatusChange, SystemID: "wf-c", CreatedAt: base})
		res, err := b.store.EventPublish(b.ctx, []*herald.Event{c1, c2})
		requireNoError(t, "publish batch", err)
		var cs []*herald.Delivery
		for _, r := range res {
			requireNoError(t, "publish batch", r.Err)
			for _, d := range r.Deliveries {
				if d.EndpointID == b.ordered.ID {
					cs = append(cs, d)
				}
			}
		}

		for _, tc := range []struct {
			d          *herald.Delivery
			subject    string
			seq        int64
			waitingFor string
		}{
			{a1, "applicantWorkflow:wf-a", 1, ""},
			{a2, "applicantWorkflow:wf-a", 2, a1.ID},
			{a3, "applicantWorkflow:wf-a", 3, a2.ID},
			{bb, "applicantWorkflow:wf-b", 1, ""},
			{cs[0], "applicantWorkflow:wf-c", 1, ""},
			{cs[1], "applicantWorkflow:wf-c", 2, cs[0].ID},
		} {
			if tc.d.Subject != tc.subject || tc.d.SubjectSeq != tc.seq || tc.d.WaitingFor != tc.waitingFor {
				t.Fatalf("published delivery: subject %q seq %d waiting for %q, want %q %d %q",
					tc.d.Subject, tc.d.SubjectSeq, tc.d.WaitingFor, tc.subject, tc.seq, tc.waitingFor)
			}
			got := getDelivery(b.ctx, t, b.store, tc.d.ID)
			got.AttemptLog = nil
			requireNoDiff(t, "stored delivery", got, tc.d)
			requireWaiting(b.ctx, t, b.store, tc.d.ID, tc.waitingFor)
		}

		// Only the heads are claimable, and every delivery to the
		// unordered endpoint, which has no subject.
		claimed := claim(b.ctx, t, b.store, base.Add(time.Second), 100)
		want := []string{a1.ID, bb.ID, cs[0].ID}
		for _, c := range claimed {
			if c.EndpointID == b.unordered.ID && c.Subject != "" {
				t.Fatalf("delivery to an unordered endpoint has subject %q", c.Subject)
			}
		}
		var orderedClaimed []string
		for _, c := range claimed {
			if c.EndpointID == b.ordered.ID {
				orderedClaimed = append(orderedClaimed, c.ID)
			}
		}
		requireIDs(t, "claimed deliveries to the ordered endpoint", orderedClaimed, want)
		if n := len(claimed) - len(orderedClaimed); n != 6 {
			t.Fatalf("claimed %d deliveries to the unordered endpoint, want 6", n)
		}
	})

	t.Run("HeadRetryHoldsOnlyItsSubject", func(t *testing.T) {
		t.Parallel()
		b := setupBundle(t)
		a1 := publishSubject(b.ctx, t, b.store, b.ordered, "wf-a", base)
		a2 := publishSubject(b.ctx, t, b.store, b.ordered, "wf-a", base)
		b1 := publishSubject(b.ctx, t, b.store, b.ordered, "wf-b", base)
		now := base.Add(time.Second)
		cs := claim(b.ctx, t, b.store, now, 100)
		var head *herald.ClaimedDelivery
		for _, c := range cs {
			if c.ID == a1.ID {
				head = c
			} else {
				recordState(b.ctx, t, b.store, c, now, herald.DeliveryStateDelivered, time.Time{})
			}
		}
		if head == nil {
			t.Fatalf("claimed %v, want %s among them", claimedIDs(cs), a1.ID)
		}
		// The head fails in a way worth retrying: due again in a minute.
		recordState(b.ctx, t, b.store, head, now, herald.DeliveryStatePending, now.Add(time.Minute))
		requireWaiting(b.ctx, t, b.store, a2.ID, a1.ID)
		// A later event of another subject goes at once.
		b2 := publishSubject(b.ctx, t, b.store, b.ordered, "wf-b2", now)
		got := claim(b.ctx, t, b.store, now.Add(time.Second), 100)
		requireIDs(t, "claimed while the head waits for its retry", claimedIDs(got), []string{b2.ID})
		recordState(b.ctx, t, b.store, got[0], now, herald.DeliveryStateDelivered, time.Time{})
		requireWaiting(b.ctx, t, b.store, b1.ID, "")
		// When the retry is due, the head goes again, alone.
		got = claim(b.ctx, t, b.store, now.Add(2*time.Minute), 100)
		requireIDs(t, "claimed when the retry is due", claimedIDs(got), []string{a1.ID})
	})

	t.Run("FinalOutcomeReleasesNext", func(t *testing.T) {
		t.Parallel()
		for _, state := range []herald.DeliveryState{herald.DeliveryStateDelivered, herald.DeliveryStateRejected,
			herald.DeliveryStateFailed, herald.DeliveryStateDead} {
			t.Run(string(state), func(t *testing.T) {
				t.Parallel()
				b := setupBundle(t)
				a1 := publishSubject(b.ctx, t, b.store, b.ordered, "wf-a", base)
				a2 := publishSubject(b.ctx, t, b.store, b.ordered, "wf-a", base)
				a3 := publishSubject(b.ctx, t, b.store, b.ordered, "wf-a", base)
				now := base.Add(time.Second)
				cs := claim(b.ctx, t, b.store, now, 100)
				requireIDs(t, "claimed", claimedIDs(cs), []string{a1.ID})
				recordState(b.ctx, t, b.store, cs[0], now, state, time.Time{})
				requireWaiting(b.ctx, t, b.store, a2.ID, "")
				requireWaiting(b.ctx, t, b.store, a3.ID, a2.ID)
				if d := getDelivery(b.ctx, t, b.store, a2.ID); d.NextAttemptAt.After(now) {
					t.Fatalf("released delivery due at %v, want by %v", d.NextAttemptAt, now)
				}
				cs = claim(b.ctx, t, b.store, now, 100)
				requireIDs(t, "claimed after the head's final outcome", claimedIDs(cs), []string{a2.ID})
			})
		}
	})

	t.Run("FailureWithoutAttemptReleasesNext", func(t *testing.T) {
		t.Parallel()
		b := setupBundle(t)
		publishSubject(b.ctx, t, b.store, b.ordered, "wf-a", base)
		a2 := publishSubject(b.ctx, t, b.store, b.ordered, "wf-a", base)
		cs := claim(b.ctx, t, b.store, base, 100)
		// The endpoint was deleted: failed with no attempt.
		record(b.ctx, t, b.store, &herald.AttemptRecord{Lease: cs[0].Lease, State: herald.DeliveryStateFailed, Error: "endpoint deleted"})
		requireWaiting(b.ctx, t, b.store, a2.ID, "")
	})

	t.Run("ClaimIDsLeavesWaitingOut", func(t *testing.T) {
		t.Parallel()
		b := setupBundle(t)
		a1 := publishSubject(b.ctx, t, b.store, b.ordered, "wf-a", base)
		a2 := publishSubject(b.ctx, t, b.store, b.ordered, "wf-a", base)
		cs := claimIDs(b.ctx, t, b.store, base, a2.ID, a1.ID)
		requireIDs(t, "claimed by id", claimedInOrder(cs), []string{a1.ID})
	})

	t.Run("RetryOfWaitingIsSentOutOfOrder", func(t *testing.T) {
		t.Parallel()
		b := setupBundle(t)
		a1 := publishSubject(b.ctx, t, b.store, b.ordered, "wf-a", base)
		a2 := publishSubject(b.ctx, t, b.store, b.ordered, "wf-a", base)
		a3 := publishSubject(b.ctx, t, b.store, b.ordered, "wf-a", base)
		now := base.Add(time.Second)
		d, err := b.store.DeliveryRetry(b.ctx, a2.ID, now)
		requireNoError(t, "retry", err)
		if d.WaitingFor != "" || !d.NextAttemptAt.Equal(now) {
			t.Fatalf("retried delivery waits for %q, due %v; want nothing, %v", d.WaitingFor, d.NextAttemptAt, now)
		}
		// a3 takes a2's place behind a1.
		requireWaiting(b.ctx, t, b.store, a3.ID, a1.ID)
		cs := claim(b.ctx, t, b.store, now, 100)
		requireIDs(t, "claimed", claimedIDs(cs), []string{a1.ID, a2.ID})
		for _, c := range cs {
			if c.ID == a1.ID {
				recordState(b.ctx, t, b.store, c, now, herald.DeliveryStateDelivered, time.Time{})
			}
		}
		requireWaiting(b.ctx, t, b.store, a3.ID, "")
	})

	t.Run("RetryOfHeadKeepsFollowerWaiting", func(t *testing.T) {
		t.Parallel()
		b := setupBundle(t)
		a1 := publishSubject(b.ctx, t, b.store, b.ordered, "wf-a", base)
		a2 := publishSubject(b.ctx, t, b.store, b.ordered, "wf-a", base)
		cs := claim(b.ctx, t, b.store, base, 100)
		recordState(b.ctx, t, b.store, cs[0], base, herald.DeliveryStatePending, base.Add(time.Hour))
		_, err := b.store.DeliveryRetry(b.ctx, a1.ID, base.Add(time.Second))
		requireNoError(t, "retry", err)
		requireWaiting(b.ctx, t, b.store, a2.ID, a1.ID)
		cs = claim(b.ctx, t, b.store, base.Add(time.Second), 100)
		requireIDs(t, "claimed after retrying the head", claimedIDs(cs), []string{a1.ID})
	})

	t.Run("RetryOfFinalDeliveryWaitsForNothing", func(t *testing.T) {
		t.Parallel()
		b := setupBundle(t)
		a1 := publishSubject(b.ctx, t, b.store, b.ordered, "wf-a", base)
		cs := claim(b.ctx, t, b.store, base, 100)
		recordState(b.ctx, t, b.store, cs[0], base, herald.DeliveryStateRejected, time.Time{})
		a2 := publishSubject(b.ctx, t, b.store, b.ordered, "wf-a", base.Add(time.Second))
		requireWaiting(b.ctx, t, b.store, a2.ID, "")
		cs = claim(b.ctx, t, b.store, base.Add(time.Second), 100)
		requireIDs(t, "claimed", claimedIDs(cs), []string{a2.ID})
		// Replayed while a2 is in flight: sent as asked, at once.
		d, err := b.store.DeliveryRetry(b.ctx, a1.ID, base.Add(2*time.Second))
		requireNoError(t, "retry", err)
		if d.WaitingFor != "" {
			t.Fatalf("retried delivery waits for %q", d.WaitingFor)
		}
		got := claim(b.ctx, t, b.store, base.Add(2*time.Second), 100)
		requireIDs(t, "claimed after the replay", claimedIDs(got), []string{a1.ID})
		// A new event waits for the subject's latest pending delivery.
		a3 := publishSubject(b.ctx, t, b.store, b.ordered, "wf-a", base.Add(3*time.Second))
		requireWaiting(b.ctx, t, b.store, a3.ID, a2.ID)
	})

	t.Run("LeaseTakeoverKeepsOrder", func(t *testing.T) {
		// A node killed (kill -9) between attempts: its lease expires,
		// or, on a store one process owns, is released at the next
		// start. Either way the head goes again, alone.
		t.Parallel()
		for _, how := range []string{"expiry", "orphans"} {
			t.Run(how, func(t *testing.T) {
				t.Parallel()
				b := setupBundle(t)
				a1 := publishSubject(b.ctx, t, b.store, b.ordered, "wf-a", base)
				a2 := publishSubject(b.ctx, t, b.store, b.ordered, "wf-a", base)
				dead := claim(b.ctx, t, b.store, base, 100)
				requireIDs(t, "claimed", claimedIDs(dead), []string{a1.ID})
				if got := claim(b.ctx, t, b.store, base.Add(lease/2), 100); len(got) != 0 {
					t.Fatalf("claimed %v while the head is leased, want none", claimedIDs(got))
				}
				now := base.Add(lease + time.Second)
				if how == "orphans" {
					now = base.Add(time.Second)
					n, err := b.store.DeliveryReleaseOrphans(b.ctx, now)
					requireNoError(t, "release orphans", err)
					if n != 1 {
						t.Fatalf("released %d orphans, want 1", n)
					}
				}
				taken := claim(b.ctx, t, b.store, now, 100)
				requireIDs(t, "claimed after the takeover", claimedIDs(taken), []string{a1.ID})
				// The dead node's late record changes nothing.
				recordState(b.ctx, t, b.store, dead[0], now, herald.DeliveryStateDelivered, time.Time{})
				requireWaiting(b.ctx, t, b.store, a2.ID, a1.ID)
				recordState(b.ctx, t, b.store, taken[0], now, herald.DeliveryStateDelivered, time.Time{})
				requireWaiting(b.ctx, t, b.store, a2.ID, "")
			})
		}
	})

	t.Run("TurnedOffLaterDeliveriesHaveNoSubject", func(t *testing.T) {
		t.Parallel()
		b := setupBundle(t)
		a1 := publishSubject(b.ctx, t, b.store, b.ordered, "wf-a", base)
		a2 := publishSubject(b.ctx, t, b.store, b.ordered, "wf-a", base)
		e := *b.ordered
		e.Ordered = false
		requireNoError(t, "update endpoint", b.store.EndpointUpdate(b.ctx, &e))
		a3 := publishSubject(b.ctx, t, b.store, b.ordered, "wf-a", base)
		if a3.Subject != "" || a3.WaitingFor != "" {
			t.Fatalf("delivery after ordering was turned off: subject %q, waiting for %q", a3.Subject, a3.WaitingFor)
		}
		// What was queued in order still goes in order.
		requireWaiting(b.ctx, t, b.store, a2.ID, a1.ID)
	})

	t.Run("Concurrently", func(t *testing.T) {
		t.Parallel()
		_, store := setup(t)
		orderedConcurrently(t, store)
	})
}

// orderedConcurrently publishes, claims and records the deliveries of an
// ordered endpoint from several goroutines at once, each store in stores
// being a node (Stores of their own on one database), and checks that no two
// deliveries of one subject are ever in flight at once and that each
// subject's are delivered in publish order: the events published one after
// the other in the order published, and those published at once (two
// publishers of one subject) in SubjectSeq order, every one exactly once.
// The first attempt of each subject's first delivery fails and is retried.
func orderedConcurrently(t *testing.T, stores ...herald.Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	const (
		subjects   = 6
		perSubject = 5
		shared     = "wf-shared" // published to by two publishers at once
	)
	e := testfactory.Endpoint(ctx, t, stores[0], &testfactory.EndpointOpts{Ordered: true, MaxConcurrency: herald.MaxEndpointConcurrency})
	total := subjects*perSubject + 2*perSubject

	var (
		mu        sync.Mutex
		published = map[string][]string{} // subject id -> event ids, as published one after the other
		inFlight  = map[string]bool{}     // subject -> a delivery is claimed and not recorded
		delivered = map[string][]*herald.ClaimedDelivery{}
		failed    = map[string]bool{} // subject -> its first attempt failed already
		done      = 0
		errs      = make(chan error, 64)
		wg        sync.WaitGroup
	)
	fail := func(err error) {
		select {
		case errs <- err:
		default:
		}
		cancel()
	}
	publishOne := func(store herald.Store, systemID string) string {
		ev := testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: e.CustomerID,
			Type: wire.EventTypeWorkFlowStatusChange, SystemID: systemID})
		res, err := store.EventPublish(ctx, []*herald.Event{ev})
		if err == nil {
			err = res[0].Err
		}
		if err != nil {
			fail(fmt.Errorf("publish: %w", err))
		}
		return ev.ID
	}
	for i := range subjects {
		wg.Go(func() {
			sid := fmt.Sprintf("wf-%d", i)
			for range perSubject {
				id := publishOne(stores[i%len(stores)], sid)
				mu.Lock()
				published[sid] = append(published[sid], id)
				mu.Unlock()
			}
		})
	}
	for i := range 2 {
		wg.Go(func() {
			for range perSubject {
				publishOne(stores[(i+1)%len(stores)], shared)
			}
		})
	}
	for i := range 2 * len(stores) {
		store := stores[i%len(stores)]
		wg.Go(func() {
			for ctx.Err() == nil {
				now := time.Now().UTC()
				cs, err := store.DeliveryClaimDue(ctx, &herald.DeliveryClaimParams{
					Now: now, Limit: 4, LeaseUntil: now.Add(time.Minute), Owner: fmt.Sprintf("node-%d", i),
				})
				if err != nil {
					if ctx.Err() == nil {
						fail(fmt.Errorf("claim: %w", err))
					}
					return
				}
				var recs []*herald.AttemptRecord
				mu.Lock()
				for _, c := range cs {
					if inFlight[c.Subject] {
						mu.Unlock()
						fail(fmt.Errorf("claimed %s of %s while another delivery of it is in flight", c.ID, c.Subject))
						return
					}
					inFlight[c.Subject] = true
				}
				mu.Unlock()
				// The attempts would run here, while other nodes claim.
				runtime.Gosched()
				mu.Lock()
				for _, c := range cs {
					// Down right before the record is sent: the next
					// of the subject cannot be claimed before it commits.
					inFlight[c.Subject] = false
					if !failed[c.Subject] {
						failed[c.Subject] = true
						recs = append(recs, &herald.AttemptRecord{Lease: c.Lease, State: herald.DeliveryStatePending,
							NextAttemptAt: now, Attempt: &herald.Attempt{DeliveryID: c.ID, Number: 1, At: now, StatusCode: 503}})
						continue
					}
					delivered[c.Subject] = append(delivered[c.Subject], c)
					done++
					recs = append(recs, &herald.AttemptRecord{Lease: c.Lease, State: herald.DeliveryStateDelivered,
						Attempt: &herald.Attempt{DeliveryID: c.ID, Number: c.Attempts + 1, At: now, StatusCode: 200}})
				}
				finished := done == total
				mu.Unlock()
				if len(recs) > 0 {
					if err := store.DeliveryRecordAttempts(ctx, recs); err != nil {
						if ctx.Err() == nil {
							fail(fmt.Errorf("record: %w", err))
						}
						return
					}
				}
				if finished {
					cancel()
					return
				}
				if len(cs) == 0 {
					time.Sleep(time.Millisecond) // the publishers may not have published yet
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if done != total {
		t.Fatalf("delivered %d deliveries in time, want %d", done, total)
	}
	for subject, cs := range delivered {
		sid := subject[len(herald.SubjectKindApplicantWorkflow)+1:]
		var seqs []int64
		var events []string
		for _, c := range cs {
			seqs = append(seqs, c.SubjectSeq)
			events = append(events, c.EventID)
		}
		n := perSubject
		if sid == shared {
			n = 2 * perSubject
		}
		want := make([]int64, n)
		for i := range want {
			want[i] = int64(i + 1)
		}
		if !slices.Equal(seqs, want) {
			t.Fatalf("%s delivered in order %v, want %v", subject, seqs, want)
		}
		if p, ok := published[sid]; ok && !slices.Equal(events, p) {
			t.Fatalf("%s delivered events %v, published %v", subject, events, p)
		}
	}
}
