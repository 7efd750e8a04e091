package dispatch_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/dispatch"
	"github.com/heraldhq/herald/wire"
)

// TestPartnerReplyCannotStallOthers: a partner answering with a NUL byte
// or invalid UTF-8 (in its body, or in the userMessage of a 400) must not
// keep anyone's results from being stored. On PostgreSQL such text used to
// fail the whole batch of results (SQLSTATE 22021) again and again, and
// another customer's deliveries stayed pending though their partner had
// them. What the partner sent is kept, escaped.
func TestPartnerReplyCannotStallOthers(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.customer(t, "6268")
	b.customer(t, "2187")

	mux := http.NewServeMux()
	mux.HandleFunc("/nul", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok\x00\xffdone")
	})
	mux.HandleFunc("/reject", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		_, _ = io.WriteString(w, `{"error":{"userMessage":"bad\u0000input","debugErrorMessage":"\u0000"}}`)
	})
	var good atomic.Int64
	mux.HandleFunc("/good", func(w http.ResponseWriter, r *http.Request) { good.Add(1) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	nul := b.endpoint(t, "6268", srv.URL+"/nul", nil)
	b.endpoint(t, "6268", srv.URL+"/reject", nil)
	b.endpoint(t, "2187", srv.URL+"/good", nil)

	bad := b.publish(t, "6268", "13437")
	var others []string
	for i := range 50 {
		res := b.publish(t, "2187", itoa(20000+i))
		others = append(others, res.Deliveries[0].ID)
	}
	for _, id := range others {
		b.waitDelivery(t, id, inState(herald.DeliveryStateDelivered))
	}
	for _, d := range bad.Deliveries {
		if d.EndpointID == nul.ID {
			got := b.waitDelivery(t, d.ID, inState(herald.DeliveryStateDelivered))
			if body := got.AttemptLog[0].ResponseBody; body != `ok\x00\xffdone` {
				t.Errorf("stored reply body = %q, want the partner's bytes escaped", body)
			}
			continue
		}
		got := b.waitDelivery(t, d.ID, inState(herald.DeliveryStateRejected))
		if msg := got.AttemptLog[0].UserMessage; msg != `bad\x00input` {
			t.Errorf("stored userMessage = %q, want the partner's text escaped", msg)
		}
	}
}

// refusingStore refuses, as a whole, any batch of results holding an
// attempt whose reply body contains "poison", as PostgreSQL refuses text it
// cannot store: nothing in the batch is written.
type refusingStore struct {
	herald.Store
	refused atomic.Int64
}

func (s *refusingStore) DeliveryRecordAttempts(ctx context.Context, recs []*herald.AttemptRecord) error {
	for _, r := range recs {
		if r.Attempt != nil && strings.Contains(r.Attempt.ResponseBody, "poison") {
			s.refused.Add(1)
			return herald.Errorf(herald.EINTERNAL, "invalid byte sequence for encoding")
		}
	}
	return s.Store.DeliveryRecordAttempts(ctx, recs)
}

// TestRecorderIsolatesRecordTheStoreRefuses: a record the store refuses
// for what it holds is found in its batch, stored without the partner's
// reply, and never retried with everyone else's.
func TestRecorderIsolatesRecordTheStoreRefuses(t *testing.T) {
	t.Parallel()
	var wrapped *refusingStore
	r := newRig(t, func(c *dispatch.Config) {
		wrapped = &refusingStore{Store: c.Store}
		c.Store = wrapped
		// The partners hold their replies until every event is
		// published, however slow the machine.
		c.RequestTimeout = 2 * time.Minute
		c.LeaseDuration = 3 * time.Minute
		c.Client = dispatch.NewHTTPClient(dispatch.ClientConfig{Policy: loopbackOnly, Timeout: c.RequestTimeout})
	})
	r.customer(t, "6268")
	r.customer(t, "2187")
	release := make(chan struct{})
	releaseAll := sync.OnceFunc(func() { close(release) })
	mux := http.NewServeMux()
	mux.HandleFunc("/poison", func(w http.ResponseWriter, _ *http.Request) {
		<-release
		_, _ = io.WriteString(w, "poison")
	})
	mux.HandleFunc("/good", func(w http.ResponseWriter, _ *http.Request) { <-release })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	t.Cleanup(releaseAll) // after srv.Close is registered, so it runs first
	poison := r.endpoint(t, "6268", srv.URL+"/poison", nil)
	r.endpoint(t, "2187", srv.URL+"/good", func(e *herald.Endpoint) { e.MaxConcurrency = 50 })

	bad := r.publish(t, "6268", "13437", wire.EventTypeWorkFlowStatusChange)
	var others []string
	for i := range 50 {
		others = append(others, r.publish(t, "2187", itoa(20000+i), wire.EventTypeWorkFlowStatusChange).Deliveries[0].ID)
	}
	// Every partner answers at once, so the results share batches.
	releaseAll()
	for _, id := range others {
		r.wait(t, id, func(d *herald.Delivery) bool { return d.State == herald.DeliveryStateDelivered })
	}
	got := r.wait(t, bad.Deliveries[0].ID, func(d *herald.Delivery) bool { return d.State == herald.DeliveryStateDelivered })
	if got.EndpointID != poison.ID || got.Attempts != 1 {
		t.Fatalf("poisoned delivery: endpoint %s, %d attempts", got.EndpointID, got.Attempts)
	}
	a := got.AttemptLog[0]
	if a.ResponseBody != "" || a.StatusCode != 200 || !strings.Contains(a.Error, "could not be stored") {
		t.Fatalf("poisoned attempt stored as %+v, want the reduced form (status kept, no body, a note)", a)
	}
	if n := wrapped.refused.Load(); n > 20 {
		t.Fatalf("the store refused %d batches: the record was retried instead of isolated", n)
	}
}
