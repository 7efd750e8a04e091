// Package retention runs the purge of old events in the background: a
// Purger calls herald.RetentionStore.Purge (and, when configured,
// herald.PartnerTokenPurger.PartnerTokenPurge for expired partner access
// tokens) about once an interval, with jitter, and logs what went. What is old, and how it is removed without
// long locks, is the store's business (see herald.RetentionStore); this
// package only decides when. It holds no SQL and imports only the root.
package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/heraldhq/herald"
)

// DefaultInterval is how often a Purger purges: hourly keeps each run small
// (an hour's worth of expired events) without the purge showing up in the
// database's load.
const DefaultInterval = time.Hour

// Config configures a Purger.
type Config struct {
	// Store purges. Required.
	Store herald.RetentionStore
	// Tokens deletes expired partner access tokens (issued by the
	// platform API's POST /oauth/token) at each purge. Nil: tokens are
	// not purged.
	Tokens herald.PartnerTokenPurger
	// DefaultRetention is the retention of customers without one of their
	// own. Required; must be positive.
	DefaultRetention time.Duration
	// Interval is the mean time between purges; each wait is drawn from
	// Interval ± 10 %, so nodes started together drift apart. Default:
	// DefaultInterval (1h).
	Interval time.Duration
	// BatchSize is the most events one purge transaction removes.
	// Default: herald.DefaultPurgeBatchSize.
	BatchSize int
	// Logger receives one Info line per purge that removed something, and
	// a Warn line per purge that failed. Default: discard.
	Logger *slog.Logger
	// NowFunc returns the current time. Default: time.Now.
	NowFunc func() time.Time
}

func (c *Config) validate() error {
	switch {
	case c.Store == nil:
		return errors.New("retention config: Store is required")
	case c.DefaultRetention <= 0:
		return errors.New("retention config: DefaultRetention must be positive")
	case c.Interval < 0:
		return errors.New("retention config: Interval cannot be negative")
	case c.BatchSize < 0:
		return errors.New("retention config: BatchSize cannot be negative")
	}
	return nil
}

// Purger purges a store now and then. Create it with New; call Run once.
type Purger struct {
	cfg Config
}

// New returns a Purger, or an error naming the first bad field of cfg.
func New(cfg Config) (*Purger, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.NowFunc == nil {
		cfg.NowFunc = time.Now
	}
	return &Purger{cfg: cfg}, nil
}

// Run purges until ctx ends, then returns nil. The first purge comes after
// a random fraction of the interval (at most a minute), so a node that
// starts does its start-up work first and nodes that start together do not
// purge together; a failed purge is logged and tried again next interval.
func (p *Purger) Run(ctx context.Context) error {
	wait := rand.N(min(p.cfg.Interval, time.Minute))
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		if _, err := p.PurgeOnce(ctx); err != nil && ctx.Err() == nil {
			p.cfg.Logger.WarnContext(ctx, "purge failed; trying again next interval", slog.Any("error", err))
		}
		// Interval ± 10 %.
		wait = p.cfg.Interval - p.cfg.Interval/10 + rand.N(p.cfg.Interval/5+1)
	}
}

// PurgeOnce purges now and logs what went.
func (p *Purger) PurgeOnce(ctx context.Context) (*herald.PurgeResult, error) {
	start := time.Now()
	res, err := p.cfg.Store.Purge(ctx, &herald.PurgeParams{
		Now:              p.cfg.NowFunc(),
		DefaultRetention: p.cfg.DefaultRetention,
		BatchSize:        p.cfg.BatchSize,
	})
	if res != nil && res.Events > 0 {
		// Logged even when the purge stopped part way: what went is gone.
		p.cfg.Logger.InfoContext(ctx, "purged expired events",
			slog.Int("events", res.Events), slog.Int("deliveries", res.Deliveries),
			slog.Int("attempts", res.Attempts), slog.Int("batches", res.Batches),
			slog.Duration("duration", time.Since(start)))
	}
	if res != nil && res.QueueDepthSamples > 0 {
		p.cfg.Logger.InfoContext(ctx, "purged old queue depth samples", slog.Int("queue_depth_samples", res.QueueDepthSamples))
	}
	if p.cfg.Tokens == nil || ctx.Err() != nil {
		return res, err
	}
	// Tokens are purged even when the event purge failed: they are in
	// other tables, and an access token that outlives its expiry is a
	// credential kept for nothing.
	n, terr := p.cfg.Tokens.PartnerTokenPurge(ctx, p.cfg.NowFunc())
	if res == nil {
		res = &herald.PurgeResult{}
	}
	res.PartnerTokens = n
	if n > 0 {
		p.cfg.Logger.InfoContext(ctx, "purged expired partner tokens", slog.Int("partner_tokens", n))
	}
	if terr != nil {
		terr = fmt.Errorf("purge partner tokens: %w", terr)
	}
	return res, errors.Join(err, terr)
}
