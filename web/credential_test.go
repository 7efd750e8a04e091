package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// TestEndpointFormCredentialReentry proves the form applies the rule of
// herald.Endpoint.ValidateUpdate: moving a Basic endpoint to another host,
// or an OAuth 2.0 endpoint to another token URL, with the secret field
// left blank is refused with a message naming the field.
func TestEndpointFormCredentialReentry(t *testing.T) {
	t.Parallel()
	n := newTestNode(t)
	n.seedCustomers(t)
	ctx := t.Context()
	basic := &herald.Endpoint{CustomerID: "6269", URL: "https://partner.example/hook", EventTypes: []wire.EventType{wire.EventTypeAssessment},
		Auth: herald.Auth{Type: herald.AuthTypeBasic, Username: "u", Password: "stored-basic-password"}, Enabled: true}
	oauth := &herald.Endpoint{CustomerID: "6269", URL: "https://partner.example/hook", EventTypes: []wire.EventType{wire.EventTypeAssessment},
		Auth: herald.Auth{Type: herald.AuthTypeOAuth2, TokenURL: "https://auth.partner.example/token", ClientID: "c", ClientSecret: "stored-client-secret"}, Enabled: true}
	for _, e := range []*herald.Endpoint{basic, oauth} {
		if err := n.store.EndpointCreate(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	b := n.browser(t)
	b.signIn("admin-6269", "correct-horse-battery")
	b.get("/ui/customers/6269/endpoints/" + basic.ID)

	form := url.Values{"url": {"https://attacker.example/hook"}, "eventTypes": {"AssessmentEvent"}, "authType": {"basic"}, "username": {"u"}, "enabled": {"on"}}
	code, _, body := b.post("/ui/customers/6269/endpoints/"+basic.ID, form)
	if code != http.StatusBadRequest || !strings.Contains(body, `id="auth-err"`) || !strings.Contains(body, "Enter the password again") {
		t.Fatalf("basic moved without password: %d\n%s", code, body)
	}
	if e, _ := n.store.EndpointGet(ctx, basic.ID); e.URL != basic.URL {
		t.Fatalf("refused form changed the URL to %q", e.URL)
	}
	form.Set("password", "new-basic-password")
	if code, _, _ := b.post("/ui/customers/6269/endpoints/"+basic.ID, form); code != http.StatusSeeOther {
		t.Fatalf("basic moved with password: %d", code)
	}

	form = url.Values{"url": {oauth.URL}, "eventTypes": {"AssessmentEvent"}, "authType": {"oauth2"}, "tokenUrl": {"https://attacker.example/token"},
		"clientId": {"c"}, "enabled": {"on"}}
	code, _, body = b.post("/ui/customers/6269/endpoints/"+oauth.ID, form)
	if code != http.StatusBadRequest || !strings.Contains(body, "Enter the client secret again") {
		t.Fatalf("oauth token URL moved without secret: %d", code)
	}
	form.Set("tokenUrl", oauth.Auth.TokenURL)
	form.Set("url", "https://elsewhere.example/hook")
	if code, _, _ := b.post("/ui/customers/6269/endpoints/"+oauth.ID, form); code != http.StatusSeeOther {
		t.Fatalf("oauth endpoint moved, same token URL: %d", code)
	}
}
