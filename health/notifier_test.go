package health_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/health"
	"github.com/heraldhq/herald/internal/testfactory"
	"github.com/heraldhq/herald/wire"
)

const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// operatorHook is a fake operator webhook: it verifies each POST and
// answers with the next status of its script (200 when the script ends).
type operatorHook struct {
	t      *testing.T
	clock  *testClock
	mu     sync.Mutex
	script []int
	got    []health.OperatorEventPayload
	ids    []string
}

func (h *operatorHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := wire.VerifyStandardWebhooks(r.Header, body, []string{testSecret}, h.clock.Now(), 5*time.Minute); err != nil {
		h.t.Errorf("operator webhook: signature: %v", err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var p health.OperatorEventPayload
	if err := json.Unmarshal(body, &p); err != nil {
		h.t.Errorf("operator webhook: body: %v", err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	status := http.StatusOK
	if len(h.script) > 0 {
		status, h.script = h.script[0], h.script[1:]
	}
	if status == http.StatusOK {
		h.got = append(h.got, p)
		h.ids = append(h.ids, r.Header.Get(wire.HeaderWebhookID))
	}
	w.WriteHeader(status)
}

func TestNotifierSendsSignedEvents(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := newStore(t)
	clock := &testClock{t: base}
	hook := &operatorHook{t: t, clock: clock, script: []int{http.StatusServiceUnavailable}}
	srv := httptest.NewServer(hook)
	t.Cleanup(srv.Close)

	m := newMonitor(t, store, clock, nil)
	e := testfactory.Endpoint(ctx, t, store, nil)
	if err := store.EndpointDisable(ctx, e.ID, "the partner answered 410 Gone", base); err != nil {
		t.Fatalf("disable: %v", err)
	}
	evs, err := m.Scan(ctx)
	if err != nil || len(evs) != 1 {
		t.Fatalf("scan = %d events, %v", len(evs), err)
	}

	n, err := health.NewNotifier(health.NotifierConfig{
		Store: store, URL: srv.URL + "/ops", Secret: testSecret, Client: srv.Client(),
		Logger: slog.New(slog.NewTextHandler(t.Output(), nil)), NowFunc: clock.Now,
	})
	if err != nil {
		t.Fatalf("new notifier: %v", err)
	}
	// The first POST gets a 503: not sent, due again 10s later.
	if sent, err := n.SendDue(ctx); err != nil || sent != 0 {
		t.Fatalf("send = %d, %v; want 0 sent", sent, err)
	}
	if sent, err := n.SendDue(ctx); err != nil || sent != 0 {
		t.Fatalf("send before the retry is due = %d, %v; want 0", sent, err)
	}
	clock.Set(base.Add(10 * time.Second))
	if sent, err := n.SendDue(ctx); err != nil || sent != 1 {
		t.Fatalf("send = %d, %v; want 1", sent, err)
	}
	hook.mu.Lock()
	got, ids := hook.got, hook.ids
	hook.mu.Unlock()
	want := health.OperatorEventPayload{
		Type: herald.OperatorEventEndpointDisabled, Timestamp: evs[0].CreatedAt,
		Data: health.OperatorEventData{ID: evs[0].ID, CustomerID: e.CustomerID, EndpointID: e.ID, At: base, Detail: "the partner answered 410 Gone"},
	}
	if len(got) != 1 || got[0] != want || ids[0] != evs[0].ID {
		t.Fatalf("webhook got %+v (ids %v), want %+v", got, ids, want)
	}
	list, err := store.OperatorEventList(ctx, &herald.OperatorEventListParams{})
	if err != nil || len(list.Events) != 1 || list.Events[0].SentAt.IsZero() || list.Events[0].SendAttempts != 2 {
		t.Fatalf("event after sending = %+v, %v", list.Events, err)
	}
	// Sent once only.
	clock.Set(base.Add(time.Hour))
	if sent, err := n.SendDue(ctx); err != nil || sent != 0 {
		t.Fatalf("send again = %d, %v; want 0", sent, err)
	}
}

func TestNotifierGivesUp(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := newStore(t)
	clock := &testClock{t: base}
	hook := &operatorHook{t: t, clock: clock, script: []int{500, 500, 500}}
	srv := httptest.NewServer(hook)
	t.Cleanup(srv.Close)
	e := testfactory.Endpoint(ctx, t, store, nil)
	if err := store.EndpointDisable(ctx, e.ID, "gone", base); err != nil {
		t.Fatalf("disable: %v", err)
	}
	if _, err := newMonitor(t, store, clock, nil).Scan(ctx); err != nil {
		t.Fatalf("scan: %v", err)
	}
	n, err := health.NewNotifier(health.NotifierConfig{
		Store: store, URL: srv.URL, Secret: testSecret, Client: srv.Client(), NowFunc: clock.Now,
		Schedule: []time.Duration{time.Second, time.Second},
	})
	if err != nil {
		t.Fatalf("new notifier: %v", err)
	}
	for i := range 4 {
		clock.Set(base.Add(time.Duration(i) * time.Minute))
		if sent, err := n.SendDue(ctx); err != nil || sent != 0 {
			t.Fatalf("send %d = %d, %v", i, sent, err)
		}
	}
	list, err := store.OperatorEventList(ctx, &herald.OperatorEventListParams{})
	if err != nil || len(list.Events) != 1 || !list.Events[0].SendAbandoned || list.Events[0].SendAttempts != 3 {
		t.Fatalf("event = %+v, %v; want abandoned after 3 attempts", list.Events, err)
	}
}

func TestNotifierRunWakes(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	clock := &testClock{t: base}
	hook := &operatorHook{t: t, clock: clock}
	srv := httptest.NewServer(hook)
	t.Cleanup(srv.Close)
	n, err := health.NewNotifier(health.NotifierConfig{
		Store: store, URL: srv.URL, Secret: testSecret, Client: srv.Client(), NowFunc: clock.Now,
		PollInterval: time.Hour, // only Wake can make it send
	})
	if err != nil {
		t.Fatalf("new notifier: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()

	e := testfactory.Endpoint(ctx, t, store, nil)
	if err := store.EndpointDisable(ctx, e.ID, "gone", base); err != nil {
		t.Fatalf("disable: %v", err)
	}
	if _, err := newMonitor(t, store, clock, n.Wake).Scan(ctx); err != nil {
		t.Fatalf("scan: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		hook.mu.Lock()
		got := len(hook.got)
		hook.mu.Unlock()
		if got == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the webhook got nothing after Wake")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}

func TestNewNotifierValidates(t *testing.T) {
	t.Parallel()
	store := newStore(t)
	for name, cfg := range map[string]health.NotifierConfig{
		"NoStore":   {URL: "https://ops.example.com", Secret: testSecret, Client: http.DefaultClient},
		"NoClient":  {Store: store, URL: "https://ops.example.com", Secret: testSecret},
		"NoSecret":  {Store: store, URL: "https://ops.example.com", Client: http.DefaultClient},
		"BadSecret": {Store: store, URL: "https://ops.example.com", Secret: "s3cret", Client: http.DefaultClient},
		"BadURL":    {Store: store, URL: "ops.example.com", Secret: testSecret, Client: http.DefaultClient},
	} {
		if _, err := health.NewNotifier(cfg); err == nil {
			t.Errorf("%s: NewNotifier succeeded", name)
		}
	}
}
