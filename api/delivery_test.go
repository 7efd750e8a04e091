package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
	"github.com/heraldhq/herald/wire"
)

func TestDeliveryListPagination(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	b.createCustomer(t, "c1")
	b.createEndpoint(t, "c1", wire.EventTypeWorkFlowStatusChange)

	var want []string // newest first
	for i := range 7 {
		b.clock.Advance(time.Second) // ids, and so the list order, follow time
		res := b.publish(t, "c1", statusChange(strings.Repeat("1", i+1)))
		want = append([]string{res.Deliveries[0].ID}, want...)
	}

	var got []string
	var sizes []int
	q := &api.DeliveryListQuery{Limit: 3}
	for range 10 {
		page, err := b.client.DeliveryList(t.Context(), "c1", q)
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		sizes = append(sizes, len(page.Data))
		for _, d := range page.Data {
			got = append(got, d.ID)
		}
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
	}
	if !slices.Equal(sizes, []int{3, 3, 1}) || !slices.Equal(got, want) {
		t.Fatalf("pages of %v: %v, want %v", sizes, got, want)
	}

	r := b.rawRequest(t, http.MethodGet, "/api/v1/customers/c1/deliveries", nil, "")
	if !strings.Contains(string(r.body), `"data":[`) || strings.Contains(string(r.body), "nextCursor") {
		t.Fatalf("raw list = %s", r.body)
	}
}

// deliveryFixture is a customer with one delivery in each of several states.
type deliveryFixture struct {
	endpoint  *api.Endpoint
	other     *api.Endpoint
	pending   string // never attempted
	retrying  string // pending after a 503
	delivered string // 303 with a Location
	rejected  string // 400
	job       string // JobUnpostToWebEvent, pending, to other
	t0        time.Time
}

func setupDeliveries(t *testing.T, b *testBundle) *deliveryFixture {
	t.Helper()
	ctx := t.Context()
	f := &deliveryFixture{t0: b.clock.Now()}
	b.createCustomer(t, "c1")
	f.endpoint = b.createEndpoint(t, "c1", wire.EventTypeWorkFlowStatusChange)
	f.other = b.createEndpoint(t, "c1", wire.EventTypeJobUnpostToWeb)

	ids := make([]string, 4)
	for i := range ids {
		b.clock.Advance(time.Second)
		ids[i] = b.publish(t, "c1", statusChange(string(rune('a'+i)))).Deliveries[0].ID
	}
	f.pending, f.retrying, f.delivered, f.rejected = ids[0], ids[1], ids[2], ids[3]
	b.clock.Advance(time.Second)
	f.job = b.publish(t, "c1", &api.EventPublishRequest{EventParams: wire.EventParams{
		EventType: wire.EventTypeJobUnpostToWeb, SystemID: "1", UserID: "2",
	}}).Deliveries[0].ID

	now := b.clock.Now()
	claimed, err := b.store.DeliveryClaimDue(ctx, &herald.DeliveryClaimParams{
		Now: now, Limit: 10, LeaseUntil: now.Add(time.Minute), Owner: "test",
	})
	if err != nil {
		t.Fatalf("claim: %v", err)
	}
	leases := map[string]herald.DeliveryLease{}
	for _, c := range claimed {
		leases[c.ID] = c.Lease
	}
	attempt := func(id string, status int) *herald.Attempt {
		return &herald.Attempt{
			DeliveryID: id, Number: 1, At: now, StatusCode: status, Latency: 42 * time.Millisecond,
			RequestHeaders: map[string]string{"Authorization": "Basic dTpzZWNyZXQ=", "Herald-Attempt": "1"},
		}
	}
	rejected := attempt(f.rejected, 400)
	rejected.UserMessage, rejected.DebugErrorMessage = "Please provide a valid US SSN.", "usssn missing"
	rejected.ResponseBody = `{"error":{"userMessage":"Please provide a valid US SSN."}}`
	retrying := attempt(f.retrying, 503)
	retrying.Error = "the partner answered 503 Service Unavailable"
	delivered := attempt(f.delivered, 303)
	delivered.Location = "https://partner.example.com/assess/1"
	records := []*herald.AttemptRecord{
		{Lease: leases[f.retrying], Attempt: retrying, State: herald.DeliveryStatePending, NextAttemptAt: now.Add(30 * time.Second)},
		{Lease: leases[f.delivered], Attempt: delivered, State: herald.DeliveryStateDelivered, Location: delivered.Location},
		{Lease: leases[f.rejected], Attempt: rejected, State: herald.DeliveryStateRejected},
	}
	if err := b.store.DeliveryRecordAttempts(ctx, records); err != nil {
		t.Fatalf("record: %v", err)
	}
	// Hand back the never-attempted ones.
	if err := b.store.DeliveryRelease(ctx, []herald.DeliveryLease{leases[f.pending], leases[f.job]}, now); err != nil {
		t.Fatalf("release: %v", err)
	}
	return f
}

func TestDeliveryListFilters(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	f := setupDeliveries(t, b)

	tests := []struct {
		name string
		q    api.DeliveryListQuery
		want []string // newest first
	}{
		{"all", api.DeliveryListQuery{}, []string{f.job, f.rejected, f.delivered, f.retrying, f.pending}},
		{"pending", api.DeliveryListQuery{States: []herald.DeliveryState{"pending"}}, []string{f.job, f.retrying, f.pending}},
		{"two states", api.DeliveryListQuery{States: []herald.DeliveryState{"delivered", "rejected"}}, []string{f.rejected, f.delivered}},
		{"dead", api.DeliveryListQuery{States: []herald.DeliveryState{"dead"}}, nil},
		{"event type", api.DeliveryListQuery{EventType: wire.EventTypeJobUnpostToWeb}, []string{f.job}},
		{"endpoint", api.DeliveryListQuery{EndpointID: f.endpoint.ID}, []string{f.rejected, f.delivered, f.retrying, f.pending}},
		{"since", api.DeliveryListQuery{Since: f.t0.Add(3 * time.Second)}, []string{f.job, f.rejected, f.delivered}},
		{"until", api.DeliveryListQuery{Until: f.t0.Add(3 * time.Second)}, []string{f.retrying, f.pending}},
		{"since and until", api.DeliveryListQuery{Since: f.t0.Add(2 * time.Second), Until: f.t0.Add(4 * time.Second)}, []string{f.delivered, f.retrying}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			page, err := b.client.DeliveryList(t.Context(), "c1", &tt.q)
			if err != nil {
				t.Fatalf("list: %v", err)
			}
			var got []string
			for _, d := range page.Data {
				got = append(got, d.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}

	// The shape of a list item.
	page, err := b.client.DeliveryList(t.Context(), "c1", nil)
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	items := map[string]api.Delivery{}
	for _, d := range page.Data {
		items[d.ID] = d
	}
	retry := items[f.retrying]
	if retry.State != herald.DeliveryStatePending || retry.AttemptCount != 1 || retry.LastStatusCode != 503 ||
		retry.NextAttemptAt == nil || retry.LastError == "" || retry.EventType != wire.EventTypeWorkFlowStatusChange || retry.EventID == "" {
		t.Fatalf("retrying = %+v", retry)
	}
	del := items[f.delivered]
	if del.State != herald.DeliveryStateDelivered || del.NextAttemptAt != nil || del.Location != "https://partner.example.com/assess/1" || del.LastAttemptAt == nil {
		t.Fatalf("delivered = %+v", del)
	}
	if p := items[f.pending]; p.AttemptCount != 0 || p.LastAttemptAt != nil || p.NextAttemptAt == nil {
		t.Fatalf("pending = %+v", p)
	}
}

func TestDeliveryGetAndRetry(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := t.Context()
	f := setupDeliveries(t, b)

	d, err := b.client.DeliveryGet(ctx, f.rejected)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	if d.State != herald.DeliveryStateRejected || len(d.Attempts) != 1 {
		t.Fatalf("delivery = %+v", d)
	}
	a := d.Attempts[0]
	if a.Number != 1 || a.StatusCode != 400 || a.LatencyMs != 42 || a.UserMessage != "Please provide a valid US SSN." ||
		a.DebugErrorMessage != "usssn missing" || !strings.Contains(a.ResponseBody, "US SSN") {
		t.Fatalf("attempt = %+v", a)
	}
	if got := a.RequestHeaders["Authorization"]; got != "Basic REDACTED" {
		t.Fatalf("Authorization shown as %q, want Basic REDACTED", got)
	}
	if strings.Contains(b.replies.String(), "dTpzZWNyZXQ=") {
		t.Fatalf("a recorded credential was echoed")
	}

	b.clock.Advance(time.Minute)
	wakes := b.wakes.Load()
	retried, err := b.client.DeliveryRetry(ctx, f.rejected)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if retried.State != herald.DeliveryStatePending || retried.NextAttemptAt == nil || !retried.NextAttemptAt.Equal(b.clock.Now()) {
		t.Fatalf("retried = %+v", retried)
	}
	if b.wakes.Load() != wakes+1 {
		t.Fatalf("WakeFunc not called")
	}
	r := b.rawRequest(t, http.MethodPost, "/api/v1/deliveries/"+f.delivered+"/retry", nil, "")
	if r.status != http.StatusAccepted {
		t.Fatalf("raw retry status %d", r.status)
	}

	// In flight: 409, and the dispatcher is not woken.
	now := b.clock.Now()
	claimed, err := b.store.DeliveryClaimDue(ctx, &herald.DeliveryClaimParams{Now: now, Limit: 10, LeaseUntil: now.Add(time.Minute), Owner: "test"})
	if err != nil || len(claimed) == 0 {
		t.Fatalf("claim: %d, %v", len(claimed), err)
	}
	wakes = b.wakes.Load()
	_, err = b.client.DeliveryRetry(ctx, claimed[0].ID)
	wantCode(t, err, herald.ECONFLICT)
	if b.wakes.Load() != wakes {
		t.Fatalf("WakeFunc called after a refused retry")
	}

	_, err = b.client.DeliveryGet(ctx, "dlv_nope")
	wantCode(t, err, herald.ENOTFOUND)
	_, err = b.client.DeliveryRetry(ctx, "dlv_nope")
	wantCode(t, err, herald.ENOTFOUND)
}
