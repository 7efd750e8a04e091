package groupcommit_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"

	"github.com/heraldhq/herald/internal/groupcommit"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestBatchesConcurrentCallers(t *testing.T) {
	t.Parallel()
	var calls, items atomic.Int64
	entered := make(chan struct{})
	release := make(chan struct{})
	var first sync.Once
	b := groupcommit.New(groupcommit.Config[int, int]{
		CommitFunc: func(_ context.Context, in []int) ([]int, error) {
			// Hold the first batch until the others have queued behind
			// it: they must then commit together.
			first.Do(func() { close(entered); <-release })
			calls.Add(1)
			items.Add(int64(len(in)))
			out := make([]int, len(in))
			for i, v := range in {
				out[i] = v * 2
			}
			return out, nil
		},
		MaxBatch: 1000,
	})
	defer b.Close()

	const n = 200
	var wg sync.WaitGroup
	var wrong atomic.Int64
	do := func(i int) {
		defer wg.Done()
		if got, err := b.Do(t.Context(), i); err != nil || got != 2*i {
			wrong.Add(1)
		}
	}
	wg.Add(1)
	go do(0)
	<-entered
	var queued sync.WaitGroup
	for i := 1; i < n; i++ {
		wg.Add(1)
		queued.Add(1)
		go func() { queued.Done(); do(i) }()
	}
	queued.Wait()
	close(release)
	wg.Wait()
	if wrong.Load() > 0 {
		t.Fatalf("%d callers got a wrong result", wrong.Load())
	}
	if items.Load() != n {
		t.Fatalf("committed %d items, want %d", items.Load(), n)
	}
	if c := calls.Load(); c >= n {
		t.Fatalf("%d commits for %d items: the queued callers were not batched", c, n)
	}
	t.Logf("%d items in %d commits", n, calls.Load())
}

func TestCommitErrorFailsTheWholeBatch(t *testing.T) {
	t.Parallel()
	boom := errors.New("disk on fire")
	b := groupcommit.New(groupcommit.Config[int, int]{
		CommitFunc: func(context.Context, []int) ([]int, error) { return nil, boom },
	})
	defer b.Close()
	if _, err := b.Do(t.Context(), 1); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
}

func TestWrongResultCountIsAnError(t *testing.T) {
	t.Parallel()
	b := groupcommit.New(groupcommit.Config[int, int]{
		CommitFunc: func(context.Context, []int) ([]int, error) { return nil, nil },
	})
	defer b.Close()
	if _, err := b.Do(t.Context(), 1); err == nil {
		t.Fatal("want an error when CommitFunc returns too few results")
	}
}

func TestDoAfterCloseAndCancelledContext(t *testing.T) {
	t.Parallel()
	b := groupcommit.New(groupcommit.Config[int, int]{
		CommitFunc: func(_ context.Context, in []int) ([]int, error) { return in, nil },
	})
	b.Close()
	if _, err := b.Do(t.Context(), 1); !errors.Is(err, groupcommit.ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}

	block := make(chan struct{})
	b2 := groupcommit.New(groupcommit.Config[int, int]{
		CommitFunc: func(_ context.Context, in []int) ([]int, error) { <-block; return in, nil },
	})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := b2.Do(ctx, 1); !errors.Is(err, context.Canceled) && err != nil {
		t.Fatalf("cancelled: %v", err)
	}
	close(block)
	b2.Close()
}

// TestBadItemFailsAlone: an item the store refuses fails its own caller
// only; the callers whose items shared its batch commit.
func TestBadItemFailsAlone(t *testing.T) {
	t.Parallel()
	errBad := errors.New("invalid byte sequence")
	var shared atomic.Bool
	entered := make(chan struct{})
	release := make(chan struct{})
	var first sync.Once
	b := groupcommit.New(groupcommit.Config[int, int]{
		CommitFunc: func(_ context.Context, in []int) ([]int, error) {
			first.Do(func() { close(entered); <-release })
			for _, v := range in {
				if v == 13 && len(in) > 1 {
					shared.Store(true)
				}
				if v == 13 {
					return nil, errBad
				}
			}
			return in, nil
		},
		MaxBatch: 1000,
	})
	defer b.Close()

	go func() { _, _ = b.Do(context.Background(), -1) }()
	<-entered
	const n = 40
	errs := make([]error, n)
	var wg, queued sync.WaitGroup
	for i := range n {
		queued.Add(1)
		wg.Go(func() { queued.Done(); _, errs[i] = b.Do(context.Background(), i) })
	}
	// The batch forms behind the held one.
	queued.Wait()
	close(release)
	wg.Wait()
	for i, err := range errs {
		switch {
		case i == 13 && !errors.Is(err, errBad):
			t.Errorf("item 13: err = %v, want %v", err, errBad)
		case i != 13 && err != nil:
			t.Errorf("item %d: err = %v, want nil: it shared a batch with a bad item", i, err)
		}
	}
	if !shared.Load() {
		t.Log("item 13 never shared a batch: this run did not exercise the split")
	}
}
