package postgres_test

import (
	"testing"

	"github.com/heraldhq/herald/internal/storetest"
)

func TestHealthStore(t *testing.T) {
	t.Parallel()
	storetest.ExerciseHealth(t, func(t *testing.T) storetest.RecoveryStore { return newStore(t) })
}
