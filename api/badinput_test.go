package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
	"github.com/heraldhq/herald/wire"
)

// snapshot returns everything the store holds for the test's customers, as
// JSON (secrets included: this is a test), to show that a refused request
// changed nothing.
func (b *testBundle) snapshot(t testing.TB, eventIDs ...string) string {
	t.Helper()
	ctx := t.Context()
	customers, err := b.store.CustomerList(ctx)
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	state := map[string]any{"customers": customers}
	for _, c := range customers {
		eps, err := b.store.EndpointList(ctx, c.ID)
		if err != nil {
			t.Fatalf("snapshot: %v", err)
		}
		ds, err := b.store.DeliveryList(ctx, &herald.DeliveryListParams{CustomerID: c.ID, Limit: 500})
		if err != nil {
			t.Fatalf("snapshot: %v", err)
		}
		state["endpoints/"+c.ID] = eps
		state["deliveries/"+c.ID] = ds.Deliveries
	}
	for _, id := range eventIDs {
		ev, err := b.store.EventGet(ctx, id)
		if err != nil {
			t.Fatalf("snapshot: %v", err)
		}
		state["event/"+id] = ev
	}
	out, err := json.Marshal(state)
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	return string(out)
}

// TestBadInput sends every kind of bad request of issue item 8, and more,
// and checks each gets a clear 4xx JSON error and leaves the data as it was.
func TestBadInput(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.createCustomer(t, "6269")
	ep, err := b.client.EndpointCreate(t.Context(), "6269", &api.EndpointCreateRequest{
		URL: partnerEndpoint, EventTypes: []wire.EventType{wire.EventTypeWorkFlowStatusChange, wire.EventTypeRemoteLogin},
		Auth: &api.AuthRequest{Type: herald.AuthTypeBasic, Username: "u", Password: basicPassword},
	})
	if err != nil {
		t.Fatalf("create endpoint: %v", err)
	}
	published := b.publish(t, "6269", statusChange("1"))
	before := b.snapshot(t, published.ID)

	const (
		events    = "/api/v1/customers/6269/events"
		endpoints = "/api/v1/customers/6269/endpoints"
		status    = `"eventType":"WorkFlowStatusChangeEvent","systemId":"1","userId":"2","personId":"3","jobId":"4","oldStatus":"a","newStatus":"b"`
		login     = `"eventType":"RemoteLoginEvent","systemId":"244","userId":"244"`
	)
	endpoint := endpoints + "/" + ep.ID
	oversize := `{"eventType":"` + strings.Repeat("a", api.DefaultMaxBodyBytes) + `"}`
	jsonCT := http.Header{"Content-Type": {"application/json"}}

	tests := []struct {
		name         string
		method, path string
		header       http.Header
		body         string
		status       int
		code         string
		msg          string // substring of the message
	}{
		// Event publish.
		{"unknown event type", "POST", events, nil, `{"eventType":"NopeEvent","systemId":"1","userId":"2"}`, 400, "invalid", "eventType must be one of"},
		{"no event type", "POST", events, nil, `{"systemId":"1","userId":"2"}`, 400, "invalid", "eventType is required"},
		{"missing required field", "POST", events, nil, `{` + strings.Replace(status, `"jobId":"4",`, "", 1) + `}`, 400, "invalid", "jobId is required"},
		{"field the type does not use", "POST", events, nil, `{` + login + `,"returnUrl":"https://x.example","jobId":"4"}`, 400, "invalid", "jobId is not used"},
		{"malformed return url", "POST", events, nil, `{` + login + `,"returnUrl":"not a url"}`, 400, "invalid", "returnUrl must be"},
		{"relative return url", "POST", events, nil, `{` + login + `,"returnUrl":"/back"}`, 400, "invalid", "returnUrl must be"},
		{"id with a slash", "POST", events, nil, `{"eventType":"RemoteLoginEvent","systemId":"a/b","userId":"2","returnUrl":"https://x.example"}`, 400, "invalid", "systemId"},
		{"unknown customer", "POST", "/api/v1/customers/nope/events", nil, `{` + status + `}`, 404, "not_found", "customer"},
		{"links in body", "POST", events, nil, `{` + status + `,"links":[]}`, 400, "invalid", "links are built by Herald"},
		{"customerId in body", "POST", events, nil, `{` + status + `,"customerId":"6269"}`, 400, "invalid", "customerId is built by Herald"},
		{"interactive", "POST", events, nil, `{` + status + `,"interactive":true}`, 400, "invalid", "interactive"},
		{"unknown field", "POST", events, nil, `{` + status + `,"foo":1}`, 400, "invalid", `unknown field "foo"`},
		{"id as a number", "POST", events, nil, `{"eventType":"WorkFlowStatusChangeEvent","systemId":1}`, 400, "invalid", "systemId must be a string"},
		{"truncated JSON", "POST", events, nil, `{"eventType":`, 400, "invalid", "malformed JSON"},
		{"bad JSON syntax", "POST", events, nil, `{"eventType" 1}`, 400, "invalid", "malformed JSON at byte"},
		{"empty body", "POST", events, jsonCT, ``, 400, "invalid", "empty"},
		{"two values", "POST", events, nil, `{` + status + `}{}`, 400, "invalid", "nothing after it"},
		{"array", "POST", events, nil, `[]`, 400, "invalid", "must be an object"},
		{"string", "POST", events, nil, `"x"`, 400, "invalid", "must be an object"},
		{"text/plain", "POST", events, http.Header{"Content-Type": {"text/plain"}}, `{` + status + `}`, 415, api.ErrorCodeUnsupportedMediaType, "application/json"},
		{"no content type", "POST", events, http.Header{"Content-Type": {""}}, `{` + status + `}`, 415, api.ErrorCodeUnsupportedMediaType, "application/json"},
		{"latin-1", "POST", events, http.Header{"Content-Type": {"application/json; charset=latin1"}}, `{` + status + `}`, 415, api.ErrorCodeUnsupportedMediaType, "utf-8"},
		{"oversize body", "POST", events, nil, oversize, 413, "too_large", "larger than the limit of 1048576 bytes"},
		{"wrong token", "POST", events, http.Header{"Authorization": {"Bearer nope-nope-nope-nope"}}, `{` + status + `}`, 401, "unauthorized", "admin token"},
		{"no token", "POST", events, http.Header{"Authorization": nil}, `{` + status + `}`, 401, "unauthorized", "Bearer"},

		// Endpoints.
		{"malformed endpoint url", "POST", endpoints, nil, `{"url":"htp:/x","eventTypes":["RemoteLoginEvent"],"auth":{"type":"none"}}`, 400, "invalid", "url must be an absolute http or https URL"},
		{"endpoint url with credentials", "POST", endpoints, nil, `{"url":"https://u:p@x.example","eventTypes":["RemoteLoginEvent"],"auth":{"type":"none"}}`, 400, "invalid", "credentials"},
		{"no event types", "POST", endpoints, nil, `{"url":"https://x.example","eventTypes":[],"auth":{"type":"none"}}`, 400, "invalid", "eventTypes"},
		{"unknown endpoint event type", "POST", endpoints, nil, `{"url":"https://x.example","eventTypes":["NopeEvent"],"auth":{"type":"none"}}`, 400, "invalid", `unknown event type "NopeEvent"`},
		{"endpoint of unknown customer", "POST", "/api/v1/customers/nope/endpoints", nil, `{"url":"https://x.example","eventTypes":["RemoteLoginEvent"],"auth":{"type":"none"}}`, 404, "not_found", "customer"},
		{"concurrency as a string", "POST", endpoints, nil, `{"url":"https://x.example","eventTypes":["RemoteLoginEvent"],"auth":{"type":"none"},"maxConcurrency":"3"}`, 400, "invalid", "maxConcurrency must be an integer"},
		{"concurrency too high", "POST", endpoints, nil, `{"url":"https://x.example","eventTypes":["RemoteLoginEvent"],"auth":{"type":"none"},"maxConcurrency":1000}`, 400, "invalid", "maxConcurrency"},
		{"gzip as a string", "POST", endpoints, nil, `{"url":"https://x.example","eventTypes":["RemoteLoginEvent"],"auth":{"type":"none"},"gzip":"yes"}`, 400, "invalid", "gzip must be true or false"},
		{"unknown auth field", "POST", endpoints, nil, `{"url":"https://x.example","eventTypes":["RemoteLoginEvent"],"auth":{"type":"none","token":"x"}}`, 400, "invalid", `unknown field "token"`},
		{"patch malformed url", "PATCH", endpoint, nil, `{"url":"nope"}`, 400, "invalid", "url must be"},
		{"patch unknown field", "PATCH", endpoint, nil, `{"urll":"https://x.example"}`, 400, "invalid", `unknown field "urll"`},
		{"patch auth of another type without secret", "PATCH", endpoint, nil, `{"auth":{"type":"hmac","username":"u"}}`, 400, "invalid", "auth.secret"},
		{"patch unknown endpoint", "PATCH", endpoints + "/ep_nope", nil, `{"enabled":false}`, 404, "not_found", "endpoint"},
		{"patch oversize", "PATCH", endpoint, nil, oversize, 413, "too_large", "limit"},
		{"delete unknown endpoint", "DELETE", endpoints + "/ep_nope", nil, ``, 404, "not_found", "endpoint"},

		// Customers.
		{"duplicate customer", "POST", "/api/v1/customers", nil, `{"id":"6269","name":"Again"}`, 409, "conflict", "6269"},
		{"customer id with a space", "POST", "/api/v1/customers", nil, `{"id":"a b","name":"X"}`, 400, "invalid", "id may contain only"},
		{"customer without name", "POST", "/api/v1/customers", nil, `{"id":"x"}`, 400, "invalid", "name is required"},

		// Deliveries and events.
		{"bad state", "GET", "/api/v1/customers/6269/deliveries?state=pending,lost", nil, ``, 400, "invalid", `state: "lost"`},
		{"bad since", "GET", "/api/v1/customers/6269/deliveries?since=yesterday", nil, ``, 400, "invalid", "since must be an RFC 3339 time"},
		{"bad until", "GET", "/api/v1/customers/6269/deliveries?until=2024-01-01", nil, ``, 400, "invalid", "until must be"},
		{"since after until", "GET", "/api/v1/customers/6269/deliveries?since=2025-01-02T00:00:00Z&until=2025-01-01T00:00:00Z", nil, ``, 400, "invalid", "since must be before until"},
		{"zero limit", "GET", "/api/v1/customers/6269/deliveries?limit=0", nil, ``, 400, "invalid", "limit must be an integer from 1 to 500"},
		{"big limit", "GET", "/api/v1/customers/6269/deliveries?limit=501", nil, ``, 400, "invalid", "limit"},
		{"word limit", "GET", "/api/v1/customers/6269/deliveries?limit=ten", nil, ``, 400, "invalid", "limit"},
		{"two limits", "GET", "/api/v1/customers/6269/deliveries?limit=1&limit=2", nil, ``, 400, "invalid", "more than once"},
		{"unknown parameter", "GET", "/api/v1/customers/6269/deliveries?states=dead", nil, ``, 400, "invalid", `unknown query parameter "states"`},
		{"bad event type filter", "GET", "/api/v1/customers/6269/deliveries?eventType=Nope", nil, ``, 400, "invalid", "eventType"},
		{"bad cursor", "GET", "/api/v1/customers/6269/deliveries?cursor=%21%21", nil, ``, 400, "invalid", "cursor"},
		{"deliveries of unknown customer", "GET", "/api/v1/customers/nope/deliveries", nil, ``, 404, "not_found", "customer"},
		{"unknown event", "GET", "/api/v1/events/evt_nope", nil, ``, 404, "not_found", "evt_nope"},
		{"unknown delivery", "GET", "/api/v1/deliveries/dlv_nope", nil, ``, 404, "not_found", "dlv_nope"},
		{"retry unknown delivery", "POST", "/api/v1/deliveries/dlv_nope/retry", nil, ``, 404, "not_found", "dlv_nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Not parallel: each case checks that the data is unchanged.
			r := b.rawRequest(t, tt.method, tt.path, tt.header, tt.body)
			if r.status != tt.status || r.err.Error.Code != tt.code {
				t.Fatalf("status %d code %q, want %d %q; body %.300s", r.status, r.err.Error.Code, tt.status, tt.code, r.body)
			}
			if !strings.Contains(r.err.Error.Message, tt.msg) {
				t.Fatalf("message %q, want it to contain %q", r.err.Error.Message, tt.msg)
			}
			if after := b.snapshot(t, published.ID); after != before {
				t.Fatalf("stored data changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}
