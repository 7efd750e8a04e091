package api_test

import (
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
	"github.com/heraldhq/herald/wire"
)

func TestEndpointRateLimitAndCircuitSettings(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := t.Context()
	b.createCustomer(t, "6269")

	created, err := b.client.EndpointCreate(ctx, "6269", &api.EndpointCreateRequest{
		URL:              partnerEndpoint,
		EventTypes:       []wire.EventType{wire.EventTypeAssessment},
		Auth:             &api.AuthRequest{Type: herald.AuthTypeNone},
		RateLimit:        2.5,
		RateBurst:        5,
		CircuitThreshold: 10,
		CircuitCooldown:  "90s",
	})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if created.RateLimit != 2.5 || created.RateBurst != 5 || created.CircuitThreshold != 10 || created.CircuitCooldown != "1m30s" {
		t.Fatalf("created = %+v", created)
	}

	updated, err := b.client.EndpointUpdate(ctx, "6269", created.ID, &api.EndpointUpdateRequest{
		RateLimit: ptr(0.0), CircuitCooldown: ptr("2m"),
	})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if updated.RateLimit != 0 || updated.RateBurst != 5 || updated.CircuitThreshold != 10 || updated.CircuitCooldown != "2m0s" {
		t.Fatalf("updated = %+v", updated)
	}

	for name, req := range map[string]*api.EndpointUpdateRequest{
		"negative rate":     {RateLimit: ptr(-1.0)},
		"burst too big":     {RateBurst: ptr(herald.MaxEndpointRateBurst + 1)},
		"threshold too big": {CircuitThreshold: ptr(herald.MaxCircuitThreshold + 1)},
		"cooldown garbage":  {CircuitCooldown: ptr("soon")},
		"cooldown too long": {CircuitCooldown: ptr("25h")},
	} {
		_, err := b.client.EndpointUpdate(ctx, "6269", created.ID, req)
		if herald.ErrorCode(err) != herald.EINVALID {
			t.Errorf("%s: err = %v, want invalid", name, err)
		}
	}
}
