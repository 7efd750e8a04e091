package postgres_test

import (
	"testing"

	"github.com/heraldhq/herald/internal/storetest"
)

func TestWebUserStore(t *testing.T) {
	t.Parallel()
	storetest.ExerciseWebUser(t, func(t *testing.T) storetest.WebUserStore { return newStore(t) })
}
