package dispatch

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// batchSpyStore notes the size of every record batch and the delivery ids
// it has recorded.
type batchSpyStore struct {
	herald.Store
	mu       sync.Mutex
	batches  []int
	recorded map[string]bool
}

func (s *batchSpyStore) DeliveryRecordAttempts(_ context.Context, recs []*herald.AttemptRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batches = append(s.batches, len(recs))
	for _, r := range recs {
		s.recorded[r.Lease.DeliveryID] = true
	}
	return nil
}

func (s *batchSpyStore) sizes() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.batches)
}

func (s *batchSpyStore) has(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.recorded[id]
}

// lingeringRecorder starts a recorder that lingers for linger, after a first
// batch of 20 results has shown that they come in numbers (the average
// batch size that opens the linger). run returns when the recorder is closed.
func lingeringRecorder(t *testing.T, linger time.Duration) (*recorder, *batchSpyStore, <-chan struct{}) {
	t.Helper()
	store := &batchSpyStore{recorded: map[string]bool{}}
	r := newRecorder(store, slog.New(slog.DiscardHandler), func(int) {})
	r.lingerFor = linger
	for i := range 20 {
		r.add(unorderedRecord("first-" + strconv.Itoa(i)))
	}
	done := make(chan struct{})
	go func() { defer close(done); r.run() }()
	t.Cleanup(func() { stopRecorder(t, r, done) })
	waitUntil(t, func() bool { return len(store.sizes()) == 1 })
	return r, store, done
}

// stopRecorder closes r and waits up to 5 s for run to return.
func stopRecorder(t *testing.T, r *recorder, done <-chan struct{}) {
	r.close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Error("the recorder did not stop within 5s of close")
	}
}

func unorderedRecord(id string) *herald.AttemptRecord {
	return &herald.AttemptRecord{Lease: herald.DeliveryLease{DeliveryID: id}, State: herald.DeliveryStateDelivered, Unordered: true}
}

// waitUntil polls cond for up to 5 s: far longer than any of these
// recorders takes unless it is holding results it should not.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestRecorderGathersResultsWhileTheyComeInNumbers: while results come
// several to a batch, a few that arrive a little apart are recorded in one
// batch rather than one each.
func TestRecorderGathersResultsWhileTheyComeInNumbers(t *testing.T) {
	t.Parallel()
	r, store, _ := lingeringRecorder(t, 500*time.Millisecond)
	for i := range 3 {
		r.add(unorderedRecord("later-" + strconv.Itoa(i)))
		time.Sleep(20 * time.Millisecond)
	}
	waitUntil(t, func() bool { return store.has("later-2") })
	if got := store.sizes(); !slices.Equal(got, []int{20, 3}) {
		t.Errorf("batches %v, want [20 3]", got)
	}
}

// TestRecorderLingersOnlyForWhatNoOneWaitsFor: a linger ends at once for
// a result an interactive caller waits for, for an ordered delivery's
// (its subject's next delivery waits for it), at close, and a trickle of
// results is never held at all.
func TestRecorderLingersOnlyForWhatNoOneWaitsFor(t *testing.T) {
	t.Parallel()
	const forever = time.Hour
	t.Run("a caller waits", func(t *testing.T) {
		t.Parallel()
		r, store, _ := lingeringRecorder(t, forever)
		r.add(unorderedRecord("held"))
		select {
		case <-r.addWait(unorderedRecord("awaited")):
		case <-time.After(5 * time.Second):
			t.Fatal("the awaited result was not recorded within 5s")
		}
		if !store.has("held") || !store.has("awaited") {
			t.Errorf("batches %v: the held result and the awaited one should be recorded together", store.sizes())
		}
	})
	t.Run("ordered", func(t *testing.T) {
		t.Parallel()
		r, store, _ := lingeringRecorder(t, forever)
		r.add(unorderedRecord("held"))
		ordered := unorderedRecord("ordered")
		ordered.Unordered = false
		r.add(ordered)
		waitUntil(t, func() bool { return store.has("ordered") && store.has("held") })
	})
	t.Run("close", func(t *testing.T) {
		t.Parallel()
		r, store, done := lingeringRecorder(t, forever)
		r.add(unorderedRecord("held"))
		stopRecorder(t, r, done)
		if !store.has("held") {
			t.Error("close returned without recording the held result")
		}
	})
	t.Run("a trickle", func(t *testing.T) {
		t.Parallel()
		store := &batchSpyStore{recorded: map[string]bool{}}
		r := newRecorder(store, slog.New(slog.DiscardHandler), func(int) {})
		r.lingerFor = forever
		done := make(chan struct{})
		go func() { defer close(done); r.run() }()
		t.Cleanup(func() { stopRecorder(t, r, done) })
		for i := range 3 {
			id := "alone-" + strconv.Itoa(i)
			r.add(unorderedRecord(id))
			waitUntil(t, func() bool { return store.has(id) })
		}
	})
}
