package api_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
	"github.com/heraldhq/herald/wire"
)

func TestEventPublishAndGet(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := t.Context()
	b.createCustomer(t, "2187")
	e1 := b.createEndpoint(t, "2187", wire.EventTypeWorkFlowStatusChange)
	e2 := b.createEndpoint(t, "2187", wire.EventTypeWorkFlowStatusChange, wire.EventTypeRemoteLogin)
	b.createEndpoint(t, "2187", wire.EventTypeRemoteLogin) // does not want status changes

	res := b.publish(t, "2187", statusChange("13437"))
	if !strings.HasPrefix(res.ID, herald.IDPrefixEvent) {
		t.Fatalf("event id = %q", res.ID)
	}
	if len(res.Deliveries) != 2 {
		t.Fatalf("deliveries = %+v, want 2", res.Deliveries)
	}
	byEndpoint := map[string]api.DeliverySummary{}
	for _, d := range res.Deliveries {
		if d.State != herald.DeliveryStatePending || !strings.HasPrefix(d.ID, herald.IDPrefixDelivery) {
			t.Fatalf("delivery = %+v", d)
		}
		byEndpoint[d.EndpointID] = d
	}
	if _, ok := byEndpoint[e1.ID]; !ok {
		t.Fatalf("no delivery to %s", e1.ID)
	}
	if _, ok := byEndpoint[e2.ID]; !ok {
		t.Fatalf("no delivery to %s", e2.ID)
	}

	ev, err := b.client.EventGet(ctx, res.ID)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	const wantBody = `{"systemId":"13437","eventType":"WorkFlowStatusChangeEvent","links":[` +
		`{"url":"https://herald.example.com/customers/2187/applicantworkflows/13437","rel":"applicantWorkflow","title":"Applicant Workflow"},` +
		`{"url":"https://herald.example.com/customers/2187/jobs/4442","rel":"job","title":"Job Profile"},` +
		`{"url":"https://herald.example.com/customers/2187/people/9166","rel":"person","title":"Person Profile"},` +
		`{"url":"https://herald.example.com/customers/2187/people/9059","rel":"user","title":"Posting User"}],` +
		`"personId":"9166","userId":"9059","jobId":"4442","customerId":"2187","oldStatus":"1753","newStatus":"20786"}`
	if string(ev.Body) != wantBody {
		t.Fatalf("body =\n%s\nwant\n%s", ev.Body, wantBody)
	}
	if ev.ID != res.ID || ev.CustomerID != "2187" || ev.EventType != wire.EventTypeWorkFlowStatusChange || !ev.CreatedAt.Equal(b.clock.Now()) {
		t.Fatalf("event = %+v", ev)
	}
	if !strings.HasPrefix(ev.LinkHeader, `https://herald.example.com/customers/2187/applicantworkflows/13437;rel="applicantWorkflow";title="Applicant Workflow",`) || !strings.HasSuffix(ev.LinkHeader, ",") {
		t.Fatalf("link header = %q", ev.LinkHeader)
	}
	if len(ev.Deliveries) != 2 {
		t.Fatalf("event deliveries = %+v", ev.Deliveries)
	}
	for _, d := range ev.Deliveries {
		if d.EventID != res.ID || d.State != herald.DeliveryStatePending || d.Attempts == nil || len(d.Attempts) != 0 || d.NextAttemptAt == nil {
			t.Fatalf("event delivery = %+v", d)
		}
	}

	// The raw reply: body is JSON as sent, not a string or base64.
	r := b.rawRequest(t, http.MethodGet, "/api/v1/events/"+res.ID, nil, "")
	if !strings.Contains(string(r.body), `"body":{"systemId":"13437"`) || !strings.Contains(string(r.body), `"attempts":[]`) {
		t.Fatalf("raw event = %s", r.body)
	}

	_, err = b.client.EventGet(ctx, "evt_nope")
	wantCode(t, err, herald.ENOTFOUND)
}

func TestEventPublishVariants(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := t.Context()
	b.createCustomer(t, "6269")
	ep := b.createEndpoint(t, "6269", wire.EventTypeAssessment)

	// The legacy name is published as AssessmentEvent.
	res := b.publish(t, "6269", &api.EventPublishRequest{EventParams: wire.EventParams{
		EventType: wire.EventTypeApplicationCompleted,
		SystemID:  "12391385", UserID: "1239", JobID: "1385",
		ReturnURL: "https://careers.example.com/jobs/1385/assessment?i=1&x=2",
	}})
	if len(res.Deliveries) != 1 || res.Deliveries[0].EndpointID != ep.ID {
		t.Fatalf("deliveries = %+v", res.Deliveries)
	}
	ev, err := b.client.EventGet(ctx, res.ID)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if ev.EventType != wire.EventTypeAssessment || !strings.Contains(string(ev.Body), `"eventType":"AssessmentEvent"`) ||
		!strings.Contains(string(ev.Body), `assessment?i=1&x=2`) {
		t.Fatalf("event = %+v body %s", ev, ev.Body)
	}

	// No endpoint wants it: stored, no deliveries.
	res = b.publish(t, "6269", &api.EventPublishRequest{EventParams: wire.EventParams{
		EventType: wire.EventTypeJobUnpostToWeb, SystemID: "1", UserID: "2",
	}})
	if res.Deliveries == nil || len(res.Deliveries) != 0 {
		t.Fatalf("deliveries = %#v, want []", res.Deliveries)
	}
	if _, err := b.client.EventGet(ctx, res.ID); err != nil {
		t.Fatalf("get event without deliveries: %v", err)
	}
}

// TestEventPublishConcurrent publishes from many goroutines through one
// client, which shares pooled buffers between calls.
func TestEventPublishConcurrent(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.createCustomer(t, "c1")
	b.createEndpoint(t, "c1", wire.EventTypeWorkFlowStatusChange)

	const n = 40
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			res, err := b.client.EventPublish(t.Context(), "c1", statusChange("s"+strings.Repeat("9", i+1)))
			if err != nil {
				t.Errorf("publish %d: %v", i, err)
				return
			}
			ids[i] = res.ID
		})
	}
	wg.Wait()
	for i, id := range ids {
		ev, err := b.client.EventGet(t.Context(), id)
		if err != nil {
			t.Fatalf("get %d: %v", i, err)
		}
		if want := `"systemId":"s` + strings.Repeat("9", i+1) + `"`; !strings.Contains(string(ev.Body), want) {
			t.Fatalf("event %d body %s, want %s", i, ev.Body, want)
		}
	}
}

func TestEventPublishFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"shutting down", herald.Errorf(herald.EUNAVAILABLE, "Herald is shutting down"), http.StatusServiceUnavailable, herald.EUNAVAILABLE},
		{"broken", errors.New("database is locked"), http.StatusInternalServerError, herald.EINTERNAL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, &setupOpts{Publisher: publishFunc(func(context.Context, *herald.Event) (*herald.EventPublishResult, error) {
				return nil, tt.err
			})})
			r := b.rawRequest(t, http.MethodPost, "/api/v1/customers/c1/events", nil, `{"eventType":"ViewJobWebPostEvent","systemId":"1","userId":"2"}`)
			if r.status != tt.status || r.err.Error.Code != tt.code {
				t.Fatalf("status %d code %q, want %d %q", r.status, r.err.Error.Code, tt.status, tt.code)
			}
			if tt.status == http.StatusServiceUnavailable && r.header.Get("Retry-After") == "" {
				t.Fatalf("503 without Retry-After")
			}
			if strings.Contains(string(r.body), "database is locked") {
				t.Fatalf("internal detail leaked: %s", r.body)
			}
		})
	}
}
