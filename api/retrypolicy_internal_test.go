package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/sqlite"
)

// noPublisher is a herald.Publisher these tests never call.
type noPublisher struct{}

func (noPublisher) Publish(context.Context, *herald.Event) (*herald.EventPublishResult, error) {
	return nil, herald.Errorf(herald.EUNAVAILABLE, "not in this test")
}

// TestRetryPolicyRoutes drives the retry policy routes through the whole
// API, as a client would.
func TestRetryPolicyRoutes(t *testing.T) {
	t.Parallel()
	store, err := sqlite.Open(t.Context(), &sqlite.Config{Path: filepath.Join(t.TempDir(), "herald.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	if err := store.CustomerCreate(t.Context(), &herald.Customer{ID: "6269", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	s, err := NewServer(Config{Store: store, Publisher: noPublisher{}, AdminToken: "an-admin-token-long-enough", PublicURL: "https://herald.example",
		RetryPolicies: store})
	if err != nil {
		t.Fatal(err)
	}
	mux := withToken(s, "an-admin-token-long-enough")
	do := func(method, path, body string) (int, string) {
		t.Helper()
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	const base = "/api/v1/customers/6269/retry-policies"

	code, body := do("PUT", base+"/default", `{"schedule":["10s","1m","10m"],"maxAttempts":6,"maxWindow":"20m"}`)
	if code != http.StatusOK {
		t.Fatalf("PUT default: %d %s", code, body)
	}
	var p RetryPolicy
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatal(err)
	}
	// 6 attempts would repeat the last wait, but 10s+1m+10m+10m passes
	// the 20m window: three retries remain.
	if p.EventType != "default" || !slices.Equal(p.EffectiveSchedule, []string{"10s", "1m0s", "10m0s"}) ||
		!slices.Equal(p.EffectivePermanentStatuses, []int{400}) || p.MaxWindow != "20m0s" {
		t.Fatalf("default policy = %+v", p)
	}
	// A legacy event type name is made canonical.
	if code, body := do("PUT", base+"/ApplicationCompletedEvent", `{"permanentStatuses":[400,422]}`); code != http.StatusOK || !strings.Contains(body, `"eventType":"AssessmentEvent"`) {
		t.Fatalf("PUT AssessmentEvent: %d %s", code, body)
	}
	code, body = do("GET", base, "")
	var list RetryPolicyList
	if err := json.Unmarshal([]byte(body), &list); err != nil || code != http.StatusOK {
		t.Fatalf("list: %d %s", code, body)
	}
	if len(list.Data) != 2 || list.Data[0].EventType != "default" || list.Data[1].EventType != "AssessmentEvent" {
		t.Fatalf("list = %+v", list.Data)
	}
	if code, _ := do("GET", base+"/AssessmentEvent", ""); code != http.StatusOK {
		t.Fatalf("GET: %d", code)
	}
	if code, _ := do("DELETE", base+"/AssessmentEvent", ""); code != http.StatusNoContent {
		t.Fatalf("DELETE: %d", code)
	}
	for _, tc := range []struct {
		method, path, body string
		code               int
	}{
		{"GET", base + "/AssessmentEvent", "", http.StatusNotFound},
		{"DELETE", base + "/AssessmentEvent", "", http.StatusNotFound},
		{"PUT", base + "/NoSuchEvent", `{}`, http.StatusNotFound},
		{"PUT", "/api/v1/customers/nobody/retry-policies/default", `{}`, http.StatusNotFound},
		{"PUT", base + "/default", `{"schedule":["soon"]}`, http.StatusBadRequest},
		{"PUT", base + "/default", `{"schedule":["1ms"]}`, http.StatusBadRequest},
		{"PUT", base + "/default", `{"permanentStatuses":[410]}`, http.StatusBadRequest},
		{"PUT", base + "/default", `{"maxWindow":"forever"}`, http.StatusBadRequest},
		{"PUT", base + "/default", `{"retries":3}`, http.StatusBadRequest},
	} {
		if code, body := do(tc.method, tc.path, tc.body); code != tc.code {
			t.Errorf("%s %s %s: %d %s, want %d", tc.method, tc.path, tc.body, code, body, tc.code)
		}
	}
}
