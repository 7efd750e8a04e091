package receiver

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
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

// TestMemoryDedupStoreFullIsConstantTime: once the store holds MaxKeys,
// each new key costs O(1), not a scan of every key. The old store scanned
// all 100,000 keys per new key (minutes for this test); the bound below
// is hundreds of times what O(1) needs, so a busy machine cannot fail it.
func TestMemoryDedupStoreFullIsConstantTime(t *testing.T) {
	t.Parallel()
	now := time.Unix(0, 0)
	s := &MemoryDedupStore{NowFunc: func() time.Time { return now }}
	ctx := t.Context()
	for i := range 100000 {
		_, _, _ = s.Begin(ctx, strconv.Itoa(i), time.Hour)
	}
	start := time.Now()
	for i := range 50000 {
		if _, isNew, _ := s.Begin(ctx, "new"+strconv.Itoa(i), time.Hour); !isNew {
			t.Fatal("a new key is not new")
		}
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Fatalf("50,000 new keys in a full store took %s: eviction is not O(1)", took)
	}
	if s.Len() != 100000 {
		t.Fatalf("len %d, want the bound 100000", s.Len())
	}
	// The oldest keys went first; the newest are all there.
	if _, isNew, _ := s.Begin(ctx, "0", time.Hour); !isNew {
		t.Fatal("the oldest key was kept")
	}
	if _, isNew, _ := s.Begin(ctx, "new49999", time.Hour); isNew {
		t.Fatal("the newest key was dropped")
	}
	// Expired keys go before live ones.
	now = now.Add(2 * time.Hour)
	if _, isNew, _ := s.Begin(ctx, "later", time.Hour); !isNew || s.Len() != 1 {
		t.Fatalf("after every key expired: len %d, want 1", s.Len())
	}
}

func BenchmarkMemoryDedupStoreFull(b *testing.B) {
	s := &MemoryDedupStore{}
	ctx := b.Context()
	for i := range 100000 {
		_, _, _ = s.Begin(ctx, strconv.Itoa(i), time.Hour)
	}
	b.ResetTimer()
	for i := range b.N {
		_, _, _ = s.Begin(ctx, "new"+strconv.Itoa(i), time.Hour)
	}
}

// TestDedupByBodyIgnoresTheUnsignedEventID: under HMAC or Basic the event
// id header is not signed, so a replay with a new Herald-Event-Id must
// still count as a duplicate when the key is the body.
func TestDedupByBodyIgnoresTheUnsignedEventID(t *testing.T) {
	t.Parallel()
	calls := 0
	h := DedupBy(HandlerFunc(func(context.Context, *Event) Reply { calls++; return OK() }),
		&MemoryDedupStore{}, time.Hour, BodyDedupKey)
	body := []byte(`{"systemId":"13437","customerId":"2187","eventType":"WorkFlowStatusChangeEvent"}`)
	for _, id := range []string{"evt_1", "evt_forged"} {
		h.ServeEvent(t.Context(), &Event{ID: id, JSON: body, Body: &wire.Body{}})
	}
	if calls != 1 {
		t.Fatalf("the handler ran %d times for one body under two event ids, want 1", calls)
	}
	other := []byte(`{"systemId":"13438","customerId":"2187","eventType":"WorkFlowStatusChangeEvent"}`)
	h.ServeEvent(t.Context(), &Event{ID: "evt_1", JSON: other, Body: &wire.Body{}})
	if calls != 2 {
		t.Fatal("another body under a reused id was taken for a duplicate")
	}
}
