package dispatch

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/sqlite"
	"github.com/heraldhq/herald/wire"
)

// TestDeletedEndpointsStateIsDropped: the rate limiter, circuit breaker
// and OAuth 2.0 token source (which holds the client secret) of a deleted
// endpoint do not stay in memory: at once when the dispatcher meets the
// deletion, and otherwise once the endpoint has been idle a while.
func TestDeletedEndpointsStateIsDropped(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store, err := sqlite.Open(ctx, &sqlite.Config{Path: filepath.Join(t.TempDir(), "herald.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	d, err := New(Config{Store: store, EndpointCacheTTL: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.CustomerCreate(ctx, &herald.Customer{ID: "2187", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	newEndpoint := func(mutate func(*herald.Endpoint)) *herald.Endpoint {
		e := &herald.Endpoint{CustomerID: "2187", URL: "https://partner.example/events", Enabled: true,
			EventTypes: []wire.EventType{wire.EventTypeWorkFlowStatusChange},
			Auth: herald.Auth{Type: herald.AuthTypeOAuth2, TokenURL: "https://partner.example/token",
				ClientID: "herald", ClientSecret: "client-secret-1234"},
			RateLimit: 1, CircuitThreshold: 1, CircuitCooldown: time.Hour}
		if mutate != nil {
			mutate(e)
		}
		if err := store.EndpointCreate(ctx, e); err != nil {
			t.Fatal(err)
		}
		return e
	}
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	use := func(e *herald.Endpoint, fail bool) {
		d.signers.signer(e, now)
		d.ctl.admit(e, now)
		d.ctl.reserve(e, now)
		d.ctl.report(e, now, false, fail)
	}
	has := func(id string) (ctl, src bool) {
		d.ctl.mu.Lock()
		_, ctl = d.ctl.m[id]
		d.ctl.mu.Unlock()
		d.signers.mu.Lock()
		_, src = d.signers.oauth[id]
		d.signers.mu.Unlock()
		return ctl, src
	}

	// Deleted, then met by a claim: dropped at once.
	met := newEndpoint(nil)
	use(met, false)
	if err := store.EndpointDelete(ctx, "2187", met.ID); err != nil {
		t.Fatal(err)
	}
	r := d.processOne(ctx, &herald.ClaimedDelivery{Delivery: herald.Delivery{ID: "dl_1", EndpointID: met.ID}}, time.Second, nil)
	if r.rec == nil || r.rec.State != herald.DeliveryStateFailed {
		t.Fatalf("delivery to a deleted endpoint: %+v", r.rec)
	}
	if ctl, src := has(met.ID); ctl || src {
		t.Fatalf("deleted endpoint met by a claim: control kept %v, token source kept %v", ctl, src)
	}

	// Deleted elsewhere with its circuit open, never met again; one
	// that exists with its circuit open; one that exists at rest.
	gone := newEndpoint(nil)
	open := newEndpoint(nil)
	resting := newEndpoint(func(e *herald.Endpoint) { e.RateLimit = 0 })
	use(gone, true)
	use(open, true)
	use(resting, false)
	if err := store.EndpointDelete(ctx, "2187", gone.ID); err != nil {
		t.Fatal(err)
	}
	d.pruneEndpoints(ctx, now.Add(time.Minute))
	for _, e := range []*herald.Endpoint{gone, open, resting} {
		if ctl, src := has(e.ID); !ctl || !src {
			t.Fatalf("endpoint %s in use a minute ago: control kept %v, token source kept %v; want both kept", e.ID, ctl, src)
		}
	}
	d.pruneEndpoints(ctx, now.Add(endpointIdleAfter+time.Minute))
	for _, tt := range []struct {
		e        *herald.Endpoint
		wantCtl  bool
		describe string
	}{
		{gone, false, "deleted, circuit open"},
		{open, true, "open circuit, endpoint exists"},
		{resting, false, "at rest"},
	} {
		ctl, src := has(tt.e.ID)
		if ctl != tt.wantCtl || src {
			t.Errorf("%s, idle: control kept %v (want %v), token source kept %v (want false)", tt.describe, ctl, tt.wantCtl, src)
		}
	}
}
