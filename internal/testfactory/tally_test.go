package testfactory

import (
	"testing"

	"github.com/heraldhq/herald"
)

// TestClaimTally: a batch claimed whole counts nothing; a delivery missing
// counts its event lost until it comes late; one claimed twice, or one of
// an earlier batch claimed again, counts its event duplicated, once.
func TestClaimTally(t *testing.T) {
	ev := func(id string) *herald.Event { return &herald.Event{ID: id} }
	cd := func(id, event string) *herald.ClaimedDelivery {
		return &herald.ClaimedDelivery{Delivery: herald.Delivery{ID: id, EventID: event}}
	}
	tally := NewClaimTally(2)
	tally.Check([]*herald.Event{ev("e1"), ev("e2")},
		[]*herald.ClaimedDelivery{cd("d1", "e1"), cd("d2", "e1"), cd("d3", "e2")})
	if tally.lost != 1 || tally.dups != 0 {
		t.Fatalf("after a missing delivery: lost %d, dups %d; want 1, 0", tally.lost, tally.dups)
	}
	tally.Check([]*herald.Event{ev("e3")},
		[]*herald.ClaimedDelivery{cd("d4", "e2"), cd("d5", "e3"), cd("d6", "e3"), cd("d5", "e3"), cd("d1", "e1"), cd("d2", "e1")})
	if tally.lost != 0 || tally.dups != 2 {
		t.Errorf("after a late delivery, one claimed twice and an old event again: lost %d, dups %d; want 0, 2", tally.lost, tally.dups)
	}
}
