package receiver

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/wire"
)

func TestDedupKey(t *testing.T) {
	t.Parallel()
	a := &Event{ID: "evt_1", CustomerID: "1", Type: wire.EventTypeAssessment, SystemID: "2", Body: &wire.Body{}}
	b := &Event{CustomerID: "1", Type: wire.EventTypeWorkFlowStatusChange, SystemID: "2", Body: &wire.Body{NewStatus: "x"}}
	c := &Event{CustomerID: "1", Type: wire.EventTypeWorkFlowStatusChange, SystemID: "2", Body: &wire.Body{NewStatus: "y"}}
	if DedupKey(a) == DedupKey(&Event{ID: "evt_2", Body: &wire.Body{}}) || DedupKey(b) == DedupKey(c) || DedupKey(b) != DedupKey(&Event{CustomerID: "1", Type: wire.EventTypeWorkFlowStatusChange, SystemID: "2", Body: &wire.Body{NewStatus: "x"}}) {
		t.Fatal("keys collide or are unstable")
	}
}

func TestDedupOverHTTP(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	next := HandlerFunc(func(context.Context, *Event) Reply {
		n := calls.Add(1)
		return SeeOther(fmt.Sprintf("https://partner.example.com/assess/%d", n))
	})
	srv := newServer(t, Config{Verifier: NoAuth()}, Dedup(next, &MemoryDedupStore{}, time.Hour))
	body, links := buildEvent(t, assessmentParams())
	for i := range 3 {
		resp, _ := send(t, srv.URL, body, links, true, nil, "evt_1")
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://partner.example.com/assess/1" {
			t.Fatalf("send %d: %d %s", i, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	// Another id is another event.
	resp, _ := send(t, srv.URL, body, links, true, nil, "evt_2")
	if resp.Header.Get("Location") != "https://partner.example.com/assess/2" {
		t.Fatalf("second event: %s", resp.Header.Get("Location"))
	}
	// No id: keyed on the body; a repeat within the window is a duplicate.
	for range 2 {
		resp, _ = send(t, srv.URL, body, links, false, nil, "")
		if resp.Header.Get("Location") != "https://partner.example.com/assess/3" {
			t.Fatalf("no-id event: %s", resp.Header.Get("Location"))
		}
	}
	if n := calls.Load(); n != 3 {
		t.Fatalf("%d calls, want 3", n)
	}
}

func TestDedupFailureReleases(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	next := HandlerFunc(func(context.Context, *Event) Reply {
		if calls.Add(1) == 1 {
			return Unavailable("", "")
		}
		return OK()
	})
	h := Dedup(next, &MemoryDedupStore{}, time.Hour)
	e := &Event{ID: "e", Body: &wire.Body{}}
	if r := h.ServeEvent(t.Context(), e); r.Status != 503 {
		t.Fatalf("first = %d", r.Status)
	}
	if r := h.ServeEvent(t.Context(), e); r.Status != 200 {
		t.Fatalf("retry = %d", r.Status)
	}
	if r := h.ServeEvent(t.Context(), e); r.Status != 200 || calls.Load() != 2 {
		t.Fatalf("duplicate = %d, calls %d", r.Status, calls.Load())
	}
}

func TestDedupPanicReleases(t *testing.T) {
	t.Parallel()
	store := &MemoryDedupStore{}
	h := Dedup(HandlerFunc(func(context.Context, *Event) Reply { panic("boom") }), store, time.Hour)
	func() {
		defer func() { _ = recover() }()
		h.ServeEvent(t.Context(), &Event{ID: "e", Body: &wire.Body{}})
	}()
	if store.Len() != 0 {
		t.Fatal("key kept after a panic")
	}
}

func TestDedupInFlight(t *testing.T) {
	t.Parallel()
	entered := make(chan struct{})
	release := make(chan struct{})
	h := Dedup(HandlerFunc(func(context.Context, *Event) Reply {
		close(entered)
		<-release
		return OK()
	}), &MemoryDedupStore{}, time.Hour)
	e := &Event{ID: "e", Body: &wire.Body{}}
	var wg sync.WaitGroup
	wg.Go(func() { h.ServeEvent(context.Background(), e) })
	<-entered
	r := h.ServeEvent(t.Context(), e)
	close(release)
	wg.Wait()
	if r.Status != http.StatusServiceUnavailable || r.RetryAfter == 0 {
		t.Fatalf("in-flight duplicate = %+v", r)
	}
}

type failingStore struct{}

func (failingStore) Begin(context.Context, string, time.Duration) (*Reply, bool, error) {
	return nil, false, fmt.Errorf("store down")
}
func (failingStore) Finish(context.Context, string, *Reply) error { return nil }

func TestDedupStoreDownFailsOpen(t *testing.T) {
	t.Parallel()
	h := Dedup(HandlerFunc(func(context.Context, *Event) Reply { return OK() }), failingStore{}, time.Hour)
	if r := h.ServeEvent(t.Context(), &Event{ID: "e", Body: &wire.Body{}}); r.Status != 200 {
		t.Fatalf("got %+v", r)
	}
}

func TestMemoryDedupStoreTTLAndBound(t *testing.T) {
	t.Parallel()
	now := time.Unix(0, 0)
	s := &MemoryDedupStore{MaxKeys: 2, NowFunc: func() time.Time { return now }}
	ctx := t.Context()
	begin := func(k string, ttl time.Duration) bool {
		_, isNew, err := s.Begin(ctx, k, ttl)
		if err != nil {
			t.Fatal(err)
		}
		return isNew
	}
	if !begin("a", time.Minute) || begin("a", time.Minute) {
		t.Fatal("a")
	}
	s.Finish(ctx, "a", &Reply{Status: 200})
	if prev, isNew, _ := s.Begin(ctx, "a", time.Minute); isNew || prev == nil || prev.Status != 200 {
		t.Fatalf("stored reply = %+v", prev)
	}
	now = now.Add(time.Minute)
	if !begin("a", time.Minute) {
		t.Fatal("a did not expire")
	}
	begin("b", 2*time.Minute)
	begin("c", 3*time.Minute) // full: drops a, which expires soonest
	if s.Len() != 2 || !begin("a", time.Minute) {
		t.Fatalf("bound: len %d", s.Len())
	}
	s.Finish(ctx, "missing", nil) // no-op
}
