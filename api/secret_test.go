package api_test

import (
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
	"github.com/heraldhq/herald/wire"
)

// TestSecretsNeverEchoed configures every auth mode, then reads, lists,
// updates and rotates, and searches every raw reply body and every log
// line for the secrets.
func TestSecretsNeverEchoed(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := t.Context()
	b.createCustomer(t, "c1")

	auths := []*api.AuthRequest{
		{Type: herald.AuthTypeBasic, Username: "u", Password: basicPassword},
		{Type: herald.AuthTypeHMAC, Username: "u", Secret: hmacSecret},
		{Type: herald.AuthTypeOAuth2, TokenURL: "https://auth.example.com/token", ClientID: "c", ClientSecret: oauthSecret},
		{Type: herald.AuthTypeStandardWebhooks, Secret: webhookSecret},
	}
	var ids []string
	for _, a := range auths {
		e, err := b.client.EndpointCreate(ctx, "c1", &api.EndpointCreateRequest{
			URL: partnerEndpoint, EventTypes: []wire.EventType{wire.EventTypeRemoteLogin}, Auth: a,
		})
		if err != nil {
			t.Fatalf("create %s: %v", a.Type, err)
		}
		ids = append(ids, e.ID)
		if _, err := b.client.EndpointGet(ctx, "c1", e.ID); err != nil {
			t.Fatalf("get: %v", err)
		}
		if _, err := b.client.EndpointUpdate(ctx, "c1", e.ID, &api.EndpointUpdateRequest{Enabled: new(bool)}); err != nil {
			t.Fatalf("update: %v", err)
		}
	}
	if _, err := b.client.EndpointUpdate(ctx, "c1", ids[0], &api.EndpointUpdateRequest{
		Auth: &api.AuthRequest{Type: herald.AuthTypeBasic, Username: "u", Password: newBasicPasswd},
	}); err != nil {
		t.Fatalf("new password: %v", err)
	}
	for _, s := range []string{webhookSecret2, webhookSecret3} {
		if _, err := b.client.EndpointUpdate(ctx, "c1", ids[3], &api.EndpointUpdateRequest{
			Auth: &api.AuthRequest{Secret: s},
		}); err != nil {
			t.Fatalf("rotate: %v", err)
		}
	}
	list, err := b.client.EndpointList(ctx, "c1")
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if got := list[3].Auth; len(got.PreviousSecrets) != 2 {
		t.Fatalf("standard-webhooks auth = %+v, want two previous secrets", got)
	}
	// A refused request that carries a secret must not echo it either.
	_, err = b.client.EndpointUpdate(ctx, "c1", ids[1], &api.EndpointUpdateRequest{
		Auth: &api.AuthRequest{Type: herald.AuthTypeHMAC, Username: "bad user", Secret: "refused-secret-0000"},
	})
	wantCode(t, err, herald.EINVALID)

	replies, logs := b.replies.String(), b.logs.String()
	for _, s := range append(allSecrets, "refused-secret-0000") {
		if strings.Contains(replies, s) {
			t.Errorf("a reply holds secret %q", s)
		}
		if strings.Contains(logs, s) {
			t.Errorf("the log holds secret %q", s)
		}
	}
	if !strings.Contains(replies, herald.Secret(webhookSecret3).Masked()) {
		t.Errorf("masked secrets missing from the replies; is the search looking at them?")
	}
}
