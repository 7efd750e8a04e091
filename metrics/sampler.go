package metrics

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/heraldhq/herald"
)

// SampleInterval is how often a Sampler records the queue depth: once a
// minute, the resolution of the operator's queue chart.
const SampleInterval = time.Minute

// sampleOffset is how far into each minute a Sampler samples: late
// enough that a clock a little behind still samples the right minute,
// early enough that the minute's sample is there to chart.
const sampleOffset = 2 * time.Second

// SamplerConfig configures NewSampler.
type SamplerConfig struct {
	// Store records the samples. Required.
	Store herald.QueueDepthStore
	// Logger receives a Warn line per failed sample. Default: discard.
	Logger *slog.Logger
	// NowFunc returns the current time. Default: time.Now.
	NowFunc func() time.Time
}

// Sampler records each customer's pending deliveries once a minute
// (herald.QueueDepthStore.QueueDepthSample), the time series behind the
// operator overview's queue chart; Prometheus has the same gauge for
// those who scrape it. Every node runs one: the store writes each minute
// once, so a node that stops leaves no gap while another runs.
type Sampler struct {
	cfg SamplerConfig
}

// NewSampler returns a Sampler, or an error if cfg has no Store.
func NewSampler(cfg SamplerConfig) (*Sampler, error) {
	if cfg.Store == nil {
		return nil, errors.New("sampler config: Store is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.NowFunc == nil {
		cfg.NowFunc = time.Now
	}
	return &Sampler{cfg: cfg}, nil
}

// Run samples a little after the start of every minute until ctx ends,
// then returns nil. A failed sample is logged; that minute stays empty
// unless another node sampled it.
func (s *Sampler) Run(ctx context.Context) error {
	for {
		now := s.cfg.NowFunc()
		t := time.NewTimer(now.Truncate(SampleInterval).Add(SampleInterval + sampleOffset).Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		if _, err := s.SampleOnce(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Logger.WarnContext(ctx, "sample queue depth", slog.Any("error", err))
		}
	}
}

// SampleOnce records the current minute's sample and returns how many
// rows it wrote (0 when the minute was sampled already).
func (s *Sampler) SampleOnce(ctx context.Context) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, SampleInterval/2)
	defer cancel()
	return s.cfg.Store.QueueDepthSample(ctx, s.cfg.NowFunc().UTC())
}
