package retention_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/retention"
)

// fakeStore is a herald.RetentionStore whose Purge is PurgeFunc.
type fakeStore struct {
	herald.RetentionStore
	PurgeFunc func(ctx context.Context, p *herald.PurgeParams) (*herald.PurgeResult, error)
}

func (f *fakeStore) Purge(ctx context.Context, p *herald.PurgeParams) (*herald.PurgeResult, error) {
	return f.PurgeFunc(ctx, p)
}

// syncBuffer is a log destination safe for the purger's goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestPurgerRunsEveryIntervalWithJitter(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var calls []time.Time
		var params []*herald.PurgeParams
		store := &fakeStore{PurgeFunc: func(_ context.Context, p *herald.PurgeParams) (*herald.PurgeResult, error) {
			mu.Lock()
			defer mu.Unlock()
			calls = append(calls, time.Now())
			params = append(params, p)
			if len(calls) == 2 {
				return nil, errors.New("database unreachable")
			}
			return &herald.PurgeResult{Events: 3, Deliveries: 6, Attempts: 9, Batches: 1}, nil
		}}
		var logs syncBuffer
		p, err := retention.New(retention.Config{
			Store:            store,
			DefaultRetention: 30 * 24 * time.Hour,
			Interval:         time.Hour,
			BatchSize:        500,
			Logger:           slog.New(slog.NewTextHandler(&logs, nil)),
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		start := time.Now()
		go func() { done <- p.Run(ctx) }()

		// The first purge within a minute, then about hourly: five purges
		// by 4 h 30 min (1 min + 4 × 66 min at most), a failure included.
		time.Sleep(4*time.Hour + 30*time.Minute)
		synctest.Wait()
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run returned %v, want nil after cancel", err)
		}

		mu.Lock()
		defer mu.Unlock()
		if len(calls) < 5 {
			t.Fatalf("%d purges in 4h30m, want at least 5", len(calls))
		}
		if first := calls[0].Sub(start); first >= time.Minute {
			t.Errorf("first purge after %s, want within a minute", first)
		}
		for i := 1; i < len(calls); i++ {
			if gap := calls[i].Sub(calls[i-1]); gap < 54*time.Minute || gap > 66*time.Minute {
				t.Errorf("purge %d came %s after the one before, want 1h ± 10%%", i, gap)
			}
		}
		for _, pp := range params {
			if pp.DefaultRetention != 30*24*time.Hour || pp.BatchSize != 500 || pp.Now.IsZero() {
				t.Errorf("purge params %+v", pp)
			}
		}
		out := logs.String()
		if !strings.Contains(out, "purged expired events") || !strings.Contains(out, "events=3") || !strings.Contains(out, "attempts=9") {
			t.Errorf("log does not say what was purged:\n%s", out)
		}
		if !strings.Contains(out, "purge failed") || !strings.Contains(out, "database unreachable") {
			t.Errorf("log does not report the failed purge:\n%s", out)
		}
	})
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	store := &fakeStore{}
	for _, tc := range []struct {
		name string
		cfg  retention.Config
		want string
	}{
		{"NoStore", retention.Config{DefaultRetention: time.Hour}, "Store is required"},
		{"NoRetention", retention.Config{Store: store}, "DefaultRetention must be positive"},
		{"NegativeInterval", retention.Config{Store: store, DefaultRetention: time.Hour, Interval: -1}, "Interval cannot be negative"},
		{"NegativeBatch", retention.Config{Store: store, DefaultRetention: time.Hour, BatchSize: -1}, "BatchSize cannot be negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := retention.New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

// fakeTokens is a herald.PartnerTokenPurger whose purge is PurgeFunc.
type fakeTokens struct {
	PurgeFunc func(ctx context.Context, now time.Time) (int, error)
}

func (f *fakeTokens) PartnerTokenPurge(ctx context.Context, now time.Time) (int, error) {
	return f.PurgeFunc(ctx, now)
}

// TestPurgerPurgesPartnerTokens proves each purge also deletes expired
// partner access tokens, as of the purger's clock, even when the event
// purge failed.
func TestPurgerPurgesPartnerTokens(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	eventsErr := errors.New("events: database locked")
	var got []time.Time
	tokens := &fakeTokens{PurgeFunc: func(_ context.Context, at time.Time) (int, error) {
		got = append(got, at)
		return 7, nil
	}}
	failEvents := true
	store := &fakeStore{PurgeFunc: func(context.Context, *herald.PurgeParams) (*herald.PurgeResult, error) {
		if failEvents {
			return nil, eventsErr
		}
		return &herald.PurgeResult{}, nil
	}}
	var logs syncBuffer
	p, err := retention.New(retention.Config{Store: store, Tokens: tokens, DefaultRetention: time.Hour,
		NowFunc: func() time.Time { return now }, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.PurgeOnce(t.Context())
	if !errors.Is(err, eventsErr) || res == nil || res.PartnerTokens != 7 {
		t.Fatalf("PurgeOnce = %+v, %v; want the events error and 7 tokens purged", res, err)
	}
	failEvents = false
	if res, err := p.PurgeOnce(t.Context()); err != nil || res.PartnerTokens != 7 {
		t.Fatalf("PurgeOnce = %+v, %v", res, err)
	}
	if len(got) != 2 || !got[0].Equal(now) {
		t.Fatalf("token purges at %v, want two at %v", got, now)
	}
	if !strings.Contains(logs.String(), "purged expired partner tokens") || !strings.Contains(logs.String(), "partner_tokens=7") {
		t.Errorf("log lacks the token purge:\n%s", logs.String())
	}
}
