package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/web"
)

// TestPortalAssessmentAccess proves the assessment return page (which
// names the candidate) needs the signed link the returnUrl carries:
// iterating the sequential workflow ids without it, with a wrong token, or
// with another workflow's token, names nobody.
func TestPortalAssessmentAccess(t *testing.T) {
	t.Parallel()
	n := newTestNode(t)
	f := n.seedPortal(t, "", false)
	jobPath := strings.TrimPrefix(f.job.PortalURL, n.url)

	// With no partner, applying goes straight to the signed return page.
	apply := func(first string) (path string) {
		t.Helper()
		b := n.browser(t)
		code, h, _ := b.post(jobPath+"/apply", url.Values{"firstname": {first}, "lastname": {"Candidate"}, "email": {strings.ToLower(first) + "@example.com"}})
		loc := h.Get("Location")
		if code != http.StatusSeeOther || !strings.HasPrefix(loc, jobPath+"/assessment?i=") || !strings.Contains(loc, "&t=") {
			t.Fatalf("apply: %d to %q, want the signed return page", code, loc)
		}
		if code, body := b.get(loc); code != 200 || !strings.Contains(body, "Thank you, "+first) {
			t.Fatalf("signed return page: %d", code)
		}
		return loc
	}
	ava, sam := apply("Ava"), apply("Sam")
	avaURL, _ := url.Parse(ava)
	samURL, _ := url.Parse(sam)

	b := n.browser(t)
	last, err := strconv.Atoi(samURL.Query().Get("i"))
	if err != nil {
		t.Fatal(err)
	}
	for i := max(1, last-30); i <= last+5; i++ {
		path := jobPath + "/assessment?i=" + strconv.Itoa(i)
		if code, body := b.get(path); code != http.StatusNotFound || strings.Contains(body, "Thank you,") {
			t.Fatalf("GET %s without token: %d, want 404 naming nobody", path, code)
		}
	}
	samID, avaTok := samURL.Query().Get("i"), avaURL.Query().Get("t")
	wrongKey := herald.PortalLinkToken(herald.PortalLinkKey("another-admin-token-0123456789", herald.PortalLinkAssessment), "6269", samID)
	onboardKey := herald.PortalLinkToken(herald.PortalLinkKey(testAdminToken, herald.PortalLinkOnboard), "6269", samID)
	for name, tok := range map[string]string{"Ava's token": avaTok, "empty": "", "truncated": avaTok[:10],
		"another admin token": wrongKey, "the onboarding key": onboardKey} {
		if code, body := b.get(jobPath + "/assessment?i=" + samID + "&t=" + url.QueryEscape(tok)); code != http.StatusNotFound || strings.Contains(body, "Sam") {
			t.Errorf("Sam's page with %s: %d, want 404", name, code)
		}
	}
	// The signed link is for that job's page only.
	var res *herald.ActionResult
	other := &herald.Job{CustomerID: "6269", JobTitle: "Other", JobLocation: "Remote", PortalID: f.job.PortalID}
	if err := n.store.JobCreate(t.Context(), other); err != nil {
		t.Fatal(err)
	}
	res, err = n.store.JobPost(t.Context(), &herald.JobActionParams{CustomerID: "6269", JobID: other.ID, UserID: f.recruiter.ID, PublicURL: n.url})
	if err != nil {
		t.Fatal(err)
	}
	otherPath := strings.TrimPrefix(res.Job.PortalURL, n.url)
	if code, _ := b.get(otherPath + "/assessment?" + samURL.RawQuery); code != http.StatusNotFound {
		t.Errorf("Sam's link on another job: %d, want 404", code)
	}
}

// TestPortalSubmissionLimit proves anonymous portal forms are limited per
// client address: past the burst, a 429 page with Retry-After, and no
// more candidates are created.
func TestPortalSubmissionLimit(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	n := newTestNode(t, func(c *web.Config) { c.NowFunc = clock.Now; c.PortalSubmissionsPerAddress = 3 })
	f := n.seedPortal(t, "", false)
	jobPath := strings.TrimPrefix(f.job.PortalURL, n.url)
	b := n.browser(t)
	post := func(i int) (int, http.Header, string) {
		return b.post(jobPath+"/apply", url.Values{"firstname": {"C" + strconv.Itoa(i)}, "lastname": {"Candidate"}, "email": {"c" + strconv.Itoa(i) + "@example.com"}})
	}
	for i := range 3 {
		if code, _, _ := post(i); code != http.StatusSeeOther {
			t.Fatalf("application %d: %d, want 303", i+1, code)
		}
	}
	code, h, body := post(3)
	if code != http.StatusTooManyRequests || h.Get("Retry-After") == "" || !strings.Contains(body, "try again in") {
		t.Fatalf("4th application: %d, Retry-After %q, want 429 with a message", code, h.Get("Retry-After"))
	}
	wfs, err := n.store.ApplicantWorkflowList(t.Context(), "6269", f.job.ID)
	if err != nil || len(wfs) != 3 {
		t.Fatalf("workflows %d %v, want 3", len(wfs), err)
	}
	// Reading pages is not limited; a refill lets the next one in.
	if code, _ := b.get(jobPath); code != 200 {
		t.Fatalf("job page while limited: %d", code)
	}
	clock.Add(web.DefaultPortalWindow)
	if code, _, _ := post(4); code != http.StatusSeeOther {
		t.Fatalf("after the window: %d, want 303", code)
	}
}
