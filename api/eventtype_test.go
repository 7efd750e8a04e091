package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/heraldhq/herald/api"
	"github.com/heraldhq/herald/wire"
)

func TestEventTypeList(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.createCustomer(t, "6269")
	b.createCustomer(t, "2187")
	mine := b.createEndpoint(t, "6269", wire.EventTypeAssessment)
	b.createEndpoint(t, "2187", wire.EventTypeAssessment)

	r := b.rawRequest(t, http.MethodGet, "/api/v1/event-types?customerId=6269", nil, "")
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var out api.EventTypeList
	if err := json.Unmarshal(r.body, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Data) != len(wire.EventTypes) {
		t.Fatalf("%d types, want %d", len(out.Data), len(wire.EventTypes))
	}
	a := out.Data[0]
	if a.Type != wire.EventTypeAssessment || !a.Interactive || len(a.Endpoints) != 1 || a.Endpoints[0].ID != mine.ID {
		t.Errorf("AssessmentEvent: %+v, want interactive with only endpoint %s", a, mine.ID)
	}
	if len(out.Data[1].Endpoints) != 0 {
		t.Errorf("WorkFlowStatusChangeEvent lists %d endpoints, want none", len(out.Data[1].Endpoints))
	}
	// The example is the body a partner receives: wire parses it, and its
	// links point at the node's public URL for the customer.
	body, err := wire.ParseBody(a.Example)
	if err != nil || body.CustomerID != "6269" || !strings.Contains(string(a.Example), testPublicURL+"/customers/6269/") {
		t.Errorf("example %s: %v", a.Example, err)
	}
	if a.Headers["Content-Encoding"] != "gzip" || a.Headers[wire.HeaderEventID] == "" {
		t.Errorf("headers %v", a.Headers)
	}

	if r := b.rawRequest(t, http.MethodGet, "/api/v1/event-types", nil, ""); r.status != http.StatusOK || strings.Contains(string(r.body), `"endpoints"`) {
		t.Errorf("without a customer: %d, endpoints listed: %s", r.status, r.body)
	}
	if r := b.rawRequest(t, http.MethodGet, "/api/v1/event-types?customerId=nobody", nil, ""); r.status != http.StatusNotFound {
		t.Errorf("unknown customer: %d", r.status)
	}
}

func TestDeliveryListSearch(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.createCustomer(t, "2187")
	b.createEndpoint(t, "2187", wire.EventTypeWorkFlowStatusChange)
	no := false
	ev := b.publish(t, "2187", &api.EventPublishRequest{Interactive: &no, EventParams: wire.EventParams{EventType: wire.EventTypeWorkFlowStatusChange,
		SystemID: "13437", UserID: "9059", PersonID: "9166", JobID: "4442", OldStatus: "1", NewStatus: "2"}})
	b.publish(t, "2187", &api.EventPublishRequest{Interactive: &no, EventParams: wire.EventParams{EventType: wire.EventTypeWorkFlowStatusChange,
		SystemID: "99", UserID: "9059", PersonID: "1", JobID: "4442", OldStatus: "1", NewStatus: "2"}})
	for q, want := range map[string]int{"systemId=13437": 1, "personId=9166": 1, "personId=9059": 0, "eventId=" + ev.ID: 1, "systemId=nope": 0, "": 2} {
		r := b.rawRequest(t, http.MethodGet, "/api/v1/customers/2187/deliveries?"+q, nil, "")
		var out api.DeliveryList
		if err := json.Unmarshal(r.body, &out); err != nil || r.status != http.StatusOK {
			t.Fatalf("%s: %d %s", q, r.status, r.body)
		}
		if len(out.Data) != want {
			t.Errorf("%s: %d deliveries, want %d", q, len(out.Data), want)
		}
	}
	if r := b.rawRequest(t, http.MethodGet, "/api/v1/customers/2187/deliveries?systemId="+strings.Repeat("9", 201), nil, ""); r.status != http.StatusBadRequest {
		t.Errorf("long systemId: %d", r.status)
	}
}

func TestCustomerRenameDelete(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.createCustomer(t, "6269")
	b.createCustomer(t, "2187")
	e := b.createEndpoint(t, "6269", wire.EventTypeAssessment)
	r := b.rawRequest(t, http.MethodPatch, "/api/v1/customers/6269", nil, `{"name":"Acme Talent"}`)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `"name":"Acme Talent"`) {
		t.Fatalf("rename: %d %s", r.status, r.body)
	}
	if r := b.rawRequest(t, http.MethodPatch, "/api/v1/customers/6269", nil, `{"name":""}`); r.status != http.StatusBadRequest {
		t.Errorf("empty name: %d", r.status)
	}
	if r := b.rawRequest(t, http.MethodDelete, "/api/v1/customers/6269", nil, ""); r.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if r := b.rawRequest(t, http.MethodGet, "/api/v1/customers/6269/endpoints/"+e.ID, nil, ""); r.status != http.StatusNotFound {
		t.Errorf("the deleted customer's endpoint: %d", r.status)
	}
	if r := b.rawRequest(t, http.MethodGet, "/api/v1/customers/2187", nil, ""); r.status != http.StatusOK {
		t.Errorf("the other customer: %d", r.status)
	}
	if r := b.rawRequest(t, http.MethodDelete, "/api/v1/customers/6269", nil, ""); r.status != http.StatusNotFound {
		t.Errorf("delete twice: %d", r.status)
	}
}
