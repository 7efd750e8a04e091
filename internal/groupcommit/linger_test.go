package groupcommit_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/groupcommit"
)

// lingerBatcher is a Batcher with an hour's Linger (no test waits for it to
// run out) whose commits report their sizes on the returned channel. Its
// first commit is held until release is closed, so that callers can queue
// up behind it.
func lingerBatcher(t *testing.T) (b *groupcommit.Batcher[int, int], sizes <-chan int, entered, release chan struct{}) {
	t.Helper()
	out := make(chan int, 100)
	entered, release = make(chan struct{}), make(chan struct{})
	var first sync.Once
	b = groupcommit.New(groupcommit.Config[int, int]{
		CommitFunc: func(_ context.Context, in []int) ([]int, error) {
			first.Do(func() { close(entered); <-release })
			out <- len(in)
			return in, nil
		},
		MaxBatch:     1000,
		Linger:       time.Hour,
		LingerTarget: 8,
	})
	return b, out, entered, release
}

// TestLingerSparesATrickle: while batches have held one item, a lone item
// commits at once, whatever Linger is.
func TestLingerSparesATrickle(t *testing.T) {
	t.Parallel()
	b, sizes, _, release := lingerBatcher(t)
	close(release)
	defer b.Close()
	for i := range 3 {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		_, err := b.Do(ctx, i)
		cancel()
		if err != nil {
			t.Fatalf("lone item %d: %v (it lingered)", i, err)
		}
		if n := <-sizes; n != 1 {
			t.Fatalf("lone item %d committed in a batch of %d", i, n)
		}
	}
}

// TestLingerGathersUnderLoad: once batches have been large (many callers
// at once), a small batch waits for LingerTarget items and commits them
// together.
func TestLingerGathersUnderLoad(t *testing.T) {
	t.Parallel()
	b, sizes, entered, release := lingerBatcher(t)
	defer b.Close()

	// Load: 40 callers queue behind a held commit, and commit as one batch.
	var wg sync.WaitGroup
	do := func(i int) {
		defer wg.Done()
		if _, err := b.Do(t.Context(), i); err != nil {
			t.Errorf("item %d: %v", i, err)
		}
	}
	wg.Add(1)
	go do(0)
	<-entered
	for i := 1; i < 40; i++ {
		wg.Add(1)
		go do(i)
	}
	// The first commit is held: wait until the 39 others are queued.
	deadline := time.Now().Add(10 * time.Second)
	for b.Queued() < 39 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	if n := <-sizes; n != 1 {
		t.Fatalf("first batch %d, want the held 1", n)
	}
	if n := <-sizes; n != 39 {
		t.Fatalf("second batch %d, want the 39 queued", n)
	}

	// A lone item now waits for seven more.
	wg.Add(1)
	go do(100)
	select {
	case n := <-sizes:
		t.Fatalf("a lone item committed (batch of %d) instead of waiting for more", n)
	case <-time.After(50 * time.Millisecond):
	}
	for i := 101; i < 108; i++ {
		wg.Add(1)
		go do(i)
	}
	wg.Wait()
	if n := <-sizes; n != 8 {
		t.Fatalf("lingering batch %d, want 8", n)
	}
}
