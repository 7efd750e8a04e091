package storetest

import (
	"context"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
	"github.com/heraldhq/herald/wire"
)

// PlatformStore is a store with the platform's records beside the event
// queue, as the sqlite and postgres stores are.
type PlatformStore interface {
	herald.Store
	herald.PlatformStore
}

// PlatformPublicURL is the base of the links in the suite's events.
const PlatformPublicURL = "https://api.example.com"

// exercisePlatform runs the herald.PlatformStore suite. newStore must return
// a new, empty, migrated store for each call and close it when t ends.
// breakEvents must make every later insert into the store's events fail (a
// trigger, say), so the suite can check that an action whose event cannot
// be stored leaves no change behind.
func exercisePlatform(t *testing.T, newStore func(t *testing.T) PlatformStore, breakEvents func(t *testing.T, s PlatformStore)) {
	t.Helper()
	setup := func(t *testing.T) (context.Context, PlatformStore) {
		t.Helper()
		return t.Context(), newStore(t)
	}
	t.Run("Person", func(t *testing.T) { t.Parallel(); exercisePerson(t, setup) })
	t.Run("Job", func(t *testing.T) { t.Parallel(); exerciseJob(t, setup) })
	t.Run("List", func(t *testing.T) { t.Parallel(); exercisePlatformList(t, setup) })
	t.Run("Workflow", func(t *testing.T) { t.Parallel(); exerciseWorkflow(t, setup) })
	t.Run("Action", func(t *testing.T) { t.Parallel(); exerciseAction(t, setup) })
	t.Run("ActionAtomic", func(t *testing.T) { t.Parallel(); exerciseActionAtomic(t, setup, breakEvents) })
	t.Run("Partner", func(t *testing.T) { t.Parallel(); exercisePartner(t, setup) })
	t.Run("ActionTraceContext", func(t *testing.T) { exerciseActionTraceContext(t, setup) })
	t.Run("OperatorConcurrent", func(t *testing.T) { t.Parallel(); exerciseOperatorConcurrent(t, setup) })
}

type platformSetupFunc func(t *testing.T) (context.Context, PlatformStore)

// PlatformFixture is a customer with what every action needs: an endpoint
// that wants every event type, a portal, a recruiter, a candidate, a new
// hire with an onboarding workflow, and a posted and an unposted job.
type PlatformFixture struct {
	Customer  *herald.Customer
	Endpoint  *herald.Endpoint
	Portal    *herald.CareerPortal
	Recruiter *herald.Person
	Candidate *herald.Person
	NewHire   *herald.Person
	Posted    *herald.Job
	Draft     *herald.Job
	Onboard   *herald.OnboardWorkflow
}

// NewPlatformFixture makes a PlatformFixture, failing t if it cannot.
func NewPlatformFixture(ctx context.Context, t testing.TB, store PlatformStore) *PlatformFixture {
	t.Helper()
	f := &PlatformFixture{Customer: testfactory.Customer(ctx, t, store, nil)}
	cid := f.Customer.ID
	f.Endpoint = testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{CustomerID: cid})
	f.Portal = &herald.CareerPortal{CustomerID: cid, Name: "Careers", URL: "https://careers.example.com"}
	must(t, "create portal", store.CareerPortalCreate(ctx, f.Portal))
	person := func(typ herald.PersonType, first, last string) *herald.Person {
		p := &herald.Person{CustomerID: cid, Type: typ, FirstName: first, LastName: last,
			Email: first + "@example.com", Phones: []herald.Phone{{Type: "Mobile", Number: "+1 555 0100"}},
			Addresses: []herald.Address{{Type: "Home", Street1: "1 Main St", City: "Holmdel", State: "NJ", Zip: "07733", Country: "US"}}}
		must(t, "create person", store.PersonCreate(ctx, p))
		return p
	}
	f.Recruiter = person(herald.PersonTypeUser, "Rita", "Recruiter")
	f.Candidate = person(herald.PersonTypeCandidate, "Carl", "Candidate")
	f.NewHire = person(herald.PersonTypeNewHire, "Nina", "Newhire")
	job := func(title string) *herald.Job {
		j := &herald.Job{CustomerID: cid, JobTitle: title, JobLocation: "Holmdel, NJ",
			AssessmentType: "Cognitive", BGCPackageType: "Standard", PortalID: f.Portal.ID}
		must(t, "create job", store.JobCreate(ctx, j))
		return j
	}
	f.Posted, f.Draft = job("Front Line Job"), job("Warehouse Associate")
	res, err := store.JobPost(ctx, &herald.JobActionParams{CustomerID: cid, JobID: f.Posted.ID, UserID: f.Recruiter.ID, PublicURL: PlatformPublicURL})
	must(t, "post job", err)
	f.Posted = res.Job
	f.Onboard = &herald.OnboardWorkflow{CustomerID: cid, PersonID: f.NewHire.ID, JobID: f.Posted.ID, PortalID: f.Portal.ID,
		Tasks: []*herald.OnboardTask{{Name: "E-Verify", Type: "everify"}, {Name: "Form I-9", Type: "i9"}}}
	must(t, "create onboard workflow", store.OnboardWorkflowCreate(ctx, f.Onboard))
	return f
}

func must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// deliveryCount returns how many deliveries the customer has.
func deliveryCount(ctx context.Context, t *testing.T, store herald.Store, customerID string) int {
	t.Helper()
	res, err := store.DeliveryList(ctx, &herald.DeliveryListParams{CustomerID: customerID, Limit: 500})
	requireNoError(t, "list deliveries", err)
	return len(res.Deliveries)
}

// eventBody decompresses and parses a result's event body, and checks that
// the result's deliveries and the stored event match it.
func eventBody(ctx context.Context, t *testing.T, store herald.Store, res *herald.ActionResult, want wire.EventType) *wire.Body {
	t.Helper()
	if res == nil || res.Event == nil {
		t.Fatalf("action returned no event")
	}
	if res.Event.Type != want {
		t.Fatalf("event type = %q, want %q", res.Event.Type, want)
	}
	stored, err := store.EventGet(ctx, res.Event.ID)
	requireNoError(t, "get the action's event", err)
	raw, err := wire.Gunzip(stored.BodyGzip, 1<<20)
	requireNoError(t, "gunzip event body", err)
	b, err := wire.ParseBody(raw)
	requireNoError(t, "parse event body", err)
	if b.EventType != want || b.CustomerID != res.Event.CustomerID {
		t.Fatalf("body type %q customer %q, want %q %q", b.EventType, b.CustomerID, want, res.Event.CustomerID)
	}
	ds, err := store.DeliveryListForEvent(ctx, res.Event.ID)
	requireNoError(t, "list deliveries of the event", err)
	if len(ds) != len(res.Deliveries) {
		t.Fatalf("event has %d deliveries stored, result lists %d", len(ds), len(res.Deliveries))
	}
	return b
}
