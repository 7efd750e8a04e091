package postgres_test

import (
	"testing"

	"github.com/heraldhq/herald/internal/storetest"
	"github.com/heraldhq/herald/postgres"
)

func TestPlatformStore(t *testing.T) {
	t.Parallel()
	storetest.ExercisePlatform(t,
		func(t *testing.T) storetest.PlatformStore { return newStore(t) },
		func(t *testing.T, s storetest.PlatformStore) {
			t.Helper()
			if err := postgres.BreakEventsForTest(t.Context(), s.(*postgres.Store)); err != nil {
				t.Fatalf("break events: %v", err)
			}
		})
}
