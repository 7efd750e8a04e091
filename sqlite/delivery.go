package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// deliveryColumns are the columns scanDelivery reads, in order.
const deliveryColumns = `id, event_id, endpoint_id, customer_id, event_type, state, attempts,
	schedule_attempts, next_attempt_at, last_attempt_at, last_status_code, last_error, location,
	created_at, updated_at, subject, subject_seq, waiting_for`

func scanDelivery(r rowScanner) (*herald.Delivery, error) {
	var d herald.Delivery
	var eventType, state string
	var next, last, created, updated int64
	if err := r.Scan(&d.ID, &d.EventID, &d.EndpointID, &d.CustomerID, &eventType, &state, &d.Attempts,
		&d.ScheduleAttempts, &next, &last, &d.LastStatusCode, &d.LastError, &d.Location,
		&created, &updated, &d.Subject, &d.SubjectSeq, &d.WaitingFor); err != nil {
		return nil, err
	}
	d.EventType, d.State = wire.EventType(eventType), herald.DeliveryState(state)
	d.NextAttemptAt, d.LastAttemptAt = fromMillis(next), fromMillis(last)
	d.CreatedAt, d.UpdatedAt = fromMillis(created), fromMillis(updated)
	return &d, nil
}

func scanDeliveries(rows *sql.Rows) ([]*herald.Delivery, error) {
	defer rows.Close()
	out := []*herald.Delivery{}
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// jsonArray encodes ids for a `IN (SELECT value FROM json_each(?))` term:
// one statement, prepared once, whatever the number of ids.
func jsonArray[T ~string](v []T) string {
	if len(v) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(v) // a []string always marshals.
	return string(b)
}

// insertAttemptSQL logs an attempt. An unknown delivery id fails it on the
// foreign key, which recordAttempts skips. Not INSERT ... SELECT FROM
// deliveries, which skipped it in SQL: an insert into a table with a
// trigger (attempts_endpoint_health) that takes its rows from a SELECT
// first copies them into a temporary table, and opening and closing one
// per attempt cost more than the lookup.
const insertAttemptSQL = `INSERT INTO attempts
	(number, at, status_code, location, user_message, debug_error_message,
	 error, latency, response_body, request_headers, delivery_id)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// recordDeliverySQL applies an attempt's result to its delivery, only
// while the record's lease is current; an empty stored token means no
// claim holds the delivery.
const recordDeliverySQL = `UPDATE deliveries SET
		state = ?1,
		attempts = attempts + ?2,
		schedule_attempts = schedule_attempts + ?2,
		next_attempt_at = ?3,
		last_attempt_at = CASE WHEN ?2 THEN ?4 ELSE last_attempt_at END,
		last_status_code = CASE WHEN ?2 THEN ?5 ELSE last_status_code END,
		last_error = ?6,
		location = ?7,
		lease_owner = '',
		lease_token = '',
		updated_at = ?8
	WHERE id = ?9 AND lease_token = ?10 AND lease_token <> '' AND state = 'pending'`

// releaseDeliverySQL hands a leased delivery back, due at ?1.
const releaseDeliverySQL = `UPDATE deliveries
	SET next_attempt_at = ?, lease_owner = '', lease_token = ''
	WHERE id = ? AND lease_token = ? AND lease_token <> '' AND state = 'pending'`

// DeliveryRecordAttempts implements herald.Store: the batch is one write
// of a shared hot transaction (hottx.go), with two statements prepared once
// (see stmtcache.go) and run per record.
func (s *Store) DeliveryRecordAttempts(ctx context.Context, records []*herald.AttemptRecord) (err error) {
	defer func() { err = busyAsUnavailable(err) }()
	if len(records) == 0 {
		return nil
	}
	for _, r := range records {
		if err := r.State.Check(); err != nil {
			return err
		}
	}
	now := toMillis(s.now())
	// Encoded before the writer is taken: it is the store's bottleneck.
	headers := make([]string, len(records))
	for i, r := range records {
		headers[i] = "{}"
		if a := r.Attempt; a != nil && len(a.RequestHeaders) > 0 {
			b, err := json.Marshal(a.RequestHeaders)
			if err != nil {
				return fmt.Errorf("record attempts: %w", err)
			}
			headers[i] = string(b)
		}
	}

	seq, err := s.hotWrites.runNumbered(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return s.recordAttempts(ctx, tx, records, headers, now)
	})
	if err != nil {
		return fmt.Errorf("record attempts: %w", err)
	}
	// Durable before the caller hears so, by the group fsync (see
	// walSyncer), with the writer free meanwhile.
	if err := s.wal.waitFor(ctx, seq); err != nil {
		return fmt.Errorf("record attempts: sync the log: %w", err)
	}
	return nil
}

// recordAttempts applies records in tx (see DeliveryRecordAttempts).
// headers[i] is records[i]'s request headers as JSON.
func (s *Store) recordAttempts(ctx context.Context, tx *sql.Tx, records []*herald.AttemptRecord, headers []string, now int64) error {
	// The attempt is logged whatever the lease: it was made, and the log
	// should say so.
	insAttempt, err := s.stmt(ctx, tx, insertAttemptSQL)
	if err != nil {
		return err
	}
	defer insAttempt.Close()
	// The delivery changes only while the record's lease is current; an
	// empty stored token means no claim holds the delivery.
	update, err := s.stmt(ctx, tx, recordDeliverySQL)
	if err != nil {
		return err
	}
	defer update.Close()

	for i, r := range records {
		var counted, at, status int64
		lastError, updatedAt := r.Error, now
		if a := r.Attempt; a != nil {
			if _, err := insAttempt.ExecContext(ctx, a.Number, toMillis(a.At), a.StatusCode, a.Location,
				a.UserMessage, a.DebugErrorMessage, a.Error, int64(a.Latency), a.ResponseBody, headers[i],
				r.Lease.DeliveryID); err != nil && !isForeignKeyViolation(err) {
				// A foreign key failure is an unknown delivery (purged while
				// its attempt ran): SQLite undid this statement alone, and
				// the rest of the batch is logged rather than failed for it.
				return err
			}
			counted, at, status = 1, toMillis(a.At), int64(a.StatusCode)
			lastError = a.Error
			if at != 0 {
				updatedAt = at
			}
		}
		next := updatedAt
		if r.State == herald.DeliveryStatePending && !r.NextAttemptAt.IsZero() {
			next = toMillis(r.NextAttemptAt)
		}
		if _, err := update.ExecContext(ctx, string(r.State), counted, next, at, status, lastError,
			r.Location, updatedAt, r.Lease.DeliveryID, r.Lease.Token); err != nil {
			return err
		}
		if r.DisableEndpoint != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE endpoints SET enabled = 0, disabled_reason = ?1, updated_at = ?2,
					disabled_by = ?3, disabled_at = ?2
				WHERE id = (SELECT endpoint_id FROM deliveries WHERE id = ?4)`,
				r.DisableEndpoint, now, herald.DisabledByHealthMonitor, r.Lease.DeliveryID); err != nil {
				return err
			}
		}
	}
	return nil
}

// DeliveryRelease implements herald.Store.
func (s *Store) DeliveryRelease(ctx context.Context, leases []herald.DeliveryLease, now time.Time) error {
	if len(leases) == 0 {
		return nil
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("release deliveries: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	stmt, err := s.stmt(ctx, tx, releaseDeliverySQL)
	if err != nil {
		return fmt.Errorf("release deliveries: %w", err)
	}
	defer stmt.Close()
	for _, l := range leases {
		if _, err := stmt.ExecContext(ctx, toMillis(now), l.DeliveryID, l.Token); err != nil {
			return fmt.Errorf("release deliveries: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("release deliveries: %w", err)
	}
	return nil
}
