package retention_test

import (
	"testing"

	"go.uber.org/goleak"
)

// A Purger runs in a goroutine of its caller; a test that leaves one running
// has a bug that would leak in production too.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
