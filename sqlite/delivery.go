package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
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

// insertAttemptSQL logs an attempt. Selecting from deliveries skips an
// unknown id rather than failing the whole batch on the foreign key.
const insertAttemptSQL = `INSERT INTO attempts
	(delivery_id, number, at, status_code, location, user_message, debug_error_message,
	 error, latency, response_body, request_headers)
	SELECT id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM deliveries WHERE id = ?`

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

// DeliveryRecordAttempts implements herald.Store: the batch is one
// transaction, with two statements prepared once (see stmtcache.go) and
// run per record.
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

	tx, done, err := s.beginUnsynced(ctx)
	if err != nil {
		return fmt.Errorf("record attempts: %w", err)
	}
	defer done()
	defer func() { _ = tx.Rollback() }()

	// The attempt is logged whatever the lease: it was made, and the log
	// should say so. Selecting from deliveries skips an unknown id rather
	// than failing the whole batch on the foreign key.
	insAttempt, err := s.stmt(ctx, tx, insertAttemptSQL)
	if err != nil {
		return fmt.Errorf("record attempts: %w", err)
	}
	defer insAttempt.Close()
	// The delivery changes only while the record's lease is current; an
	// empty stored token means no claim holds the delivery.
	update, err := s.stmt(ctx, tx, recordDeliverySQL)
	if err != nil {
		return fmt.Errorf("record attempts: %w", err)
	}
	defer update.Close()

	for _, r := range records {
		var counted, at, status int64
		lastError, updatedAt := r.Error, now
		if a := r.Attempt; a != nil {
			headers := "{}"
			if len(a.RequestHeaders) > 0 {
				b, err := json.Marshal(a.RequestHeaders)
				if err != nil {
					return fmt.Errorf("record attempts: %w", err)
				}
				headers = string(b)
			}
			if _, err := insAttempt.ExecContext(ctx, a.Number, toMillis(a.At), a.StatusCode, a.Location,
				a.UserMessage, a.DebugErrorMessage, a.Error, int64(a.Latency), a.ResponseBody, headers,
				r.Lease.DeliveryID); err != nil {
				return fmt.Errorf("record attempts: %w", err)
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
			return fmt.Errorf("record attempts: %w", err)
		}
		if r.DisableEndpoint != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE endpoints SET enabled = 0, disabled_reason = ?1, updated_at = ?2,
					disabled_by = ?3, disabled_at = ?2
				WHERE id = (SELECT endpoint_id FROM deliveries WHERE id = ?4)`,
				r.DisableEndpoint, now, herald.DisabledByHealthMonitor, r.Lease.DeliveryID); err != nil {
				return fmt.Errorf("record attempts: %w", err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record attempts: %w", err)
	}
	// Durable before the caller hears so, by the group fsync (see
	// walSyncer), with the writer free meanwhile.
	done()
	if err := s.wal.wait(ctx); err != nil {
		return fmt.Errorf("record attempts: sync the log: %w", err)
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

// DeliveryReleaseOrphans implements herald.Store. A lease that had expired
// already keeps its (earlier) due time, so the queue's order is kept.
func (s *Store) DeliveryReleaseOrphans(ctx context.Context, now time.Time) (int, error) {
	res, err := s.write.ExecContext(ctx, `UPDATE deliveries
		SET next_attempt_at = min(next_attempt_at, ?), lease_owner = '', lease_token = ''
		WHERE state = 'pending' AND lease_token <> ''`, toMillis(now))
	if err != nil {
		return 0, fmt.Errorf("release orphaned deliveries: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("release orphaned deliveries: %w", err)
	}
	return int(n), nil
}

// DeliveryRetry implements herald.Store.
func (s *Store) DeliveryRetry(ctx context.Context, id string, now time.Time) (*herald.Delivery, error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("retry delivery: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	ms := toMillis(now)
	// Ordered delivery: a waiting delivery leaves its subject's chain
	// (order.go). Undone with the rest if the UPDATE below refuses.
	if _, err := tx.ExecContext(ctx, unlinkSQL, jsonArray([]string{id})); err != nil {
		return nil, fmt.Errorf("retry delivery: %w", err)
	}
	// Clearing the token means a node still holding an expired lease can
	// no longer record over the retry.
	d, err := scanDelivery(tx.QueryRowContext(ctx, `UPDATE deliveries SET
			state = 'pending', schedule_attempts = 0, next_attempt_at = ?1,
			lease_owner = '', lease_token = '', updated_at = ?1, waiting_for = ''
		WHERE id = ?2 AND NOT (state = 'pending' AND lease_token <> '' AND next_attempt_at > ?1)
		RETURNING `+deliveryColumns, ms, id))
	if errors.Is(err, sql.ErrNoRows) {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM deliveries WHERE id = ?`, id).Scan(&one)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return nil, herald.NotFound("delivery", id)
		case err != nil:
			return nil, fmt.Errorf("retry delivery: %w", err)
		}
		return nil, herald.DeliveryAttemptInProgress(id)
	}
	if err != nil {
		return nil, fmt.Errorf("retry delivery: %w", err)
	}
	if err := loadAttempts(ctx, tx, []*herald.Delivery{d}); err != nil {
		return nil, fmt.Errorf("retry delivery: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("retry delivery: %w", err)
	}
	return d, nil
}

// DeliveryGet implements herald.Store.
func (s *Store) DeliveryGet(ctx context.Context, id string) (*herald.Delivery, error) {
	// A read transaction, so the delivery and its log are one snapshot.
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("get delivery: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	d, err := scanDelivery(tx.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE id = ?`, id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, herald.NotFound("delivery", id)
	case err != nil:
		return nil, fmt.Errorf("get delivery: %w", err)
	}
	if err := loadAttempts(ctx, tx, []*herald.Delivery{d}); err != nil {
		return nil, fmt.Errorf("get delivery: %w", err)
	}
	return d, nil
}

// DeliveryListForEvent implements herald.Store.
func (s *Store) DeliveryListForEvent(ctx context.Context, eventID string) ([]*herald.Delivery, error) {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("list deliveries of event: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	// An event's deliveries share its CreatedAt and were inserted
	// together: rowid is their creation order, and the index on event_id
	// holds it, so no sort is needed.
	rows, err := tx.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries
		WHERE event_id = ? ORDER BY rowid`, eventID)
	if err != nil {
		return nil, fmt.Errorf("list deliveries of event: %w", err)
	}
	ds, err := scanDeliveries(rows)
	if err != nil {
		return nil, fmt.Errorf("list deliveries of event: %w", err)
	}
	if err := loadAttempts(ctx, tx, ds); err != nil {
		return nil, fmt.Errorf("list deliveries of event: %w", err)
	}
	return ds, nil
}

// loadAttempts fills the AttemptLog of each delivery, oldest first.
func loadAttempts(ctx context.Context, q querier, ds []*herald.Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	byID := make(map[string]*herald.Delivery, len(ds))
	ids := make([]string, 0, len(ds))
	for _, d := range ds {
		d.AttemptLog = []*herald.Attempt{}
		byID[d.ID] = d
		ids = append(ids, d.ID)
	}
	rows, err := q.QueryContext(ctx, `SELECT delivery_id, number, at, status_code, location,
			user_message, debug_error_message, error, latency, response_body, request_headers
		FROM attempts WHERE delivery_id IN (SELECT value FROM json_each(?))
		ORDER BY at, id`, jsonArray(ids))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var a herald.Attempt
		var at, latency int64
		var headers string
		if err := rows.Scan(&a.DeliveryID, &a.Number, &at, &a.StatusCode, &a.Location, &a.UserMessage,
			&a.DebugErrorMessage, &a.Error, &latency, &a.ResponseBody, &headers); err != nil {
			return err
		}
		a.At, a.Latency = fromMillis(at), time.Duration(latency)
		if headers != "" && headers != "{}" {
			if err := json.Unmarshal([]byte(headers), &a.RequestHeaders); err != nil {
				return fmt.Errorf("attempt of %s: request_headers: %w", a.DeliveryID, err)
			}
		}
		if d := byID[a.DeliveryID]; d != nil {
			d.AttemptLog = append(d.AttemptLog, &a)
		}
	}
	return rows.Err()
}

// DeliveryList implements herald.Store with keyset pagination on id: ids
// are time-ordered, so "id < cursor ORDER BY id DESC" walks the
// (customer_id, id) index newest first, and a page costs the same however
// deep it is. The cursor is the last id of the page, base64'd so callers
// treat it as opaque.
func (s *Store) DeliveryList(ctx context.Context, p *herald.DeliveryListParams) (*herald.DeliveryListResult, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	limit, err := herald.PageLimit(p.Limit)
	if err != nil {
		return nil, err
	}
	var where strings.Builder
	args := []any{p.CustomerID}
	where.WriteString(`customer_id = ?`)
	if len(p.States) > 0 {
		where.WriteString(` AND state IN (SELECT value FROM json_each(?))`)
		args = append(args, jsonArray(p.States))
	}
	if p.EventType != "" {
		where.WriteString(` AND event_type = ?`)
		args = append(args, string(p.EventType))
	}
	if p.EndpointID != "" {
		where.WriteString(` AND endpoint_id = ?`)
		args = append(args, p.EndpointID)
	}
	if !p.Since.IsZero() {
		where.WriteString(` AND created_at >= ?`)
		args = append(args, p.Since.UnixMilli())
	}
	if !p.Until.IsZero() {
		where.WriteString(` AND created_at < ?`)
		args = append(args, p.Until.UnixMilli())
	}
	if p.EventID != "" {
		where.WriteString(` AND event_id = ?`)
		args = append(args, p.EventID)
	}
	if p.DeliveryID != "" {
		where.WriteString(` AND id = ?`)
		args = append(args, p.DeliveryID)
	}
	// The events of the key (events_system_id, events_person_id), then
	// their deliveries (deliveries_event_id).
	if p.SystemID != "" {
		where.WriteString(` AND event_id IN (SELECT id FROM events WHERE customer_id = ? AND system_id = ?)`)
		args = append(args, p.CustomerID, p.SystemID)
	}
	if p.PersonID != "" {
		where.WriteString(` AND event_id IN (SELECT id FROM events WHERE customer_id = ? AND person_id = ?)`)
		args = append(args, p.CustomerID, p.PersonID)
	}
	if p.Cursor != "" {
		after, err := herald.ParseCursor(p.Cursor, herald.IDPrefixDelivery)
		if err != nil {
			return nil, err
		}
		where.WriteString(` AND id < ?`)
		args = append(args, after)
	}
	args = append(args, limit+1)
	rows, err := s.read.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries
		WHERE `+where.String()+` ORDER BY id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	ds, err := scanDeliveries(rows)
	if err != nil {
		return nil, fmt.Errorf("list deliveries: %w", err)
	}
	res := &herald.DeliveryListResult{Deliveries: ds}
	if len(ds) > limit {
		res.Deliveries = ds[:limit]
		res.NextCursor = herald.NewCursor(ds[limit-1].ID)
	}
	return res, nil
}
