// Package health keeps endpoints' health lifecycle moving and never silent:
// the Monitor disables endpoints that have failed for too long and turns
// what changed (endpoints disabled or recovered, deliveries dead) into
// operator events; the Notifier sends those events to the operator's
// webhook.
//
// Both are components with Run(ctx). They work through herald.HealthStore
// and Store.EndpointDisable only: they do not touch the dispatcher, which
// learns of a disabled endpoint when it next loads it. Several nodes may run
// them at once on one PostgreSQL database; each event is still recorded once
// (the store deduplicates) and sent at least once.
package health

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/heraldhq/herald"
)

// MonitorStore is what the Monitor needs of the store.
type MonitorStore interface {
	herald.HealthStore
	// EndpointDisable is herald.Store's.
	EndpointDisable(ctx context.Context, id, reason string, now time.Time) error
}

// Defaults of MonitorConfig.
const (
	DefaultMonitorInterval = time.Minute
	DefaultRecoveredAfter  = time.Hour
	DefaultDeadSettle      = 5 * time.Minute
)

// MonitorConfig configures a Monitor.
type MonitorConfig struct {
	// Store keeps endpoints, attempts and operator events. Required.
	Store MonitorStore
	// Logger receives a line per operator event (Info) and store failures
	// (Error). Default: discard.
	Logger *slog.Logger
	// Interval is the time between scans. Default: 1m.
	Interval time.Duration
	// DisableAfter is how long an endpoint may fail continuously (no
	// healthy attempt, at least one failed one) before the Monitor
	// disables it. Default: herald.DefaultDisableAfter (5 days).
	// Negative: never disable.
	DisableAfter time.Duration
	// RecoveredAfter is the shortest failing streak whose end is an
	// endpoint.recovered event. Default: 1h.
	RecoveredAfter time.Duration
	// DeadSettle is how long after a delivery's last attempt its death is
	// reported (herald.HealthScanParams). At least the lease duration of
	// the dispatchers. Default: 5m.
	DeadSettle time.Duration
	// NowFunc returns the current time. Default: time.Now.
	NowFunc func() time.Time
	// EventsFunc, if set, is called after a scan that recorded operator
	// events: typically the Notifier's Wake. It must not block.
	EventsFunc func()
}

func (c *MonitorConfig) validate() error {
	switch {
	case c.Store == nil:
		return errors.New("health monitor config: Store is required")
	case c.Interval < 0:
		return errors.New("health monitor config: Interval cannot be negative")
	case c.RecoveredAfter < 0:
		return errors.New("health monitor config: RecoveredAfter cannot be negative")
	case c.DeadSettle < 0:
		return errors.New("health monitor config: DeadSettle cannot be negative")
	}
	return nil
}

func (c MonitorConfig) withDefaults() MonitorConfig {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Interval == 0 {
		c.Interval = DefaultMonitorInterval
	}
	if c.DisableAfter == 0 {
		c.DisableAfter = herald.DefaultDisableAfter
	}
	if c.RecoveredAfter == 0 {
		c.RecoveredAfter = DefaultRecoveredAfter
	}
	if c.DeadSettle == 0 {
		c.DeadSettle = DefaultDeadSettle
	}
	if c.NowFunc == nil {
		c.NowFunc = time.Now
	}
	return c
}

// Monitor scans endpoint health on an interval. Create it with NewMonitor.
type Monitor struct {
	cfg MonitorConfig
}

// NewMonitor returns a Monitor, or an error naming the first bad field.
func NewMonitor(cfg MonitorConfig) (*Monitor, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Monitor{cfg: cfg.withDefaults()}, nil
}

// Run scans at once and then every Interval until ctx ends, and returns
// nil. A failed scan is logged and tried again at the next tick.
func (m *Monitor) Run(ctx context.Context) error {
	t := time.NewTicker(m.cfg.Interval)
	defer t.Stop()
	for {
		if _, err := m.Scan(ctx); err != nil && ctx.Err() == nil {
			m.cfg.Logger.ErrorContext(ctx, "endpoint health scan", slog.Any("error", err))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// maxScanRounds bounds the store scans of one Monitor.Scan, so a backlog of
// dead deliveries is reported over several ticks rather than in one long
// burst.
const maxScanRounds = 10

// Scan runs one round: it records what changed since the last scan, then
// disables the endpoints failing for longer than DisableAfter, and records
// that too. It returns the operator events recorded.
func (m *Monitor) Scan(ctx context.Context) ([]*herald.OperatorEvent, error) {
	now := m.cfg.NowFunc().UTC()
	p := &herald.HealthScanParams{Now: now, RecoveredAfter: m.cfg.RecoveredAfter, DeadSettle: m.cfg.DeadSettle}
	var events []*herald.OperatorEvent
	defer func() { m.report(ctx, events) }()
	// First, so an endpoint enabled again since the last scan starts a new
	// streak before the failing check below looks at it.
	res, err := m.cfg.Store.HealthScan(ctx, p)
	if err != nil {
		return events, fmt.Errorf("health scan: %w", err)
	}
	events = append(events, res.Events...)
	more := res.More

	disabled := 0
	if m.cfg.DisableAfter > 0 {
		failing, err := m.cfg.Store.EndpointFailingList(ctx, now.Add(-m.cfg.DisableAfter))
		if err != nil {
			return events, fmt.Errorf("list failing endpoints: %w", err)
		}
		for _, h := range failing {
			reason := disableReason(h, now)
			err := m.cfg.Store.EndpointDisable(ctx, h.EndpointID, reason, now)
			switch {
			case herald.ErrorCode(err) == herald.ENOTFOUND:
				continue // deleted meanwhile
			case err != nil:
				return events, fmt.Errorf("disable endpoint: %w", err)
			}
			disabled++
			m.cfg.Logger.InfoContext(ctx, "endpoint disabled", slog.String("endpoint_id", h.EndpointID),
				slog.String("customer_id", h.CustomerID), slog.String("reason", reason))
		}
	}
	// Record the disables now rather than a tick later, and work off a
	// backlog of dead deliveries.
	for round := 1; (disabled > 0 || more) && round < maxScanRounds; round++ {
		disabled = 0
		res, err := m.cfg.Store.HealthScan(ctx, p)
		if err != nil {
			return events, fmt.Errorf("health scan: %w", err)
		}
		events = append(events, res.Events...)
		more = res.More
	}
	return events, nil
}

// disableReason says why the Monitor disables an endpoint: what an operator
// sees as DisabledReason and in the endpoint.disabled event.
func disableReason(h *herald.EndpointHealth, now time.Time) string {
	reason := fmt.Sprintf("no successful delivery for %s (failing since %s)",
		now.Sub(h.FailingSince).Round(time.Minute), h.FailingSince.UTC().Format(time.RFC3339))
	if h.LastError != "" {
		reason += "; last error: " + h.LastError
	}
	return reason
}

func (m *Monitor) report(ctx context.Context, events []*herald.OperatorEvent) {
	if len(events) == 0 {
		return
	}
	for _, ev := range events {
		m.cfg.Logger.InfoContext(ctx, "operator event", slog.String("type", string(ev.Type)),
			slog.String("customer_id", ev.CustomerID), slog.String("endpoint_id", ev.EndpointID),
			slog.String("delivery_id", ev.DeliveryID))
	}
	if m.cfg.EventsFunc != nil {
		m.cfg.EventsFunc()
	}
}
