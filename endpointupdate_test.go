package herald_test

import (
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

func TestEndpointValidateUpdate(t *testing.T) {
	t.Parallel()
	basic := &herald.Endpoint{URL: "https://partner.example/hook", EventTypes: []wire.EventType{wire.EventTypeAssessment},
		Auth: herald.Auth{Type: herald.AuthTypeBasic, Username: "u", Password: "stored-password"}}
	oauth := &herald.Endpoint{URL: "https://partner.example/hook", EventTypes: []wire.EventType{wire.EventTypeAssessment},
		Auth: herald.Auth{Type: herald.AuthTypeOAuth2, TokenURL: "https://auth.partner.example/token", ClientID: "c", ClientSecret: "stored-client-secret"}}
	hmacEP := &herald.Endpoint{URL: "https://partner.example/hook", EventTypes: []wire.EventType{wire.EventTypeAssessment},
		Auth: herald.Auth{Type: herald.AuthTypeHMAC, Username: "u", Secret: "stored-hmac-secret"}}
	with := func(e *herald.Endpoint, f func(*herald.Endpoint)) *herald.Endpoint {
		c := *e
		f(&c)
		return &c
	}
	keptBoth := herald.CredentialsKept{Password: true, ClientSecret: true}
	for _, tc := range []struct {
		name      string
		old, next *herald.Endpoint
		kept      herald.CredentialsKept
		wantField string // "" for no error
	}{
		{"basic same origin, new path", basic, with(basic, func(e *herald.Endpoint) { e.URL = "https://PARTNER.example:443/other" }), keptBoth, ""},
		{"basic new host", basic, with(basic, func(e *herald.Endpoint) { e.URL = "https://attacker.example/hook" }), keptBoth, "auth.password"},
		{"basic new port", basic, with(basic, func(e *herald.Endpoint) { e.URL = "https://partner.example:8443/hook" }), keptBoth, "auth.password"},
		{"basic new scheme", basic, with(basic, func(e *herald.Endpoint) { e.URL = "http://partner.example/hook" }), keptBoth, "auth.password"},
		{"basic new host, password entered", basic, with(basic, func(e *herald.Endpoint) { e.URL = "https://attacker.example/hook" }), herald.CredentialsKept{}, ""},
		{"basic new host, new password", basic, with(basic, func(e *herald.Endpoint) {
			e.URL, e.Auth.Password = "https://new.example/hook", "new-password"
		}), keptBoth, ""},
		{"oauth new tokenUrl", oauth, with(oauth, func(e *herald.Endpoint) { e.Auth.TokenURL = "https://attacker.example/token" }), keptBoth, "auth.clientSecret"},
		{"oauth new tokenUrl, secret entered", oauth, with(oauth, func(e *herald.Endpoint) { e.Auth.TokenURL = "https://attacker.example/token" }), herald.CredentialsKept{}, ""},
		{"oauth new url, same tokenUrl", oauth, with(oauth, func(e *herald.Endpoint) { e.URL = "https://other.example/hook" }), keptBoth, ""},
		{"hmac new host keeps its secret", hmacEP, with(hmacEP, func(e *herald.Endpoint) { e.URL = "https://other.example/hook" }), keptBoth, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.next.ValidateUpdate(tc.old, tc.kept)
			switch {
			case tc.wantField == "" && err != nil:
				t.Fatalf("error %v, want none", err)
			case tc.wantField != "" && (herald.ErrorCode(err) != herald.EINVALID || herald.ErrorMessage(err)[:len(tc.wantField)] != tc.wantField):
				t.Fatalf("error %v, want EINVALID naming %s", err, tc.wantField)
			}
		})
	}
}

func TestURLOrigin(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"https://Partner.Example/hook":      "https://partner.example:443",
		"https://partner.example:443/x":     "https://partner.example:443",
		"http://partner.example/":           "http://partner.example:80",
		"https://partner.example.:8443/":    "https://partner.example:8443",
		"https://[2001:db8::1]/hook":        "https://[2001:db8::1]:443",
		"HTTPS://partner.example/?q=1#frag": "https://partner.example:443",
	} {
		if got := herald.URLOrigin(raw); got != want {
			t.Errorf("URLOrigin(%q) = %q, want %q", raw, got, want)
		}
	}
}

// FuzzURLOrigin feeds URLOrigin what a customer may type as an endpoint
// URL: it never panics, and an origin is its own origin.
func FuzzURLOrigin(f *testing.F) {
	for _, s := range []string{"https://partner.example/hook", "http://PARTNER.example:8080/x?y#z", "https://[::1]:443/", "https://a.example./", "%zz", "", "https://user:pw@host/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		o := herald.URLOrigin(raw)
		e := &herald.Endpoint{URL: raw, EventTypes: []wire.EventType{wire.EventTypeAssessment}, Auth: herald.Auth{Type: herald.AuthTypeNone}}
		if err := e.Validate(); err != nil {
			return // only valid endpoint URLs need a stable origin
		}
		if again := herald.URLOrigin(o); again != o {
			t.Fatalf("URLOrigin(%q) = %q, but URLOrigin(%q) = %q", raw, o, o, again)
		}
	})
}
