package dispatch

import (
	"testing"

	"go.uber.org/goleak"
)

// The dispatcher starts goroutines (claimer, lanes, recorder); a test that
// leaves one running has a bug that would leak in production too.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// The HTTP transport keeps idle connections' goroutines briefly.
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
	)
}
