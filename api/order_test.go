package api_test

import (
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
	"github.com/heraldhq/herald/wire"
)

// TestOrderedEndpoint: "ordered" is set, shown and changed like any
// endpoint field, and a delivery held behind an earlier one of its subject
// says which, with no due time.
func TestOrderedEndpoint(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.createCustomer(t, "c1")
	e, err := b.client.EndpointCreate(t.Context(), "c1", &api.EndpointCreateRequest{
		URL:        "https://partner.example.com/hook",
		EventTypes: []wire.EventType{wire.EventTypeWorkFlowStatusChange},
		Auth:       &api.AuthRequest{Type: herald.AuthTypeNone},
		Ordered:    true,
	})
	if err != nil {
		t.Fatalf("create endpoint: %v", err)
	}
	if !e.Ordered {
		t.Fatalf("created endpoint: ordered = false, want true")
	}

	first := b.publish(t, "c1", statusChange("13437")).Deliveries[0].ID
	second := b.publish(t, "c1", statusChange("13437")).Deliveries[0].ID
	other := b.publish(t, "c1", statusChange("777")).Deliveries[0].ID

	for _, tc := range []struct {
		id, waitingFor string
	}{{first, ""}, {second, first}, {other, ""}} {
		d, err := b.client.DeliveryGet(t.Context(), tc.id)
		if err != nil {
			t.Fatalf("get delivery: %v", err)
		}
		if d.WaitingFor != tc.waitingFor {
			t.Fatalf("delivery %s: waitingFor = %q, want %q", tc.id, d.WaitingFor, tc.waitingFor)
		}
		if (d.NextAttemptAt == nil) != (tc.waitingFor != "") {
			t.Fatalf("delivery %s: nextAttemptAt = %v with waitingFor %q", tc.id, d.NextAttemptAt, d.WaitingFor)
		}
		if d.Subject == "" {
			t.Fatalf("delivery %s has no subject", tc.id)
		}
	}

	off := false
	e, err = b.client.EndpointUpdate(t.Context(), "c1", e.ID, &api.EndpointUpdateRequest{Ordered: &off})
	if err != nil {
		t.Fatalf("update endpoint: %v", err)
	}
	if e.Ordered {
		t.Fatalf("updated endpoint: ordered = true, want false")
	}
}
