package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/receiver"
	"github.com/heraldhq/herald/wire"
)

// newCheckPartner is a partner built on package receiver that passes every
// check with HMAC ("herald" / checkSecret): a 303 for the link types, 200
// for the others. With verify false it accepts anything, and fails the
// authentication checks.
func newCheckPartner(t testing.TB, verify bool) *httptest.Server {
	t.Helper()
	v := receiver.NoAuth()
	if verify {
		v = receiver.HMAC("herald", []byte(checkSecret))
	}
	srv := httptest.NewServer(receiver.NewHandler(receiver.Config{Verifier: v},
		receiver.HandlerFunc(func(_ context.Context, e *receiver.Event) receiver.Reply {
			if e.Type == wire.EventTypeWorkFlowStatusChange || e.Type == wire.EventTypeJobUnpostToWeb {
				return receiver.OK()
			}
			return receiver.SeeOther("https://partner.example.com/go/" + e.SystemID)
		})))
	t.Cleanup(srv.Close)
	return srv
}

const checkSecret = "check-shared-secret-1234"

func (n *testNode) checkEndpoint(t testing.TB, customerID, partnerURL string) *herald.Endpoint {
	t.Helper()
	e := &herald.Endpoint{CustomerID: customerID, URL: partnerURL + "/events", EventTypes: []wire.EventType{wire.EventTypeAssessment},
		Auth: herald.Auth{Type: herald.AuthTypeHMAC, Username: "herald", Secret: checkSecret}, Gzip: true, Enabled: true}
	if err := n.store.EndpointCreate(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestEndpointCheckPage(t *testing.T) {
	t.Parallel()
	n := newTestNode(t)
	n.seedCustomers(t)
	good := n.checkEndpoint(t, "6269", newCheckPartner(t, true).URL)
	open := n.checkEndpoint(t, "6269", newCheckPartner(t, false).URL)
	other := n.checkEndpoint(t, "2187", newCheckPartner(t, true).URL)

	b := n.browser(t)
	b.signIn("admin-6269", "correct-horse-battery")
	checkPath := "/ui/customers/6269/endpoints/" + good.ID + "/check"
	if _, body := b.get("/ui/customers/6269"); !strings.Contains(body, `href="`+checkPath+`"`) {
		t.Errorf("the Event Notifications page does not link to %s", checkPath)
	}
	code, body := b.get(checkPath)
	if code != http.StatusOK || !strings.Contains(body, "Run the check") || strings.Contains(body, checkSecret) {
		t.Fatalf("GET check page: %d\n%s", code, body)
	}
	// The form is CSRF-protected like every other.
	if code, _, _ := b.post(checkPath, url.Values{"csrf": {"forged"}}); code != http.StatusUnauthorized {
		t.Errorf("POST without the CSRF token: %d, want 401", code)
	}
	code, _, body = b.post(checkPath, url.Values{})
	if code != http.StatusOK || !strings.Contains(body, "Passed") || !strings.Contains(body, `data-check="event-gzip/AssessmentEvent" data-status="pass"`) {
		t.Fatalf("POST check: %d\n%s", code, body)
	}
	if strings.Contains(body, checkSecret) {
		t.Error("the report shows the secret")
	}

	// A partner that checks no signature: the page shows the failures.
	code, _, body = b.post("/ui/customers/6269/endpoints/"+open.ID+"/check", url.Values{})
	if code != http.StatusOK || !strings.Contains(body, "Failed") || !strings.Contains(body, `data-check="auth-missing" data-status="fail"`) {
		t.Fatalf("POST check of the open partner: %d\n%s", code, body)
	}

	// Another customer's endpoint is not found, through either customer.
	for _, path := range []string{"/ui/customers/6269/endpoints/" + other.ID + "/check", "/ui/customers/2187/endpoints/" + other.ID + "/check",
		"/ui/customers/2187/endpoints/" + good.ID + "/check"} {
		if code, _ := b.get(path); code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, code)
		}
		if code, _, _ := b.post(path, url.Values{}); code != http.StatusNotFound {
			t.Errorf("POST %s: %d, want 404", path, code)
		}
	}
}

// TestBrowserEndpointCheck runs a check from the Event Notifications page in
// headless Chromium.
func TestBrowserEndpointCheck(t *testing.T) {
	ctx := newBrowser(t)
	n := newTestNode(t)
	n.seedCustomers(t)
	e := n.checkEndpoint(t, "6269", newCheckPartner(t, true).URL)
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(n.url + "/ui/login"),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "admin-6269"),
		chromedp.SendKeys(chromedp.ID("password"), "correct-horse-battery"),
		chromedp.Submit(chromedp.ID("password")),
		chromedp.WaitVisible(`//h1[text()="Event Notifications"]`),
		chromedp.Click(`//a[@aria-label="Check endpoint ` + e.URL + `"]`),
		chromedp.WaitVisible(`//h1[text()="Check endpoint"]`),
		chromedp.Click(chromedp.ID("run-check")),
		chromedp.WaitVisible(chromedp.ID("report-h")),
		screenshot(t, "endpoint-check"),
	}
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("run the check: %v", err)
	}
	got, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("report-h")))
	if err != nil || !strings.Contains(got, "Passed") {
		t.Errorf("report heading %q (%v), want Passed", got, err)
	}
}
