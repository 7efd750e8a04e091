package api_test

import (
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
	"github.com/heraldhq/herald/wire"
)

// TestEndpointUpdateCredentialReentry proves that moving an endpoint to
// another origin, or its OAuth 2.0 token URL elsewhere, needs the Basic
// password or the client secret again, so nobody who may edit an endpoint
// can have Herald send the stored credential to their own server. Signing
// secrets, which never leave Herald, stay.
func TestEndpointUpdateCredentialReentry(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := t.Context()
	b.createCustomer(t, "c1")
	create := func(a *api.AuthRequest) *api.Endpoint {
		t.Helper()
		e, err := b.client.EndpointCreate(ctx, "c1", &api.EndpointCreateRequest{URL: partnerEndpoint,
			EventTypes: []wire.EventType{wire.EventTypeRemoteLogin}, Auth: a})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	wantRefused := func(t *testing.T, err error, field string) {
		t.Helper()
		wantCode(t, err, herald.EINVALID)
		if msg := herald.ErrorMessage(err); !strings.HasPrefix(msg, field+" must be entered again") {
			t.Fatalf("message %q does not name %s", msg, field)
		}
	}
	attacker := "https://attacker.example.net/hook"

	basic := create(&api.AuthRequest{Type: herald.AuthTypeBasic, Username: "u", Password: basicPassword})
	_, err := b.client.EndpointUpdate(ctx, "c1", basic.ID, &api.EndpointUpdateRequest{URL: &attacker})
	wantRefused(t, err, "auth.password")
	// Echoing the masked password back is keeping it, too.
	_, err = b.client.EndpointUpdate(ctx, "c1", basic.ID, &api.EndpointUpdateRequest{URL: &attacker,
		Auth: &api.AuthRequest{Username: "u", Password: basic.Auth.Password}})
	wantRefused(t, err, "auth.password")
	if e, _ := b.store.EndpointGet(ctx, basic.ID); e.URL != partnerEndpoint {
		t.Fatalf("refused update changed the URL to %q", e.URL)
	}
	samePlace := "https://PARTNER.example.com:443/other-path"
	if _, err := b.client.EndpointUpdate(ctx, "c1", basic.ID, &api.EndpointUpdateRequest{URL: &samePlace}); err != nil {
		t.Fatalf("same origin, new path: %v", err)
	}
	if _, err := b.client.EndpointUpdate(ctx, "c1", basic.ID, &api.EndpointUpdateRequest{URL: &attacker,
		Auth: &api.AuthRequest{Username: "u", Password: newBasicPasswd}}); err != nil {
		t.Fatalf("new origin with the password entered: %v", err)
	}

	oauth := create(&api.AuthRequest{Type: herald.AuthTypeOAuth2, TokenURL: "https://auth.example.com/token", ClientID: "c", ClientSecret: oauthSecret})
	_, err = b.client.EndpointUpdate(ctx, "c1", oauth.ID, &api.EndpointUpdateRequest{
		Auth: &api.AuthRequest{TokenURL: "https://attacker.example.net/token", ClientID: "c"}})
	wantRefused(t, err, "auth.clientSecret")
	if _, err := b.client.EndpointUpdate(ctx, "c1", oauth.ID, &api.EndpointUpdateRequest{
		Auth: &api.AuthRequest{TokenURL: "https://attacker.example.net/token", ClientID: "c", ClientSecret: "another-client-secret"}}); err != nil {
		t.Fatalf("new tokenUrl with the secret entered: %v", err)
	}

	hmacEP := create(&api.AuthRequest{Type: herald.AuthTypeHMAC, Username: "u", Secret: hmacSecret})
	if _, err := b.client.EndpointUpdate(ctx, "c1", hmacEP.ID, &api.EndpointUpdateRequest{URL: &attacker}); err != nil {
		t.Fatalf("hmac endpoint moved: %v", err)
	}
	sw := create(&api.AuthRequest{Type: herald.AuthTypeStandardWebhooks, Secret: webhookSecret})
	if _, err := b.client.EndpointUpdate(ctx, "c1", sw.ID, &api.EndpointUpdateRequest{URL: &attacker}); err != nil {
		t.Fatalf("standard-webhooks endpoint moved: %v", err)
	}
}
