package herald_test

import (
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

func validEndpoint() *herald.Endpoint {
	return &herald.Endpoint{
		CustomerID: "6269",
		URL:        "https://partner.example/hooks/icims",
		EventTypes: []wire.EventType{wire.EventTypeWorkFlowStatusChange},
		Auth:       herald.Auth{Type: herald.AuthTypeBasic, Username: "u", Password: "p"},
		Enabled:    true,
	}
}

func TestEndpointValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(*herald.Endpoint)
		field  string // "" means valid
	}{
		{"valid", func(*herald.Endpoint) {}, ""},
		{"no url", func(e *herald.Endpoint) { e.URL = "" }, "url"},
		{"relative url", func(e *herald.Endpoint) { e.URL = "/hook" }, "url"},
		{"ftp url", func(e *herald.Endpoint) { e.URL = "ftp://x.example/" }, "url"},
		{"credentials in url", func(e *herald.Endpoint) { e.URL = "https://u:p@x.example/" }, "url"},
		{"huge url", func(e *herald.Endpoint) { e.URL = "https://x.example/" + strings.Repeat("a", 3000) }, "url"},
		{"no event types", func(e *herald.Endpoint) { e.EventTypes = nil }, "eventTypes"},
		{"unknown event type", func(e *herald.Endpoint) { e.EventTypes = []wire.EventType{"NopeEvent"} }, "eventTypes"},
		{"duplicate event type", func(e *herald.Endpoint) {
			e.EventTypes = []wire.EventType{wire.EventTypeRemoteLogin, wire.EventTypeRemoteLogin}
		}, "eventTypes"},
		{"bad concurrency", func(e *herald.Endpoint) { e.MaxConcurrency = 1000 }, "maxConcurrency"},
		{"empty status trigger", func(e *herald.Endpoint) { e.StatusTriggers = []string{""} }, "statusTriggers"},
		{"no auth type", func(e *herald.Endpoint) { e.Auth = herald.Auth{} }, "auth.type"},
		{"basic without password", func(e *herald.Endpoint) { e.Auth.Password = "" }, "auth.password"},
		{"hmac without secret", func(e *herald.Endpoint) { e.Auth = herald.Auth{Type: herald.AuthTypeHMAC, Username: "u"} }, "auth.secret"},
		{"oauth2 bad token url", func(e *herald.Endpoint) {
			e.Auth = herald.Auth{Type: herald.AuthTypeOAuth2, TokenURL: "nope", ClientID: "c", ClientSecret: "s"}
		}, "auth.tokenUrl"},
		{"webhooks bad secret", func(e *herald.Endpoint) {
			e.Auth = herald.Auth{Type: herald.AuthTypeStandardWebhooks, SigningSecrets: []herald.SigningSecret{{Secret: "plain"}}}
		}, "auth.secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := validEndpoint()
			tt.mutate(e)
			err := e.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if herald.ErrorCode(err) != herald.EINVALID || !strings.Contains(herald.ErrorMessage(err), tt.field) {
				t.Fatalf("got %v, want an invalid error naming %s", err, tt.field)
			}
		})
	}
}

func TestEndpointWants(t *testing.T) {
	t.Parallel()
	e := validEndpoint()
	e.StatusTriggers = []string{"D10104"}
	if !e.Wants(wire.EventTypeWorkFlowStatusChange, "D10104") {
		t.Fatal("trigger status should be wanted")
	}
	if e.Wants(wire.EventTypeWorkFlowStatusChange, "D10100") {
		t.Fatal("a status outside the triggers is not wanted")
	}
	if e.Wants(wire.EventTypeAssessment, "") {
		t.Fatal("an unsubscribed type is not wanted")
	}
	e.Enabled = false
	if e.Wants(wire.EventTypeWorkFlowStatusChange, "D10104") {
		t.Fatal("a disabled endpoint wants nothing")
	}
}

func TestRotateSigningSecretKeepsTheOldOneForTheOverlap(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	a := herald.Auth{Type: herald.AuthTypeStandardWebhooks, SigningSecrets: []herald.SigningSecret{{Secret: "whsec_old"}}}
	a.RotateSigningSecret("whsec_new", now, time.Hour)
	if got := a.ActiveSigningSecrets(now.Add(30 * time.Minute)); len(got) != 2 || got[0] != "whsec_new" || got[1] != "whsec_old" {
		t.Fatalf("during the overlap: %v", got)
	}
	if got := a.ActiveSigningSecrets(now.Add(61 * time.Minute)); len(got) != 1 || got[0] != "whsec_new" {
		t.Fatalf("after the overlap: %v", got)
	}
	a.RotateSigningSecret("whsec_new", now, time.Hour) // no-op
	if len(a.SigningSecrets) != 2 {
		t.Fatalf("rotating to the current secret changed the list: %+v", a.SigningSecrets)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	t.Parallel()
	s := herald.Secret("correct-horse-battery-staple")
	for _, got := range []string{s.String(), s.GoString(), s.LogValue().String()} {
		if strings.Contains(got, "horse") {
			t.Fatalf("secret leaked: %q", got)
		}
	}
	if m := s.Masked(); !strings.HasSuffix(m, "aple") || strings.Contains(m, "horse") {
		t.Fatalf("masked %q", m)
	}
	if m := herald.Secret("short").Masked(); strings.Contains(m, "short") {
		t.Fatalf("short secret shown: %q", m)
	}
}

func TestNewIDSortsByTime(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	a := herald.NewID(herald.IDPrefixEvent, t0)
	b := herald.NewID(herald.IDPrefixEvent, t0.Add(time.Millisecond))
	if !(a < b) || len(a) != len(herald.IDPrefixEvent)+26 || !strings.HasPrefix(a, "evt_") {
		t.Fatalf("ids %q %q", a, b)
	}
	// Two ids in one millisecond differ by their random part.
	if c, d := herald.NewID("x_", t0), herald.NewID("x_", t0); c == d {
		t.Fatalf("two ids in one millisecond collide: %s", c)
	}
}

func TestErrorHelpersHideInternalDetails(t *testing.T) {
	t.Parallel()
	internal := errorString("pq: relation \"deliveries\" does not exist")
	if herald.ErrorCode(internal) != herald.EINTERNAL || herald.ErrorMessage(internal) != "Internal error." {
		t.Fatal("an internal error's details must not be shown")
	}
	e := herald.Errorf(herald.ENOTFOUND, "endpoint %q not found", "ep_1")
	if herald.ErrorCode(e) != herald.ENOTFOUND || herald.ErrorMessage(e) != `endpoint "ep_1" not found` {
		t.Fatalf("got %s %s", herald.ErrorCode(e), herald.ErrorMessage(e))
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

func TestNewDeliveryForADisabledEndpointIsFailed(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	ev := &herald.Event{ID: "evt_1", CustomerID: "6269", Type: wire.EventTypeWorkFlowStatusChange, NewStatus: "D10104", CreatedAt: now}
	e := validEndpoint()
	e.ID = "ep_1"
	if d := herald.NewDelivery(e, ev); d == nil || d.State != herald.DeliveryStatePending || !d.NextAttemptAt.Equal(now) {
		t.Fatalf("enabled: %+v", d)
	}
	e.Enabled, e.DisabledReason = false, "410 Gone"
	if d := herald.NewDelivery(e, ev); d == nil || d.State != herald.DeliveryStateFailed || d.LastError != "endpoint disabled: 410 Gone" {
		t.Fatalf("disabled: %+v", d)
	}
	e.StatusTriggers = []string{"D10100"}
	if d := herald.NewDelivery(e, ev); d != nil {
		t.Fatalf("a status outside the triggers makes no delivery, even while disabled: %+v", d)
	}
}
