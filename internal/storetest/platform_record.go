package storetest

import (
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
)

func exercisePerson(t *testing.T, setup platformSetupFunc) {
	t.Run("CreateGetUpdate", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		a := testfactory.Customer(ctx, t, store, nil)
		b := testfactory.Customer(ctx, t, store, nil)

		p := &herald.Person{CustomerID: a.ID, Type: herald.PersonTypeCandidate, FirstName: "Ada", LastName: "Lovelace",
			Email: "ada@example.com", Phones: []herald.Phone{{Type: "Home", Number: "555-0101"}},
			Addresses: []herald.Address{{Type: "Home", Street1: "12 St James's Sq", City: "London", Country: "GB"}}}
		requireNoError(t, "create person", store.PersonCreate(ctx, p))
		if p.ID == "" || p.CreatedAt.IsZero() {
			t.Fatalf("PersonCreate did not set ID and CreatedAt: %+v", p)
		}
		got, err := store.PersonGet(ctx, a.ID, p.ID)
		requireNoError(t, "get person", err)
		requireNoDiff(t, "person", got, p)

		// Ids are per customer: B's first record may have A's id, and
		// A's person is not B's.
		q := &herald.Person{CustomerID: b.ID, Type: herald.PersonTypeUser, FirstName: "Bob", LastName: "B"}
		requireNoError(t, "create person of b", store.PersonCreate(ctx, q))
		if q.ID != p.ID {
			t.Fatalf("first ids of two customers = %q and %q, want equal (a sequence per customer)", p.ID, q.ID)
		}
		got, err = store.PersonGet(ctx, b.ID, q.ID)
		requireNoError(t, "get person of b", err)
		if got.FirstName != "Bob" {
			t.Fatalf("customer b reads %q, want its own person", got.FirstName)
		}

		p.LastName, p.Phones, p.Type = "King", nil, herald.PersonTypeUser
		requireNoError(t, "update person", store.PersonUpdate(ctx, p))
		if p.Type != herald.PersonTypeCandidate {
			t.Fatalf("PersonUpdate changed the type to %q", p.Type)
		}
		got, err = store.PersonGet(ctx, a.ID, p.ID)
		requireNoError(t, "get updated person", err)
		requireNoDiff(t, "updated person", got, p)
	})

	t.Run("Errors", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		c := testfactory.Customer(ctx, t, store, nil)
		requireCode(t, store.PersonCreate(ctx, &herald.Person{CustomerID: c.ID, Type: "alien", FirstName: "x", LastName: "y"}), herald.EINVALID)
		requireCode(t, store.PersonCreate(ctx, &herald.Person{CustomerID: c.ID, Type: herald.PersonTypeCandidate, LastName: "y"}), herald.EINVALID)
		requireCode(t, store.PersonCreate(ctx, &herald.Person{CustomerID: c.ID, Type: herald.PersonTypeCandidate, FirstName: "x", LastName: "y", Email: "nope"}), herald.EINVALID)
		requireCode(t, store.PersonCreate(ctx, &herald.Person{CustomerID: "nobody", Type: herald.PersonTypeCandidate, FirstName: "x", LastName: "y"}), herald.ENOTFOUND)
		_, err := store.PersonGet(ctx, c.ID, "1000")
		requireCode(t, err, herald.ENOTFOUND)
		requireCode(t, store.PersonUpdate(ctx, &herald.Person{CustomerID: c.ID, ID: "999", FirstName: "x", LastName: "y"}), herald.ENOTFOUND)
	})
	t.Run("Operator", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		a := testfactory.Customer(ctx, t, store, nil)
		b := testfactory.Customer(ctx, t, store, nil)
		op, err := store.PersonOperatorGet(ctx, a.ID)
		requireNoError(t, "operator person", err)
		if op.ID == "" || op.CustomerID != a.ID || op.Type != herald.PersonTypeUser ||
			op.FirstName != herald.OperatorPersonFirstName || op.LastName != herald.OperatorPersonLastName {
			t.Fatalf("operator person = %+v", op)
		}
		again, err := store.PersonOperatorGet(ctx, a.ID)
		requireNoError(t, "operator person again", err)
		requireNoDiff(t, "operator person", again, op)
		got, err := store.PersonGet(ctx, a.ID, op.ID)
		requireNoError(t, "get operator person", err)
		requireNoDiff(t, "stored operator person", got, op)
		other, err := store.PersonOperatorGet(ctx, b.ID)
		requireNoError(t, "other customer's operator person", err)
		if other.CustomerID != b.ID {
			t.Fatalf("other customer's operator person = %+v", other)
		}
		if _, err := store.PersonGet(ctx, b.ID, op.ID); err == nil && op.ID != other.ID {
			t.Fatalf("customer %s sees %s's operator person", b.ID, a.ID)
		}
		_, err = store.PersonOperatorGet(ctx, "nobody")
		requireCode(t, err, herald.ENOTFOUND)
	})
}

func exerciseJob(t *testing.T, setup platformSetupFunc) {
	t.Run("CreateGetUpdate", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		f := NewPlatformFixture(ctx, t, store)
		got, err := store.JobGet(ctx, f.Customer.ID, f.Draft.ID)
		requireNoError(t, "get job", err)
		requireNoDiff(t, "job", got, f.Draft)
		if got.PostingState != herald.JobPostingStateNotPosted || got.PortalURL != "" {
			t.Fatalf("new job posting state %q url %q, want notposted and none", got.PostingState, got.PortalURL)
		}

		f.Draft.JobTitle, f.Draft.PostingState = "Senior Warehouse Associate", herald.JobPostingStatePosted
		// A description keeps its paragraphs and characters as given.
		f.Draft.JobDescription = "Lead a team of five.\n\nNight shifts: 22:00–06:00 <b>not bold</b> & \"quoted\".\r\n\tIndented."
		requireNoError(t, "update job", store.JobUpdate(ctx, f.Draft))
		if f.Draft.PostingState != herald.JobPostingStateNotPosted {
			t.Fatalf("JobUpdate changed the posting state")
		}
		got, err = store.JobGet(ctx, f.Customer.ID, f.Draft.ID)
		requireNoError(t, "get updated job", err)
		requireNoDiff(t, "updated job", got, f.Draft)

		portal, err := store.CareerPortalGet(ctx, f.Customer.ID, f.Portal.ID)
		requireNoError(t, "get portal", err)
		requireNoDiff(t, "portal", portal, f.Portal)
	})

	t.Run("Errors", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		f := NewPlatformFixture(ctx, t, store)
		other := testfactory.Customer(ctx, t, store, nil)
		requireCode(t, store.JobCreate(ctx, &herald.Job{CustomerID: f.Customer.ID, JobTitle: "x"}), herald.EINVALID)
		requireCode(t, store.JobCreate(ctx, &herald.Job{CustomerID: f.Customer.ID, JobTitle: "x", PortalID: "424242"}), herald.ENOTFOUND)
		// Another customer's portal is not found either.
		requireCode(t, store.JobCreate(ctx, &herald.Job{CustomerID: other.ID, JobTitle: "x", PortalID: f.Portal.ID}), herald.ENOTFOUND)
		_, err := store.JobGet(ctx, other.ID, f.Posted.ID)
		requireCode(t, err, herald.ENOTFOUND)
		requireCode(t, store.CareerPortalCreate(ctx, &herald.CareerPortal{CustomerID: f.Customer.ID, Name: "x", URL: "ftp://x"}), herald.EINVALID)
		// A description is at most MaxJobDescriptionBytes: the store
		// refuses a longer one on create and update, naming the field.
		long := &herald.Job{CustomerID: f.Customer.ID, JobTitle: "x", PortalID: f.Portal.ID,
			JobDescription: strings.Repeat("é", herald.MaxJobDescriptionBytes/2) + "x"}
		err = store.JobCreate(ctx, long)
		requireCode(t, err, herald.EINVALID)
		if !strings.Contains(herald.ErrorMessage(err), "jobdescription") {
			t.Fatalf("error %q does not name jobdescription", herald.ErrorMessage(err))
		}
		draft := *f.Draft
		draft.JobDescription = long.JobDescription
		requireCode(t, store.JobUpdate(ctx, &draft), herald.EINVALID)
		long.JobDescription = long.JobDescription[:herald.MaxJobDescriptionBytes]
		requireNoError(t, "create a job with the longest description", store.JobCreate(ctx, long))
	})

	t.Run("JobBoardPosts", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		f := NewPlatformFixture(ctx, t, store)
		post := func(board, status string) *herald.JobBoardPost {
			return &herald.JobBoardPost{CustomerID: f.Customer.ID, JobID: f.Posted.ID, DistributorID: "D90005",
				JobBoard: board, ExternalID: "764", Status: herald.JobBoardPostStatus(status),
				StartDate: "2014-08-04 11:31 AM", EndDate: "2014-12-04 11:31 AM"}
		}
		requireNoError(t, "upsert posts", store.JobBoardPostUpsert(ctx, []*herald.JobBoardPost{
			post("CareerBuilder.com", "posting in progress"), post("Indeed", "LIVE"),
		}))
		requireNoError(t, "upsert again", store.JobBoardPostUpsert(ctx, []*herald.JobBoardPost{post("CareerBuilder.com", "Live")}))
		got, err := store.JobBoardPostList(ctx, f.Customer.ID, f.Posted.ID)
		requireNoError(t, "list posts", err)
		if len(got) != 2 || got[0].JobBoard != "CareerBuilder.com" || got[0].Status != herald.JobBoardPostStatusLive ||
			got[1].Status != herald.JobBoardPostStatusLive {
			t.Fatalf("posts = %+v, want CareerBuilder.com and Indeed, both Live", got)
		}
		requireCode(t, store.JobBoardPostUpsert(ctx, []*herald.JobBoardPost{post("X", "Gone")}), herald.EINVALID)
		bad := post("X", "Live")
		bad.JobID = "31337"
		requireCode(t, store.JobBoardPostUpsert(ctx, []*herald.JobBoardPost{bad}), herald.ENOTFOUND)
		requireCode(t, store.JobBoardPostUpsert(ctx, nil), herald.EINVALID)
		// One upsert is one job's posts.
		requireCode(t, store.JobBoardPostUpsert(ctx, []*herald.JobBoardPost{post("Indeed", "Live"), bad}), herald.EINVALID)
	})
}

func exerciseWorkflow(t *testing.T, setup platformSetupFunc) {
	t.Run("AssessmentResults", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		f := NewPlatformFixture(ctx, t, store)
		res, err := store.ApplicationComplete(ctx, &herald.ApplicationCompleteParams{
			CustomerID: f.Customer.ID, PersonID: f.Candidate.ID, JobID: f.Posted.ID, PublicURL: PlatformPublicURL})
		requireNoError(t, "complete application", err)
		w := res.ApplicantWorkflow

		score := 87.5
		a := &herald.AssessmentResult{CustomerID: f.Customer.ID, WorkflowID: w.ID, Name: "Cognitive", Score: &score,
			Result: "Pass", Status: "Complete", Date: "2019-08-26 09:24 PM", URL: "https://partner.example.com/r/1"}
		requireNoError(t, "create result", store.AssessmentResultCreate(ctx, a))
		got, err := store.AssessmentResultGet(ctx, f.Customer.ID, w.ID, a.ID)
		requireNoError(t, "get result", err)
		requireNoDiff(t, "result", got, a)

		a.Score, a.Status = nil, "Reviewed"
		requireNoError(t, "update result", store.AssessmentResultUpdate(ctx, a))
		full, err := store.ApplicantWorkflowGet(ctx, f.Customer.ID, w.ID)
		requireNoError(t, "get workflow", err)
		requireNoDiff(t, "workflow results", full.AssessmentResults, []*herald.AssessmentResult{a})

		requireCode(t, store.AssessmentResultCreate(ctx, &herald.AssessmentResult{CustomerID: f.Customer.ID, WorkflowID: w.ID}), herald.EINVALID)
		requireCode(t, store.AssessmentResultCreate(ctx, &herald.AssessmentResult{CustomerID: f.Customer.ID, WorkflowID: "777", Name: "x"}), herald.ENOTFOUND)
		_, err = store.AssessmentResultGet(ctx, f.Customer.ID, "777", a.ID)
		requireCode(t, err, herald.ENOTFOUND)
		a.WorkflowID = "777"
		requireCode(t, store.AssessmentResultUpdate(ctx, a), herald.ENOTFOUND)
	})

	t.Run("Onboard", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		f := NewPlatformFixture(ctx, t, store)
		got, err := store.OnboardWorkflowGet(ctx, f.Customer.ID, f.Onboard.ID)
		requireNoError(t, "get onboard workflow", err)
		requireNoDiff(t, "onboard workflow", got, f.Onboard)
		if len(got.Tasks) != 2 || got.Tasks[0].Status != herald.OnboardTaskStatusNotStarted || got.Tasks[0].ID == got.Tasks[1].ID {
			t.Fatalf("tasks = %+v, want two distinct, not started", got.Tasks)
		}
		requireCode(t, store.OnboardWorkflowCreate(ctx, &herald.OnboardWorkflow{CustomerID: f.Customer.ID,
			PersonID: "4040", PortalID: f.Portal.ID, Tasks: []*herald.OnboardTask{{Name: "x"}}}), herald.ENOTFOUND)
		requireCode(t, store.OnboardWorkflowCreate(ctx, &herald.OnboardWorkflow{CustomerID: f.Customer.ID,
			PersonID: f.NewHire.ID, PortalID: f.Portal.ID}), herald.EINVALID)
	})
}
