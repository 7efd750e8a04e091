package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/web"
	"github.com/heraldhq/herald/wire"
)

// chromiumPath is where Debian's chromium package puts the browser; CI
// installs it (.ci/run).
const chromiumPath = "/usr/bin/chromium"

// screenshotDir receives the screenshots of the main pages, for review
// (gitignored).
const screenshotDir = "../artifacts/screenshots"

// newBrowser starts a headless Chromium with a fresh profile, or skips the
// test when there is none (and fails under CI, where there must be one).
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium is required in CI: %v", err)
		}
		t.Skipf("no %s (apt-get install chromium): skipping the browser test", chromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox, // root in CI containers
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first call starts the browser, which lives as long as that
	// call's context: no timeout on it (chromedp.Run). Later calls get one.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	tctx, cancelTimeout := context.WithTimeout(ctx, 5*time.Minute)
	t.Cleanup(cancelTimeout)
	return tctx
}

// screenshot saves a full-page PNG of the current page as name.png, and
// checks the page with axe-core (axe_test.go).
func screenshot(t *testing.T, name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		buf, err := chromedp.FullScreenshot(100)(ctx, tg) // 100: PNG
		if err != nil {
			return err
		}
		if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
			return err
		}
		t.Logf("screenshot %s", name)
		if err := os.WriteFile(filepath.Join(screenshotDir, name+".png"), buf, 0o644); err != nil {
			return err
		}
		if name == "partner" { // the fake partner's page, not Herald's
			return nil
		}
		return checkAxe(ctx, tg, t, name)
	})
}

// TestBrowser drives the UI in headless Chromium: sign in, create an
// endpoint through the form, send a test event and find it in the
// explorer, then walk the candidate flow to a local partner and back, and
// the new hire's, from the signed onboarding link.
func TestBrowser(t *testing.T) {
	ctx := newBrowser(t)
	n := newTestNode(t)
	partner := newPartner(t)
	f := n.seedPortal(t, partner.URL, false)

	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return v
	}
	run("sign in",
		chromedp.Navigate(n.url+"/ui/login"),
		chromedp.WaitVisible(chromedp.ID("username")),
		// The first Tab reaches the skip link: focus order starts at the top.
		chromedp.KeyEvent("\t"),
	)
	focused, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.className`))
	if err != nil || focused != "skip" {
		t.Errorf("first Tab focuses %q (%v), want the skip link", focused, err)
	}
	run("sign in",
		screenshot(t, "login"),
		chromedp.SendKeys(chromedp.ID("username"), "admin-6269"),
		chromedp.SendKeys(chromedp.ID("password"), "correct-horse-battery"),
		chromedp.Submit(chromedp.ID("password")),
		chromedp.WaitVisible(`//h1[text()="Event Notifications"]`),
	)

	run("endpoint form errors",
		chromedp.Click(`//a[text()="Add endpoint"]`),
		chromedp.WaitVisible(chromedp.ID("url")),
		chromedp.SetValue(chromedp.ID("authType"), "none"),
		chromedp.Click(`//button[text()="Save endpoint"]`),
		chromedp.WaitVisible(chromedp.ID("url-err")),
		screenshot(t, "endpoint-form-errors"),
	)
	run("create endpoint",
		chromedp.SendKeys(chromedp.ID("url"), partner.URL+"/hook"),
		chromedp.Click(chromedp.ID("type-AssessmentEvent")),
		chromedp.SetValue(chromedp.ID("authType"), "hmac"),
		chromedp.SendKeys(chromedp.ID("username"), "acme"),
		chromedp.SendKeys(chromedp.ID("secret"), "s3cret-shared-key-123"),
		chromedp.Click(`//button[text()="Save endpoint"]`),
		chromedp.WaitVisible(`//p[@id="flash" and text()="Endpoint added."]`),
		chromedp.Click(`//nav//a[text()="Event Notifications"]`),
		chromedp.WaitVisible(chromedp.CSS("table.endpoints")),
	)
	run("send test event",
		chromedp.SetValue(chromedp.ID("test-type"), "AssessmentEvent"),
		chromedp.Click(`//button[text()="Send test event"]`),
		chromedp.WaitVisible(`//caption[text()="Partner replies"]`),
		screenshot(t, "notifications"),
	)
	if got := text("section.result"); !strings.Contains(got, "303") || !strings.Contains(got, partner.URL+"/assess") {
		t.Errorf("test event result %q lacks the partner's 303 and Location", got)
	}
	run("explorer",
		chromedp.Click(`//nav//a[text()="Deliveries"]`),
		chromedp.WaitVisible(`//caption[starts-with(text(),"Deliveries")]`),
		screenshot(t, "deliveries"),
		chromedp.Click(`//td[@data-label="Delivery"]/a`),
		chromedp.WaitVisible(`//h2[starts-with(text(),"Attempts")]`),
		screenshot(t, "delivery"),
	)
	if got := text("main"); !strings.Contains(got, "HTTP 303") || !strings.Contains(got, "AssessmentEvent") {
		t.Errorf("delivery page lacks the attempt: %q", got)
	}

	// Bulk replay from the explorer: the button replays what the filter
	// matches, and the job page follows the job to its end.
	run("bulk replay",
		chromedp.Navigate(n.url+"/ui/customers/6269/deliveries?state=delivered"),
		chromedp.WaitVisible(chromedp.ID("replay-submit")),
		screenshot(t, "deliveries-replay"),
		chromedp.Click(chromedp.ID("replay-submit")),
		chromedp.WaitVisible(chromedp.ID("confirm-submit")),
		screenshot(t, "confirm-replay"),
		chromedp.Click(chromedp.ID("confirm-submit")),
		chromedp.WaitVisible(`//h1[starts-with(text(),"Replay")]`),
		chromedp.WaitVisible(`//span[@data-field="state" and text()="completed"]`),
		screenshot(t, "replay-job"),
	)
	if got := text("main"); !strings.Contains(got, "1 of 1 done") {
		t.Errorf("replay job page: %q", got)
	}
	// A job the runner has not seen yet (nobody woke it; it polls every
	// 2s): the page starts pending, and its script polls the progress
	// route and reloads the page once the job completes.
	j := &herald.ReplayJob{CustomerID: "6269", Filter: herald.DeliveryFilter{CustomerID: "6269"}}
	if err := n.store.ReplayJobCreate(t.Context(), j, time.Now()); err != nil {
		t.Fatal(err)
	}
	run("replay progress",
		chromedp.Navigate(n.url+"/ui/customers/6269/replays/"+j.ID),
		chromedp.WaitVisible(`//h1[starts-with(text(),"Replay")]`),
	)
	if got := text(`[data-field="state"]`); got == "completed" {
		t.Log("the runner finished the job before the page loaded; the script's polling went unobserved")
	}
	run("replay progress",
		chromedp.WaitVisible(`//span[@data-field="state" and text()="completed"]`),
		chromedp.Click(`//nav//a[text()="Replays"]`),
		chromedp.WaitVisible(`//caption[starts-with(text(),"Replay jobs")]`),
		screenshot(t, "replays"),
	)

	// Health: an endpoint that fails opens its circuit (after one failure
	// here) and shows its last error and failing streak.
	failing := &herald.Endpoint{CustomerID: "6269", URL: partner.URL + "/fail", EventTypes: []wire.EventType{wire.EventTypeAssessment},
		Auth: herald.Auth{Type: herald.AuthTypeNone}, Enabled: true, CircuitThreshold: 1, CircuitCooldown: time.Hour}
	gone := &herald.Endpoint{CustomerID: "6269", URL: partner.URL + "/gone", EventTypes: []wire.EventType{wire.EventTypeAssessment},
		Auth: herald.Auth{Type: herald.AuthTypeNone}, Enabled: false, DisabledReason: "the partner answered 410 Gone"}
	for _, e := range []*herald.Endpoint{failing, gone} {
		if err := n.store.EndpointCreate(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
	run("health",
		chromedp.Navigate(n.url+"/ui/customers/6269"),
		chromedp.SetValue(chromedp.ID("test-type"), "AssessmentEvent"),
		chromedp.Click(`//button[text()="Send test event"]`),
		chromedp.WaitVisible(`//caption[text()="Partner replies"]`),
		chromedp.Navigate(n.url+"/ui/customers/6269"),
		chromedp.WaitVisible(chromedp.CSS("table.endpoints")),
		screenshot(t, "notifications-health"),
	)
	if got := text("table.endpoints"); !strings.Contains(got, "Open") || !strings.Contains(got, "503 Service Unavailable") ||
		!strings.Contains(got, "Failing for") || !strings.Contains(got, "410 Gone") || !strings.Contains(got, "100%") {
		t.Errorf("endpoint health: %q", got)
	}

	run("phone",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Navigate(n.url+"/ui/customers/6269"),
		chromedp.WaitVisible(chromedp.CSS("table.endpoints")),
		screenshot(t, "notifications-phone"),
		chromedp.EmulateViewport(1280, 900),
	)

	// The candidate: apply on the portal, go to the partner, come back.
	run("portal jobs",
		chromedp.Navigate(n.url+"/portal/6269/jobs"),
		chromedp.WaitVisible(`//h1[text()="Open positions"]`),
		screenshot(t, "portal-jobs"),
	)
	run("candidate",
		chromedp.Navigate(f.job.PortalURL),
		chromedp.WaitVisible(chromedp.ID("firstname")),
		screenshot(t, "portal-job"),
		chromedp.SendKeys(chromedp.ID("firstname"), "Carl"),
		chromedp.SendKeys(chromedp.ID("lastname"), "Candidate"),
		chromedp.SendKeys(chromedp.ID("email"), "carl@example.com"),
		chromedp.Click(`//button[text()="Complete application"]`),
		chromedp.WaitVisible(chromedp.ID("done")),
		screenshot(t, "partner"),
		chromedp.Click(chromedp.ID("done")),
		chromedp.WaitVisible(`//h1[starts-with(text(),"Thank you")]`),
		screenshot(t, "thank-you"),
	)
	if got := text("h1"); got != "Thank you, Carl!" {
		t.Errorf("thank-you heading %q", got)
	}

	// The new hire: the administrator gets the signed onboarding link on
	// the Event Notifications page; the link opens the tasks (and leaves
	// the address bar), Start goes to the partner, and the partner's
	// return URL comes back to the page, authorized by the link's cookie.
	everify := &herald.Endpoint{CustomerID: "6269", URL: partner.URL + "/hook", EventTypes: []wire.EventType{wire.EventTypeOnboardPortalTask},
		Auth: herald.Auth{Type: herald.AuthTypeNone}, Enabled: true}
	if err := n.store.EndpointCreate(t.Context(), everify); err != nil {
		t.Fatal(err)
	}
	run("onboarding link",
		chromedp.Navigate(n.url+"/ui/customers/6269"),
		chromedp.WaitVisible(chromedp.ID("onboard-id")),
		chromedp.SendKeys(chromedp.ID("onboard-id"), f.onboard.ID),
		chromedp.Click(`//button[text()="Get link"]`),
		chromedp.WaitVisible(chromedp.ID("onboard-link")),
		screenshot(t, "onboarding-link"),
	)
	if got, want := text("#onboard-link"), web.PortalOnboardLink(testAdminToken, n.url, "6269", f.onboard.ID); got != want {
		t.Errorf("onboarding link %q, want %q", got, want)
	}
	run("new hire",
		chromedp.Click(chromedp.ID("onboard-link")),
		chromedp.WaitVisible(`//h1[text()="Welcome, Nina"]`),
		screenshot(t, "portal-onboard"),
	)
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil || loc != n.url+"/portal/6269/onboard/"+f.onboard.ID {
		t.Errorf("onboarding page at %q (%v), want no token in the address bar", loc, err)
	}
	run("new hire",
		chromedp.Click(`//button[starts-with(text(),"Start")]`),
		chromedp.WaitVisible(chromedp.ID("done")),
		chromedp.Click(chromedp.ID("done")),
		chromedp.WaitVisible(chromedp.ID("task-result")),
		screenshot(t, "portal-onboard-return"),
	)
	if got := text("#task-result"); !strings.Contains(got, "You are back from E-Verify") {
		t.Errorf("return page %q", got)
	}
	if got := text("table"); strings.Contains(got, "inprogress") || !strings.Contains(got, "waiting for the provider's result") || !strings.Contains(got, "Continue") {
		t.Errorf("task statuses %q: raw values, or no truthful label", got)
	}
}
