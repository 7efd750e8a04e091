package testfactory_test

import (
	"testing"

	"github.com/heraldhq/herald/internal/testfactory"
	"github.com/heraldhq/herald/wire"
)

// TestNewEvent checks that the default body of every type is one the
// partner contract accepts, with the event's type and newStatus.
func TestNewEvent(t *testing.T) {
	t.Parallel()
	for _, typ := range wire.EventTypes {
		t.Run(string(typ), func(t *testing.T) {
			t.Parallel()
			ev := testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: "6269", Type: typ})
			b, err := wire.ParseBody(ev.Body)
			if err != nil {
				t.Fatalf("parse body %s: %v", ev.Body, err)
			}
			if ev.LinkHeader == "" || len(ev.BodyGzip) == 0 {
				t.Fatalf("LinkHeader %q, %d gzip'd bytes", ev.LinkHeader, len(ev.BodyGzip))
			}
			if b.EventType != typ || b.CustomerID != "6269" || b.NewStatus != ev.NewStatus {
				t.Fatalf("body %+v, want type %s, customer 6269, newStatus %q", b, typ, ev.NewStatus)
			}
			if typ == wire.EventTypeWorkFlowStatusChange && ev.NewStatus == "" {
				t.Fatalf("status change without a NewStatus")
			}
		})
	}
}
