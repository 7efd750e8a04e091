package storetest

import (
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
	"github.com/heraldhq/herald/wire"
)

func exerciseAction(t *testing.T, setup platformSetupFunc) {
	t.Run("ApplicationComplete", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		f := NewPlatformFixture(ctx, t, store)
		linkKey := herald.PortalLinkKey("storetest-admin-token-0123456789", herald.PortalLinkAssessment)
		res, err := store.ApplicationComplete(ctx, &herald.ApplicationCompleteParams{
			CustomerID: f.Customer.ID, PersonID: f.Candidate.ID, JobID: f.Posted.ID, PublicURL: PlatformPublicURL, LinkKey: linkKey})
		requireNoError(t, "complete application", err)
		w := res.ApplicantWorkflow
		if w.Status != herald.ApplicantWorkflowStatusApplied || len(w.StatusHistory) != 1 || w.StatusHistory[0].UserID != f.Candidate.ID {
			t.Fatalf("new workflow = %+v, want status Applied with one history entry by the candidate", w)
		}
		got, err := store.ApplicantWorkflowGet(ctx, f.Customer.ID, w.ID)
		requireNoError(t, "get workflow", err)
		requireNoDiff(t, "workflow", got, w)

		b := eventBody(ctx, t, store, res, wire.EventTypeAssessment)
		if b.SystemID != w.ID || b.UserID != f.Candidate.ID ||
			b.ReturnURL != herald.AssessmentReturnURL(f.Posted.PortalURL, f.Customer.ID, w.ID, linkKey) ||
			!strings.Contains(b.ReturnURL, "&t="+herald.PortalLinkToken(linkKey, f.Customer.ID, w.ID)) {
			t.Fatalf("body = %+v, want the returnUrl signed with the link key", b)
		}
		if len(res.Deliveries) != 1 || res.Deliveries[0].EndpointID != f.Endpoint.ID {
			t.Fatalf("deliveries = %+v, want one to the fixture's endpoint", res.Deliveries)
		}
		list, err := store.ApplicantWorkflowList(ctx, f.Customer.ID, f.Posted.ID)
		requireNoError(t, "list workflows", err)
		if len(list) != 1 || list[0].ID != w.ID {
			t.Fatalf("workflows of job = %+v", list)
		}

		before := deliveryCount(ctx, t, store, f.Customer.ID)
		_, err = store.ApplicationComplete(ctx, &herald.ApplicationCompleteParams{
			CustomerID: f.Customer.ID, PersonID: f.Candidate.ID, JobID: f.Posted.ID, PublicURL: PlatformPublicURL})
		requireCode(t, err, herald.ECONFLICT)
		_, err = store.ApplicationComplete(ctx, &herald.ApplicationCompleteParams{
			CustomerID: f.Customer.ID, PersonID: f.Candidate.ID, JobID: f.Draft.ID, PublicURL: PlatformPublicURL})
		requireCode(t, err, herald.ECONFLICT)
		_, err = store.ApplicationComplete(ctx, &herald.ApplicationCompleteParams{
			CustomerID: f.Customer.ID, PersonID: "99999", JobID: f.Posted.ID, PublicURL: PlatformPublicURL})
		requireCode(t, err, herald.ENOTFOUND)
		if n := deliveryCount(ctx, t, store, f.Customer.ID); n != before {
			t.Fatalf("refused actions made deliveries: %d, want %d", n, before)
		}
	})

	t.Run("WorkflowStatusChange", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		f := NewPlatformFixture(ctx, t, store)
		// An endpoint that wants only moves to Background Check.
		bgc := testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{CustomerID: f.Customer.ID,
			EventTypes: []wire.EventType{wire.EventTypeWorkFlowStatusChange}, StatusTriggers: []string{"D10104"}})
		app, err := store.ApplicationComplete(ctx, &herald.ApplicationCompleteParams{
			CustomerID: f.Customer.ID, PersonID: f.Candidate.ID, JobID: f.Posted.ID, PublicURL: PlatformPublicURL})
		requireNoError(t, "complete application", err)
		wid := app.ApplicantWorkflow.ID

		change := func(status string) (*herald.ActionResult, error) {
			return store.WorkflowStatusChange(ctx, &herald.WorkflowStatusChangeParams{CustomerID: f.Customer.ID,
				WorkflowID: wid, NewStatus: status, UserID: f.Recruiter.ID, PublicURL: PlatformPublicURL})
		}
		res, err := change("D10102")
		requireNoError(t, "change status", err)
		b := eventBody(ctx, t, store, res, wire.EventTypeWorkFlowStatusChange)
		if b.OldStatus != herald.ApplicantWorkflowStatusApplied || b.NewStatus != "D10102" || b.UserID != f.Recruiter.ID ||
			b.PersonID != f.Candidate.ID || b.JobID != f.Posted.ID || b.SystemID != wid {
			t.Fatalf("body = %+v", b)
		}
		if len(res.Deliveries) != 1 {
			t.Fatalf("deliveries = %d, want 1 (the trigger endpoint wants D10104 only)", len(res.Deliveries))
		}
		res, err = change("D10104")
		requireNoError(t, "change status to the trigger", err)
		if len(res.Deliveries) != 2 || res.Deliveries[1].EndpointID != bgc.ID && res.Deliveries[0].EndpointID != bgc.ID {
			t.Fatalf("deliveries = %+v, want the trigger endpoint too", res.Deliveries)
		}
		h := res.ApplicantWorkflow.StatusHistory
		if res.ApplicantWorkflow.Status != "D10104" || len(h) != 3 || h[2].OldStatus != "D10102" || h[2].UserID != f.Recruiter.ID {
			t.Fatalf("workflow after two moves = %+v, history %+v", res.ApplicantWorkflow, h)
		}

		_, err = change("D10104")
		requireCode(t, err, herald.ECONFLICT)
		_, err = change("not a status!")
		requireCode(t, err, herald.EINVALID)
		_, err = store.WorkflowStatusChange(ctx, &herald.WorkflowStatusChangeParams{CustomerID: f.Customer.ID,
			WorkflowID: wid, NewStatus: "D10105", UserID: f.Candidate.ID, PublicURL: PlatformPublicURL})
		requireCode(t, err, herald.EINVALID) // a candidate is not a platform user
		_, err = store.WorkflowStatusChange(ctx, &herald.WorkflowStatusChangeParams{CustomerID: f.Customer.ID,
			WorkflowID: "5555", NewStatus: "D10105", UserID: f.Recruiter.ID, PublicURL: PlatformPublicURL})
		requireCode(t, err, herald.ENOTFOUND)
	})

	t.Run("JobPostEditUnpost", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		f := NewPlatformFixture(ctx, t, store)
		p := &herald.JobActionParams{CustomerID: f.Customer.ID, JobID: f.Draft.ID, UserID: f.Recruiter.ID, PublicURL: PlatformPublicURL}

		_, err := store.JobEdit(ctx, p)
		requireCode(t, err, herald.ECONFLICT) // not posted yet
		res, err := store.JobPost(ctx, p)
		requireNoError(t, "post job", err)
		b := eventBody(ctx, t, store, res, wire.EventTypeJobPostToWeb)
		wantURL := "https://careers.example.com/jobs/" + f.Draft.ID + "/warehouse-associate"
		if res.Job.PortalURL != wantURL || b.PortalURL != wantURL || b.SystemID != f.Draft.ID || b.UserID != f.Recruiter.ID {
			t.Fatalf("job %+v body %+v, want portal url %s", res.Job, b, wantURL)
		}
		links, err := wire.ParseLinkHeader(res.Event.LinkHeader)
		requireNoError(t, "parse link header", err)
		if len(links) != 2 || !strings.HasSuffix(links[0].URL, "/jobs/"+f.Draft.ID) {
			t.Fatalf("links = %+v", links)
		}
		_, err = store.JobPost(ctx, p)
		requireCode(t, err, herald.ECONFLICT)

		title, desc := "Night Warehouse Associate", "Nights.\n\nForklift licence a plus."
		p.Changes = &herald.JobChanges{JobTitle: &title, JobDescription: &desc}
		res, err = store.JobEdit(ctx, p)
		requireNoError(t, "edit job", err)
		// The event says which job changed, never what it says now: the
		// description is not in the body (spec section 5).
		eventBody(ctx, t, store, res, wire.EventTypeViewJobWebPost)
		stored, err := store.EventGet(ctx, res.Event.ID)
		requireNoError(t, "get the edit's event", err)
		if raw, err := wire.Gunzip(stored.BodyGzip, 1<<20); err != nil || strings.Contains(string(raw), "Forklift") {
			t.Fatalf("the job edit event's body %s (err %v) carries the description", raw, err)
		}
		got, err := store.JobGet(ctx, f.Customer.ID, f.Draft.ID)
		requireNoError(t, "get job", err)
		if got.JobTitle != title || got.JobDescription != desc || got.PostingState != herald.JobPostingStatePosted {
			t.Fatalf("edited job = %+v", got)
		}
		empty := ""
		p.Changes = &herald.JobChanges{JobTitle: &empty}
		_, err = store.JobEdit(ctx, p)
		requireCode(t, err, herald.EINVALID)

		p.Changes = nil
		res, err = store.JobUnpost(ctx, p)
		requireNoError(t, "unpost job", err)
		eventBody(ctx, t, store, res, wire.EventTypeJobUnpostToWeb)
		if res.Job.PostingState != herald.JobPostingStateUnposted {
			t.Fatalf("unposted job = %+v", res.Job)
		}
		_, err = store.JobUnpost(ctx, p)
		requireCode(t, err, herald.ECONFLICT)
		p.UserID = f.Candidate.ID
		_, err = store.JobPost(ctx, p)
		requireCode(t, err, herald.EINVALID)
	})

	t.Run("OnboardTaskStart", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		f := NewPlatformFixture(ctx, t, store)
		task := f.Onboard.Tasks[0]
		res, err := store.OnboardTaskStart(ctx, &herald.OnboardTaskStartParams{CustomerID: f.Customer.ID,
			WorkflowID: f.Onboard.ID, TaskID: task.ID, PublicURL: PlatformPublicURL})
		requireNoError(t, "start task", err)
		b := eventBody(ctx, t, store, res, wire.EventTypeOnboardPortalTask)
		ret, inc := herald.OnboardTaskURLs(f.Portal.URL, f.Onboard.ID, task.ID)
		if b.SystemID != f.NewHire.ID || b.UserID != f.NewHire.ID || b.ReturnURL != ret || b.IncompleteURL != inc {
			t.Fatalf("body = %+v", b)
		}
		got, err := store.OnboardWorkflowGet(ctx, f.Customer.ID, f.Onboard.ID)
		requireNoError(t, "get onboard workflow", err)
		if got.Tasks[0].Status != herald.OnboardTaskStatusInProgress || got.Tasks[0].StartedAt.IsZero() ||
			got.Tasks[1].Status != herald.OnboardTaskStatusNotStarted {
			t.Fatalf("tasks = %+v %+v", got.Tasks[0], got.Tasks[1])
		}
		requireNoDiff(t, "onboard workflow", res.OnboardWorkflow, got)
		_, err = store.OnboardTaskStart(ctx, &herald.OnboardTaskStartParams{CustomerID: f.Customer.ID,
			WorkflowID: f.Onboard.ID, TaskID: "1", PublicURL: PlatformPublicURL})
		requireCode(t, err, herald.ENOTFOUND)
	})

	t.Run("RemoteLogin", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		f := NewPlatformFixture(ctx, t, store)
		res, err := store.RemoteLogin(ctx, &herald.RemoteLoginParams{CustomerID: f.Customer.ID, UserID: f.Recruiter.ID,
			ReturnURL: "https://customer.example.com", PublicURL: PlatformPublicURL})
		requireNoError(t, "remote login", err)
		b := eventBody(ctx, t, store, res, wire.EventTypeRemoteLogin)
		if b.SystemID != f.Recruiter.ID || b.ReturnURL != "https://customer.example.com" {
			t.Fatalf("body = %+v", b)
		}
		_, err = store.RemoteLogin(ctx, &herald.RemoteLoginParams{CustomerID: f.Customer.ID, UserID: f.Recruiter.ID, PublicURL: PlatformPublicURL})
		requireCode(t, err, herald.EINVALID) // returnUrl is required
		_, err = store.RemoteLogin(ctx, &herald.RemoteLoginParams{CustomerID: f.Customer.ID, UserID: f.Candidate.ID,
			ReturnURL: "https://customer.example.com", PublicURL: PlatformPublicURL})
		requireCode(t, err, herald.EINVALID)
	})
}

// exerciseActionAtomic checks both halves of "the change and its event
// commit together": with event inserts broken, every action fails and
// leaves its change undone, and no delivery appears.
func exerciseActionAtomic(t *testing.T, setup platformSetupFunc, breakEvents func(t *testing.T, s PlatformStore)) {
	ctx, store := setup(t)
	f := NewPlatformFixture(ctx, t, store)
	cid := f.Customer.ID
	app, err := store.ApplicationComplete(ctx, &herald.ApplicationCompleteParams{
		CustomerID: cid, PersonID: f.Candidate.ID, JobID: f.Posted.ID, PublicURL: PlatformPublicURL})
	requireNoError(t, "complete application", err)
	other := &herald.Person{CustomerID: cid, Type: herald.PersonTypeCandidate, FirstName: "Olga", LastName: "Other"}
	requireNoError(t, "create candidate", store.PersonCreate(ctx, other))
	deliveries := deliveryCount(ctx, t, store, cid)

	breakEvents(t, store)

	failed := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s succeeded with event inserts broken", what)
		}
		if herald.ErrorCode(err) != herald.EINTERNAL {
			t.Fatalf("%s: error code %q (%v), want internal", what, herald.ErrorCode(err), err)
		}
	}
	_, err = store.ApplicationComplete(ctx, &herald.ApplicationCompleteParams{
		CustomerID: cid, PersonID: other.ID, JobID: f.Posted.ID, PublicURL: PlatformPublicURL})
	failed("ApplicationComplete", err)
	list, err := store.ApplicantWorkflowList(ctx, cid, f.Posted.ID)
	requireNoError(t, "list workflows", err)
	if len(list) != 1 {
		t.Fatalf("job has %d workflows after a failed application, want 1", len(list))
	}

	_, err = store.WorkflowStatusChange(ctx, &herald.WorkflowStatusChangeParams{CustomerID: cid,
		WorkflowID: app.ApplicantWorkflow.ID, NewStatus: "D10103", UserID: f.Recruiter.ID, PublicURL: PlatformPublicURL})
	failed("WorkflowStatusChange", err)
	w, err := store.ApplicantWorkflowGet(ctx, cid, app.ApplicantWorkflow.ID)
	requireNoError(t, "get workflow", err)
	requireNoDiff(t, "workflow after a failed status change", w, app.ApplicantWorkflow)

	jp := &herald.JobActionParams{CustomerID: cid, JobID: f.Draft.ID, UserID: f.Recruiter.ID, PublicURL: PlatformPublicURL}
	_, err = store.JobPost(ctx, jp)
	failed("JobPost", err)
	title := "Renamed"
	jp.JobID, jp.Changes = f.Posted.ID, &herald.JobChanges{JobTitle: &title}
	_, err = store.JobEdit(ctx, jp)
	failed("JobEdit", err)
	jp.Changes = nil
	_, err = store.JobUnpost(ctx, jp)
	failed("JobUnpost", err)
	for _, j := range []*herald.Job{f.Draft, f.Posted} {
		got, err := store.JobGet(ctx, cid, j.ID)
		requireNoError(t, "get job", err)
		requireNoDiff(t, "job after failed job actions", got, j)
	}

	_, err = store.OnboardTaskStart(ctx, &herald.OnboardTaskStartParams{CustomerID: cid,
		WorkflowID: f.Onboard.ID, TaskID: f.Onboard.Tasks[0].ID, PublicURL: PlatformPublicURL})
	failed("OnboardTaskStart", err)
	ow, err := store.OnboardWorkflowGet(ctx, cid, f.Onboard.ID)
	requireNoError(t, "get onboard workflow", err)
	requireNoDiff(t, "onboard workflow after a failed task start", ow, f.Onboard)

	_, err = store.RemoteLogin(ctx, &herald.RemoteLoginParams{CustomerID: cid, UserID: f.Recruiter.ID,
		ReturnURL: "https://customer.example.com", PublicURL: PlatformPublicURL})
	failed("RemoteLogin", err)

	if n := deliveryCount(ctx, t, store, cid); n != deliveries {
		t.Fatalf("deliveries = %d after failed actions, want %d", n, deliveries)
	}
}
