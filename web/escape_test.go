package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// TestSignInNextIsLocal proves the sign-in page cannot send anyone to
// another site (open redirect): a next that is not a path of the UI is
// replaced by the UI's home.
func TestSignInNextIsLocal(t *testing.T) {
	t.Parallel()
	n := newTestNode(t)
	n.seedCustomers(t)
	for _, next := range []string{"https://evil.example/", "//evil.example/ui/", "/ui/\\evil.example", "/\\evil.example", "/ui/x\r\nLocation: https://evil.example", "javascript:alert(1)"} {
		b := n.browser(t)
		code, h, _ := b.post("/ui/login", url.Values{"username": {"admin-6269"}, "password": {"correct-horse-battery"}, "next": {next}})
		if code != http.StatusSeeOther || h.Get("Location") != "/ui/customers/6269" {
			t.Errorf("next %q: %d to %q, want /ui/customers/6269", next, code, h.Get("Location"))
		}
		if code, h, _ := b.do(http.MethodGet, "/ui/login?next="+url.QueryEscape(next), nil); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/ui/") {
			t.Errorf("signed-in GET with next %q: %d to %q", next, code, h.Get("Location"))
		}
	}
	b := n.browser(t)
	if code, h, _ := b.post("/ui/login", url.Values{"username": {"admin-6269"}, "password": {"correct-horse-battery"}, "next": {"/ui/customers/6269/deliveries"}}); code != http.StatusSeeOther || h.Get("Location") != "/ui/customers/6269/deliveries" {
		t.Fatalf("local next: %d to %q", code, h.Get("Location"))
	}
}

// TestPartnerTextIsEscaped proves what a partner sends (its userMessage,
// its body) is shown as text, never run as markup.
func TestPartnerTextIsEscaped(t *testing.T) {
	t.Parallel()
	const attack = `<script>alert("xss")</script><img src=x onerror=alert(1)>`
	partner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":{"userMessage":%q,"debugErrorMessage":%q}}`, attack, attack)
	}))
	t.Cleanup(partner.Close)
	n := newTestNode(t)
	n.seedCustomers(t)
	ep := &herald.Endpoint{CustomerID: "6269", URL: partner.URL + "/hook", EventTypes: []wire.EventType{wire.EventTypeAssessment},
		Auth: herald.Auth{Type: herald.AuthTypeNone}, Enabled: true}
	if err := n.store.EndpointCreate(t.Context(), ep); err != nil {
		t.Fatal(err)
	}
	b := n.browser(t)
	b.signIn("admin-6269", "correct-horse-battery")
	b.get("/ui/customers/6269")
	_, _, body := b.post("/ui/customers/6269/test-events", url.Values{"eventType": {"AssessmentEvent"}})
	res, err := n.store.DeliveryList(t.Context(), &herald.DeliveryListParams{CustomerID: "6269"})
	if err != nil || len(res.Deliveries) != 1 {
		t.Fatalf("deliveries %v %v", res, err)
	}
	_, page := b.get("/ui/customers/6269/deliveries/" + res.Deliveries[0].ID)
	for name, html := range map[string]string{"test event": body, "delivery": page} {
		if strings.Contains(html, "<script>alert") || strings.Contains(html, "<img src=x") {
			t.Errorf("%s page carries the partner's markup unescaped", name)
		}
	}
	if !strings.Contains(page, "&lt;script&gt;") {
		t.Errorf("delivery page does not show the partner's reply as text")
	}
}
