package storerules

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
)

// DefaultDeadScanLimit is herald.HealthScanParams.Limit's default.
const DefaultDeadScanLimit = 1000

// EndpointStateChange is an endpoint whose enabled state no operator event
// reports yet: disabled with a reason and not yet announced, or enabled
// again after an announced disable.
type EndpointStateChange struct {
	ID, CustomerID string
	Reason         string    // why it was disabled
	At             time.Time // when it changed (the endpoint's updated_at)
	Enabled        bool
}

// Recovery is a failing streak that a healthy attempt ended.
type Recovery struct {
	ID, CustomerID string
	From, At       time.Time
}

// DeadDelivery is a delivery that ended dead.
type DeadDelivery struct {
	ID, CustomerID, EndpointID, LastError string
	At                                    time.Time
}

// HealthTx is a health scan's view of a store's write transaction, one
// statement per method (TakeRecoveries may need two where the dialect
// cannot clear and return old values at once). Times are at the store's
// precision.
type HealthTx interface {
	// EndpointStateChanges lists the changes to announce, by endpoint id.
	EndpointStateChanges(ctx context.Context) ([]EndpointStateChange, error)
	// MarkDisabledAnnounced notes that the disable at `at` is announced.
	MarkDisabledAnnounced(ctx context.Context, endpointID, customerID string, at time.Time) error
	// MarkEnabledAgain closes the announced disable and ends the failing
	// streak, so the monitor does not disable the endpoint again at once.
	MarkEnabledAgain(ctx context.Context, endpointID string) error
	// TakeRecoveries returns the recorded recoveries and clears them (a
	// recovery recorded after the read stays for the next scan).
	TakeRecoveries(ctx context.Context) ([]Recovery, error)
	// DeadMark returns where the walk of dead deliveries stopped; ok is
	// false before the first scan.
	DeadMark(ctx context.Context) (at time.Time, id string, ok bool, err error)
	SetDeadMark(ctx context.Context, at time.Time, id string) error
	// DeadDeliveries lists dead deliveries after (at, id) and updated no
	// later than until, in (updated_at, id) order, at most limit.
	DeadDeliveries(ctx context.Context, at time.Time, id string, until time.Time, limit int) ([]DeadDelivery, error)
	// OperatorEventInsert stores ev unless an event with dedupeKey exists,
	// and reports whether it did.
	OperatorEventInsert(ctx context.Context, ev *herald.OperatorEvent, dedupeKey string) (bool, error)
}

// Health implements herald.HealthStore's HealthScan for a store that
// embeds it.
type Health struct {
	// InHealthTx runs fn in one write transaction that no other health
	// scan runs beside (PostgreSQL takes an advisory lock for it).
	InHealthTx func(ctx context.Context, fn func(HealthTx) error) error
	// Round gives t at the store's precision.
	Round func(t time.Time) time.Time
}

// HealthScan implements herald.HealthStore in one transaction: it turns
// endpoint state changes, ended failing streaks and newly dead deliveries
// into operator events, each once (by its dedupe key).
func (h Health) HealthScan(ctx context.Context, p *herald.HealthScanParams) (*herald.HealthScanResult, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = DefaultDeadScanLimit
	}
	now := h.Round(p.Now)
	res := &herald.HealthScanResult{}
	err := h.InHealthTx(ctx, func(tx HealthTx) error {
		record := func(t herald.OperatorEventType, customer, endpoint, delivery string, at time.Time, detail, key string) error {
			ev := &herald.OperatorEvent{
				ID: herald.NewID(herald.IDPrefixOperatorEvent, now), Type: t, CustomerID: customer,
				EndpointID: endpoint, DeliveryID: delivery, At: at, Detail: detail, CreatedAt: now,
			}
			ok, err := tx.OperatorEventInsert(ctx, ev, key)
			if err != nil {
				return fmt.Errorf("record %s: %w", t, err)
			}
			if ok {
				res.Events = append(res.Events, ev)
			}
			return nil
		}

		// Endpoints disabled with a reason that no event reports yet. An
		// endpoint an operator disabled (no reason) is the operator's news.
		changes, err := tx.EndpointStateChanges(ctx)
		if err != nil {
			return err
		}
		for _, c := range changes {
			if !c.Enabled {
				if err := tx.MarkDisabledAnnounced(ctx, c.ID, c.CustomerID, c.At); err != nil {
					return err
				}
				if err := record(herald.OperatorEventEndpointDisabled, c.CustomerID, c.ID, "", c.At, c.Reason,
					dedupeKey("endpoint.disabled", c.ID, c.At)); err != nil {
					return err
				}
				continue
			}
			if err := tx.MarkEnabledAgain(ctx, c.ID); err != nil {
				return err
			}
			if err := record(herald.OperatorEventEndpointRecovered, c.CustomerID, c.ID, "", c.At,
				"the endpoint was enabled again", dedupeKey("endpoint.recovered", c.ID, c.At)); err != nil {
				return err
			}
		}

		// Failing streaks a healthy attempt ended; short ones are news to
		// nobody.
		recs, err := tx.TakeRecoveries(ctx)
		if err != nil {
			return err
		}
		slices.SortFunc(recs, func(a, b Recovery) int { return strings.Compare(a.ID, b.ID) })
		for _, r := range recs {
			streak := r.At.Sub(r.From)
			if streak < p.RecoveredAfter {
				continue
			}
			if err := record(herald.OperatorEventEndpointRecovered, r.CustomerID, r.ID, "", r.At,
				"a delivery succeeded after failing for "+streak.String(), dedupeKey("endpoint.recovered", r.ID, r.At)); err != nil {
				return err
			}
		}

		// Deliveries that died, in (updated_at, id) order after the mark,
		// up to DeadSettle before now.
		settled := h.Round(p.Now.Add(-p.DeadSettle))
		markAt, markID, ok, err := tx.DeadMark(ctx)
		if err != nil {
			return err
		}
		if !ok {
			// The first scan starts now: a store upgraded with years of
			// dead deliveries should not page anyone about them.
			markAt, markID = settled, ""
		}
		deads, err := tx.DeadDeliveries(ctx, markAt, markID, settled, limit+1)
		if err != nil {
			return err
		}
		if len(deads) > limit {
			deads, res.More = deads[:limit], true
		}
		for _, d := range deads {
			if err := record(herald.OperatorEventDeliveryDead, d.CustomerID, d.EndpointID, d.ID, d.At, d.LastError,
				dedupeKey("delivery.dead", d.ID, d.At)); err != nil {
				return err
			}
			markAt, markID = d.At, d.ID
		}
		if !res.More && settled.After(markAt) {
			// Nothing died between the last one and the settle line, so
			// the next scan may start at the line.
			markAt, markID = settled, ""
		}
		return tx.SetDeadMark(ctx, markAt, markID)
	})
	if err != nil {
		return nil, fmt.Errorf("health scan: %w", err)
	}
	return res, nil
}

// dedupeKey names one operator event: what happened, to what, when (Unix
// milliseconds, on both stores, so a key never depends on the database).
func dedupeKey(what, id string, at time.Time) string {
	return what + ":" + id + ":" + strconv.FormatInt(at.UnixMilli(), 10)
}
