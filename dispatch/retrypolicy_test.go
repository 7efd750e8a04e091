package dispatch_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// A customer's retry policies decide what a failure means: the event
// type's policy beats the customer's default, which beats Herald's.
func TestRetryPolicyPerCustomerAndEventType(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	r.customer(t, "strict")
	r.customer(t, "plain")
	ps := r.store.(herald.RetryPolicyStore)
	// strict: no retries at all by default; a 503 on a status change is
	// final.
	for _, p := range []*herald.CustomerRetryPolicy{
		{CustomerID: "strict", MaxAttempts: 1},
		{CustomerID: "strict", EventType: wire.EventTypeWorkFlowStatusChange, PermanentStatuses: []int{503}},
	} {
		if err := ps.RetryPolicySet(t.Context(), p); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	r.endpoint(t, "strict", srv.URL, nil)
	r.endpoint(t, "plain", srv.URL, nil)

	cases := []struct {
		customer string
		typ      wire.EventType
		want     herald.DeliveryState
	}{
		{"strict", wire.EventTypeWorkFlowStatusChange, herald.DeliveryStateRejected}, // event type's policy
		{"strict", wire.EventTypeAssessment, herald.DeliveryStateDead},               // customer's default
		{"plain", wire.EventTypeAssessment, herald.DeliveryStatePending},             // Herald's default: retried
	}
	for i, tc := range cases {
		id := r.publish(t, tc.customer, "w"+itoa(i), tc.typ).Deliveries[0].ID
		d := r.wait(t, id, attempted(1))
		if d.State != tc.want {
			t.Errorf("%s %s after a 503: %s, want %s (last error %q)", tc.customer, tc.typ, d.State, tc.want, d.LastError)
		}
	}
}
