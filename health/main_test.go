package health_test

import (
	"testing"

	"go.uber.org/goleak"
)

// The Monitor and the Notifier run goroutines; a test that leaves one
// running has a bug that would leak in production too.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// The HTTP transport keeps idle connections' goroutines briefly.
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
	)
}
