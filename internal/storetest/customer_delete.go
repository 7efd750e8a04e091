package storetest

import (
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
)

func exerciseCustomerRenameDelete(t *testing.T, setup setupFunc) {
	t.Run("Rename", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		c := testfactory.Customer(ctx, t, store, nil)
		requireNoError(t, "rename", store.CustomerRename(ctx, c.ID, "Acme Talent"))
		got, err := store.CustomerGet(ctx, c.ID)
		requireNoError(t, "get", err)
		if got.Name != "Acme Talent" || !got.CreatedAt.Equal(c.CreatedAt) {
			t.Fatalf("after rename: %+v", got)
		}
		requireCode(t, store.CustomerRename(ctx, c.ID, ""), herald.EINVALID)
		requireCode(t, store.CustomerRename(ctx, "nobody", "X"), herald.ENOTFOUND)
	})
	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		keep := testfactory.Endpoint(ctx, t, store, nil) // another customer's
		var gone, kept *herald.Delivery
		for _, ep := range []*herald.Endpoint{e, keep} {
			ds := publishAt(ctx, t, store, ep, base)
			cs := claimIDs(ctx, t, store, base, ds[0].ID)
			record(ctx, t, store, &herald.AttemptRecord{Lease: cs[0].Lease, Attempt: fullAttempt(ds[0].ID, 1, base, 200),
				State: herald.DeliveryStateDelivered})
			if ep == e {
				gone = ds[0]
			} else {
				kept = ds[0]
			}
		}
		// What other stores keep of the customer goes too.
		if us, ok := store.(herald.WebUserStore); ok {
			requireNoError(t, "create web user", us.WebUserCreate(ctx, &herald.WebUser{CustomerID: e.CustomerID, Username: "admin-" + e.CustomerID,
				PasswordHash: "$argon2id$v=19$m=65536,t=1,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"}))
		}
		if rs, ok := store.(herald.ReplayStore); ok {
			requireNoError(t, "create replay job", rs.ReplayJobCreate(ctx, &herald.ReplayJob{CustomerID: e.CustomerID,
				Filter: herald.DeliveryFilter{CustomerID: e.CustomerID}}, base.Add(time.Minute)))
		}

		requireNoError(t, "delete customer", store.CustomerDelete(ctx, e.CustomerID))
		_, err := store.CustomerGet(ctx, e.CustomerID)
		requireCode(t, err, herald.ENOTFOUND)
		_, err = store.EndpointGet(ctx, e.ID)
		requireCode(t, err, herald.ENOTFOUND)
		_, err = store.DeliveryGet(ctx, gone.ID)
		requireCode(t, err, herald.ENOTFOUND)
		_, err = store.EventGet(ctx, gone.EventID)
		requireCode(t, err, herald.ENOTFOUND)
		if us, ok := store.(herald.WebUserStore); ok {
			_, err = us.WebUserGetByUsername(ctx, "admin-"+e.CustomerID)
			requireCode(t, err, herald.ENOTFOUND)
		}
		// The other customer keeps everything.
		d, err := store.DeliveryGet(ctx, kept.ID)
		requireNoError(t, "get the other customer's delivery", err)
		if len(d.AttemptLog) != 1 {
			t.Fatalf("the other customer's delivery has %d attempts, want 1", len(d.AttemptLog))
		}
		requireCode(t, store.CustomerDelete(ctx, e.CustomerID), herald.ENOTFOUND)
		// The id can be used again.
		requireNoError(t, "create again", store.CustomerCreate(ctx, &herald.Customer{ID: e.CustomerID, Name: "Again"}))
	})
}
