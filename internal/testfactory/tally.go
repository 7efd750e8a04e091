package testfactory

import (
	"context"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// ClaimTally proves, for a store benchmark that reports a rate, that
// nothing was lost and nothing claimed twice, counted per event: each
// iteration publishes a batch and claims it, and Check compares the claims
// with the batch. A claim of an event from an earlier batch (its delivery
// handed out again) or of one delivery twice counts that event as
// duplicated; an event of the batch with fewer of its deliveries claimed
// than it has endpoints counts as lost.
type ClaimTally struct {
	perEvent   int
	events     int
	lost, dups int
	// owed counts the deliveries not yet claimed of each event counted
	// lost: a later claim of one is late, not a duplicate.
	owed map[string]int
}

// NewClaimTally tallies events that each have perEvent deliveries.
func NewClaimTally(perEvent int) *ClaimTally {
	return &ClaimTally{perEvent: perEvent, owed: map[string]int{}}
}

// Check tallies one iteration: the batch published and what was claimed.
func (t *ClaimTally) Check(batch []*herald.Event, claimed []*herald.ClaimedDelivery) {
	inBatch := make(map[string]bool, len(batch))
	for _, ev := range batch {
		inBatch[ev.ID] = true
	}
	seen := make(map[string]bool, len(claimed))
	perEvent := make(map[string]int, len(batch))
	dupEvents := map[string]bool{}
	for _, c := range claimed {
		switch {
		case !inBatch[c.EventID] && t.owed[c.EventID] > 0:
			t.late(c.EventID)
		case !inBatch[c.EventID] || seen[c.ID]:
			dupEvents[c.EventID] = true
		default:
			seen[c.ID] = true
			perEvent[c.EventID]++
		}
	}
	for _, ev := range batch {
		if n := perEvent[ev.ID]; n < t.perEvent {
			t.lost++
			t.owed[ev.ID] = t.perEvent - n
		}
	}
	t.events += len(batch)
	t.dups += len(dupEvents)
}

// late counts a delivery of an event counted lost that came after all: the
// event is lost no longer once the last one it owed comes.
func (t *ClaimTally) late(eventID string) {
	if t.owed[eventID]--; t.owed[eventID] == 0 {
		delete(t.owed, eventID)
		t.lost--
	}
}

// Finish reports the tally as metrics (lost-events, dup-events), checks
// that the store holds no delivery still pending (every claimed one was
// recorded final: a claim far past every lease finds nothing), and fails
// the benchmark on any loss or duplicate.
func (t *ClaimTally) Finish(ctx context.Context, b *testing.B, store herald.Store) {
	b.Helper()
	later := time.Now().Add(24 * time.Hour)
	left, err := store.DeliveryClaimDue(ctx, &herald.DeliveryClaimParams{
		Now: later, Limit: 1000, LeaseUntil: later.Add(time.Minute), Owner: "tally",
	})
	if err != nil {
		b.Fatalf("claim what is left: %v", err)
	}
	b.ReportMetric(float64(t.lost), "lost-events")
	b.ReportMetric(float64(t.dups), "dup-events")
	if t.lost > 0 || t.dups > 0 || len(left) > 0 {
		b.Fatalf("of %d events: %d lost, %d claimed more than once; %d deliveries left pending after the run", t.events, t.lost, t.dups, len(left))
	}
}
