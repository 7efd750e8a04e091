package postgres

import (
	"testing"

	"go.uber.org/goleak"
)

// The store starts goroutines (the pool's health checks, ListenWork's
// session); a test that leaves one running has a bug that would leak in
// production too.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
