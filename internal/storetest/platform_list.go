package storetest

import (
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
)

func exercisePlatformList(t *testing.T, setup platformSetupFunc) {
	t.Run("JobList", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		f := NewPlatformFixture(ctx, t, store)
		other := testfactory.Customer(ctx, t, store, nil)
		jobs, err := store.JobList(ctx, f.Customer.ID)
		requireNoError(t, "list jobs", err)
		posted, err := store.JobGet(ctx, f.Customer.ID, f.Posted.ID)
		requireNoError(t, "get posted job", err)
		requireNoDiff(t, "jobs", jobs, []*herald.Job{posted, f.Draft})
		none, err := store.JobList(ctx, other.ID)
		requireNoError(t, "list another customer's jobs", err)
		if len(none) != 0 {
			t.Fatalf("another customer lists %d jobs", len(none))
		}
	})
	t.Run("PersonFindByEmail", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		f := NewPlatformFixture(ctx, t, store)
		other := testfactory.Customer(ctx, t, store, nil)
		got, err := store.PersonFindByEmail(ctx, f.Customer.ID, herald.PersonTypeCandidate, "  CARL@example.com ")
		requireNoError(t, "find candidate", err)
		requireNoDiff(t, "candidate", got, f.Candidate)
		// A second person with the address: the oldest is found.
		dup := &herald.Person{CustomerID: f.Customer.ID, Type: herald.PersonTypeCandidate, FirstName: "Carl", LastName: "Again", Email: "carl@example.com"}
		requireNoError(t, "create duplicate", store.PersonCreate(ctx, dup))
		got, err = store.PersonFindByEmail(ctx, f.Customer.ID, herald.PersonTypeCandidate, "carl@example.com")
		requireNoError(t, "find candidate", err)
		if got.ID != f.Candidate.ID {
			t.Fatalf("found %s, want the oldest, %s", got.ID, f.Candidate.ID)
		}
		for name, c := range map[string]struct {
			customer string
			typ      herald.PersonType
			email    string
		}{
			"other type":     {f.Customer.ID, herald.PersonTypeUser, "carl@example.com"},
			"other customer": {other.ID, herald.PersonTypeCandidate, "carl@example.com"},
			"empty":          {f.Customer.ID, herald.PersonTypeCandidate, ""},
			"unknown":        {f.Customer.ID, herald.PersonTypeCandidate, "nobody@example.com"},
		} {
			_, err := store.PersonFindByEmail(ctx, c.customer, c.typ, c.email)
			if herald.ErrorCode(err) != herald.ENOTFOUND {
				t.Errorf("%s: %v, want not found", name, err)
			}
		}
	})
}
