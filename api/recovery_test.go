package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
	"github.com/heraldhq/herald/sqlite"
)

// These tests call the recovery routes through the whole API (routes.go and
// its middleware), with the admin token.

var recoveryBase = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

type recoveryBundle struct {
	store   *sqlite.Store
	handler http.Handler
	now     time.Time
}

type directPublisher struct{ store herald.Store }

func (p directPublisher) Publish(ctx context.Context, e *herald.Event) (*herald.EventPublishResult, error) {
	res, err := p.store.EventPublish(ctx, []*herald.Event{e})
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

func setupRecovery(t *testing.T) *recoveryBundle {
	t.Helper()
	b := &recoveryBundle{now: recoveryBase.Add(time.Hour)}
	store, err := sqlite.Open(t.Context(), &sqlite.Config{Path: filepath.Join(t.TempDir(), "herald.db"),
		NowFunc: func() time.Time { return b.now }})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = store.Close() })
	b.store = store
	s, err := NewServer(Config{Store: store, Publisher: directPublisher{store}, AdminToken: "test-admin-token-0123456789",
		PublicURL: "https://herald.example.com", NowFunc: func() time.Time { return b.now },
		Health: store, Replays: store, Retention: store, RetryPolicies: store})
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	b.handler = withToken(s, "test-admin-token-0123456789")
	return b
}

// do serves one request and decodes a 2xx reply into out.
func (b *recoveryBundle) do(t *testing.T, method, path string, body any, wantStatus int, out any) {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	} else {
		rd = bytes.NewReader(nil)
	}
	req := httptest.NewRequestWithContext(t.Context(), method, path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	b.handler.ServeHTTP(rec, req)
	if rec.Code != wantStatus {
		t.Fatalf("%s %s = %d %s, want %d", method, path, rec.Code, rec.Body, wantStatus)
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			t.Fatalf("decode %s: %v", rec.Body, err)
		}
	}
}

// attemptFor publishes an event for e at at and records one attempt.
func attemptFor(t *testing.T, store herald.Store, e *herald.Endpoint, at time.Time, status int, state herald.DeliveryState) *herald.Delivery {
	t.Helper()
	ctx := t.Context()
	res := testfactory.Event(ctx, t, store, &testfactory.EventOpts{CustomerID: e.CustomerID, CreatedAt: at})
	var d *herald.Delivery
	for _, x := range res.Deliveries {
		if x.EndpointID == e.ID {
			d = x
		}
	}
	cs, err := store.DeliveryClaimIDs(ctx, []string{d.ID}, &herald.DeliveryClaimParams{Now: at, LeaseUntil: at.Add(time.Minute), Owner: "t"})
	if err != nil || len(cs) != 1 {
		t.Fatalf("claim: %d, %v", len(cs), err)
	}
	a := &herald.Attempt{DeliveryID: d.ID, Number: 1, At: at, StatusCode: status, Latency: 120 * time.Millisecond}
	if status != 200 {
		a.Error = "503 Service Unavailable"
	}
	rec := &herald.AttemptRecord{Lease: cs[0].Lease, Attempt: a, State: state}
	if state == herald.DeliveryStatePending {
		rec.NextAttemptAt = at.Add(time.Hour)
	}
	if err := store.DeliveryRecordAttempts(ctx, []*herald.AttemptRecord{rec}); err != nil {
		t.Fatalf("record: %v", err)
	}
	return d
}

func TestEndpointHealthRoutes(t *testing.T) {
	t.Parallel()
	b := setupRecovery(t)
	e := testfactory.Endpoint(t.Context(), t, b.store, nil)
	attemptFor(t, b.store, e, recoveryBase, 200, herald.DeliveryStateDelivered)
	attemptFor(t, b.store, e, recoveryBase.Add(time.Minute), 503, herald.DeliveryStatePending)
	base := "/api/v1/customers/" + e.CustomerID

	var h EndpointHealth
	b.do(t, "GET", base+"/endpoints/"+e.ID+"/health", nil, http.StatusOK, &h)
	if h.Attempts != 2 || h.Succeeded != 1 || h.Failed != 1 || h.SuccessRate != 0.5 || h.LatencyP50Ms != 120 ||
		h.LastError != "503 Service Unavailable" || h.FailingSince == nil || !h.Enabled || h.Window != "24h0m0s" {
		t.Fatalf("health = %+v", h)
	}
	b.do(t, "GET", base+"/endpoints/"+e.ID+"/health?window=1m", nil, http.StatusOK, &h)
	if h.Attempts != 0 || h.LastAttemptAt == nil {
		t.Fatalf("health over 1m = %+v, want no attempts but a last attempt", h)
	}
	var list EndpointHealthList
	b.do(t, "GET", base+"/endpoint-health", nil, http.StatusOK, &list)
	if len(list.Data) != 1 || list.Data[0].EndpointID != e.ID {
		t.Fatalf("health list = %+v", list)
	}

	other := testfactory.Endpoint(t.Context(), t, b.store, nil)
	b.do(t, "GET", base+"/endpoints/"+other.ID+"/health", nil, http.StatusNotFound, nil)
	b.do(t, "GET", base+"/endpoints/"+e.ID+"/health?window=forever", nil, http.StatusBadRequest, nil)
	b.do(t, "GET", base+"/endpoints/"+e.ID+"/health?windw=1h", nil, http.StatusBadRequest, nil)
	b.do(t, "GET", "/api/v1/customers/nobody/endpoint-health", nil, http.StatusNotFound, nil)
}

func TestMissedAndReplayRoutes(t *testing.T) {
	t.Parallel()
	b := setupRecovery(t)
	ctx := t.Context()
	e := testfactory.Endpoint(ctx, t, b.store, nil)
	base := "/api/v1/customers/" + e.CustomerID

	// Never disabled: since is required.
	b.do(t, "GET", base+"/endpoints/"+e.ID+"/missed", nil, http.StatusBadRequest, nil)

	attemptFor(t, b.store, e, recoveryBase, 503, herald.DeliveryStateDead) // before: not missed
	// Pending when the endpoint is disabled: they fail when claimed.
	var missed []*herald.Delivery
	for range 2 {
		res := testfactory.Event(ctx, t, b.store, &testfactory.EventOpts{CustomerID: e.CustomerID, CreatedAt: recoveryBase.Add(30 * time.Second)})
		missed = append(missed, res.Deliveries[0])
	}
	if err := b.store.EndpointDisable(ctx, e.ID, "the partner answered 410 Gone", recoveryBase.Add(time.Minute)); err != nil {
		t.Fatalf("disable: %v", err)
	}
	if _, err := b.store.HealthScan(ctx, &herald.HealthScanParams{Now: recoveryBase.Add(2 * time.Minute)}); err != nil {
		t.Fatalf("scan: %v", err)
	}
	var evs OperatorEventList
	b.do(t, "GET", "/api/v1/operator-events?type=endpoint.disabled&customer="+e.CustomerID, nil, http.StatusOK, &evs)
	if len(evs.Data) != 1 || evs.Data[0].EndpointID != e.ID || evs.Data[0].Detail != "the partner answered 410 Gone" {
		t.Fatalf("operator events = %+v", evs)
	}
	b.do(t, "GET", "/api/v1/operator-events?type=nope", nil, http.StatusBadRequest, nil)

	// While disabled, the dispatcher fails them without an attempt.
	cs, err := b.store.DeliveryClaimIDs(ctx, []string{missed[0].ID, missed[1].ID},
		&herald.DeliveryClaimParams{Now: recoveryBase.Add(10 * time.Minute), LeaseUntil: recoveryBase.Add(11 * time.Minute), Owner: "t"})
	if err != nil || len(cs) != 2 {
		t.Fatalf("claim: %d, %v", len(cs), err)
	}
	for _, c := range cs {
		if err := b.store.DeliveryRecordAttempts(ctx, []*herald.AttemptRecord{{Lease: c.Lease, State: herald.DeliveryStateFailed, Error: "the endpoint is disabled"}}); err != nil {
			t.Fatalf("record: %v", err)
		}
	}
	ep, _ := b.store.EndpointGet(ctx, e.ID)
	ep.Enabled = true
	if err := b.store.EndpointUpdate(ctx, ep); err != nil {
		t.Fatalf("enable: %v", err)
	}
	var m Missed
	b.do(t, "GET", base+"/endpoints/"+e.ID+"/missed", nil, http.StatusOK, &m)
	if m.Count != 2 || len(m.Data) != 2 || !m.Since.Equal(recoveryBase.Add(time.Minute)) || m.Replay.Method != "POST" ||
		m.Replay.Path != base+"/replay-jobs" || m.Replay.Body.Endpoint != e.ID || m.Note != "" {
		t.Fatalf("missed = %+v", m)
	}

	var nd NotDelivered
	b.do(t, "GET", base+"/not-delivered", nil, http.StatusOK, &nd)
	if nd.Total != 3 || nd.Counts[herald.DeliveryStateDead] != 1 || nd.Counts[herald.DeliveryStateFailed] != 2 || nd.Counts[herald.DeliveryStateRejected] != 0 ||
		len(nd.Data) != 3 || !strings.Contains(nd.Redrive.Single, "/retry") {
		t.Fatalf("not delivered = %+v", nd)
	}

	// The suggested body, as is, creates the job.
	var j ReplayJob
	b.do(t, "POST", m.Replay.Path, m.Replay.Body, http.StatusCreated, &j)
	if j.Total != 2 || j.State != herald.ReplayJobStatePending || j.Filter.Endpoint != e.ID {
		t.Fatalf("job = %+v", j)
	}
	if _, err := b.store.ReplayJobStep(ctx, j.ID, b.now, 500); err != nil {
		t.Fatalf("step: %v", err)
	}
	b.do(t, "GET", "/api/v1/replay-jobs/"+j.ID, nil, http.StatusOK, &j)
	if j.State != herald.ReplayJobStateCompleted || j.Done != 2 || j.Replayed != 2 {
		t.Fatalf("job after a step = %+v", j)
	}
	for _, d := range missed {
		got, _ := b.store.DeliveryGet(ctx, d.ID)
		if got.State != herald.DeliveryStatePending || got.EventID != d.EventID {
			t.Fatalf("replayed delivery = %+v", got)
		}
	}
	var jl ReplayJobList
	b.do(t, "GET", base+"/replay-jobs", nil, http.StatusOK, &jl)
	if len(jl.Data) != 1 || jl.Data[0].ID != j.ID {
		t.Fatalf("jobs = %+v", jl)
	}
	b.do(t, "GET", "/api/v1/replay-jobs/rpl_nope", nil, http.StatusNotFound, nil)
	b.do(t, "POST", base+"/replay-jobs", map[string]any{"states": []string{"lost"}}, http.StatusBadRequest, nil)
	b.do(t, "POST", base+"/replay-jobs", map[string]any{"stat": []string{"dead"}}, http.StatusBadRequest, nil)
	b.do(t, "POST", "/api/v1/customers/nobody/replay-jobs", map[string]any{}, http.StatusNotFound, nil)
}

// Events published while an endpoint is disabled make it a failed delivery
// with no attempt: the missed view lists them, and its replay body redrives
// them once the endpoint is enabled again.
func TestMissedListsEventsPublishedWhileDisabled(t *testing.T) {
	t.Parallel()
	b := setupRecovery(t)
	ctx := t.Context()
	e := testfactory.Endpoint(ctx, t, b.store, nil)
	base := "/api/v1/customers/" + e.CustomerID
	if err := b.store.EndpointDisable(ctx, e.ID, "the partner answered 410 Gone", recoveryBase.Add(time.Minute)); err != nil {
		t.Fatalf("disable: %v", err)
	}
	if _, err := b.store.HealthScan(ctx, &herald.HealthScanParams{Now: recoveryBase.Add(2 * time.Minute)}); err != nil {
		t.Fatalf("scan: %v", err)
	}
	res := testfactory.Event(ctx, t, b.store, &testfactory.EventOpts{CustomerID: e.CustomerID, CreatedAt: recoveryBase.Add(5 * time.Minute)})
	if len(res.Deliveries) != 0 {
		t.Fatalf("pending deliveries to a disabled endpoint: %+v", res.Deliveries)
	}

	var m Missed
	b.do(t, "GET", base+"/endpoints/"+e.ID+"/missed", nil, http.StatusOK, &m)
	if m.Count != 1 || len(m.Data) != 1 || m.Data[0].EventID != res.Event.ID || m.Data[0].State != herald.DeliveryStateFailed ||
		m.Data[0].LastError != "endpoint disabled: the partner answered 410 Gone" || m.Note == "" {
		t.Fatalf("missed while disabled = %+v", m)
	}

	ep, _ := b.store.EndpointGet(ctx, e.ID)
	ep.Enabled = true
	if err := b.store.EndpointUpdate(ctx, ep); err != nil {
		t.Fatalf("enable: %v", err)
	}
	m = Missed{}
	b.do(t, "GET", base+"/endpoints/"+e.ID+"/missed", nil, http.StatusOK, &m)
	if m.Count != 1 || len(m.Data) != 1 || !m.Since.Equal(recoveryBase.Add(time.Minute)) || m.Note != "" {
		t.Fatalf("missed after enabling = %+v", m)
	}
	var j ReplayJob
	b.do(t, "POST", m.Replay.Path, m.Replay.Body, http.StatusCreated, &j)
	if j.Total != 1 {
		t.Fatalf("job = %+v", j)
	}
	if _, err := b.store.ReplayJobStep(ctx, j.ID, b.now, 500); err != nil {
		t.Fatalf("step: %v", err)
	}
	got, err := b.store.DeliveryGet(ctx, m.Data[0].ID)
	if err != nil || got.State != herald.DeliveryStatePending || got.Attempts != 0 {
		t.Fatalf("replayed delivery = %+v, %v", got, err)
	}
}

// withToken serves through the whole API (routes, middleware) with the
// admin token on every request.
func withToken(h http.Handler, token string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Set("Authorization", "Bearer "+token)
		h.ServeHTTP(w, r)
	})
}
