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

// TestPasswordChange proves an administrator can change their own
// password, which ends their other sessions and keeps this one.
func TestPasswordChange(t *testing.T) {
	t.Parallel()
	n := newTestNode(t)
	n.seedCustomers(t)
	here, elsewhere := n.browser(t), n.browser(t)
	here.signIn("admin-6269", "correct-horse-battery")
	elsewhere.signIn("admin-6269", "correct-horse-battery")
	if code, body := here.get("/ui/account"); code != 200 || !strings.Contains(body, "Change your password") {
		t.Fatalf("account page: %d", code)
	}
	form := url.Values{"current": {"not-my-password-1"}, "password": {"a-brand-new-password"}, "confirm": {"a-brand-new-password"}}
	if code, _, body := here.post("/ui/account/password", form); code != http.StatusUnauthorized || !strings.Contains(body, "not your current password") {
		t.Fatalf("wrong current password: %d", code)
	}
	form.Set("current", "correct-horse-battery")
	form.Set("confirm", "something-else-entirely")
	if code, _, _ := here.post("/ui/account/password", form); code != http.StatusBadRequest {
		t.Fatalf("confirmation differs: %d", code)
	}
	form.Set("confirm", "a-brand-new-password")
	if code, h, _ := here.post("/ui/account/password", form); code != http.StatusSeeOther || h.Get("Location") != "/ui/account?changed=1" {
		t.Fatalf("change: %d to %q", code, h.Get("Location"))
	}
	if code, body := here.get("/ui/account?changed=1"); code != 200 || !strings.Contains(body, `id="password-changed"`) {
		t.Fatalf("this browser after the change: %d, want still signed in", code)
	}
	if code, _, _ := elsewhere.do(http.MethodGet, "/ui/customers/6269", nil); code != http.StatusSeeOther {
		t.Fatalf("other browser after the change: %d, want signed out", code)
	}
	if code, _, _ := n.browser(t).post("/ui/login", url.Values{"username": {"admin-6269"}, "password": {"correct-horse-battery"}}); code != http.StatusUnauthorized {
		t.Fatalf("old password: %d, want 401", code)
	}
	n.browser(t).signIn("admin-6269", "a-brand-new-password")
	// Operators have no password here.
	op := n.browser(t)
	op.signInOperator()
	if code, _ := op.get("/ui/account"); code != http.StatusNotFound {
		t.Fatalf("operator account page: %d, want 404", code)
	}
}

// TestPasswordReset proves an operator can reset an administrator's
// password, ending all of that user's sessions, and nobody else can.
func TestPasswordReset(t *testing.T) {
	t.Parallel()
	n := newTestNode(t)
	n.seedCustomers(t)
	admin := n.browser(t)
	admin.signIn("admin-6269", "correct-horse-battery")
	u, err := n.store.WebUserGetByUsername(t.Context(), "admin-6269")
	if err != nil {
		t.Fatal(err)
	}
	path := "/ui/customers/6269/users/" + u.ID + "/password"
	// An administrator cannot reset passwords, their own included.
	admin.get("/ui/customers/6269")
	if code, _, _ := admin.post(path, url.Values{"password": {"taken-over-password"}}); code != http.StatusNotFound {
		t.Fatalf("administrator reset: %d, want 404", code)
	}
	op := n.browser(t)
	op.signInOperator()
	if code, _, body := op.post(path, url.Values{"password": {"short"}}); code != http.StatusBadRequest || !strings.Contains(body, `id="reset-error"`) {
		t.Fatalf("short password: %d", code)
	}
	if code, _, _ := op.post("/ui/customers/2187/users/"+u.ID+"/password", url.Values{"password": {"reset-password-123"}}); code != http.StatusNotFound {
		t.Fatalf("user under another customer: %d, want 404", code)
	}
	if code, h, _ := op.post(path, url.Values{"password": {"reset-password-123"}}); code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "reset=admin-6269") {
		t.Fatalf("reset: %d to %q", code, h.Get("Location"))
	}
	if code, _, _ := admin.do(http.MethodGet, "/ui/customers/6269", nil); code != http.StatusSeeOther {
		t.Fatalf("administrator after reset: %d, want signed out", code)
	}
	n.browser(t).signIn("admin-6269", "reset-password-123")
}

// TestStatusChangeActingUser proves the status change is recorded as the
// signed-in user's platform user, whatever the form says, and that an
// operator, who has none, acts as the customer's operator user.
func TestStatusChangeActingUser(t *testing.T) {
	t.Parallel()
	n := newTestNode(t)
	f := n.seedPortal(t, "", false)
	ctx := t.Context()
	other := &herald.Person{CustomerID: "6269", Type: herald.PersonTypeUser, FirstName: "Otto", LastName: "Other"}
	if err := n.store.PersonCreate(ctx, other); err != nil {
		t.Fatal(err)
	}
	if _, err := web.CreateUser(ctx, n.store, &herald.WebUser{CustomerID: "6269", Username: "rita", PersonID: f.recruiter.ID}, "rita-password-123"); err != nil {
		t.Fatal(err)
	}
	ep := &herald.Endpoint{CustomerID: "6269", URL: "http://127.0.0.1:1/never", EventTypes: []wire.EventType{wire.EventTypeWorkFlowStatusChange},
		Auth: herald.Auth{Type: herald.AuthTypeNone}, Enabled: true}
	if err := n.store.EndpointCreate(ctx, ep); err != nil {
		t.Fatal(err)
	}
	person := &herald.Person{CustomerID: "6269", Type: herald.PersonTypeCandidate, FirstName: "Cai", LastName: "Candidate"}
	if err := n.store.PersonCreate(ctx, person); err != nil {
		t.Fatal(err)
	}
	res, err := n.store.ApplicationComplete(ctx, &herald.ApplicationCompleteParams{CustomerID: "6269", PersonID: person.ID, JobID: f.job.ID, PublicURL: n.url})
	if err != nil {
		t.Fatal(err)
	}
	wfPath := "/ui/customers/6269/jobs/" + f.job.ID + "/applicants/" + res.ApplicantWorkflow.ID + "/status"
	lastUser := func() string {
		t.Helper()
		wf, err := n.store.ApplicantWorkflowGet(ctx, "6269", res.ApplicantWorkflow.ID)
		if err != nil {
			t.Fatal(err)
		}
		return wf.StatusHistory[len(wf.StatusHistory)-1].UserID
	}

	rita := n.browser(t)
	rita.signIn("rita", "rita-password-123")
	rita.get("/ui/customers/6269/jobs/" + f.job.ID)
	if code, _, body := rita.post(wfPath, url.Values{"status": {"D10102"}, "userId": {other.ID}}); code != 200 {
		t.Fatalf("status change: %d\n%s", code, body)
	}
	if got := lastUser(); got != f.recruiter.ID {
		t.Fatalf("recorded as %q, want the session's user %q (the form said %q)", got, f.recruiter.ID, other.ID)
	}

	// An administrator with no platform user is told so.
	admin := n.browser(t)
	admin.signIn("admin-6269", "correct-horse-battery")
	admin.get("/ui/customers/6269/jobs/" + f.job.ID)
	if code, _, body := admin.post(wfPath, url.Values{"status": {"D10103"}, "userId": {other.ID}}); code != http.StatusBadRequest || !strings.Contains(body, "no platform user") {
		t.Fatalf("administrator without platform user: %d", code)
	}

	op := n.browser(t)
	op.signInOperator()
	op.get("/ui/customers/6269/jobs/" + f.job.ID)
	if code, _, body := op.post(wfPath, url.Values{"status": {"D10103"}, "userId": {other.ID}}); code != 200 || !strings.Contains(body, "Moved to") {
		t.Fatalf("operator status change: %d\n%s", code, body)
	}
	opUser, err := n.store.PersonOperatorGet(ctx, "6269")
	if err != nil {
		t.Fatal(err)
	}
	if got := lastUser(); got != opUser.ID {
		t.Fatalf("operator's change recorded as %q, want the operator user %q", got, opUser.ID)
	}
	// The event's userId is that user's, whose record resolves.
	if p, err := n.store.PersonGet(ctx, "6269", opUser.ID); err != nil || p.Type != herald.PersonTypeUser || p.FullName() != "Herald Operator" {
		t.Fatalf("operator user %+v %v", p, err)
	}
}
