package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
)

// TestJobForm checks the job details form: every field's error at once,
// a job not posted saved as it is, a posted job edited with its event,
// and the description on the portal's list and page, escaped and in
// paragraphs.
func TestJobForm(t *testing.T) {
	t.Parallel()
	n := newTestNode(t)
	f := n.seedPortal(t, "http://127.0.0.1:1", false)
	ctx := t.Context()
	draft := &herald.Job{CustomerID: "6269", JobTitle: "Draft Role", PortalID: f.job.PortalID}
	if err := n.store.JobCreate(ctx, draft); err != nil {
		t.Fatal(err)
	}
	b := n.browser(t)
	b.signInOperator()
	page := "/ui/customers/6269/jobs/" + draft.ID
	if _, body := b.get(page); !strings.Contains(body, `id="jobdescription"`) {
		t.Fatalf("job page has no description field:\n%s", body)
	}

	// Every field's error at once, and the values kept.
	code, _, body := b.post(page, url.Values{"jobtitle": {" "}, "joblocation": {"Austin"},
		"jobdescription": {strings.Repeat("é", herald.MaxJobDescriptionBytes/2+1)}})
	if code != http.StatusBadRequest || !strings.Contains(body, `id="jobtitle-err"`) || !strings.Contains(body, `id="jobdescription-err"`) ||
		!strings.Contains(body, "at most 20,000 bytes: it has 20,002.") || !strings.Contains(body, `value="Austin"`) {
		t.Fatalf("invalid form: %d\n%s", code, body)
	}
	if got, _ := n.store.JobGet(ctx, "6269", draft.ID); got.JobLocation != "" {
		t.Fatalf("an invalid form changed the job: %+v", got)
	}

	// A job not posted: saved, no event.
	desc := "Lead a team of five.\r\n\r\nNights: <b>22:00</b> & weekends.\r\nForklift licence a plus."
	code, h, body := b.post(page, url.Values{"jobtitle": {"Shift Lead"}, "joblocation": {"Austin"}, "jobdescription": {desc}})
	if code != http.StatusSeeOther || !strings.HasSuffix(h.Get("Location"), "?done=job-saved") {
		t.Fatalf("save draft: %d %s", code, body)
	}
	got, err := n.store.JobGet(ctx, "6269", draft.ID)
	want := strings.ReplaceAll(desc, "\r\n", "\n")
	if err != nil || got.JobTitle != "Shift Lead" || got.JobDescription != want {
		t.Fatalf("saved draft: %+v %v", got, err)
	}

	// A posted job: edited with its Job Edit event (nobody receives it here).
	page = "/ui/customers/6269/jobs/" + f.job.ID
	b.get(page)
	code, _, body = b.post(page, url.Values{"jobtitle": {f.job.JobTitle}, "joblocation": {f.job.JobLocation}, "jobdescription": {desc}})
	if code != http.StatusOK || !strings.Contains(body, "Job saved, and its partners told") || !strings.Contains(body, "No partner receives job edits.") {
		t.Fatalf("edit posted job: %d\n%s", code, body)
	}
	if got, _ := n.store.JobGet(ctx, "6269", f.job.ID); got.JobDescription != want || got.PostingState != herald.JobPostingStatePosted {
		t.Fatalf("edited job: %+v", got)
	}

	// The portal: an excerpt on the list, the whole text on the job's
	// page, escaped, in paragraphs. The draft is not listed.
	c := n.browser(t)
	_, body = c.get("/portal/6269/jobs")
	if !strings.Contains(body, `<p class="job-excerpt">Lead a team of five. Nights: &lt;b&gt;22:00&lt;/b&gt; &amp; weekends. Forklift licence a plus.</p>`) ||
		strings.Contains(body, "Shift Lead") {
		t.Fatalf("portal list:\n%s", body)
	}
	_, body = c.get(strings.TrimPrefix(f.job.PortalURL, n.url))
	if !strings.Contains(body, "<p>Lead a team of five.</p>") ||
		!strings.Contains(body, "<p>Nights: &lt;b&gt;22:00&lt;/b&gt; &amp; weekends.<br>Forklift licence a plus.</p>") || strings.Contains(body, "<b>22:00") {
		t.Fatalf("portal job page:\n%s", body)
	}

	// Another customer's administrator cannot change it.
	other := n.browser(t)
	other.signIn("admin-2187", "correct-horse-battery")
	other.get("/ui/customers/2187")
	if code, _, _ := other.post(page, url.Values{"jobtitle": {"Hijacked"}, "jobdescription": {"x"}}); code != http.StatusNotFound && code != http.StatusForbidden {
		t.Fatalf("another customer's administrator: %d, want 403 or 404", code)
	}
	if got, _ := n.store.JobGet(ctx, "6269", f.job.ID); got.JobTitle == "Hijacked" {
		t.Fatal("another customer's administrator changed the job")
	}

	// A long description is cut on the list, whole on the page.
	long := strings.Repeat("Lorem ipsum dolor sit amet. ", 40)
	b.get(page)
	b.post(page, url.Values{"jobtitle": {f.job.JobTitle}, "joblocation": {f.job.JobLocation}, "jobdescription": {long}})
	_, body = c.get("/portal/6269/jobs")
	i := strings.Index(body, `<p class="job-excerpt">`)
	if i < 0 {
		t.Fatalf("no excerpt:\n%s", body)
	}
	ex := body[i+len(`<p class="job-excerpt">`):]
	ex = ex[:strings.Index(ex, "</p>")]
	if !strings.HasSuffix(ex, "…") || len([]rune(ex)) > 201 || len([]rune(ex)) < 150 {
		t.Fatalf("excerpt of %d characters: %q", len([]rune(ex)), ex)
	}
	if _, body = c.get(strings.TrimPrefix(f.job.PortalURL, n.url)); !strings.Contains(body, strings.TrimSpace(long)) {
		t.Fatal("the job page does not show the whole description")
	}
}
