package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
	"github.com/heraldhq/herald/wire"
)

// checkerFunc is an EndpointChecker made of a function: the real battery
// (package conformance) is tested on its own and through openapi's test.
type checkerFunc func(ctx context.Context, e *herald.Endpoint) (*herald.CheckReport, error)

func (f checkerFunc) CheckEndpoint(ctx context.Context, e *herald.Endpoint) (*herald.CheckReport, error) {
	return f(ctx, e)
}

func TestEndpointCheck(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []*herald.Endpoint
	b := setup(t, &setupOpts{Checker: checkerFunc(func(_ context.Context, e *herald.Endpoint) (*herald.CheckReport, error) {
		mu.Lock()
		got = append(got, e)
		mu.Unlock()
		rep := &herald.CheckReport{URL: e.URL, Auth: e.Auth.Type, EventTypes: e.EventTypes,
			Results: []herald.CheckResult{{Name: "auth-missing", Status: herald.CheckStatusFail, Fix: "refuse it"}}}
		rep.Tally()
		return rep, nil
	})})
	b.createCustomer(t, "6269")
	b.createCustomer(t, "2187")
	e, err := b.client.EndpointCreate(t.Context(), "6269", &api.EndpointCreateRequest{
		URL: "https://partner.example.com/hook", EventTypes: []wire.EventType{wire.EventTypeAssessment},
		Auth: &api.AuthRequest{Type: herald.AuthTypeHMAC, Username: "herald", Secret: "shared-secret-value"},
	})
	if err != nil {
		t.Fatal(err)
	}

	r := b.rawRequest(t, http.MethodPost, "/api/v1/customers/6269/endpoints/"+e.ID+"/check", nil, "")
	if r.status != http.StatusOK {
		t.Fatalf("check: %d %s", r.status, r.body)
	}
	var rep herald.CheckReport
	if err := json.Unmarshal(r.body, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Passed || rep.Counts.Fail != 1 || rep.URL != e.URL || rep.Results[0].Name != "auth-missing" {
		t.Errorf("report = %+v", rep)
	}
	mu.Lock()
	if len(got) != 1 || string(got[0].Auth.Secret) != "shared-secret-value" || got[0].CustomerID != "6269" {
		t.Errorf("the checker got %+v, want the stored endpoint with its secret", got)
	}
	mu.Unlock()
	if strings.Contains(string(r.body), "shared-secret-value") {
		t.Error("the reply shows the secret")
	}

	// The Go client says the same.
	if rep, err := b.client.EndpointCheck(t.Context(), "6269", e.ID); err != nil || rep.Passed || len(rep.Results) != 1 {
		t.Errorf("client EndpointCheck = %+v, %v", rep, err)
	}
	_, err = b.client.EndpointCheck(t.Context(), "2187", e.ID)
	wantCode(t, err, herald.ENOTFOUND)

	// Another customer's endpoint, an unknown one, and a customer that does
	// not exist: 404, and the checker is not called.
	for _, path := range []string{
		"/api/v1/customers/2187/endpoints/" + e.ID + "/check",
		"/api/v1/customers/6269/endpoints/end_nothing/check",
		"/api/v1/customers/nobody/endpoints/" + e.ID + "/check",
	} {
		if r := b.rawRequest(t, http.MethodPost, path, nil, ""); r.status != http.StatusNotFound || !strings.Contains(string(r.body), `"not_found"`) {
			t.Errorf("POST %s: %d %s, want 404", path, r.status, r.body)
		}
	}
	if r := b.rawRequest(t, http.MethodGet, "/api/v1/customers/6269/endpoints/"+e.ID+"/check", nil, ""); r.status != http.StatusMethodNotAllowed {
		t.Errorf("GET check: %d, want 405", r.status)
	}
	mu.Lock()
	if len(got) != 2 {
		t.Errorf("the checker ran %d times, want 2", len(got))
	}
	mu.Unlock()
}

func TestEndpointCheckUnavailable(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.createCustomer(t, "6269")
	e := b.createEndpoint(t, "6269", wire.EventTypeAssessment)
	r := b.rawRequest(t, http.MethodPost, "/api/v1/customers/6269/endpoints/"+e.ID+"/check", nil, "")
	if r.status != http.StatusServiceUnavailable {
		t.Errorf("check without a checker: %d %s, want 503", r.status, r.body)
	}
}

// TestTestIDsAreReserved: real events cannot use the ids of test events,
// so a partner can never mistake one for the other.
func TestTestIDsAreReserved(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.createCustomer(t, "6269")
	_, err := b.client.EventPublish(t.Context(), "6269", statusChange(wire.TestIDPrefix+"1"))
	wantCode(t, err, herald.EINVALID)
	if !strings.Contains(herald.ErrorMessage(err), wire.TestIDPrefix) {
		t.Errorf("message %q does not name the reserved prefix", herald.ErrorMessage(err))
	}
}
