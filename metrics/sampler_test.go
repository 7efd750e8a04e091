package metrics_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/metrics"
)

// queueDepthFuncs is a herald.QueueDepthStore made of funcs.
type queueDepthFuncs struct {
	SampleFunc func(ctx context.Context, now time.Time) (int, error)
}

func (f queueDepthFuncs) QueueDepthSample(ctx context.Context, now time.Time) (int, error) {
	return f.SampleFunc(ctx, now)
}

func (queueDepthFuncs) QueueDepthList(context.Context, *herald.QueueDepthParams) ([]*herald.QueueDepthSample, error) {
	return nil, nil
}

// TestSamplerSamplesEachMinuteOnce runs a Sampler for five minutes of
// fake time and checks it sampled each minute once, a little after the
// minute began, and that a failing store does not stop it.
func TestSamplerSamplesEachMinuteOnce(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var at []time.Time
		s, err := metrics.NewSampler(metrics.SamplerConfig{Store: queueDepthFuncs{SampleFunc: func(_ context.Context, now time.Time) (int, error) {
			mu.Lock()
			defer mu.Unlock()
			at = append(at, now)
			if len(at) == 2 {
				return 0, context.DeadlineExceeded // a failed sample: logged, and the next minute comes anyway
			}
			return 1, nil
		}}})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		start := time.Now()
		done := make(chan struct{})
		go func() { _ = s.Run(ctx); close(done) }()
		time.Sleep(5*time.Minute + 3*time.Second) // the bubble starts on a minute: samples at 1:02 to 5:02
		cancel()
		<-done

		mu.Lock()
		defer mu.Unlock()
		if len(at) != 5 {
			t.Fatalf("sampled %d times in five minutes, want 5: %v", len(at), at)
		}
		seen := map[time.Time]bool{}
		for _, a := range at {
			m := a.Truncate(time.Minute)
			if seen[m] {
				t.Fatalf("minute %v sampled twice: %v", m, at)
			}
			seen[m] = true
			if off := a.Sub(m); off <= 0 || off > 5*time.Second {
				t.Fatalf("sampled %v into the minute, want a little after it began", off)
			}
			if !a.After(start) {
				t.Fatalf("sampled at %v, before Run started at %v", a, start)
			}
		}
	})
}

func TestNewSamplerNeedsAStore(t *testing.T) {
	t.Parallel()
	if _, err := metrics.NewSampler(metrics.SamplerConfig{}); err == nil {
		t.Fatal("NewSampler without a store: no error")
	}
}
