package web_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// TestEndpointPauseRecordsWho checks that pausing an endpoint from the
// UI records who did it (an operator as "operator", an administrator by
// username, through the endpoint page or the edit form), that the page
// says so, and that resuming clears it.
func TestEndpointPauseRecordsWho(t *testing.T) {
	t.Parallel()
	n := newTestNode(t)
	n.seedCustomers(t)
	ctx := t.Context()
	e := &herald.Endpoint{CustomerID: "6269", URL: "https://partner.example/hook", EventTypes: []wire.EventType{wire.EventTypeAssessment},
		Auth: herald.Auth{Type: herald.AuthTypeNone}, Enabled: true}
	if err := n.store.EndpointCreate(ctx, e); err != nil {
		t.Fatal(err)
	}
	page := "/ui/customers/6269/endpoints/" + e.ID
	stored := func() *herald.Endpoint {
		t.Helper()
		got, err := n.store.EndpointGet(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	op := n.browser(t)
	op.signInOperator()
	if code, _, body := op.post(page+"/pause", url.Values{}); code != 303 {
		t.Fatalf("operator pause: %d %s", code, body)
	}
	if got := stored(); got.Enabled || got.DisabledBy != herald.DisabledByOperator || got.DisabledAt.IsZero() {
		t.Fatalf("after the operator's pause: enabled %v, by %q, at %v", got.Enabled, got.DisabledBy, got.DisabledAt)
	}
	if _, body := op.get(page); !strings.Contains(body, "Paused by the operator on 20") {
		t.Fatalf("page after the operator's pause does not say who:\n%s", body)
	}

	// An administrator pausing again does not take it over; resuming clears it.
	admin := n.browser(t)
	admin.signIn("admin-6269", "correct-horse-battery")
	admin.get(page)
	if code, _, _ := admin.post(page+"/pause", url.Values{}); code != 303 {
		t.Fatalf("admin pause: %d", code)
	}
	if got := stored(); got.DisabledBy != herald.DisabledByOperator {
		t.Fatalf("a second pause changed who paused it to %q", got.DisabledBy)
	}
	if code, _, _ := admin.post(page+"/resume", url.Values{}); code != 303 {
		t.Fatalf("resume: %d", code)
	}
	if got := stored(); !got.Enabled || got.DisabledBy != "" || !got.DisabledAt.IsZero() {
		t.Fatalf("after resume: enabled %v, by %q, at %v", got.Enabled, got.DisabledBy, got.DisabledAt)
	}

	// The edit form's "enabled" box, unchecked by the administrator.
	admin.get(page + "/edit")
	form := url.Values{"url": {e.URL}, "eventTypes": {string(wire.EventTypeAssessment)}, "authType": {"none"}}
	if code, _, body := admin.post(page, form); code != 303 {
		t.Fatalf("save with enabled unchecked: %d %s", code, body)
	}
	if got := stored(); got.Enabled || got.DisabledBy != "admin-6269" {
		t.Fatalf("after the form: enabled %v, by %q; want admin-6269", got.Enabled, got.DisabledBy)
	}
	if _, body := admin.get(page); !strings.Contains(body, "Paused by admin-6269 on 20") {
		t.Fatalf("page does not say the administrator paused it:\n%s", body)
	}
	if _, body := admin.get("/ui/customers/6269"); !strings.Contains(body, "paused by admin-6269") {
		t.Fatalf("the Event Notifications table does not say who paused it:\n%s", body)
	}
}
