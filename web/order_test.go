package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// TestOrderedEndpointPages: the endpoint form sets "ordered per subject",
// the endpoint list says so, and the explorer shows a delivery waiting
// behind an earlier one of its subject, and which.
func TestOrderedEndpointPages(t *testing.T) {
	t.Parallel()
	n := newTestNode(t)
	n.seedCustomers(t)
	partner := newPartner(t)
	b := n.browser(t)
	b.signIn("admin-6269", "correct-horse-battery")
	b.get("/ui/customers/6269/endpoints/new")
	// The partner fails every attempt, so the first delivery stays
	// pending and the second keeps waiting behind it.
	code, _, _ := b.post("/ui/customers/6269/endpoints", url.Values{"url": {partner.URL + "/fail"},
		"eventTypes": {"WorkFlowStatusChangeEvent"}, "authType": {"none"}, "enabled": {"on"}, "ordered": {"on"}})
	if code != http.StatusSeeOther {
		t.Fatalf("create: %d", code)
	}
	eps, _ := n.store.EndpointList(t.Context(), "6269")
	if len(eps) != 1 || !eps[0].Ordered {
		t.Fatalf("endpoints %+v, want one ordered", eps)
	}
	if _, body := b.get("/ui/customers/6269"); !strings.Contains(body, "ordered per subject") {
		t.Fatal("endpoint list does not say the endpoint is ordered")
	}
	if _, body := b.get("/ui/customers/6269/endpoints/" + eps[0].ID); !strings.Contains(body, `id="ordered" name="ordered" checked`) {
		t.Fatal("edit form does not show ordered checked")
	}

	var ids []string
	for range 2 {
		body, _, err := wire.BuildEvent("https://api.example.com", "6269", &wire.EventParams{EventType: wire.EventTypeWorkFlowStatusChange,
			SystemID: "13437", UserID: "9059", PersonID: "9166", JobID: "4442", OldStatus: "1753", NewStatus: "20786"})
		if err != nil {
			t.Fatal(err)
		}
		ev := &herald.Event{ID: herald.NewID(herald.IDPrefixEvent, time.Now()), CustomerID: "6269", Type: wire.EventTypeWorkFlowStatusChange,
			NewStatus: "20786", Body: body, BodyGzip: wire.Gzip(body), CreatedAt: time.Now().UTC()}
		res, err := n.store.EventPublish(t.Context(), []*herald.Event{ev})
		if err != nil || res[0].Err != nil {
			t.Fatalf("publish: %v %v", err, res[0].Err)
		}
		ids = append(ids, res[0].Deliveries[0].ID)
	}
	_, body := b.get("/ui/customers/6269/deliveries/" + ids[1])
	if !strings.Contains(body, "waiting behind") || !strings.Contains(body, ids[0]) || !strings.Contains(body, "applicantWorkflow:13437") {
		t.Fatalf("delivery page does not say what it waits for:\n%s", body)
	}
	_, body = b.get("/ui/customers/6269/deliveries")
	if !strings.Contains(body, "waiting behind") {
		t.Fatal("explorer does not show the waiting delivery")
	}
}
