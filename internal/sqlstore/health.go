package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/storerules"
)

var (
	qHealthEndpointFailingList  = query("HealthEndpointFailingList")
	qHealthScanLock             = query("HealthScanLock")
	qHealthEndpointStateChanges = query("HealthEndpointStateChanges")
	qHealthMarkDisabledAnnounce = query("HealthMarkDisabledAnnounced")
	qHealthMarkEnabledAgain     = query("HealthMarkEnabledAgain")
	qHealthRecoveryList         = query("HealthRecoveryList")
	qHealthRecoveryClear        = query("HealthRecoveryClear")
	qHealthDeadMarkGet          = query("HealthDeadMarkGet")
	qHealthDeadMarkSet          = query("HealthDeadMarkSet")
	qHealthDeadDeliveries       = query("HealthDeadDeliveries")
	qHealthOperatorEventInsert  = query("HealthOperatorEventInsert")
)

// The columns every endpoint health statement reads, in this order: the
// endpoint's id and customer_id, then endpoint_health's last_attempt_at,
// last_success_at, last_failure_at, last_status_code, last_error,
// failing_since, disabled_at (an endpoint without a row reads as zeros).
func (s *Store) scanEndpointHealth(r Row) (*herald.EndpointHealth, error) {
	var h herald.EndpointHealth
	err := r.Scan(&h.EndpointID, &h.CustomerID, s.d.ScanTime(&h.LastAttemptAt), s.d.ScanTime(&h.LastSuccessAt),
		s.d.ScanTime(&h.LastFailureAt), &h.LastStatusCode, &h.LastError, s.d.ScanTime(&h.FailingSince),
		s.d.ScanTime(&h.DisabledAt))
	return &h, err
}

// EndpointFailingList implements herald.HealthStore.
func (s *Store) EndpointFailingList(ctx context.Context, before time.Time) ([]*herald.EndpointHealth, error) {
	rows, err := s.read.Query(ctx, s.sql(qHealthEndpointFailingList), s.d.Time(before))
	out, err := collect(rows, err, s.scanEndpointHealth)
	if err != nil {
		return nil, fmt.Errorf("list failing endpoints: %w", err)
	}
	return out, nil
}

// HealthScan implements herald.HealthStore: storerules' scan, over
// healthTx.
func (s *Store) HealthScan(ctx context.Context, p *herald.HealthScanParams) (*herald.HealthScanResult, error) {
	return storerules.Health{InHealthTx: s.inHealthTx, Round: s.round}.HealthScan(ctx, p)
}

// inHealthTx runs fn in a write transaction that holds the health scan's
// lock (HealthScanLock), so two nodes' scans do not read the same changes
// and the same dead-delivery mark at once.
func (s *Store) inHealthTx(ctx context.Context, fn func(storerules.HealthTx) error) error {
	return s.inTx(ctx, func(tx DB) error {
		if _, err := tx.Exec(ctx, s.sql(qHealthScanLock)); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		return fn(healthTx{s: s, db: tx})
	})
}

// healthTx is storerules.HealthTx over a write transaction.
type healthTx struct {
	s  *Store
	db DB
}

func (t healthTx) EndpointStateChanges(ctx context.Context) ([]storerules.EndpointStateChange, error) {
	rows, err := t.db.Query(ctx, t.s.sql(qHealthEndpointStateChanges))
	return collect(rows, err, func(r Row) (storerules.EndpointStateChange, error) {
		var c storerules.EndpointStateChange
		err := r.Scan(&c.ID, &c.CustomerID, &c.Reason, t.s.d.ScanTime(&c.At), &c.Enabled)
		return c, err
	})
}

func (t healthTx) MarkDisabledAnnounced(ctx context.Context, endpointID, customerID string, at time.Time) error {
	_, err := t.db.Exec(ctx, t.s.sql(qHealthMarkDisabledAnnounce), endpointID, customerID, t.s.d.Time(at))
	return err
}

func (t healthTx) MarkEnabledAgain(ctx context.Context, endpointID string) error {
	_, err := t.db.Exec(ctx, t.s.sql(qHealthMarkEnabledAgain), endpointID)
	return err
}

// TakeRecoveries reads the recoveries, then clears each unless a newer one
// replaced it meanwhile: SQLite's RETURNING gives new values only, so the
// old ones cannot come back from the statement that clears them.
func (t healthTx) TakeRecoveries(ctx context.Context) ([]storerules.Recovery, error) {
	rows, err := t.db.Query(ctx, t.s.sql(qHealthRecoveryList))
	recs, err := collect(rows, err, func(r Row) (storerules.Recovery, error) {
		var v storerules.Recovery
		err := r.Scan(&v.ID, &v.CustomerID, t.s.d.ScanTime(&v.From), t.s.d.ScanTime(&v.At))
		return v, err
	})
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		if _, err := t.db.Exec(ctx, t.s.sql(qHealthRecoveryClear), r.ID, t.s.d.Time(r.At)); err != nil {
			return nil, err
		}
	}
	return recs, nil
}

func (t healthTx) DeadMark(ctx context.Context) (time.Time, string, bool, error) {
	var at time.Time
	var id string
	err := t.db.QueryRow(ctx, t.s.sql(qHealthDeadMarkGet)).Scan(t.s.d.ScanTime(&at), &id)
	switch {
	case errors.Is(err, storerules.ErrNotFound):
		return time.Time{}, "", false, nil
	case err != nil:
		return time.Time{}, "", false, err
	}
	return at, id, true, nil
}

func (t healthTx) SetDeadMark(ctx context.Context, at time.Time, id string) error {
	_, err := t.db.Exec(ctx, t.s.sql(qHealthDeadMarkSet), t.s.d.Time(at), id)
	return err
}

func (t healthTx) DeadDeliveries(ctx context.Context, at time.Time, id string, until time.Time, limit int) ([]storerules.DeadDelivery, error) {
	rows, err := t.db.Query(ctx, t.s.sql(qHealthDeadDeliveries), t.s.d.Time(at), id, t.s.d.Time(until), limit)
	return collect(rows, err, func(r Row) (storerules.DeadDelivery, error) {
		var d storerules.DeadDelivery
		err := r.Scan(&d.ID, &d.CustomerID, &d.EndpointID, t.s.d.ScanTime(&d.At), &d.LastError)
		return d, err
	})
}

func (t healthTx) OperatorEventInsert(ctx context.Context, ev *herald.OperatorEvent, dedupeKey string) (bool, error) {
	n, err := t.db.Exec(ctx, t.s.sql(qHealthOperatorEventInsert), ev.ID, string(ev.Type), ev.CustomerID,
		ev.EndpointID, ev.DeliveryID, t.s.d.Time(ev.At), ev.Detail, dedupeKey, t.s.d.Time(ev.CreatedAt))
	return n == 1, err
}
