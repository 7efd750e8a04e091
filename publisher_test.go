package herald_test

import (
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

func TestPublishLeaseValidate(t *testing.T) {
	t.Parallel()
	now := time.Now()
	take := func(*herald.Delivery) bool { return true }
	for _, tc := range []struct {
		name  string
		lease *herald.PublishLease
		ok    bool
	}{
		{"nil", nil, false},
		{"no Take", &herald.PublishLease{Now: now, LeaseUntil: now.Add(time.Minute)}, false},
		{"ends at now", &herald.PublishLease{Now: now, LeaseUntil: now, Take: take}, false},
		{"valid", &herald.PublishLease{Now: now, LeaseUntil: now.Add(time.Minute), Take: take}, true},
	} {
		err := tc.lease.Validate()
		if tc.ok != (err == nil) || (err != nil && herald.ErrorCode(err) != herald.EINVALID) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// Offer asks Take once per pending delivery due at Now of a stored,
// non-interactive event, in order, and returns what it took.
func TestPublishLeaseOffer(t *testing.T) {
	t.Parallel()
	now := time.Now()
	d := func(id string, state herald.DeliveryState, at time.Time) *herald.Delivery {
		return &herald.Delivery{ID: id, State: state, NextAttemptAt: at}
	}
	due, refused, failed, later := d("due", herald.DeliveryStatePending, now), d("refused", herald.DeliveryStatePending, now),
		d("failed", herald.DeliveryStateFailed, now), d("later", herald.DeliveryStatePending, now.Add(time.Second))
	results := []*herald.EventPublishResult{
		{Event: &herald.Event{}, Deliveries: []*herald.Delivery{due, refused, failed, later}},
		{Event: &herald.Event{Interactive: true}, Deliveries: []*herald.Delivery{d("interactive", herald.DeliveryStatePending, now)}},
		{Err: herald.NotFound("customer", "1")},
	}
	var asked []string
	lease := &herald.PublishLease{Now: now, LeaseUntil: now.Add(time.Minute), Take: func(d *herald.Delivery) bool {
		asked = append(asked, d.ID)
		return d != refused
	}}
	taken := lease.Offer(results)
	if len(asked) != 2 || asked[0] != "due" || asked[1] != "refused" {
		t.Errorf("asked about %v, want [due refused]", asked)
	}
	if len(taken) != 1 || !taken[due] {
		t.Errorf("took %v, want the due delivery alone", taken)
	}
}
