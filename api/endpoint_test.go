package api_test

import (
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
	"github.com/heraldhq/herald/wire"
)

// Test secrets: distinctive, so a search of raw bytes finds any echo.
const (
	basicPassword   = "basic-pass-Zq81xxLLmn"
	hmacSecret      = "hmac-secret-Kp0099aaQQ"
	oauthSecret     = "oauth-client-secret-Vv77ee"
	webhookSecret   = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	webhookSecret2  = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
	webhookSecret3  = "whsec_dGhpcy1pcy1hbm90aGVyLXNlY3JldC0wMDAx"
	newBasicPasswd  = "another-pass-RR55ttGG"
	maskedLooking   = "********xxxx"
	partnerEndpoint = "https://partner.example.com/hook"
)

var allSecrets = []string{basicPassword, hmacSecret, oauthSecret, webhookSecret, webhookSecret2, webhookSecret3, newBasicPasswd}

func ptr[T any](v T) *T { return &v }

func TestEndpointCRUD(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := t.Context()
	b.createCustomer(t, "6269")

	created, err := b.client.EndpointCreate(ctx, "6269", &api.EndpointCreateRequest{
		URL:            partnerEndpoint,
		EventTypes:     []wire.EventType{wire.EventTypeWorkFlowStatusChange, wire.EventTypeApplicationCompleted},
		Auth:           &api.AuthRequest{Type: herald.AuthTypeBasic, Username: "u", Password: basicPassword},
		StatusTriggers: []string{"20786"},
		MaxConcurrency: 3,
	})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if !strings.HasPrefix(created.ID, herald.IDPrefixEndpoint) || created.CustomerID != "6269" || created.URL != partnerEndpoint {
		t.Fatalf("created = %+v", created)
	}
	if !created.Gzip || !created.Enabled || !created.TraceContext {
		t.Fatalf("gzip %v enabled %v traceContext %v, want all true by default", created.Gzip, created.Enabled, created.TraceContext)
	}
	if want := []wire.EventType{wire.EventTypeWorkFlowStatusChange, wire.EventTypeAssessment}; !slices.Equal(created.EventTypes, want) {
		t.Fatalf("eventTypes = %v, want %v (legacy name made canonical)", created.EventTypes, want)
	}
	if created.Auth.Type != herald.AuthTypeBasic || created.Auth.Username != "u" || created.Auth.Password != herald.Secret(basicPassword).Masked() {
		t.Fatalf("auth = %+v", created.Auth)
	}
	if created.MaxConcurrency != 3 || !slices.Equal(created.StatusTriggers, []string{"20786"}) {
		t.Fatalf("created = %+v", created)
	}

	b.clock.Advance(time.Second) // list order is by creation time
	off, err := b.client.EndpointCreate(ctx, "6269", &api.EndpointCreateRequest{
		URL:        partnerEndpoint + "/2",
		EventTypes: []wire.EventType{wire.EventTypeJobPostToWeb},
		Auth:       &api.AuthRequest{Type: herald.AuthTypeNone},
		Gzip:       ptr(false),
		Enabled:    ptr(false),
	})
	if err != nil {
		t.Fatalf("create second: %v", err)
	}
	if off.Gzip || off.Enabled || off.StatusTriggers == nil {
		t.Fatalf("second = %+v, want gzip and enabled false, statusTriggers []", off)
	}

	got, err := b.client.EndpointGet(ctx, "6269", created.ID)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if got.ID != created.ID || !equalAuth(got.Auth, created.Auth) || !got.CreatedAt.Equal(created.CreatedAt) {
		t.Fatalf("get = %+v, want %+v", got, created)
	}
	list, err := b.client.EndpointList(ctx, "6269")
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if len(list) != 2 || list[0].ID != created.ID || list[1].ID != off.ID {
		t.Fatalf("list = %+v", list)
	}

	b.clock.Advance(time.Minute)
	updated, err := b.client.EndpointUpdate(ctx, "6269", created.ID, &api.EndpointUpdateRequest{
		URL:            ptr(partnerEndpoint + "/v2"),
		StatusTriggers: ptr([]string{}),
		Gzip:           ptr(false),
		TraceContext:   ptr(false),
	})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if updated.URL != partnerEndpoint+"/v2" || updated.Gzip || updated.TraceContext || len(updated.StatusTriggers) != 0 {
		t.Fatalf("updated = %+v", updated)
	}
	if updated.MaxConcurrency != 3 || !slices.Equal(updated.EventTypes, created.EventTypes) || !equalAuth(updated.Auth, created.Auth) {
		t.Fatalf("fields absent from the PATCH changed: %+v", updated)
	}
	if !updated.UpdatedAt.Equal(b.clock.Now()) || !updated.CreatedAt.Equal(created.CreatedAt) {
		t.Fatalf("createdAt %v updatedAt %v", updated.CreatedAt, updated.UpdatedAt)
	}
	stored, err := b.store.EndpointGet(ctx, created.ID)
	if err != nil {
		t.Fatalf("store get: %v", err)
	}
	if stored.URL != updated.URL || stored.Auth.Password != basicPassword {
		t.Fatalf("stored = %+v", stored)
	}

	if err := b.client.EndpointDelete(ctx, "6269", created.ID); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, err = b.client.EndpointGet(ctx, "6269", created.ID)
	wantCode(t, err, herald.ENOTFOUND)
	wantCode(t, b.client.EndpointDelete(ctx, "6269", created.ID), herald.ENOTFOUND)

	_, err = b.client.EndpointList(ctx, "no-such-customer")
	wantCode(t, err, herald.ENOTFOUND)
	r := b.rawRequest(t, http.MethodDelete, "/api/v1/customers/6269/endpoints/"+off.ID, nil, "")
	if r.status != http.StatusNoContent || len(r.body) != 0 {
		t.Fatalf("delete: status %d body %q", r.status, r.body)
	}
}

func TestEndpointAuthModes(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.createCustomer(t, "c1")

	tests := []struct {
		name string
		auth api.AuthRequest
		want api.Auth
		err  string // substring of the 400 message; "" for success
	}{
		{name: "none", auth: api.AuthRequest{Type: "none"}, want: api.Auth{Type: "none"}},
		{
			name: "basic",
			auth: api.AuthRequest{Type: "basic", Username: "u", Password: basicPassword},
			want: api.Auth{Type: "basic", Username: "u", Password: "********" + basicPassword[len(basicPassword)-4:]},
		},
		{
			name: "hmac",
			auth: api.AuthRequest{Type: "hmac", Username: "u", Secret: hmacSecret},
			want: api.Auth{Type: "hmac", Username: "u", Secret: herald.Secret(hmacSecret).Masked()},
		},
		{
			name: "oauth2",
			auth: api.AuthRequest{Type: "oauth2", TokenURL: "https://auth.example.com/token", ClientID: "cid", ClientSecret: oauthSecret, Scope: "events"},
			want: api.Auth{Type: "oauth2", TokenURL: "https://auth.example.com/token", ClientID: "cid", ClientSecret: herald.Secret(oauthSecret).Masked(), Scope: "events"},
		},
		{
			name: "standard webhooks",
			auth: api.AuthRequest{Type: "standard-webhooks", Secret: webhookSecret},
			want: api.Auth{Type: "standard-webhooks", Secret: herald.Secret(webhookSecret).Masked()},
		},
		{name: "no type", auth: api.AuthRequest{}, err: "auth.type is required"},
		{name: "unknown type", auth: api.AuthRequest{Type: "digest"}, err: `auth.type "digest"`},
		{name: "basic without password", auth: api.AuthRequest{Type: "basic", Username: "u"}, err: "auth.password"},
		{name: "field of another type", auth: api.AuthRequest{Type: "basic", Username: "u", Password: "p", Secret: "s"}, err: "auth.secret is not used by basic auth"},
		{name: "masked secret", auth: api.AuthRequest{Type: "hmac", Username: "u", Secret: maskedLooking}, err: "masked value"},
		{name: "bad whsec", auth: api.AuthRequest{Type: "standard-webhooks", Secret: "whsec_short"}, err: "auth.secret"},
		{name: "oauth2 bad token url", auth: api.AuthRequest{Type: "oauth2", TokenURL: "ftp://x", ClientID: "c", ClientSecret: "s"}, err: "auth.tokenUrl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			auth := tt.auth
			e, err := b.client.EndpointCreate(t.Context(), "c1", &api.EndpointCreateRequest{
				URL: partnerEndpoint, EventTypes: []wire.EventType{wire.EventTypeRemoteLogin}, Auth: &auth,
			})
			if tt.err != "" {
				wantCode(t, err, herald.EINVALID)
				if !strings.Contains(herald.ErrorMessage(err), tt.err) {
					t.Fatalf("message = %q, want it to contain %q", herald.ErrorMessage(err), tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("create: %v", err)
			}
			if !equalAuth(e.Auth, tt.want) {
				t.Fatalf("auth = %+v, want %+v", e.Auth, tt.want)
			}
		})
	}
}

func equalAuth(a, b api.Auth) bool {
	return reflect.DeepEqual(a, b)
}

func TestEndpointCreateRequiresAuth(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.createCustomer(t, "c1")
	_, err := b.client.EndpointCreate(t.Context(), "c1", &api.EndpointCreateRequest{
		URL: partnerEndpoint, EventTypes: []wire.EventType{wire.EventTypeRemoteLogin},
	})
	wantCode(t, err, herald.EINVALID)
	r := b.rawRequest(t, http.MethodPost, "/api/v1/customers/c1/endpoints", nil,
		`{"url":"https://p.example.com","eventTypes":["RemoteLoginEvent"],"auth":{"type":"none"},"rotationOverlap":"1h"}`)
	if r.status != http.StatusBadRequest || !strings.Contains(r.err.Error.Message, "rotationOverlap") {
		t.Fatalf("rotationOverlap on create: status %d, %+v", r.status, r.err.Error)
	}
}

func TestEndpointPatchKeepsSecrets(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := t.Context()
	b.createCustomer(t, "c1")
	e, err := b.client.EndpointCreate(ctx, "c1", &api.EndpointCreateRequest{
		URL: partnerEndpoint, EventTypes: []wire.EventType{wire.EventTypeRemoteLogin},
		Auth: &api.AuthRequest{Type: herald.AuthTypeBasic, Username: "u", Password: basicPassword},
	})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	storedPassword := func() herald.Secret {
		t.Helper()
		se, err := b.store.EndpointGet(ctx, e.ID)
		if err != nil {
			t.Fatalf("store get: %v", err)
		}
		return se.Auth.Password
	}

	// The secret omitted: kept, username changed.
	got, err := b.client.EndpointUpdate(ctx, "c1", e.ID, &api.EndpointUpdateRequest{
		Auth: &api.AuthRequest{Type: herald.AuthTypeBasic, Username: "u2"},
	})
	if err != nil {
		t.Fatalf("update username: %v", err)
	}
	if got.Auth.Username != "u2" || storedPassword() != basicPassword {
		t.Fatalf("auth = %+v, stored password changed", got.Auth)
	}
	// The masked value sent back, type omitted: kept.
	if _, err := b.client.EndpointUpdate(ctx, "c1", e.ID, &api.EndpointUpdateRequest{
		Auth: &api.AuthRequest{Username: "u3", Password: got.Auth.Password},
	}); err != nil {
		t.Fatalf("update with masked password: %v", err)
	}
	if storedPassword() != basicPassword {
		t.Fatalf("masked value replaced the password")
	}
	// Another masked-looking value: refused, nothing changed.
	_, err = b.client.EndpointUpdate(ctx, "c1", e.ID, &api.EndpointUpdateRequest{
		Auth: &api.AuthRequest{Type: herald.AuthTypeBasic, Username: "u4", Password: maskedLooking},
	})
	wantCode(t, err, herald.EINVALID)
	// A new password: replaced.
	if _, err := b.client.EndpointUpdate(ctx, "c1", e.ID, &api.EndpointUpdateRequest{
		Auth: &api.AuthRequest{Type: herald.AuthTypeBasic, Username: "u5", Password: newBasicPasswd},
	}); err != nil {
		t.Fatalf("update password: %v", err)
	}
	if storedPassword() != newBasicPasswd {
		t.Fatalf("password not replaced")
	}
	// Another type needs its own secrets: the masked basic one is no hmac secret.
	_, err = b.client.EndpointUpdate(ctx, "c1", e.ID, &api.EndpointUpdateRequest{
		Auth: &api.AuthRequest{Type: herald.AuthTypeHMAC, Username: "u"},
	})
	wantCode(t, err, herald.EINVALID)
	got, err = b.client.EndpointUpdate(ctx, "c1", e.ID, &api.EndpointUpdateRequest{
		Auth: &api.AuthRequest{Type: herald.AuthTypeHMAC, Username: "u", Secret: hmacSecret},
	})
	if err != nil {
		t.Fatalf("switch to hmac: %v", err)
	}
	se, err := b.store.EndpointGet(ctx, e.ID)
	if err != nil {
		t.Fatalf("store get: %v", err)
	}
	if got.Auth.Type != herald.AuthTypeHMAC || se.Auth.Secret != hmacSecret || se.Auth.Password != "" {
		t.Fatalf("after switch: api %+v, stored %+v", got.Auth, se.Auth)
	}
}

func TestEndpointRotation(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := t.Context()
	b.createCustomer(t, "c1")
	e, err := b.client.EndpointCreate(ctx, "c1", &api.EndpointCreateRequest{
		URL: partnerEndpoint, EventTypes: []wire.EventType{wire.EventTypeRemoteLogin},
		Auth: &api.AuthRequest{Type: herald.AuthTypeStandardWebhooks, Secret: webhookSecret},
	})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	rotatedAt := b.clock.Now()

	got, err := b.client.EndpointUpdate(ctx, "c1", e.ID, &api.EndpointUpdateRequest{
		Auth:            &api.AuthRequest{Type: herald.AuthTypeStandardWebhooks, Secret: webhookSecret2},
		RotationOverlap: ptr("1h"),
	})
	if err != nil {
		t.Fatalf("rotate: %v", err)
	}
	wantPrev := []api.PreviousSecret{{Secret: herald.Secret(webhookSecret).Masked(), ExpiresAt: rotatedAt.Add(time.Hour)}}
	if got.Auth.Secret != herald.Secret(webhookSecret2).Masked() || !slices.Equal(got.Auth.PreviousSecrets, wantPrev) {
		t.Fatalf("auth = %+v, want new secret and previous %+v", got.Auth, wantPrev)
	}
	se, err := b.store.EndpointGet(ctx, e.ID)
	if err != nil {
		t.Fatalf("store get: %v", err)
	}
	during := se.Auth.ActiveSigningSecrets(rotatedAt.Add(30 * time.Minute))
	after := se.Auth.ActiveSigningSecrets(rotatedAt.Add(61 * time.Minute))
	if !slices.Equal(during, []herald.Secret{webhookSecret2, webhookSecret}) || !slices.Equal(after, []herald.Secret{webhookSecret2}) {
		t.Fatalf("active during overlap %v, after %v", len(during), len(after))
	}

	// The masked current secret sent back keeps everything; rotationOverlap
	// without a new secret is refused.
	if _, err := b.client.EndpointUpdate(ctx, "c1", e.ID, &api.EndpointUpdateRequest{
		Auth: &api.AuthRequest{Secret: got.Auth.Secret},
	}); err != nil {
		t.Fatalf("update with masked secret: %v", err)
	}
	_, err = b.client.EndpointUpdate(ctx, "c1", e.ID, &api.EndpointUpdateRequest{RotationOverlap: ptr("2h")})
	wantCode(t, err, herald.EINVALID)
	_, err = b.client.EndpointUpdate(ctx, "c1", e.ID, &api.EndpointUpdateRequest{
		Auth:            &api.AuthRequest{Secret: webhookSecret3},
		RotationOverlap: ptr("forever"),
	})
	wantCode(t, err, herald.EINVALID)
	_, err = b.client.EndpointUpdate(ctx, "c1", e.ID, &api.EndpointUpdateRequest{
		Auth: &api.AuthRequest{Secret: "whsec_!!"},
	})
	wantCode(t, err, herald.EINVALID)
	se2, err := b.store.EndpointGet(ctx, e.ID)
	if err != nil {
		t.Fatalf("store get: %v", err)
	}
	if !slices.Equal(se2.Auth.SigningSecrets, se.Auth.SigningSecrets) {
		t.Fatalf("refused updates changed the secrets: %+v", se2.Auth.SigningSecrets)
	}

	// Once the overlap is over the old secret is no longer shown; a second
	// rotation with the default overlap keeps the previous one for 24h.
	b.clock.Advance(2 * time.Hour)
	got, err = b.client.EndpointGet(ctx, "c1", e.ID)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if len(got.Auth.PreviousSecrets) != 0 {
		t.Fatalf("expired secret still shown: %+v", got.Auth.PreviousSecrets)
	}
	got, err = b.client.EndpointUpdate(ctx, "c1", e.ID, &api.EndpointUpdateRequest{
		Auth: &api.AuthRequest{Secret: webhookSecret3},
	})
	if err != nil {
		t.Fatalf("second rotation: %v", err)
	}
	wantPrev = []api.PreviousSecret{{Secret: herald.Secret(webhookSecret2).Masked(), ExpiresAt: b.clock.Now().Add(herald.DefaultRotationOverlap)}}
	if !slices.Equal(got.Auth.PreviousSecrets, wantPrev) {
		t.Fatalf("previous = %+v, want %+v", got.Auth.PreviousSecrets, wantPrev)
	}
}

func TestEndpointEnableClearsDisabledReason(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := t.Context()
	b.createCustomer(t, "c1")
	e := b.createEndpoint(t, "c1", wire.EventTypeRemoteLogin)
	if err := b.store.EndpointDisable(ctx, e.ID, "the partner answered 410 Gone", b.clock.Now()); err != nil {
		t.Fatalf("disable: %v", err)
	}
	got, err := b.client.EndpointGet(ctx, "c1", e.ID)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if got.Enabled || got.DisabledReason != "the partner answered 410 Gone" || got.DisabledBy != "health monitor" ||
		got.DisabledAt == nil || !got.DisabledAt.Equal(b.clock.Now().Truncate(time.Millisecond)) {
		t.Fatalf("after disable: %+v", got)
	}
	got, err = b.client.EndpointUpdate(ctx, "c1", e.ID, &api.EndpointUpdateRequest{Enabled: ptr(true)})
	if err != nil {
		t.Fatalf("enable: %v", err)
	}
	se, err := b.store.EndpointGet(ctx, e.ID)
	if err != nil {
		t.Fatalf("store get: %v", err)
	}
	if !got.Enabled || got.DisabledReason != "" || !se.Enabled || se.DisabledReason != "" || got.DisabledBy != "" || got.DisabledAt != nil {
		t.Fatalf("after enable: api %+v, stored enabled %v reason %q", got, se.Enabled, se.DisabledReason)
	}
}

// TestEndpointDisabledBy checks that the API says who turned an endpoint
// off: the operator, whose token the API takes, until it is turned on.
func TestEndpointDisabledBy(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := t.Context()
	b.createCustomer(t, "c1")
	e := b.createEndpoint(t, "c1", wire.EventTypeRemoteLogin)
	if e.DisabledBy != "" || e.DisabledAt != nil {
		t.Fatalf("enabled endpoint: disabledBy %q, disabledAt %v", e.DisabledBy, e.DisabledAt)
	}
	got, err := b.client.EndpointUpdate(ctx, "c1", e.ID, &api.EndpointUpdateRequest{Enabled: ptr(false)})
	if err != nil {
		t.Fatalf("pause: %v", err)
	}
	if got.DisabledBy != "operator" || got.DisabledAt == nil {
		t.Fatalf("after pause: disabledBy %q, disabledAt %v; want operator and a time", got.DisabledBy, got.DisabledAt)
	}
	// A web administrator paused it: an edit through the API keeps that.
	se, err := b.store.EndpointGet(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	se.Enabled, se.DisabledBy = true, ""
	if err := b.store.EndpointUpdate(ctx, se); err != nil {
		t.Fatal(err)
	}
	se.Enabled, se.DisabledBy = false, "alice"
	if err := b.store.EndpointUpdate(ctx, se); err != nil {
		t.Fatal(err)
	}
	got, err = b.client.EndpointUpdate(ctx, "c1", e.ID, &api.EndpointUpdateRequest{URL: ptr("https://partner.example/moved")})
	if err != nil {
		t.Fatalf("edit: %v", err)
	}
	if got.DisabledBy != "alice" {
		t.Fatalf("after an edit: disabledBy %q, want alice", got.DisabledBy)
	}
	got, err = b.client.EndpointGet(ctx, "c1", e.ID)
	if err != nil || got.DisabledBy != "alice" || got.DisabledAt == nil {
		t.Fatalf("get: %+v %v", got, err)
	}
	got, err = b.client.EndpointUpdate(ctx, "c1", e.ID, &api.EndpointUpdateRequest{Enabled: ptr(true)})
	if err != nil || got.DisabledBy != "" || got.DisabledAt != nil {
		t.Fatalf("after resume: %+v %v", got, err)
	}
	// Created off through the API: by the operator.
	off, err := b.client.EndpointCreate(ctx, "c1", &api.EndpointCreateRequest{URL: "https://partner.example/off",
		EventTypes: []wire.EventType{wire.EventTypeRemoteLogin}, Auth: &api.AuthRequest{Type: herald.AuthTypeNone}, Enabled: ptr(false)})
	if err != nil || off.DisabledBy != "operator" || off.DisabledAt == nil {
		t.Fatalf("created off: %+v %v", off, err)
	}
}

func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := t.Context()
	b.createCustomer(t, "A")
	b.createCustomer(t, "B")
	ea := b.createEndpoint(t, "A", wire.EventTypeWorkFlowStatusChange)
	eb := b.createEndpoint(t, "B", wire.EventTypeWorkFlowStatusChange)
	pa := b.publish(t, "A", statusChange("1"))
	pb := b.publish(t, "B", statusChange("2"))

	_, err := b.client.EndpointGet(ctx, "B", ea.ID)
	wantCode(t, err, herald.ENOTFOUND)
	_, err = b.client.EndpointUpdate(ctx, "B", ea.ID, &api.EndpointUpdateRequest{Enabled: ptr(false)})
	wantCode(t, err, herald.ENOTFOUND)
	wantCode(t, b.client.EndpointDelete(ctx, "B", ea.ID), herald.ENOTFOUND)

	got, err := b.client.EndpointGet(ctx, "A", ea.ID)
	if err != nil {
		t.Fatalf("A's endpoint after B's attempts: %v", err)
	}
	if !got.Enabled || !got.UpdatedAt.Equal(ea.UpdatedAt) {
		t.Fatalf("A's endpoint changed: %+v", got)
	}
	list, err := b.client.EndpointList(ctx, "B")
	if err != nil {
		t.Fatalf("list B: %v", err)
	}
	if len(list) != 1 || list[0].ID != eb.ID {
		t.Fatalf("B's endpoints = %+v", list)
	}

	for _, tc := range []struct {
		customer string
		want     string
	}{{"A", pa.Deliveries[0].ID}, {"B", pb.Deliveries[0].ID}} {
		for _, q := range []*api.DeliveryListQuery{nil, {EndpointID: ea.ID}, {EndpointID: eb.ID}} {
			page, err := b.client.DeliveryList(ctx, tc.customer, q)
			if err != nil {
				t.Fatalf("list deliveries of %s: %v", tc.customer, err)
			}
			for _, d := range page.Data {
				if d.CustomerID != tc.customer || d.ID != tc.want {
					t.Fatalf("deliveries of %s include %+v", tc.customer, d)
				}
			}
		}
	}
}
