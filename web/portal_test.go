package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
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
		if code, body := b.get(p); code != 200 || !strings.Contains(body, "E-Verify") {
			t.Fatalf("onboarding page: %d", code)
		}
		code, h, _ := b.post(p+"/tasks/"+f.onboard.Tasks[0].ID+"/start", url.Values{})
		u, _ := url.Parse(h.Get("Location"))
		if code != http.StatusSeeOther || u.Host != strings.TrimPrefix(partner.URL, "http://") {
			t.Fatalf("start task: %d to %q", code, h.Get("Location"))
		}
		ret := u.Query().Get("return")
		if !strings.HasPrefix(ret, n.url+p+"/tasks/") || !strings.HasSuffix(ret, "result=complete") {
			t.Fatalf("returnUrl %q", ret)
		}
		if code, body := b.get(strings.TrimPrefix(ret, n.url)); code != 200 || !strings.Contains(body, "You finished") {
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
		b := n.browser(t)
		b.signIn("admin-6269", "correct-horse-battery")
		if code, body := b.get("/ui/customers/6269/jobs/" + f.job.ID); code != 200 || !strings.Contains(body, "Carl Candidate") {
			t.Fatalf("recruiter page: %d", code)
		}
		code, _, body := b.post("/ui/customers/6269/jobs/"+f.job.ID+"/applicants/"+wfs[0].ID+"/status",
			url.Values{"status": {"D10104"}, "userId": {f.recruiter.ID}})
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
