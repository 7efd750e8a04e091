package replay_test

import (
	"testing"

	"go.uber.org/goleak"
)

// A Runner runs a goroutine; a test that leaves one running has a bug that
// would leak in production too.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
