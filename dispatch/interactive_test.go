package dispatch_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

func TestDeliverNowReturnsEachPartnersReply(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.customer(t, "2187")
	mux := http.NewServeMux()
	mux.HandleFunc("/assess", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "https://vendor.example/assessment/77")
		w.WriteHeader(http.StatusSeeOther)
	})
	mux.HandleFunc("/refuse", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":{"userMessage":"Please provide {{person.usssn}}.","debugErrorMessage":"ssn missing"}}`)
	})
	release := make(chan struct{})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { close(release); srv.Close() })
	paths := map[string]string{}
	for _, p := range []string{"/assess", "/refuse", "/slow"} {
		paths[b.endpoint(t, "2187", srv.URL+p, nil).ID] = p
	}

	// The publisher wakes the background loop too, so it may lease some
	// of these first; DeliverNow then follows them instead of leasing
	// them itself. Either way the caller gets each partner's reply.
	res := b.publish(t, "2187", "13437")
	ids := make([]string, len(res.Deliveries))
	for i, d := range res.Deliveries {
		ids[i] = d.ID
	}
	start := time.Now()
	// Generous for a loaded CI machine; only the hanging partner uses it all.
	outcomes, err := b.disp.DeliverNow(t.Context(), ids, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("DeliverNow took %s with a 2s deadline", took)
	}
	if len(outcomes) != len(ids) {
		t.Fatalf("%d outcomes for %d deliveries", len(outcomes), len(ids))
	}
	for i, o := range outcomes {
		if o.DeliveryID != ids[i] {
			t.Fatalf("outcome %d is for %s, want %s (order of ids)", i, o.DeliveryID, ids[i])
		}
		switch p := paths[o.EndpointID]; p {
		case "/assess":
			if o.State != herald.DeliveryStateDelivered || o.Location != "https://vendor.example/assessment/77" || o.StatusCode != 303 {
				t.Errorf("%s: %+v", p, o)
			}
		case "/refuse":
			if o.State != herald.DeliveryStateRejected || o.UserMessage != "Please provide {{person.usssn}}." {
				t.Errorf("%s: %+v", p, o)
			}
		case "/slow":
			if !o.TimedOut || o.State != herald.DeliveryStatePending || !strings.Contains(o.UserMessage, "did not answer in time") {
				t.Errorf("%s: %+v", p, o)
			}
		default:
			t.Errorf("outcome for unknown endpoint: %+v", o)
		}
	}
	// What DeliverNow reported is what the store holds. (A delivery the
	// background loop leased first may still be in its attempt when the
	// person stops waiting: then the outcome is a timeout and the store
	// has no attempt yet.)
	for _, o := range outcomes {
		if o.TimedOut {
			continue
		}
		d, err := b.store.DeliveryGet(t.Context(), o.DeliveryID)
		if err != nil {
			t.Fatal(err)
		}
		if d.State != o.State || d.Attempts != 1 {
			t.Errorf("%s: store says %s with %d attempts, outcome says %s", paths[o.EndpointID], d.State, d.Attempts, o.State)
		}
	}
}
