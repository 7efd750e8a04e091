package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// TestPortalJobsAndReapply: the portal lists posted jobs, a wrong slug
// redirects to the job's one address, applying twice with one email is one
// candidate, and a partner's rejection reads as a next step.
func TestPortalJobsAndReapply(t *testing.T) {
	t.Parallel()
	n := newTestNode(t)
	partner := newPartner(t)
	f := n.seedPortal(t, partner.URL, false)
	ctx := t.Context()
	// The assessment partner rejects (400 with a message).
	rej := &herald.Endpoint{CustomerID: "6269", URL: partner.URL + "/reject", EventTypes: []wire.EventType{wire.EventTypeAssessment},
		Auth: herald.Auth{Type: herald.AuthTypeNone}, Enabled: true}
	if err := n.store.EndpointCreate(ctx, rej); err != nil {
		t.Fatal(err)
	}
	b := n.browser(t)
	jobPath := strings.TrimPrefix(f.job.PortalURL, n.url)

	code, body := b.get("/portal/6269/jobs")
	if code != http.StatusOK || !strings.Contains(body, "Front Line Associate") || !strings.Contains(body, `href="`+jobPath+`"`) {
		t.Fatalf("jobs list: %d\n%s", code, body)
	}
	if strings.Contains(body, `href="/ui/"`) || strings.Contains(body, "/ui/login") {
		t.Error("a candidate page links to Herald's sign-in")
	}
	if code, body := b.get("/portal/2187/jobs"); code != http.StatusOK || !strings.Contains(body, "no open positions") {
		t.Errorf("a customer without jobs: %d", code)
	}
	wrong := jobPath[:strings.LastIndex(jobPath, "/")] + "/old-title"
	if code, h, _ := b.do(http.MethodGet, wrong, nil); code != http.StatusMovedPermanently || h.Get("Location") != jobPath {
		t.Errorf("wrong slug: %d to %q, want 301 to %s", code, h.Get("Location"), jobPath)
	}
	if code, body := b.get("/portal/6269/jobs/424242/nothing"); code != http.StatusNotFound || (strings.Contains(body, `href="/ui/"`) || strings.Contains(body, "/ui/login")) {
		t.Errorf("missing job: %d, or a link to Herald's sign-in", code)
	}

	form := url.Values{"firstname": {"Carl"}, "lastname": {"Candidate"}, "email": {"carl@example.com"}}
	code, _, body = b.post(jobPath+"/apply", form)
	if code != http.StatusOK || !strings.Contains(body, "could not start your assessment") || !strings.Contains(body, "Please provide a valid US SSN") ||
		!strings.Contains(body, "do not need to apply again") {
		t.Fatalf("rejected application: %d\n%s", code, body)
	}
	form.Set("email", " CARL@example.com")
	code, _, body = b.post(jobPath+"/apply", form)
	if code != http.StatusConflict || !strings.Contains(body, "applied for this job with this email already") {
		t.Fatalf("second application: %d\n%s", code, body)
	}
	p, err := n.store.PersonFindByEmail(ctx, "6269", herald.PersonTypeCandidate, "carl@example.com")
	if err != nil {
		t.Fatal(err)
	}
	ws, err := n.store.ApplicantWorkflowList(ctx, "6269", f.job.ID)
	if err != nil || len(ws) != 1 || ws[0].PersonID != p.ID {
		t.Fatalf("workflows %+v (%v), want one, of %s", ws, err, p.ID)
	}

	// The operator moves the candidate, naming the platform user.
	op := n.browser(t)
	op.signInOperator()
	_, body = op.get("/ui/customers/6269")
	if !strings.Contains(body, `<option value="`+f.job.ID+`">Front Line Associate`) {
		t.Error("the recruiter view does not offer the customer's jobs")
	}
	path := "/ui/customers/6269/jobs/" + f.job.ID + "/applicants/" + ws[0].ID + "/status"
	if code, _, body := op.post(path, url.Values{"status": {"D10104"}}); code != http.StatusOK || strings.Contains(body, `person &#34;&#34;`) {
		t.Errorf("operator move: %d\n%s", code, body)
	}
	if w, _ := n.store.ApplicantWorkflowGet(ctx, "6269", ws[0].ID); w.Status != "D10104" {
		t.Errorf("status after the move: %q", w.Status)
	}
}
