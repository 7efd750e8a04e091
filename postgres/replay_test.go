package postgres_test

import (
	"testing"

	"github.com/heraldhq/herald/internal/storetest"
)

func TestReplayStore(t *testing.T) {
	t.Parallel()
	storetest.ExerciseReplay(t, func(t *testing.T) storetest.RecoveryStore { return newStore(t) })
}
