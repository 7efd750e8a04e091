package dispatch_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/dispatch"
	"github.com/heraldhq/herald/wire"
)

// TestDeliverNowRespectsConcurrencyCap: interactive attempts to an endpoint
// capped at one request at a time go one at a time; those that cannot get
// a slot within the deadline go back to the queue and are delivered later.
func TestDeliverNowRespectsConcurrencyCap(t *testing.T) {
	t.Parallel()
	// Concurrency is counted on Herald's side of the wire: a request
	// Herald has abandoned at the deadline is over for the cap, although
	// the partner may notice the closed connection a moment later.
	var inFlight, most atomic.Int64
	r := newRig(t, func(c *dispatch.Config) {
		client := *c.Client
		client.Transport = &countingTransport{next: client.Transport, inFlight: &inFlight, most: &most}
		c.Client = &client
	})
	r.customer(t, "2187")
	var hold atomic.Bool
	hold.Store(true)
	release := make(chan struct{})
	var releaseOnce sync.Once
	free := func() { releaseOnce.Do(func() { hold.Store(false); close(release) }) }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body) // so the server notices a closed connection
		if hold.Load() {
			select {
			case <-release:
			case <-req.Context().Done():
			}
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(free) // before srv.Close, which waits for the handlers
	r.endpoint(t, "2187", srv.URL, func(e *herald.Endpoint) { e.MaxConcurrency = 1 })

	// Due in an hour, so only DeliverNow takes them.
	later := time.Now().UTC().Add(time.Hour)
	var ids []string
	for i := range 3 {
		ids = append(ids, r.publishAt(t, "2187", itoa(13437+i), wire.EventTypeAssessment, later).Deliveries[0].ID)
	}
	outcomes, err := r.disp.DeliverNow(t.Context(), ids, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if m := most.Load(); m != 1 {
		t.Fatalf("the partner had %d interactive requests at once, want at most its cap of 1", m)
	}
	// Read the attempt counts before freeing the partner: once it answers,
	// the background loop may deliver the queued ones at any moment, and
	// an attempt recorded by the loop is not one DeliverNow made.
	var queued []string
	for _, o := range outcomes {
		if o.State != herald.DeliveryStatePending && o.State != herald.DeliveryStateDelivered {
			t.Fatalf("outcome %+v: want pending (back in the queue) or delivered", o)
		}
		d, err := r.store.DeliveryGet(t.Context(), o.DeliveryID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Attempts == 0 {
			queued = append(queued, d.ID)
		}
	}
	if len(queued) == 0 {
		t.Fatal("every delivery was attempted within the deadline although one held the only slot for all of it")
	}
	free()
	// What went back to the queue is delivered by the background loop.
	for _, id := range queued {
		r.wait(t, id, func(d *herald.Delivery) bool { return d.State == herald.DeliveryStateDelivered })
	}
	if m := most.Load(); m != 1 {
		t.Fatalf("the partner had %d requests at once, want at most 1", m)
	}
}

// TestDeliverNowRespectsRateLimit: interactive attempts take the
// endpoint's rate-limit tokens like any other; one that would wait longer
// than its deadline allows goes back to the queue and is delivered when a
// token is due.
func TestDeliverNowRespectsRateLimit(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	r.customer(t, "2187")
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	// One request every two seconds, no burst beyond one.
	r.endpoint(t, "2187", srv.URL, func(e *herald.Endpoint) { e.RateLimit = 0.5; e.RateBurst = 1 })

	later := time.Now().UTC().Add(time.Hour)
	var ids []string
	for i := range 3 {
		ids = append(ids, r.publishAt(t, "2187", itoa(13437+i), wire.EventTypeAssessment, later).Deliveries[0].ID)
	}
	outcomes, err := r.disp.DeliverNow(t.Context(), ids, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if n := hits.Load(); n != 1 {
		t.Fatalf("the partner got %d requests within a second, want 1 (its rate is one per two seconds)", n)
	}
	delivered := 0
	for _, o := range outcomes {
		switch o.State {
		case herald.DeliveryStateDelivered:
			delivered++
		case herald.DeliveryStatePending:
		default:
			t.Fatalf("outcome %+v: want delivered or pending", o)
		}
	}
	if delivered != 1 {
		t.Fatalf("%d delivered at once, want 1", delivered)
	}
	for _, id := range ids {
		r.wait(t, id, func(d *herald.Delivery) bool { return d.State == herald.DeliveryStateDelivered })
	}
}

// countingTransport counts the requests in flight from the moment Herald
// sends one until it has closed the reply (or given up on it), and keeps
// the most seen at once.
type countingTransport struct {
	next           http.RoundTripper
	inFlight, most *atomic.Int64
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	n := c.inFlight.Add(1)
	for {
		m := c.most.Load()
		if n <= m || c.most.CompareAndSwap(m, n) {
			break
		}
	}
	resp, err := c.next.RoundTrip(req)
	if err != nil {
		c.inFlight.Add(-1)
		return nil, err
	}
	resp.Body = &closeHook{ReadCloser: resp.Body, done: func() { c.inFlight.Add(-1) }}
	return resp, nil
}

type closeHook struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (h *closeHook) Close() error {
	err := h.ReadCloser.Close()
	h.once.Do(h.done)
	return err
}
