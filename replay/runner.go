// Package replay runs replay jobs (herald.ReplayJob) in the background: bulk
// redrives of the deliveries a filter matched, with progress a caller can
// watch, and no cap on size.
//
// A Runner works a job a batch at a time through herald.ReplayStore; each
// batch commits with the job's cursor, so a Runner stopped or killed half way
// resumes where the last batch ended, on this node or another. It does not
// send anything itself: replayed deliveries are due at once, and the Runner
// wakes the dispatcher (WakeFunc) after each batch.
package replay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/heraldhq/herald"
)

// DefaultPollInterval is how often a Runner looks for jobs when nobody
// wakes it: jobs created on another node, or through an API that cannot
// reach this Runner's Wake.
const DefaultPollInterval = 2 * time.Second

// Config configures a Runner.
type Config struct {
	// Store keeps the jobs and the deliveries. Required.
	Store herald.ReplayStore
	// Logger receives a line per finished job (Info) and store failures
	// (Error). Default: discard.
	Logger *slog.Logger
	// WakeFunc is called after a batch replayed deliveries, so the
	// dispatcher claims them at once. It must not block. Nil: the
	// dispatcher finds them when it next polls.
	WakeFunc func()
	// Batch is how many deliveries one transaction replays. Default:
	// herald.DefaultReplayBatch (500).
	Batch int
	// PollInterval is the time between looks for unfinished jobs.
	// Default: DefaultPollInterval (2s).
	PollInterval time.Duration
	// NowFunc returns the current time: replayed deliveries are due at
	// it. Default: time.Now.
	NowFunc func() time.Time
}

func (c *Config) validate() error {
	switch {
	case c.Store == nil:
		return errors.New("replay runner config: Store is required")
	case c.Batch < 0:
		return errors.New("replay runner config: Batch cannot be negative")
	case c.PollInterval < 0:
		return errors.New("replay runner config: PollInterval cannot be negative")
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Batch == 0 {
		c.Batch = herald.DefaultReplayBatch
	}
	if c.PollInterval == 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.NowFunc == nil {
		c.NowFunc = time.Now
	}
	return c
}

// Runner works unfinished replay jobs. Create it with New.
type Runner struct {
	cfg  Config
	wake chan struct{}
}

// New returns a Runner, or an error naming the first bad field.
func New(cfg Config) (*Runner, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Runner{cfg: cfg.withDefaults(), wake: make(chan struct{}, 1)}, nil
}

// Wake makes a running Runner look for jobs now (one was just created). It
// never blocks.
func (r *Runner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run works jobs until ctx ends, then returns nil. Unfinished jobs, those
// left by an earlier run included, are worked oldest first. A batch in
// flight when ctx ends is rolled back and done again by the next run.
func (r *Runner) Run(ctx context.Context) error {
	t := time.NewTicker(r.cfg.PollInterval)
	defer t.Stop()
	for {
		if err := r.RunOnce(ctx); err != nil && ctx.Err() == nil {
			r.cfg.Logger.ErrorContext(ctx, "replay jobs", slog.Any("error", err))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-r.wake:
		case <-t.C:
		}
	}
}

// RunOnce works every unfinished job to its end, or until ctx ends.
func (r *Runner) RunOnce(ctx context.Context) error {
	jobs, err := r.cfg.Store.ReplayJobListUnfinished(ctx)
	if err != nil {
		return fmt.Errorf("list unfinished replay jobs: %w", err)
	}
	for _, j := range jobs {
		if err := r.work(ctx, j.ID); err != nil {
			return err
		}
	}
	return nil
}

func (r *Runner) work(ctx context.Context, id string) error {
	for ctx.Err() == nil {
		res, err := r.cfg.Store.ReplayJobStep(ctx, id, r.cfg.NowFunc().UTC(), r.cfg.Batch)
		if err != nil {
			return fmt.Errorf("replay job %s: %w", id, err)
		}
		if res.Replayed > 0 && r.cfg.WakeFunc != nil {
			r.cfg.WakeFunc()
		}
		if j := res.Job; j.Finished() {
			r.cfg.Logger.InfoContext(ctx, "replay job finished", slog.String("replay_job_id", j.ID),
				slog.String("customer_id", j.CustomerID), slog.Int("total", j.Total),
				slog.Int("replayed", j.Replayed), slog.Int("skipped", j.Skipped))
			return nil
		}
	}
	return nil
}
