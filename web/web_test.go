package web_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// newPartner is an assessment partner: it answers every event at /hook
// 303 to its own page, which links back to the event's returnUrl; /reject
// answers 400 with a message and /fail 503.
func newPartner(t testing.TB) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	mux := http.NewServeMux()
	mux.HandleFunc("POST /hook", func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(r)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		b, err := wire.ParseBody(body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.Header().Set("Location", srv.URL+"/assess?return="+url.QueryEscape(b.ReturnURL))
		w.WriteHeader(http.StatusSeeOther)
	})
	mux.HandleFunc("POST /reject", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error":{"userMessage":"Please provide a valid {{person.usssn}} before requesting Background Check.","debugErrorMessage":"US SSN missing"}}`)
	})
	mux.HandleFunc("POST /fail", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "partner down for maintenance", http.StatusServiceUnavailable)
	})
	mux.HandleFunc("GET /assess", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="en"><title>Partner assessment</title><h1>Partner assessment</h1><p><a id="done" href="%s">I'm done</a></p></html>`,
			strings.ReplaceAll(r.URL.Query().Get("return"), `"`, "&quot;"))
	})
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if r.Header.Get("Content-Encoding") == "gzip" {
		return wire.Gunzip(b, 1<<20)
	}
	return b, nil
}

func TestSignIn(t *testing.T) {
	t.Parallel()
	n := newTestNode(t)
	n.seedCustomers(t)

	b := n.browser(t)
	if code, _, _ := b.do(http.MethodGet, "/ui/customers/6269", nil); code != http.StatusSeeOther {
		t.Fatalf("signed out: status %d, want a redirect to sign in", code)
	}
	if code, _, body := b.post("/ui/login", url.Values{"username": {"admin-6269"}, "password": {"wrong-password-123"}}); code != http.StatusUnauthorized || !strings.Contains(body, "not right") {
		t.Fatalf("wrong password: %d", code)
	}
	if code, _, _ := b.post("/ui/login/operator", url.Values{"token": {"nope"}}); code != http.StatusUnauthorized {
		t.Fatalf("wrong token: %d", code)
	}
	code, h, _ := b.post("/ui/login", url.Values{"username": {"admin-6269"}, "password": {"correct-horse-battery"}})
	if code != http.StatusSeeOther || h.Get("Location") != "/ui/customers/6269" {
		t.Fatalf("sign-in: %d to %q", code, h.Get("Location"))
	}
	cookie := h.Get("Set-Cookie")
	for _, want := range []string{"HttpOnly", "SameSite=Lax", "Path=/ui/"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("cookie %q lacks %s", cookie, want)
		}
	}
	if code, body := b.get("/ui/customers/6269"); code != 200 || !strings.Contains(body, "Event Notifications") {
		t.Fatalf("notifications page: %d", code)
	}
	// Sign out ends the session server-side.
	if code, _, _ := b.post("/ui/logout", url.Values{}); code != http.StatusSeeOther {
		t.Fatalf("sign out: %d", code)
	}
	if code, _, _ := b.do(http.MethodGet, "/ui/customers/6269", nil); code != http.StatusSeeOther {
		t.Fatalf("after sign-out: %d, want redirect", code)
	}
}

// TestCustomerIsolation proves a customer's administrator sees only that
// customer: every page of another customer, and every record of another
// customer reached by id under their own customer, is "not found".
func TestCustomerIsolation(t *testing.T) {
	t.Parallel()
	n := newTestNode(t)
	n.seedCustomers(t)
	ctx := t.Context()
	other := &herald.Endpoint{CustomerID: "2187", URL: "https://partner.example/hook", EventTypes: []wire.EventType{wire.EventTypeAssessment},
		Auth: herald.Auth{Type: herald.AuthTypeNone}, Enabled: true}
	if err := n.store.EndpointCreate(ctx, other); err != nil {
		t.Fatal(err)
	}
	op := n.browser(t)
	op.signInOperator()
	if code, _, body := op.post("/ui/customers/2187/test-events", url.Values{"eventType": {"AssessmentEvent"}}); code != 200 {
		t.Fatalf("operator test event: %d %s", code, body)
	}
	res, err := n.store.DeliveryList(ctx, &herald.DeliveryListParams{CustomerID: "2187"})
	if err != nil || len(res.Deliveries) != 1 {
		t.Fatalf("deliveries of 2187: %v %v", res, err)
	}
	dlv := res.Deliveries[0]

	b := n.browser(t)
	b.signIn("admin-6269", "correct-horse-battery")
	b.get("/ui/customers/6269")
	for _, path := range []string{
		"/ui/customers", "/ui/customers/2187", "/ui/customers/2187/deliveries", "/ui/customers/2187/endpoints/" + other.ID,
		"/ui/customers/6269/endpoints/" + other.ID, "/ui/customers/6269/deliveries/" + dlv.ID,
		"/ui/customers/2187/deliveries/" + dlv.ID, "/ui/customers/6269/users",
		"/ui/customers/6269/endpoints/" + other.ID + "/edit", "/ui/customers/6269/endpoints/" + other.ID + "/delete",
		"/ui/customers/6269/endpoints/" + other.ID + "/replay-missed", "/ui/customers/2187/endpoints/" + other.ID + "/edit",
	} {
		if code, body := b.get(path); code != http.StatusNotFound || strings.Contains(body, "partner.example") {
			t.Errorf("GET %s: %d, want 404 without the other customer's data", path, code)
		}
	}
	for _, path := range []string{
		"/ui/customers/2187/endpoints", "/ui/customers/6269/endpoints/" + other.ID, "/ui/customers/6269/endpoints/" + other.ID + "/delete",
		"/ui/customers/2187/test-events", "/ui/customers/6269/deliveries/" + dlv.ID + "/retry", "/ui/customers",
		"/ui/customers/6269/endpoints/" + other.ID + "/pause", "/ui/customers/6269/endpoints/" + other.ID + "/resume",
		"/ui/customers/6269/endpoints/" + other.ID + "/controls", "/ui/customers/6269/endpoints/" + other.ID + "/rotate-secret",
		"/ui/customers/6269/endpoints/" + other.ID + "/test-events", "/ui/customers/6269/endpoints/" + other.ID + "/replay-missed",
	} {
		if code, _, _ := b.post(path, url.Values{"url": {"https://evil.example/"}, "eventType": {"AssessmentEvent"}, "id": {"x"}, "name": {"x"}}); code != http.StatusNotFound {
			t.Errorf("POST %s: %d, want 404", path, code)
		}
	}
	if e, err := n.store.EndpointGet(ctx, other.ID); err != nil || e.URL != other.URL || !e.Enabled {
		t.Fatalf("the other customer's endpoint changed: %+v %v", e, err)
	}
	// The operator sees both.
	for _, path := range []string{"/ui/customers/2187", "/ui/customers/6269", "/ui/customers/2187/deliveries/" + dlv.ID} {
		if code, _ := op.get(path); code != 200 {
			t.Errorf("operator GET %s: %d", path, code)
		}
	}
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	n := newTestNode(t)
	n.seedCustomers(t)
	b := n.browser(t)
	b.signIn("admin-6269", "correct-horse-battery")
	b.get("/ui/customers/6269")
	form := url.Values{"url": {"https://partner.example/hook"}, "eventTypes": {"AssessmentEvent"}, "authType": {"none"}, "enabled": {"on"}}

	// No per-session token.
	f := url.Values{"csrf": {"forged"}}
	for k, v := range form {
		f[k] = v
	}
	if code, _, _ := b.post("/ui/customers/6269/endpoints", f); code != http.StatusUnauthorized {
		t.Errorf("forged token: %d, want 401", code)
	}
	// A cross-site form post, even with the token.
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, n.url+"/ui/customers/6269/endpoints", strings.NewReader(form.Encode()+"&csrf="+url.QueryEscape(b.csrf)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site post: %d, want 403", resp.StatusCode)
	}
	eps, _ := n.store.EndpointList(t.Context(), "6269")
	if len(eps) != 0 {
		t.Fatalf("an endpoint was created: %+v", eps)
	}
}

func TestEndpointForm(t *testing.T) {
	t.Parallel()
	n := newTestNode(t)
	n.seedCustomers(t)
	partner := newPartner(t)
	b := n.browser(t)
	b.signIn("admin-6269", "correct-horse-battery")
	b.get("/ui/customers/6269/endpoints/new")

	// Errors are shown beside their field, with the values kept.
	code, _, body := b.post("/ui/customers/6269/endpoints", url.Values{"url": {"ftp://x"}, "authType": {"hmac"}, "username": {"acme"}})
	if code != http.StatusBadRequest || !strings.Contains(body, `id="url-err"`) || !strings.Contains(body, `value="ftp://x"`) {
		t.Fatalf("bad url: %d\n%s", code, body)
	}
	code, _, body = b.post("/ui/customers/6269/endpoints", url.Values{"url": {partner.URL + "/hook"}, "authType": {"hmac"}, "username": {"acme"}})
	if code != http.StatusBadRequest || !strings.Contains(body, `id="types-err"`) {
		t.Fatalf("no types: %d", code)
	}
	code, _, body = b.post("/ui/customers/6269/endpoints", url.Values{"url": {partner.URL + "/hook"}, "eventTypes": {"AssessmentEvent"}, "authType": {"hmac"}, "username": {"acme"}})
	if code != http.StatusBadRequest || !strings.Contains(body, `id="auth-err"`) {
		t.Fatalf("no secret: %d", code)
	}
	code, h, _ := b.post("/ui/customers/6269/endpoints", url.Values{"url": {partner.URL + "/hook"}, "eventTypes": {"AssessmentEvent", "WorkFlowStatusChangeEvent"},
		"authType": {"hmac"}, "username": {"acme"}, "secret": {"s3cret-shared-key-123"}, "gzip": {"on"}, "traceContext": {"on"}, "enabled": {"on"}})
	if code != http.StatusSeeOther {
		t.Fatalf("create: %d", code)
	}
	eps, _ := n.store.EndpointList(t.Context(), "6269")
	if len(eps) != 1 || eps[0].Auth.Secret != "s3cret-shared-key-123" || !eps[0].Gzip || !eps[0].TraceContext {
		t.Fatalf("endpoints %+v (%s)", eps, h.Get("Location"))
	}
	// The secret is never shown back in full; an empty field keeps it.
	for _, page := range []string{"", "/edit"} {
		_, body = b.get("/ui/customers/6269/endpoints/" + eps[0].ID + page)
		if strings.Contains(body, "s3cret-shared-key-123") || !strings.Contains(body, "********-123") {
			t.Fatalf("endpoint page %q shows the secret, or no hint", page)
		}
	}
	if code, _, _ := b.post("/ui/customers/6269/endpoints/"+eps[0].ID, url.Values{"url": {partner.URL + "/hook"}, "eventTypes": {"AssessmentEvent"},
		"authType": {"hmac"}, "username": {"acme2"}, "enabled": {"on"}}); code != http.StatusSeeOther {
		t.Fatalf("update: %d", code)
	}
	e, _ := n.store.EndpointGet(t.Context(), eps[0].ID)
	if e.Auth.Secret != "s3cret-shared-key-123" || e.Auth.Username != "acme2" || e.Gzip || e.TraceContext || len(e.EventTypes) != 1 {
		t.Fatalf("after update %+v", e)
	}

	// A test event: the partner's 303 Location is shown, and the delivery
	// is in the explorer with its attempt.
	code, _, body = b.post("/ui/customers/6269/test-events", url.Values{"eventType": {"AssessmentEvent"}})
	if code != 200 || !strings.Contains(body, partner.URL+"/assess?return=") || !strings.Contains(body, ">303<") {
		t.Fatalf("test event: %d\n%s", code, body)
	}
	res, _ := n.store.DeliveryList(t.Context(), &herald.DeliveryListParams{CustomerID: "6269"})
	if len(res.Deliveries) != 1 || res.Deliveries[0].State != herald.DeliveryStateDelivered {
		t.Fatalf("deliveries %+v", res.Deliveries)
	}
	_, body = b.get("/ui/customers/6269/deliveries?type=AssessmentEvent&state=delivered")
	if !strings.Contains(body, res.Deliveries[0].ID) {
		t.Fatal("explorer does not list the delivery")
	}
	_, body = b.get("/ui/customers/6269/deliveries/" + res.Deliveries[0].ID)
	for _, want := range []string{"HTTP 303", "x-icims-v1-hmac-sha256", `&#34;eventType&#34;: &#34;AssessmentEvent&#34;`} {
		if !strings.Contains(body, want) {
			t.Errorf("delivery page lacks %q", want)
		}
	}
	if strings.Contains(body, "s3cret-shared-key-123") {
		t.Error("delivery page shows the secret")
	}
	if code, h, _ := b.post("/ui/customers/6269/deliveries/"+res.Deliveries[0].ID+"/retry", url.Values{}); code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "retried=1") {
		t.Fatalf("retry: %d", code)
	}
	if code, _ := b.get("/ui/customers/6269/deliveries?since=bad"); code != http.StatusBadRequest {
		t.Errorf("bad time filter: %d", code)
	}
}
