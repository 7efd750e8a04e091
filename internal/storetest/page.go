package storetest

import (
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
)

// exercisePageLimits checks that every list that pages refuses a negative
// limit and a cursor that is not one of its own: the rules of
// herald.PageLimit and herald.ParseCursor, which each store must apply.
func exercisePageLimits(t *testing.T, setup recoverySetupFunc) {
	t.Run("NegativeLimit", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		_, err := store.DeliveryList(ctx, &herald.DeliveryListParams{CustomerID: e.CustomerID, Limit: -1})
		requireCode(t, err, herald.EINVALID)
		_, err = store.DeliveryFind(ctx, &herald.DeliveryFilter{CustomerID: e.CustomerID}, "", -1)
		requireCode(t, err, herald.EINVALID)
		_, err = store.OperatorEventList(ctx, &herald.OperatorEventListParams{Limit: -1})
		requireCode(t, err, herald.EINVALID)
		_, err = store.ReplayJobList(ctx, e.CustomerID, -1)
		requireCode(t, err, herald.EINVALID)
	})
	t.Run("CursorOfAnotherList", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		for range 2 {
			testfactory.Event(ctx, t, store, &testfactory.EventOpts{CustomerID: e.CustomerID, CreatedAt: base})
		}
		page, err := store.DeliveryList(ctx, &herald.DeliveryListParams{CustomerID: e.CustomerID, Limit: 1})
		requireNoError(t, "list deliveries", err)
		if page.NextCursor == "" {
			t.Fatalf("one delivery of two listed, and no next cursor")
		}
		_, err = store.OperatorEventList(ctx, &herald.OperatorEventListParams{Cursor: page.NextCursor})
		requireCode(t, err, herald.EINVALID)
	})
}
