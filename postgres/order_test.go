package postgres_test

import (
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/dbtest"
	"github.com/heraldhq/herald/internal/storetest"
)

// TestOrderedConcurrentNodes runs ordered delivery on three nodes (Stores
// with pools of their own on one schema) that publish, claim and record at
// once: no two deliveries of one subject are ever in flight together, and
// each subject's are delivered in publish order, including a subject two
// nodes publish to at the same time.
func TestOrderedConcurrentNodes(t *testing.T) {
	t.Parallel()
	connURL := dbtest.NewPostgresSchema(t)
	stores := make([]herald.Store, 3)
	for i := range stores {
		stores[i] = openStore(t, connURL)
	}
	storetest.OrderedConcurrently(t, stores...)
}
