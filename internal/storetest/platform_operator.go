package storetest

import (
	"sync"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
)

// exerciseOperatorConcurrent checks that the operator person is created
// once per customer when its first callers come at once (several requests
// of one operator, or several nodes sharing a database).
func exerciseOperatorConcurrent(t *testing.T, setup platformSetupFunc) {
	ctx, store := setup(t)
	c := testfactory.Customer(ctx, t, store, nil)
	const callers = 8
	got := make([]*herald.Person, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() { got[i], errs[i] = store.PersonOperatorGet(ctx, c.ID) })
	}
	wg.Wait()
	for i := range callers {
		requireNoError(t, "operator person", errs[i])
		requireNoDiff(t, "operator person of a concurrent caller", got[i], got[0])
	}
}
