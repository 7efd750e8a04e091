package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/heraldhq/herald/api"
	"github.com/heraldhq/herald/wire"
)

// FuzzPublishRequest sends arbitrary bytes as the body of an event publish:
// whatever they are, the reply is a JSON 202 or 4xx, never a 5xx or a panic.
func FuzzPublishRequest(f *testing.F) {
	b := setup(f, nil)
	b.createCustomer(f, "6269")
	b.createEndpoint(f, "6269", wire.EventTypes...)
	srv, err := api.NewServer(api.Config{
		Store: b.store, Publisher: &storePublisher{b.store}, AdminToken: testToken, PublicURL: testPublicURL,
		MaxBodyBytes: 64 << 10,
		Health:       b.store, Replays: b.store, Retention: b.store, RetryPolicies: b.store,
	})
	if err != nil {
		f.Fatalf("new server: %v", err)
	}

	for _, seed := range []string{
		`{"eventType":"WorkFlowStatusChangeEvent","systemId":"13437","userId":"9059","personId":"9166","jobId":"4442","oldStatus":"1753","newStatus":"20786"}`,
		`{"eventType":"AssessmentEvent","systemId":"12391385","userId":"1239","jobId":"1385","returnUrl":"https://careers.example.com/jobs/1385/assessment?i=1"}`,
		`{"eventType":"ApplicationCompletedEvent","systemId":"1","userId":"2","jobId":"3","personId":"4","returnUrl":"http://x"}`,
		`{"eventType":"OnboardPortalTaskEvent","systemId":"1","userId":"1","returnUrl":"https://a.example","incompleteUrl":"https://b.example"}`,
		`{"eventType":"JobPostToWebEvent","systemId":"1181","userId":"1930","portalUrl":"https://jobs.example.com/1181"}`,
		`{"eventType":"ViewJobWebPostEvent","systemId":"1","userId":"2"}`,
		`{"eventType":"JobUnpostToWebEvent","systemId":"1","userId":"2"}`,
		`{"eventType":"RemoteLoginEvent","systemId":"244","userId":"244","returnUrl":"https://customer.example.com"}`,
		`{"eventType":"RemoteLoginEvent","systemId":"244","userId":"244","returnUrl":"https://customer.example.com","links":[]}`,
		`{"eventType":"RemoteLoginEvent","systemId":244}`,
		`{"eventType":"RemoteLoginEvent","systemId":"\u0000","userId":"\ud800"}`,
		`{"eventType":"WorkFlowStatusChangeEvent","systemId":"1","userId":"2","personId":"3","jobId":"4","oldStatus":"\n","newStatus":"` + strings.Repeat("x", 65) + `"}`,
		`{"eventType":null,"systemId":null}`,
		`{"EVENTTYPE":"RemoteLoginEvent","CustomerId":"1"}`,
		`{}`, `[]`, `null`, `1e999`, `{"a":`, `{"eventType":"x"} trailing`, "\xff\xfe", ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/api/v1/customers/6269/events", strings.NewReader(string(body)))
		req.Header.Set("Authorization", "Bearer "+testToken)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		switch {
		case rec.Code == http.StatusAccepted:
			var out api.EventPublishResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.ID == "" {
				t.Fatalf("202 with body %q", rec.Body.Bytes())
			}
		case rec.Code >= 400 && rec.Code < 500:
			var out api.ErrorResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.Error.Code == "" || out.Error.Message == "" {
				t.Fatalf("%d with body %q", rec.Code, rec.Body.Bytes())
			}
		default:
			t.Fatalf("status %d for body %q: %s", rec.Code, body, rec.Body.Bytes())
		}
	})
}
