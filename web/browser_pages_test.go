package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// browserSession is a signed-in headless Chromium on a test node, with
// helpers that fail the test.
type browserSession struct {
	t   *testing.T
	n   *testNode
	c   context.Context
	run func(what string, steps ...chromedp.Action[chromedp.Void])
	txt func(sel string) string
}

func (b *browserSession) ctx() context.Context { return b.c }

func newBrowserSession(t *testing.T, n *testNode, operator bool) *browserSession {
	t.Helper()
	ctx := newBrowser(t)
	b := &browserSession{t: t, n: n, c: ctx}
	b.run = func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	b.txt = func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return v
	}
	b.run("open sign-in", chromedp.Navigate(n.url+"/ui/login"), chromedp.WaitVisible(chromedp.ID("username")))
	if operator {
		b.run("operator sign-in",
			chromedp.SendKeys(chromedp.ID("token"), testAdminToken),
			chromedp.Submit(chromedp.ID("token")),
			chromedp.WaitVisible(`//h1[text()="Customers"]`),
		)
	} else {
		b.run("sign in",
			chromedp.SendKeys(chromedp.ID("username"), "admin-6269"),
			chromedp.SendKeys(chromedp.ID("password"), "correct-horse-battery"),
			chromedp.Submit(chromedp.ID("password")),
			chromedp.WaitVisible(`//h1[text()="Event Notifications"]`),
		)
	}
	return b
}

// TestBrowserEndpointPage walks the endpoint page as a customer's
// administrator: from the Event Notifications table to the page, a test
// event to it alone, the controls with every error at once, secret
// rotation, pause, what it missed and its replay after a confirmation,
// and the delete confirmation.
func TestBrowserEndpointPage(t *testing.T) {
	n := newTestNode(t)
	partner := newPartner(t)
	n.seedCustomers(t)
	ctx := t.Context()
	sw := &herald.Endpoint{CustomerID: "6269", URL: partner.URL + "/hook?a-rather-long-query=" + strings.Repeat("x", 60),
		EventTypes: []wire.EventType{wire.EventTypeAssessment, wire.EventTypeWorkFlowStatusChange}, Enabled: true, Gzip: true,
		Auth: herald.Auth{Type: herald.AuthTypeStandardWebhooks,
			SigningSecrets: []herald.SigningSecret{{Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}}}
	other := &herald.Endpoint{CustomerID: "6269", URL: partner.URL + "/fail", EventTypes: []wire.EventType{wire.EventTypeAssessment},
		Auth: herald.Auth{Type: herald.AuthTypeNone}, Enabled: true, CircuitThreshold: 1, CircuitCooldown: time.Hour}
	for _, e := range []*herald.Endpoint{sw, other} {
		if err := n.store.EndpointCreate(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	b := newBrowserSession(t, n, false)
	page := n.url + "/ui/customers/6269/endpoints/" + sw.ID

	b.run("endpoint page",
		chromedp.Click(`//a[@aria-label="Open endpoint `+sw.URL+`"]`),
		chromedp.WaitVisible(`//h1[text()="Endpoint"]`),
		chromedp.WaitVisible(chromedp.CSS("figure#attempts-day svg")),
	)
	if got := b.txt("main"); !strings.Contains(got, "Standard Webhooks") || strings.Contains(got, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") ||
		!strings.Contains(got, "Check this endpoint") || !strings.Contains(got, "Enabled") {
		t.Errorf("endpoint page: %q", got)
	}

	// A test event goes to this endpoint only: one reply, from it.
	b.run("test event",
		chromedp.SetValue(chromedp.ID("test-type"), "AssessmentEvent"),
		chromedp.Click(chromedp.ID("send-test")),
		chromedp.WaitVisible(`//caption[text()="Partner replies"]`),
	)
	if got := b.txt("section.result tbody"); !strings.Contains(got, "/hook") || strings.Contains(got, "/fail") || !strings.Contains(got, "303") {
		t.Errorf("test result on the endpoint page: %q", got)
	}
	res, err := n.store.DeliveryList(ctx, &herald.DeliveryListParams{CustomerID: "6269"})
	if err != nil || len(res.Deliveries) != 1 || res.Deliveries[0].EndpointID != sw.ID {
		t.Fatalf("deliveries after a test to one endpoint: %+v %v", res, err)
	}
	b.run("charts after the test",
		chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.CSS("figure#attempts-day svg rect.ok")),
		screenshot(t, "endpoint-page"),
	)
	if got := b.txt("figure#attempts-day"); !strings.Contains(got, "1 attempts: 1 delivered") && !strings.Contains(got, "Delivered") {
		t.Errorf("attempts chart: %q", got)
	}

	// Controls: every field's error at once, then saved.
	b.run("controls errors",
		chromedp.SendKeys(chromedp.ID("maxConcurrency"), "999"),
		chromedp.SendKeys(chromedp.ID("circuitCooldown"), "soon"),
		chromedp.Click(chromedp.ID("save-controls")),
		chromedp.WaitVisible(chromedp.ID("mc-err")),
		chromedp.WaitVisible(chromedp.ID("cc-err")),
		screenshot(t, "endpoint-controls-errors"),
		chromedp.SetValue(chromedp.ID("maxConcurrency"), "4"),
		chromedp.SetValue(chromedp.ID("rateLimit"), "2.5"),
		chromedp.SetValue(chromedp.ID("circuitCooldown"), "90"),
		chromedp.Click(chromedp.ID("save-controls")),
		chromedp.WaitVisible(`//p[@id="flash" and text()="Delivery controls saved."]`),
	)
	e, _ := n.store.EndpointGet(ctx, sw.ID)
	if e.MaxConcurrency != 4 || e.RateLimit != 2.5 || e.CircuitCooldown != 90*time.Second || e.CircuitThreshold != 0 {
		t.Errorf("controls stored: %d %v %v %d", e.MaxConcurrency, e.RateLimit, e.CircuitCooldown, e.CircuitThreshold)
	}

	// Rotation: the new secret once, the old one listed with its overlap.
	b.run("rotate", chromedp.Click(chromedp.ID("rotate")), chromedp.WaitVisible(chromedp.ID("new-secret")), screenshot(t, "endpoint-rotated"))
	secret := b.txt("#new-secret")
	e, _ = n.store.EndpointGet(ctx, sw.ID)
	if !strings.HasPrefix(secret, "whsec_") || len(e.Auth.SigningSecrets) != 2 || string(e.Auth.SigningSecrets[0].Secret) != secret ||
		e.Auth.SigningSecrets[1].ExpiresAt.IsZero() {
		t.Errorf("rotation: shown %q, stored %d secrets", secret, len(e.Auth.SigningSecrets))
	}
	if got := b.txt("main"); !strings.Contains(got, "until ") || !strings.Contains(got, "current") {
		t.Errorf("signing secrets after rotation: %q", got)
	}
	b.run("secret shown once", chromedp.Navigate(page), chromedp.WaitVisible(`//h1[text()="Endpoint"]`))
	if got := b.txt("main"); strings.Contains(got, secret) {
		t.Error("the new secret is shown again")
	}

	// Pause; an event published meanwhile is missed; resume and replay it.
	b.run("pause", chromedp.Click(chromedp.ID("pause")), chromedp.WaitVisible(chromedp.ID("resume")))
	if got := b.txt("#flash"); !strings.Contains(got, "paused") {
		t.Errorf("flash after pause: %q", got)
	}
	b.run("paused", screenshot(t, "endpoint-paused"))
	if got := b.txt("#disabled-by"); !strings.HasPrefix(got, "Paused by admin-6269 on 20") || !strings.HasSuffix(got, "UTC.") {
		t.Errorf("state after pause: %q", got)
	}
	b.run("send while paused",
		chromedp.Navigate(n.url+"/ui/customers/6269"),
		chromedp.SetValue(chromedp.ID("test-type"), "AssessmentEvent"),
		chromedp.Click(`//button[text()="Send test event"]`),
		chromedp.WaitVisible(`//caption[text()="Partner replies"]`),
		chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.ID("missed-count")),
	)
	if got := b.txt("#missed-count"); !strings.HasPrefix(got, "1 delivery") {
		t.Errorf("missed: %q", got)
	}
	b.run("resume and replay",
		chromedp.Click(chromedp.ID("resume")),
		chromedp.WaitVisible(chromedp.ID("pause")),
		chromedp.Click(chromedp.ID("replay-missed")),
		chromedp.WaitVisible(chromedp.ID("confirm-submit")),
		screenshot(t, "confirm-replay-missed"),
	)
	if got := b.txt("main"); !strings.Contains(got, "This sends 1 delivery again") {
		t.Errorf("replay confirmation: %q", got)
	}
	b.run("replay",
		chromedp.Click(chromedp.ID("confirm-submit")),
		chromedp.WaitVisible(`//span[@data-field="state" and text()="completed"]`),
	)
	if e, err := n.store.EndpointGet(ctx, sw.ID); err != nil || !e.Enabled || e.DisabledBy != "" {
		t.Errorf("after resume: %+v %v, want enabled and disabled by nobody", e, err)
	}

	// Herald's own disable says so, with the monitor's reason.
	reason := "no successful delivery for 120h0m0s (failing since 2026-11-26T10:02:00Z); last error: connection refused"
	if err := n.store.EndpointDisable(ctx, other.ID, reason, time.Date(2026, 12, 1, 10, 2, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	b.run("disabled by the monitor",
		chromedp.Navigate(n.url+"/ui/customers/6269/endpoints/"+other.ID),
		chromedp.WaitVisible(chromedp.ID("resume")),
		screenshot(t, "endpoint-disabled-by-monitor"),
	)
	if got := b.txt("#disabled-by"); got != "Disabled by the health monitor on 2026-12-01 10:02:00 UTC: "+reason+"." {
		t.Errorf("state of an endpoint the monitor disabled: %q", got)
	}

	// Delete asks first.
	b.run("delete",
		chromedp.Navigate(page),
		chromedp.Click(`//a[text()="Delete endpoint…"]`),
		chromedp.WaitVisible(chromedp.ID("confirm-submit")),
		screenshot(t, "confirm-delete-endpoint"),
	)
	if _, err := n.store.EndpointGet(ctx, sw.ID); err != nil {
		t.Fatal("the endpoint is gone before the confirmation")
	}
	b.run("delete", chromedp.Click(chromedp.ID("confirm-submit")), chromedp.WaitVisible(`//p[@id="flash" and text()="Endpoint deleted."]`))
	if _, err := n.store.EndpointGet(ctx, sw.ID); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Errorf("after delete: %v", err)
	}
}

// TestBrowserOperatorPages walks the pages an operator adds to: the
// overview with its charts, the event catalogue, the explorer's search,
// and renaming and deleting a customer.
func TestBrowserOperatorPages(t *testing.T) {
	n := newTestNode(t)
	partner := newPartner(t)
	n.seedCustomers(t)
	ctx := t.Context()
	e := &herald.Endpoint{CustomerID: "6269", URL: partner.URL + "/reject", EventTypes: []wire.EventType{wire.EventTypeAssessment},
		Auth: herald.Auth{Type: herald.AuthTypeNone}, Enabled: true}
	if err := n.store.EndpointCreate(ctx, e); err != nil {
		t.Fatal(err)
	}
	b := newBrowserSession(t, n, true)

	// A rejected test event, to search for and to chart.
	b.run("test event",
		chromedp.Navigate(n.url+"/ui/customers/6269"),
		chromedp.SetValue(chromedp.ID("test-type"), "AssessmentEvent"),
		chromedp.Click(`//button[text()="Send test event"]`),
		chromedp.WaitVisible(`//caption[text()="Partner replies"]`),
		screenshot(t, "test-event-result"),
	)
	if got := b.txt("section.result tbody"); !strings.Contains(got, "/reject") || !strings.Contains(got, "rejected") {
		t.Errorf("test result: %q", got)
	}
	res, err := n.store.DeliveryList(ctx, &herald.DeliveryListParams{CustomerID: "6269"})
	if err != nil || len(res.Deliveries) != 1 {
		t.Fatalf("deliveries: %v %v", res, err)
	}
	dl := res.Deliveries[0]
	b.run("search by event id",
		chromedp.Click(`//section[contains(@class,"result")]//p/a`),
		chromedp.WaitVisible(`//caption[starts-with(text(),"Deliveries")]`),
		screenshot(t, "deliveries-search"),
	)
	if v, err := chromedp.Run(b.ctx(), chromedp.Value(chromedp.ID("f-event"))); err != nil || v != dl.EventID {
		t.Errorf("event id field %q (%v), want %s kept from the URL", v, err, dl.EventID)
	}
	if got := b.txt("table tbody"); !strings.Contains(got, "/reject") || !strings.Contains(got, "Please provide a valid") {
		t.Errorf("explorer row lacks the endpoint or the partner's message: %q", got)
	}
	b.run("search by person, nothing",
		chromedp.Navigate(n.url+"/ui/customers/6269/deliveries?person=no-such-person"),
		chromedp.WaitVisible(`//p[text()="No deliveries match."]`),
	)

	// Acme's queue over the last hours, sampled as the node's sampler
	// does once a minute.
	n.publishPending(t, "2187", partner.URL, 3)
	for _, ago := range []time.Duration{3 * time.Hour, 2 * time.Hour, time.Hour} {
		if _, err := n.store.QueueDepthSample(ctx, time.Now().Add(-ago)); err != nil {
			t.Fatal(err)
		}
	}
	b.run("overview",
		chromedp.Click(`//nav//a[text()="Overview"]`),
		chromedp.WaitVisible(chromedp.CSS("figure#per-minute svg")),
		chromedp.WaitVisible(chromedp.CSS("figure#queue-depth svg rect.q0")),
		screenshot(t, "operator-overview"),
	)
	if got := b.txt("#queue"); !strings.Contains(got, "Demo Talent Co") {
		t.Errorf("queue chart: %q", got)
	}
	if got := b.txt("#queue-depth"); !strings.Contains(got, "Acme (2187)") {
		t.Errorf("queue depth chart's legend: %q", got)
	}
	b.run("queue depth as a table",
		chromedp.Click(`//figure[@id="queue-depth"]//summary`),
		chromedp.WaitVisible(`//figure[@id="queue-depth"]//table`),
		screenshot(t, "operator-queue-depth-table"),
	)
	if got := b.txt("#queue-depth table"); strings.Count(got, "3") < 3 {
		t.Errorf("queue depth table lacks the three samples of 3: %q", got)
	}
	desc, err := chromedp.Run(b.ctx(), chromedp.Evaluate[string](`document.getElementById("queue-depth-d").textContent`))
	if err != nil || !strings.Contains(desc, "1 customer had some") || !strings.Contains(desc, "The highest stack is 3") {
		t.Errorf("queue depth chart's text alternative: %q %v", desc, err)
	}
	if cur, err := chromedp.Run(b.ctx(), chromedp.AttributeValue(`//nav//a[text()="Overview"]`, "aria-current")); err != nil || cur.Value != "page" {
		t.Errorf("aria-current of the overview link: %q %v", cur.Value, err)
	}

	b.run("event catalogue",
		chromedp.Click(`//nav//a[text()="Event types"]`),
		chromedp.WaitVisible(`//h1[text()="Event types"]`),
		screenshot(t, "event-types"),
	)
	if got := b.txt("#type-AssessmentEvent"); !strings.Contains(got, "Demo Talent Co") || !strings.Contains(got, "/reject") || !strings.Contains(got, "Yes: a person waits") {
		t.Errorf("catalogue entry: %q", got)
	}

	b.run("rename",
		chromedp.Click(`//nav//a[text()="Customers"]`),
		chromedp.WaitVisible(chromedp.ID("rename-2187")),
		chromedp.SetValue(chromedp.ID("rename-2187"), "Acme Talent"),
		chromedp.Click(`//button[@aria-label="Rename Acme"]`),
		chromedp.WaitVisible(`//p[@id="flash" and text()="Customer renamed."]`),
		screenshot(t, "customers"),
	)
	if c, _ := n.store.CustomerGet(ctx, "2187"); c.Name != "Acme Talent" {
		t.Errorf("renamed to %q", c.Name)
	}
	b.run("delete asks for the id",
		chromedp.Click(`//a[@aria-label="Delete Acme Talent…"]`),
		chromedp.WaitVisible(chromedp.ID("confirm-type")),
		screenshot(t, "confirm-delete-customer"),
		chromedp.SendKeys(chromedp.ID("confirm-type"), "wrong"),
		chromedp.Click(chromedp.ID("confirm-submit")),
		chromedp.WaitVisible(chromedp.ID("confirm-err")),
	)
	if _, err := n.store.CustomerGet(ctx, "2187"); err != nil {
		t.Fatal("deleted without the right id")
	}
	b.run("delete",
		chromedp.SetValue(chromedp.ID("confirm-type"), "2187"),
		chromedp.Click(chromedp.ID("confirm-submit")),
		chromedp.WaitVisible(`//p[@id="flash" and text()="Customer deleted, with everything it had."]`),
	)
	if _, err := n.store.CustomerGet(ctx, "2187"); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Errorf("after delete: %v", err)
	}
	b.run("sign out",
		chromedp.Click(`//button[text()="Sign out"]`),
		chromedp.WaitVisible(`//p[@id="flash" and text()="You are signed out."]`),
	)
}

// TestBrowserJobDescription writes a job's description in the job page's
// form (an error first, shown at its field), and reads it as a candidate
// on the portal: an excerpt on the list, paragraphs on the job's page.
func TestBrowserJobDescription(t *testing.T) {
	n := newTestNode(t)
	f := n.seedPortal(t, "http://127.0.0.1:1", false)
	b := newBrowserSession(t, n, true)
	page := n.url + "/ui/customers/6269/jobs/" + f.job.ID
	b.run("job page",
		chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.ID("jobdescription")),
		chromedp.SetValue(chromedp.ID("jobdescription"), strings.Repeat("x", herald.MaxJobDescriptionBytes+1)),
		chromedp.Click(chromedp.ID("job-save")),
		chromedp.WaitVisible(chromedp.ID("jobdescription-err")),
		screenshot(t, "job-form-error"),
	)
	if inv, err := chromedp.Run(b.ctx(), chromedp.AttributeValue(chromedp.ID("jobdescription"), "aria-invalid")); err != nil || inv.Value != "true" {
		t.Errorf("description field's aria-invalid: %q %v", inv.Value, err)
	}
	b.run("save",
		chromedp.Evaluate[chromedp.Void](`document.getElementById("jobdescription").value = ""`),
		chromedp.SendKeys(chromedp.ID("jobdescription"), "Lead a team of five.\n\nNights: <b>22:00</b> & weekends.\nForklift licence a plus."),
		chromedp.Click(chromedp.ID("job-save")),
		chromedp.WaitVisible(chromedp.ID("edit-h")),
		screenshot(t, "job-saved"),
	)
	if j, err := n.store.JobGet(b.ctx(), "6269", f.job.ID); err != nil ||
		j.JobDescription != "Lead a team of five.\n\nNights: <b>22:00</b> & weekends.\nForklift licence a plus." {
		t.Fatalf("stored description: %q %v", j.JobDescription, err)
	}
	b.run("portal list",
		chromedp.Navigate(n.url+"/portal/6269/jobs"),
		chromedp.WaitVisible(chromedp.CSS("p.job-excerpt")),
		screenshot(t, "portal-jobs-description"),
	)
	if got := b.txt("p.job-excerpt"); got != "Lead a team of five. Nights: <b>22:00</b> & weekends. Forklift licence a plus." {
		t.Errorf("excerpt: %q", got)
	}
	b.run("portal job",
		chromedp.Navigate(f.job.PortalURL),
		chromedp.WaitVisible(chromedp.ID("desc-h")),
		screenshot(t, "portal-job-description"),
	)
	n2, err := chromedp.Run(b.ctx(), chromedp.Evaluate[int](`document.querySelectorAll(".job-description p").length`))
	if err != nil || n2 != 2 {
		t.Errorf("%d paragraphs (%v), want 2", n2, err)
	}
	bold, err := chromedp.Run(b.ctx(), chromedp.Evaluate[int](`document.querySelectorAll(".job-description b").length`))
	if err != nil || bold != 0 {
		t.Errorf("the description became markup: %d <b> elements (%v)", bold, err)
	}
}
