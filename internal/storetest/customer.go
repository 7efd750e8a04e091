package storetest

import (
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
)

func exerciseCustomer(t *testing.T, setup setupFunc) {
	t.Run("CreateGetList", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)

		list, err := store.CustomerList(ctx)
		requireNoError(t, "list customers of an empty store", err)
		if len(list) != 0 {
			t.Fatalf("empty store lists %d customers", len(list))
		}

		var created []*herald.Customer
		for _, id := range []string{"6269", "1000", "acme-corp"} {
			c := &herald.Customer{ID: id, Name: "Customer " + id}
			requireNoError(t, "create customer", store.CustomerCreate(ctx, c))
			if c.CreatedAt.IsZero() {
				t.Fatalf("CustomerCreate did not set CreatedAt")
			}
			created = append(created, c)

			got, err := store.CustomerGet(ctx, id)
			requireNoError(t, "get customer", err)
			requireNoDiff(t, "customer", got, c)
		}

		list, err = store.CustomerList(ctx)
		requireNoError(t, "list customers", err)
		// By id: "1000" < "6269" < "acme-corp".
		requireNoDiff(t, "customer list", list, []*herald.Customer{created[1], created[0], created[2]})
	})

	t.Run("CreateDuplicate", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		c := testfactory.Customer(ctx, t, store, nil)
		err := store.CustomerCreate(ctx, &herald.Customer{ID: c.ID, Name: "Another"})
		requireCode(t, err, herald.ECONFLICT)

		got, err := store.CustomerGet(ctx, c.ID)
		requireNoError(t, "get customer", err)
		if got.Name != c.Name {
			t.Fatalf("name = %q after a refused duplicate, want %q", got.Name, c.Name)
		}
	})

	t.Run("CreateInvalid", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		for _, c := range []*herald.Customer{
			{ID: "", Name: "No id"},
			{ID: "has space", Name: "Bad id"},
			{ID: "no-name"},
		} {
			requireCode(t, store.CustomerCreate(ctx, c), herald.EINVALID)
		}
		list, err := store.CustomerList(ctx)
		requireNoError(t, "list customers", err)
		if len(list) != 0 {
			t.Fatalf("invalid customers were stored: %d", len(list))
		}
	})

	t.Run("GetNotFound", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		_, err := store.CustomerGet(ctx, "nobody")
		requireCode(t, err, herald.ENOTFOUND)
	})
}
