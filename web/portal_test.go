package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/web"
	"github.com/heraldhq/herald/wire"
)

// portalFixture is customer 6269 with a career portal hosted by the node,
// a posted job, a recruiter, a new hire with onboarding tasks, and
// endpoints at a partner.
type portalFixture struct {
	job       *herald.Job
	recruiter *herald.Person
	onboard   *herald.OnboardWorkflow
}

func (n *testNode) seedPortal(t testing.TB, partnerURL string, withEndpoints bool) *portalFixture {
	t.Helper()
	ctx := t.Context()
	n.seedCustomers(t)
	f := &portalFixture{}
	// The portal's URL is the node's /portal/<customer>: that is what makes
	// the events' returnUrl and incompleteUrl lead back to the node.
	portal := &herald.CareerPortal{CustomerID: "6269", Name: "Careers", URL: n.url + "/portal/6269"}
	if err := n.store.CareerPortalCreate(ctx, portal); err != nil {
		t.Fatal(err)
	}
	f.recruiter = &herald.Person{CustomerID: "6269", Type: herald.PersonTypeUser, FirstName: "Rita", LastName: "Recruiter"}
	if err := n.store.PersonCreate(ctx, f.recruiter); err != nil {
		t.Fatal(err)
	}
	f.job = &herald.Job{CustomerID: "6269", JobTitle: "Front Line Associate", JobLocation: "Holmdel, NJ", PortalID: portal.ID}
	if err := n.store.JobCreate(ctx, f.job); err != nil {
		t.Fatal(err)
	}
	res, err := n.store.JobPost(ctx, &herald.JobActionParams{CustomerID: "6269", JobID: f.job.ID, UserID: f.recruiter.ID, PublicURL: n.url})
	if err != nil {
		t.Fatal(err)
	}
	f.job = res.Job
	hire := &herald.Person{CustomerID: "6269", Type: herald.PersonTypeNewHire, FirstName: "Nina", LastName: "Newhire"}
	if err := n.store.PersonCreate(ctx, hire); err != nil {
		t.Fatal(err)
	}
	f.onboard = &herald.OnboardWorkflow{CustomerID: "6269", PersonID: hire.ID, PortalID: portal.ID,
		Tasks: []*herald.OnboardTask{{Name: "E-Verify", Type: "everify"}}}
	if err := n.store.OnboardWorkflowCreate(ctx, f.onboard); err != nil {
		t.Fatal(err)
	}
	if !withEndpoints {
		return f
	}
	for _, e := range []*herald.Endpoint{
		{URL: partnerURL + "/hook", EventTypes: []wire.EventType{wire.EventTypeAssessment, wire.EventTypeOnboardPortalTask}},
		{URL: partnerURL + "/reject", EventTypes: []wire.EventType{wire.EventTypeWorkFlowStatusChange}},
	} {
		e.CustomerID, e.Auth, e.Enabled, e.Gzip = "6269", herald.Auth{Type: herald.AuthTypeNone}, true, true
		if err := n.store.EndpointCreate(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func TestPortalFlows(t *testing.T) {
	t.Parallel()
	n := newTestNode(t)
	partner := newPartner(t)
	f := n.seedPortal(t, partner.URL, true)
	jobPath := strings.TrimPrefix(f.job.PortalURL, n.url)
	b := n.browser(t)

	t.Run("Candidate", func(t *testing.T) {
		b := n.browser(t)
		if code, body := b.get(jobPath); code != 200 || !strings.Contains(body, "Front Line Associate") {
			t.Fatalf("job page: %d", code)
		}
		code, _, body := b.post(jobPath+"/apply", url.Values{"firstname": {""}, "lastname": {"Candidate"}})
		if code != http.StatusBadRequest || !strings.Contains(body, `id="fn-err"`) {
			t.Fatalf("missing first name: %d", code)
		}
		code, h, _ := b.post(jobPath+"/apply", url.Values{"firstname": {"Carl"}, "lastname": {"Candidate"}, "email": {"carl@example.com"}})
		loc := h.Get("Location")
		if code != http.StatusSeeOther || !strings.HasPrefix(loc, partner.URL+"/assess?return=") {
			t.Fatalf("apply: %d to %q, want the partner's page", code, loc)
		}
		u, _ := url.Parse(loc)
		ret := u.Query().Get("return")
		if !strings.HasPrefix(ret, n.url+jobPath+"/assessment?i=") {
			t.Fatalf("returnUrl %q is not the node's thank-you page", ret)
		}
		b.base = ""
		if code, body := b.get(ret); code != 200 || !strings.Contains(body, "Thank you, Carl!") {
			t.Fatalf("thank-you page: %d", code)
		}
	})

	t.Run("NewHire", func(t *testing.T) {
		p := "/portal/6269/onboard/" + f.onboard.ID
		// The signed link sets the workflow's cookie and drops the token
		// from the address bar.
		link := web.PortalOnboardLink(testAdminToken, n.url, "6269", f.onboard.ID)
		code, h, _ := b.do(http.MethodGet, strings.TrimPrefix(link, n.url), nil)
		if code != http.StatusSeeOther || h.Get("Location") != p {
			t.Fatalf("signed link: %d to %q, want a redirect to %q", code, h.Get("Location"), p)
		}
		ck := h.Get("Set-Cookie")
		for _, want := range []string{"Path=" + p, "HttpOnly", "SameSite=Lax"} {
			if !strings.Contains(ck, want) {
				t.Errorf("cookie %q lacks %s", ck, want)
			}
		}
		if code, body := b.get(p); code != 200 || !strings.Contains(body, "E-Verify") || !strings.Contains(body, "Welcome, Nina") {
			t.Fatalf("onboarding page: %d", code)
		}
		code, h, _ = b.post(p+"/tasks/"+f.onboard.Tasks[0].ID+"/start", url.Values{})
		u, _ := url.Parse(h.Get("Location"))
		if code != http.StatusSeeOther || u.Host != strings.TrimPrefix(partner.URL, "http://") {
			t.Fatalf("start task: %d to %q", code, h.Get("Location"))
		}
		ret := u.Query().Get("return")
		if !strings.HasPrefix(ret, n.url+p+"/tasks/") || !strings.HasSuffix(ret, "result=complete") {
			t.Fatalf("returnUrl %q", ret)
		}
		if code, body := b.get(strings.TrimPrefix(ret, n.url)); code != 200 || !strings.Contains(body, "You are back from") {
			t.Fatalf("return page: %d", code)
		}
		inc := strings.TrimPrefix(strings.Replace(ret, "result=complete", "result=incomplete", 1), n.url)
		if code, body := b.get(inc); code != 200 || !strings.Contains(body, "before finishing") {
			t.Fatalf("incomplete page: %d", code)
		}
	})

	t.Run("Recruiter", func(t *testing.T) {
		ctx := t.Context()
		wfs, err := n.store.ApplicantWorkflowList(ctx, "6269", f.job.ID)
		if err != nil || len(wfs) == 0 {
			t.Fatalf("applicants %v %v", wfs, err)
		}
		if _, err := n.store.WebUserGetByUsername(ctx, "admin-6269"); err != nil {
			t.Fatal(err)
		}
		// An operator moves the candidate, as the customer's operator
		// user (an administrator acts as their own platform user:
		// TestStatusChangeActingUser).
		b := n.browser(t)
		b.signInOperator()
		if code, body := b.get("/ui/customers/6269/jobs/" + f.job.ID); code != 200 || !strings.Contains(body, "Carl Candidate") {
			t.Fatalf("recruiter page: %d", code)
		}
		code, _, body := b.post("/ui/customers/6269/jobs/"+f.job.ID+"/applicants/"+wfs[0].ID+"/status",
			url.Values{"status": {"D10104"}})
		if code != 200 || !strings.Contains(body, "Please provide a valid US SSN before requesting Background Check.") {
			t.Fatalf("status change: %d\n%s", code, body)
		}
		// Another customer's administrator cannot see the job.
		o := n.browser(t)
		o.signIn("admin-2187", "correct-horse-battery")
		if code, _ := o.get("/ui/customers/6269/jobs/" + f.job.ID); code != http.StatusNotFound {
			t.Fatalf("other customer: %d", code)
		}
	})
}

// TestPortalOnboardAccess checks that the onboarding pages need the signed
// link or its cookie, for that very workflow, and answer a missing or wrong
// credential as they answer an unknown workflow: 404.
func TestPortalOnboardAccess(t *testing.T) {
	t.Parallel()
	n := newTestNode(t)
	partner := newPartner(t)
	f := n.seedPortal(t, partner.URL, true)
	// A second new hire's workflow, B, on the same portal.
	other := &herald.Person{CustomerID: "6269", Type: herald.PersonTypeNewHire, FirstName: "Omar", LastName: "Other"}
	if err := n.store.PersonCreate(t.Context(), other); err != nil {
		t.Fatal(err)
	}
	wfB := &herald.OnboardWorkflow{CustomerID: "6269", PersonID: other.ID, PortalID: f.onboard.PortalID,
		Tasks: []*herald.OnboardTask{{Name: "I-9", Type: "i9"}}}
	if err := n.store.OnboardWorkflowCreate(t.Context(), wfB); err != nil {
		t.Fatal(err)
	}
	pathA, pathB := "/portal/6269/onboard/"+f.onboard.ID, "/portal/6269/onboard/"+wfB.ID
	taskA, taskB := f.onboard.Tasks[0].ID, wfB.Tasks[0].ID
	linkA := strings.TrimPrefix(web.PortalOnboardLink(testAdminToken, n.url, "6269", f.onboard.ID), n.url)
	tokA := linkA[strings.Index(linkA, "?t=")+3:]
	wrongKey := web.PortalOnboardLink("another-admin-token-0123456789", n.url, "6269", f.onboard.ID)
	tokWrongKey := wrongKey[strings.Index(wrongKey, "?t=")+3:]

	// check asks for all three routes of a workflow and wants 404 from each.
	check := func(t *testing.T, b *browser, path, task, query string) {
		t.Helper()
		if code, body := b.get(path + query); code != http.StatusNotFound || strings.Contains(body, "Welcome") {
			t.Errorf("GET %s%s: %d, want 404", path, query, code)
		}
		if code, h, _ := b.post(path+"/tasks/"+task+"/start"+query, url.Values{}); code != http.StatusNotFound {
			t.Errorf("start %s: %d (to %q), want 404", path, code, h.Get("Location"))
		}
		if code, _ := b.get(path + "/tasks/" + task + "?result=complete"); code != http.StatusNotFound {
			t.Errorf("return page %s: %d, want 404", path, code)
		}
	}
	// unknown wants the same reply without a credential as for a
	// workflow that does not exist.
	unknown := func(t *testing.T, b *browser) {
		t.Helper()
		codeUnknown, _ := b.get("/portal/6269/onboard/999999")
		if code, _ := b.get(pathA); code != codeUnknown || code != http.StatusNotFound {
			t.Errorf("no credential %d, unknown workflow %d: want both 404", code, codeUnknown)
		}
	}

	t.Run("NoToken", func(t *testing.T) {
		b := n.browser(t)
		check(t, b, pathA, taskA, "")
		unknown(t, b)
	})
	t.Run("WrongToken", func(t *testing.T) {
		b := n.browser(t)
		for _, tok := range []string{"", "x", tokA[:len(tokA)-1], tokA + "x", strings.ToUpper(tokA), tokWrongKey} {
			if code, h, _ := b.do(http.MethodGet, pathA+"?t="+url.QueryEscape(tok), nil); code != http.StatusNotFound || h.Get("Set-Cookie") != "" {
				t.Errorf("token %q: %d, cookie %q; want 404 and no cookie", tok, code, h.Get("Set-Cookie"))
			}
		}
		check(t, b, pathA, taskA, "")
		// A token in the query does not authorize the start or return
		// routes: only the cookie does.
		check(t, b, pathA, taskA, "?t="+tokWrongKey)
	})
	t.Run("OtherWorkflowsToken", func(t *testing.T) {
		b := n.browser(t)
		if code, _, _ := b.do(http.MethodGet, pathB+"?t="+tokA, nil); code != http.StatusNotFound {
			t.Errorf("A's token on B: %d, want 404", code)
		}
		// A's cookie, sent to B's routes.
		if code, _, _ := b.do(http.MethodGet, linkA, nil); code != http.StatusSeeOther {
			t.Fatalf("A's link: %d", code)
		}
		u, _ := url.Parse(n.url)
		b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "herald_onboard", Value: tokA, Path: pathB}})
		check(t, b, pathB, taskB, "")
		// A's cookie on A's page with B's task: the task is not A's.
		if code, _ := b.get(pathA + "/tasks/" + taskB + "?result=complete"); code != http.StatusNotFound {
			t.Errorf("B's task under A: %d, want 404", code)
		}
	})
	t.Run("SignedLink", func(t *testing.T) {
		b := n.browser(t)
		if code, h, _ := b.do(http.MethodGet, linkA, nil); code != http.StatusSeeOther || h.Get("Location") != pathA {
			t.Fatalf("link: %d to %q", code, h.Get("Location"))
		}
		if code, body := b.get(pathA); code != 200 || !strings.Contains(body, "Welcome, Nina") {
			t.Fatalf("page: %d", code)
		}
		code, h, _ := b.post(pathA+"/tasks/"+taskA+"/start", url.Values{})
		loc, _ := url.Parse(h.Get("Location"))
		if code != http.StatusSeeOther || loc.Host != strings.TrimPrefix(partner.URL, "http://") {
			t.Fatalf("start: %d to %q", code, h.Get("Location"))
		}
		ret := strings.TrimPrefix(loc.Query().Get("return"), n.url)
		if code, body := b.get(ret); code != 200 || !strings.Contains(body, "You are back from") {
			t.Fatalf("return page: %d", code)
		}
		// The cookie opens workflow A only.
		check(t, b, pathB, taskB, "")
	})
	t.Run("AdminGetsLink", func(t *testing.T) {
		b := n.browser(t)
		b.signIn("admin-6269", "correct-horse-battery")
		code, body := b.get("/ui/customers/6269?onboard=" + f.onboard.ID)
		if code != 200 || !strings.Contains(body, `id="onboard-link"`) || !strings.Contains(body, "Nina Newhire") ||
			!strings.Contains(body, n.url+linkA) {
			t.Fatalf("notifications with onboard: %d", code)
		}
		if code, body := b.get("/ui/customers/6269?onboard=999999"); code != 200 || !strings.Contains(body, `id="onboard-error"`) {
			t.Fatalf("unknown onboarding: %d", code)
		}
		// Another customer's administrator gets no link for 6269's
		// workflow, on their own page or 6269's.
		o := n.browser(t)
		o.signIn("admin-2187", "correct-horse-battery")
		if code, body := o.get("/ui/customers/2187?onboard=" + f.onboard.ID); code != 200 || strings.Contains(body, `id="onboard-link"`) {
			t.Fatalf("other customer's page: %d", code)
		}
		if code, _ := o.get("/ui/customers/6269?onboard=" + f.onboard.ID); code != http.StatusNotFound && code != http.StatusForbidden {
			t.Fatalf("other customer: %d", code)
		}
	})
}
