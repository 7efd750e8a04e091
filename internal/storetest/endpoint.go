package storetest

import (
	"bytes"
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
	"github.com/heraldhq/herald/wire"
)

// webhookSecret returns a valid Standard Webhooks secret made of b.
func webhookSecret(b byte) herald.Secret {
	return herald.Secret(wire.WebhookSecretPrefix + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32)))
}

// authCases is one Auth of every type, every field it uses set.
var authCases = []struct {
	name string
	auth herald.Auth
}{
	{"None", herald.Auth{Type: herald.AuthTypeNone}},
	{"Basic", herald.Auth{Type: herald.AuthTypeBasic, Username: "partner", Password: "p4ssw0rd-long-enough"}},
	{"HMAC", herald.Auth{Type: herald.AuthTypeHMAC, Username: "icims-6269", Secret: "hmac-shared-secret-value"}},
	{"OAuth2", herald.Auth{
		Type: herald.AuthTypeOAuth2, TokenURL: "https://auth.partner.example/oauth/token",
		ClientID: "client-1", ClientSecret: "client-secret-value", Scope: "events:write",
	}},
	{"StandardWebhooks", herald.Auth{
		Type: herald.AuthTypeStandardWebhooks,
		SigningSecrets: []herald.SigningSecret{
			{Secret: webhookSecret(1)},
			{Secret: webhookSecret(2), ExpiresAt: base.Add(24 * time.Hour)},
		},
	}},
}

func exerciseEndpoint(t *testing.T, setup setupFunc) {
	t.Run("CreateRoundTripsEveryField", func(t *testing.T) {
		t.Parallel()
		for _, tc := range authCases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				ctx, store := setup(t)
				cust := testfactory.Customer(ctx, t, store, nil)
				e := &herald.Endpoint{
					CustomerID:     cust.ID,
					URL:            "https://partner.example.com/hooks/icims?tenant=6269",
					EventTypes:     []wire.EventType{wire.EventTypeWorkFlowStatusChange, wire.EventTypeAssessment},
					Auth:           tc.auth,
					Gzip:           true,
					Enabled:        false,
					DisabledReason: "endpoint answered 410 Gone",
					StatusTriggers: []string{"Hired", "Offer Extended"},
					MaxConcurrency: 3,
					Ordered:        true,
				}
				requireNoError(t, "create endpoint", store.EndpointCreate(ctx, e))
				if !strings.HasPrefix(e.ID, herald.IDPrefixEndpoint) {
					t.Fatalf("ID = %q, want a new %s id", e.ID, herald.IDPrefixEndpoint)
				}
				if e.CreatedAt.IsZero() || e.UpdatedAt.IsZero() {
					t.Fatalf("CreatedAt %v / UpdatedAt %v not set", e.CreatedAt, e.UpdatedAt)
				}
				got, err := store.EndpointGet(ctx, e.ID)
				requireNoError(t, "get endpoint", err)
				requireNoDiff(t, "endpoint", got, e)

				// The other settings: enabled, no gzip, no triggers,
				// default concurrency.
				e2 := &herald.Endpoint{
					CustomerID: cust.ID,
					URL:        "http://10.0.0.7:8080/events",
					EventTypes: []wire.EventType{wire.EventTypeJobPostToWeb},
					Auth:       tc.auth,
					Enabled:    true,
				}
				requireNoError(t, "create endpoint", store.EndpointCreate(ctx, e2))
				got, err = store.EndpointGet(ctx, e2.ID)
				requireNoError(t, "get endpoint", err)
				requireNoDiff(t, "endpoint", got, e2)
			})
		}
	})

	t.Run("CreateKeepsGivenID", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{ID: "ep_given"})
		if e.ID != "ep_given" {
			t.Fatalf("ID = %q, want ep_given", e.ID)
		}
		dup := *e
		dup.ID = "ep_given"
		requireCode(t, store.EndpointCreate(ctx, &dup), herald.ECONFLICT)
	})

	t.Run("CreateUnknownCustomer", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := &herald.Endpoint{
			CustomerID: "nobody", URL: "https://partner.example.com/", Enabled: true,
			EventTypes: []wire.EventType{wire.EventTypeAssessment}, Auth: herald.Auth{Type: herald.AuthTypeNone},
		}
		requireCode(t, store.EndpointCreate(ctx, e), herald.ENOTFOUND)
	})

	t.Run("CreateInvalid", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		cust := testfactory.Customer(ctx, t, store, nil)
		for _, e := range []*herald.Endpoint{
			{CustomerID: cust.ID, URL: "ftp://partner.example.com/", EventTypes: []wire.EventType{wire.EventTypeAssessment}, Auth: herald.Auth{Type: herald.AuthTypeNone}},
			{CustomerID: cust.ID, URL: "https://partner.example.com/", Auth: herald.Auth{Type: herald.AuthTypeNone}},
			{CustomerID: cust.ID, URL: "https://partner.example.com/", EventTypes: []wire.EventType{wire.EventTypeAssessment}, Auth: herald.Auth{Type: herald.AuthTypeBasic}},
		} {
			requireCode(t, store.EndpointCreate(ctx, e), herald.EINVALID)
		}
		list, err := store.EndpointList(ctx, cust.ID)
		requireNoError(t, "list endpoints", err)
		if len(list) != 0 {
			t.Fatalf("invalid endpoints were stored: %d", len(list))
		}
	})

	t.Run("GetNotFound", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		_, err := store.EndpointGet(ctx, "ep_nothing")
		requireCode(t, err, herald.ENOTFOUND)
	})

	t.Run("ListOldestFirstOneCustomer", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		a := testfactory.Customer(ctx, t, store, nil)
		b := testfactory.Customer(ctx, t, store, nil)
		var want []*herald.Endpoint
		for range 4 {
			want = append(want, testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{CustomerID: a.ID}))
			testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{CustomerID: b.ID})
		}
		got, err := store.EndpointList(ctx, a.ID)
		requireNoError(t, "list endpoints", err)
		requireNoDiff(t, "endpoint list", got, want)

		none := testfactory.Customer(ctx, t, store, nil)
		got, err = store.EndpointList(ctx, none.ID)
		requireNoError(t, "list endpoints of a customer with none", err)
		if len(got) != 0 {
			t.Fatalf("customer with no endpoints lists %d", len(got))
		}
	})

	t.Run("Update", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		created := e.CreatedAt

		upd := &herald.Endpoint{
			ID:             e.ID,
			CustomerID:     e.CustomerID,
			URL:            "https://new.partner.example/v2",
			EventTypes:     []wire.EventType{wire.EventTypeWorkFlowStatusChange},
			Auth:           authCases[4].auth,
			Gzip:           true,
			Enabled:        true,
			StatusTriggers: []string{"Hired"},
			MaxConcurrency: 64,
		}
		requireNoError(t, "update endpoint", store.EndpointUpdate(ctx, upd))
		if !upd.CreatedAt.Equal(created) {
			t.Fatalf("CreatedAt = %v after update, want %v", upd.CreatedAt, created)
		}
		if upd.UpdatedAt.Before(created) {
			t.Fatalf("UpdatedAt %v is before CreatedAt %v", upd.UpdatedAt, created)
		}
		got, err := store.EndpointGet(ctx, e.ID)
		requireNoError(t, "get endpoint", err)
		requireNoDiff(t, "updated endpoint", got, upd)

		// Back to fewer settings: the lists empty, auth none.
		upd2 := &herald.Endpoint{
			ID: e.ID, CustomerID: e.CustomerID, URL: "https://new.partner.example/v3",
			EventTypes: []wire.EventType{wire.EventTypeAssessment}, Auth: herald.Auth{Type: herald.AuthTypeNone},
		}
		requireNoError(t, "update endpoint", store.EndpointUpdate(ctx, upd2))
		got, err = store.EndpointGet(ctx, e.ID)
		requireNoError(t, "get endpoint", err)
		requireNoDiff(t, "updated endpoint", got, upd2)
	})

	t.Run("UpdateNotFound", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		other := testfactory.Customer(ctx, t, store, nil)

		unknown := *e
		unknown.ID = "ep_nothing"
		requireCode(t, store.EndpointUpdate(ctx, &unknown), herald.ENOTFOUND)

		// Another customer cannot update it.
		stolen := *e
		stolen.CustomerID = other.ID
		stolen.URL = "https://attacker.example/"
		requireCode(t, store.EndpointUpdate(ctx, &stolen), herald.ENOTFOUND)
		got, err := store.EndpointGet(ctx, e.ID)
		requireNoError(t, "get endpoint", err)
		requireNoDiff(t, "endpoint", got, e)
	})

	t.Run("UpdateInvalid", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		bad := *e
		bad.URL = "not a url"
		requireCode(t, store.EndpointUpdate(ctx, &bad), herald.EINVALID)
		got, err := store.EndpointGet(ctx, e.ID)
		requireNoError(t, "get endpoint", err)
		requireNoDiff(t, "endpoint", got, e)
	})

	t.Run("Disable", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		requireNoError(t, "disable endpoint", store.EndpointDisable(ctx, e.ID, "410 Gone", base))
		got, err := store.EndpointGet(ctx, e.ID)
		requireNoError(t, "get endpoint", err)
		if got.Enabled || got.DisabledReason != "410 Gone" {
			t.Fatalf("after disable: Enabled %v, DisabledReason %q; want false, %q", got.Enabled, got.DisabledReason, "410 Gone")
		}
		if got.Wants(wire.EventTypeAssessment, "") {
			t.Fatalf("a disabled endpoint still wants events")
		}
		requireCode(t, store.EndpointDisable(ctx, "ep_nothing", "410 Gone", base), herald.ENOTFOUND)
	})

	t.Run("DisabledBy", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		get := func(id string) *herald.Endpoint {
			t.Helper()
			got, err := store.EndpointGet(ctx, id)
			requireNoError(t, "get endpoint", err)
			return got
		}
		e := testfactory.Endpoint(ctx, t, store, nil)
		if e.DisabledBy != "" || !e.DisabledAt.IsZero() {
			t.Fatalf("new enabled endpoint: DisabledBy %q, DisabledAt %v; want none", e.DisabledBy, e.DisabledAt)
		}

		// Paused by an administrator: who and when are kept.
		e.Enabled, e.DisabledBy = false, "alice"
		requireNoError(t, "pause", store.EndpointUpdate(ctx, e))
		if e.DisabledBy != "alice" || !e.DisabledAt.Equal(e.UpdatedAt) {
			t.Fatalf("after pause: DisabledBy %q, DisabledAt %v, UpdatedAt %v", e.DisabledBy, e.DisabledAt, e.UpdatedAt)
		}
		requireNoDiff(t, "paused endpoint", get(e.ID), e)
		pausedAt := e.DisabledAt

		// An edit while it stays off keeps who paused it, and when.
		edit := *e
		edit.URL, edit.DisabledBy = "https://partner.example/other", "bob"
		requireNoError(t, "edit paused endpoint", store.EndpointUpdate(ctx, &edit))
		if got := get(e.ID); got.DisabledBy != "alice" || !got.DisabledAt.Equal(pausedAt) || got.URL != edit.URL {
			t.Fatalf("after an edit while paused: DisabledBy %q, DisabledAt %v, URL %q; want alice, %v, %q",
				got.DisabledBy, got.DisabledAt, got.URL, pausedAt, edit.URL)
		}
		if edit.DisabledBy != "alice" || !edit.DisabledAt.Equal(pausedAt) {
			t.Fatalf("EndpointUpdate left DisabledBy %q, DisabledAt %v on its argument; want what is stored", edit.DisabledBy, edit.DisabledAt)
		}

		// Resuming clears both, whatever the caller sent.
		edit.Enabled, edit.DisabledBy = true, "carol"
		requireNoError(t, "resume", store.EndpointUpdate(ctx, &edit))
		if got := get(e.ID); got.DisabledBy != "" || !got.DisabledAt.IsZero() {
			t.Fatalf("after resume: DisabledBy %q, DisabledAt %v; want none", got.DisabledBy, got.DisabledAt)
		}

		// Herald's own disable names the health monitor.
		requireNoError(t, "disable", store.EndpointDisable(ctx, e.ID, "no successful delivery for 120h0m0s", base))
		if got := get(e.ID); got.DisabledBy != herald.DisabledByHealthMonitor || !got.DisabledAt.Equal(base) {
			t.Fatalf("after EndpointDisable: DisabledBy %q, DisabledAt %v; want %q, %v", got.DisabledBy, got.DisabledAt, herald.DisabledByHealthMonitor, base)
		}

		// Created off: the creator is kept.
		off := &herald.Endpoint{CustomerID: e.CustomerID, URL: "https://partner.example/off", EventTypes: e.EventTypes,
			Auth: herald.Auth{Type: herald.AuthTypeNone}, DisabledBy: herald.DisabledByOperator}
		requireNoError(t, "create disabled", store.EndpointCreate(ctx, off))
		if off.DisabledBy != herald.DisabledByOperator || !off.DisabledAt.Equal(off.CreatedAt) {
			t.Fatalf("created off: DisabledBy %q, DisabledAt %v, CreatedAt %v", off.DisabledBy, off.DisabledAt, off.CreatedAt)
		}
		requireNoDiff(t, "created off", get(off.ID), off)
		// Created on: nobody disabled it.
		on := &herald.Endpoint{CustomerID: e.CustomerID, URL: "https://partner.example/on", EventTypes: e.EventTypes,
			Auth: herald.Auth{Type: herald.AuthTypeNone}, Enabled: true, DisabledBy: "mallory"}
		requireNoError(t, "create enabled", store.EndpointCreate(ctx, on))
		if got := get(on.ID); got.DisabledBy != "" || !got.DisabledAt.IsZero() || on.DisabledBy != "" {
			t.Fatalf("created on: DisabledBy %q (argument %q), DisabledAt %v; want none", got.DisabledBy, on.DisabledBy, got.DisabledAt)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		keep := testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{CustomerID: e.CustomerID})
		pub := testfactory.Event(ctx, t, store, &testfactory.EventOpts{CustomerID: e.CustomerID, CreatedAt: base})
		if len(pub.Deliveries) != 2 {
			t.Fatalf("%d deliveries, want 2", len(pub.Deliveries))
		}

		other := testfactory.Customer(ctx, t, store, nil)
		requireCode(t, store.EndpointDelete(ctx, other.ID, e.ID), herald.ENOTFOUND)

		requireNoError(t, "delete endpoint", store.EndpointDelete(ctx, e.CustomerID, e.ID))
		_, err := store.EndpointGet(ctx, e.ID)
		requireCode(t, err, herald.ENOTFOUND)
		list, err := store.EndpointList(ctx, e.CustomerID)
		requireNoError(t, "list endpoints", err)
		requireNoDiff(t, "endpoint list", list, []*herald.Endpoint{keep})
		requireCode(t, store.EndpointDelete(ctx, e.CustomerID, e.ID), herald.ENOTFOUND)

		// Its deliveries stay for the record.
		ds, err := store.DeliveryListForEvent(ctx, pub.Event.ID)
		requireNoError(t, "list deliveries of event", err)
		if len(ds) != 2 || !slices.ContainsFunc(ds, func(d *herald.Delivery) bool { return d.EndpointID == e.ID }) {
			t.Fatalf("deliveries of a deleted endpoint are gone: %d left", len(ds))
		}

		// And new events no longer make deliveries for it.
		pub = testfactory.Event(ctx, t, store, &testfactory.EventOpts{CustomerID: e.CustomerID, CreatedAt: base})
		if len(pub.Deliveries) != 1 || pub.Deliveries[0].EndpointID != keep.ID {
			t.Fatalf("after delete: deliveries %v, want one for %s", endpointIDs(pub.Deliveries), keep.ID)
		}
	})
}

func endpointIDs(ds []*herald.Delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.EndpointID)
	}
	return out
}
