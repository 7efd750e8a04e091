package dispatch_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/dispatch"
	"github.com/heraldhq/herald/wire"
)

// orderSpyStore notes what each record said of its delivery's order.
type orderSpyStore struct {
	herald.Store
	mu        sync.Mutex
	unordered map[string]bool
}

func (s *orderSpyStore) DeliveryRecordAttempts(ctx context.Context, recs []*herald.AttemptRecord) error {
	s.mu.Lock()
	for _, r := range recs {
		s.unordered[r.Lease.DeliveryID] = r.Unordered
	}
	s.mu.Unlock()
	return s.Store.DeliveryRecordAttempts(ctx, recs)
}

// TestRecordsSayWhetherTheDeliveryIsOrdered: a record marks its delivery
// unordered (so a store may skip ordered delivery's locks) exactly when
// the delivery has no subject.
func TestRecordsSayWhetherTheDeliveryIsOrdered(t *testing.T) {
	t.Parallel()
	spy := &orderSpyStore{unordered: map[string]bool{}}
	r := newRig(t, func(c *dispatch.Config) {
		spy.Store = c.Store
		c.Store = spy
	})
	r.customer(t, "2187")
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(srv.Close)
	ordered := r.endpoint(t, "2187", srv.URL+"/ordered", func(e *herald.Endpoint) { e.Ordered = true })
	r.endpoint(t, "2187", srv.URL+"/plain", nil)
	res := r.publish(t, "2187", "13437", wire.EventTypeWorkFlowStatusChange)
	for _, d := range res.Deliveries {
		r.wait(t, d.ID, attempted(1))
	}
	r.stop() // every record committed
	spy.mu.Lock()
	defer spy.mu.Unlock()
	for _, d := range res.Deliveries {
		got, ok := spy.unordered[d.ID]
		if want := d.EndpointID != ordered.ID; !ok || got != want {
			t.Errorf("delivery to %s: recorded %t (Unordered %t), want Unordered %t", d.EndpointID, ok, got, want)
		}
	}
}
