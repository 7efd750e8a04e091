package sqlite_test

import (
	"testing"

	"github.com/heraldhq/herald/internal/storetest"
)

func TestRetentionStore(t *testing.T) {
	t.Parallel()
	storetest.ExerciseRetention(t, func(t *testing.T) storetest.RetentionStore { return newStore(t) })
}
