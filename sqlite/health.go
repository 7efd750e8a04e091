package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/storerules"
)

var _ herald.HealthStore = (*Store)(nil)

// EndpointHealthList implements herald.HealthStore.
func (s *Store) EndpointHealthList(ctx context.Context, p *herald.EndpointHealthParams) ([]*herald.EndpointHealth, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	// One read transaction: every endpoint's numbers are of one snapshot.
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("list endpoint health: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	q := `SELECT e.id, e.customer_id, ` + healthColumns + ` FROM endpoints e
		LEFT JOIN endpoint_health h ON h.endpoint_id = e.id
		WHERE e.customer_id = ?`
	args := []any{p.CustomerID}
	if p.EndpointID != "" {
		q += ` AND e.id = ?`
		args = append(args, p.EndpointID)
	}
	rows, err := tx.QueryContext(ctx, q+` ORDER BY e.created_at, e.rowid`, args...)
	if err != nil {
		return nil, fmt.Errorf("list endpoint health: %w", err)
	}
	out, err := scanHealths(rows)
	if err != nil {
		return nil, fmt.Errorf("list endpoint health: %w", err)
	}
	if p.EndpointID != "" && len(out) == 0 {
		return nil, herald.NotFound("endpoint", p.EndpointID)
	}
	since := toMillis(p.Since)
	for _, h := range out {
		h.Since = fromMillis(since)
		if err := windowStats(ctx, tx, h, since); err != nil {
			return nil, fmt.Errorf("list endpoint health: %w", err)
		}
	}
	return out, nil
}

// healthColumns are the endpoint_health columns scanHealth reads after the
// endpoint's id and customer, from endpoint_health aliased h (NULLs of a
// LEFT JOIN read as zero).
const healthColumns = `coalesce(h.last_attempt_at, 0), coalesce(h.last_success_at, 0),
	coalesce(h.last_failure_at, 0), coalesce(h.last_status_code, 0), coalesce(h.last_error, ''),
	coalesce(h.failing_since, 0), coalesce(h.disabled_at, 0)`

func scanHealths(rows *sql.Rows) ([]*herald.EndpointHealth, error) {
	defer rows.Close()
	out := []*herald.EndpointHealth{}
	for rows.Next() {
		var h herald.EndpointHealth
		var last, success, failure, failing, disabled int64
		if err := rows.Scan(&h.EndpointID, &h.CustomerID, &last, &success, &failure, &h.LastStatusCode,
			&h.LastError, &failing, &disabled); err != nil {
			return nil, err
		}
		h.LastAttemptAt, h.LastSuccessAt, h.LastFailureAt = fromMillis(last), fromMillis(success), fromMillis(failure)
		h.FailingSince, h.DisabledAt = fromMillis(failing), fromMillis(disabled)
		out = append(out, &h)
	}
	return out, rows.Err()
}

// windowStats fills the counts and latencies of h over attempts at or after
// since. It reaches them through the endpoint's deliveries attempted since
// then (deliveries_endpoint_last_attempt): a delivery's last_attempt_at is
// at least the time of each of its attempts.
func windowStats(ctx context.Context, q querier, h *herald.EndpointHealth, since int64) error {
	const from = ` FROM deliveries d JOIN attempts a ON a.delivery_id = d.id
		WHERE d.endpoint_id = ? AND d.last_attempt_at >= ? AND a.at >= ?`
	rows, err := q.QueryContext(ctx, `SELECT count(*),
			coalesce(sum(a.status_code BETWEEN 200 AND 299 OR a.status_code = 303), 0),
			coalesce(sum(a.status_code = 400), 0),
			coalesce(avg(a.latency), 0)`+from, h.EndpointID, since, since)
	if err != nil {
		return err
	}
	var avg float64
	if err := scanOne(rows, &h.Attempts, &h.Succeeded, &h.Rejected, &avg); err != nil {
		return err
	}
	h.Failed = h.Attempts - h.Succeeded - h.Rejected
	h.LatencyAvg = time.Duration(avg)
	if h.Attempts == 0 {
		return nil
	}
	// The lower median, as PostgreSQL's percentile_disc(0.5): the
	// ceil(n/2)-th smallest latency.
	rows, err = q.QueryContext(ctx, `SELECT a.latency`+from+` ORDER BY a.latency LIMIT 1 OFFSET ?`,
		h.EndpointID, since, since, (h.Attempts-1)/2)
	if err != nil {
		return err
	}
	var p50 int64
	if err := scanOne(rows, &p50); err != nil {
		return err
	}
	h.LatencyP50 = time.Duration(p50)
	return nil
}

// scanOne scans the first row of rows into dest and closes rows.
func scanOne(rows *sql.Rows, dest ...any) error {
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Close()
}

// EndpointFailingList implements herald.HealthStore.
func (s *Store) EndpointFailingList(ctx context.Context, before time.Time) ([]*herald.EndpointHealth, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT e.id, e.customer_id, `+healthColumns+`
		FROM endpoint_health h JOIN endpoints e ON e.id = h.endpoint_id
		WHERE h.failing_since <> 0 AND h.failing_since <= ? AND e.enabled
		ORDER BY h.failing_since`, toMillis(before))
	if err != nil {
		return nil, fmt.Errorf("list failing endpoints: %w", err)
	}
	out, err := scanHealths(rows)
	if err != nil {
		return nil, fmt.Errorf("list failing endpoints: %w", err)
	}
	return out, nil
}

// healthRules is embedded in Store under an unexported name: HealthScan is
// storerules', over healthTx.
type healthRules = storerules.Health

func (s *Store) newHealthRules() healthRules {
	return healthRules{
		InHealthTx: func(ctx context.Context, fn func(storerules.HealthTx) error) error {
			return s.withTx(ctx, func(tx *sql.Tx) error { return fn(healthTx{tx}) })
		},
		Round: atMillis,
	}
}

// healthTx is storerules.HealthTx over a write transaction.
type healthTx struct{ tx *sql.Tx }

func (t healthTx) EndpointStateChanges(ctx context.Context) ([]storerules.EndpointStateChange, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT e.id, e.customer_id, e.disabled_reason, e.updated_at, e.enabled
		FROM endpoints e LEFT JOIN endpoint_health h ON h.endpoint_id = e.id
		WHERE (NOT e.enabled AND e.disabled_reason <> '' AND coalesce(h.disabled_open, 0) = 0)
		   OR (e.enabled AND h.disabled_open = 1)
		ORDER BY e.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storerules.EndpointStateChange
	for rows.Next() {
		var c storerules.EndpointStateChange
		var at int64
		if err := rows.Scan(&c.ID, &c.CustomerID, &c.Reason, &at, &c.Enabled); err != nil {
			return nil, err
		}
		c.At = fromMillis(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

func (t healthTx) MarkDisabledAnnounced(ctx context.Context, endpointID, customerID string, at time.Time) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO endpoint_health (endpoint_id, customer_id, disabled_at, disabled_open)
		VALUES (?1, ?2, ?3, 1)
		ON CONFLICT (endpoint_id) DO UPDATE SET disabled_at = ?3, disabled_open = 1`,
		endpointID, customerID, toMillis(at))
	return err
}

func (t healthTx) MarkEnabledAgain(ctx context.Context, endpointID string) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE endpoint_health
		SET disabled_open = 0, failing_since = 0, recovered_from = 0, recovered_at = 0
		WHERE endpoint_id = ?`, endpointID)
	return err
}

// TakeRecoveries reads, then compares and clears each: SQLite's RETURNING
// gives the new values only.
func (t healthTx) TakeRecoveries(ctx context.Context) ([]storerules.Recovery, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT endpoint_id, customer_id, recovered_from, recovered_at
		FROM endpoint_health WHERE recovered_at <> 0`)
	if err != nil {
		return nil, err
	}
	var recs []storerules.Recovery
	for rows.Next() {
		var r storerules.Recovery
		var from, at int64
		if err := rows.Scan(&r.ID, &r.CustomerID, &from, &at); err != nil {
			_ = rows.Close()
			return nil, err
		}
		r.From, r.At = fromMillis(from), fromMillis(at)
		recs = append(recs, r)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, err
	}
	for _, r := range recs {
		if _, err := t.tx.ExecContext(ctx, `UPDATE endpoint_health SET recovered_from = 0, recovered_at = 0
			WHERE endpoint_id = ? AND recovered_at = ?`, r.ID, toMillis(r.At)); err != nil {
			return nil, err
		}
	}
	return recs, nil
}

func (t healthTx) DeadMark(ctx context.Context) (time.Time, string, bool, error) {
	var at int64
	var id string
	err := t.tx.QueryRowContext(ctx, `SELECT at, id FROM health_scan_marks WHERE name = 'dead'`).Scan(&at, &id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return time.Time{}, "", false, nil
	case err != nil:
		return time.Time{}, "", false, err
	}
	return fromMillis(at), id, true, nil
}

func (t healthTx) SetDeadMark(ctx context.Context, at time.Time, id string) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO health_scan_marks (name, at, id) VALUES ('dead', ?1, ?2)
		ON CONFLICT (name) DO UPDATE SET at = ?1, id = ?2`, toMillis(at), id)
	return err
}

func (t healthTx) DeadDeliveries(ctx context.Context, at time.Time, id string, until time.Time, limit int) ([]storerules.DeadDelivery, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT id, customer_id, endpoint_id, updated_at, last_error
		FROM deliveries WHERE state = 'dead' AND (updated_at, id) > (?, ?) AND updated_at <= ?
		ORDER BY updated_at, id LIMIT ?`, toMillis(at), id, toMillis(until), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storerules.DeadDelivery
	for rows.Next() {
		var d storerules.DeadDelivery
		var at int64
		if err := rows.Scan(&d.ID, &d.CustomerID, &d.EndpointID, &at, &d.LastError); err != nil {
			return nil, err
		}
		d.At = fromMillis(at)
		out = append(out, d)
	}
	return out, rows.Err()
}

func (t healthTx) OperatorEventInsert(ctx context.Context, ev *herald.OperatorEvent, dedupeKey string) (bool, error) {
	res, err := t.tx.ExecContext(ctx, `INSERT INTO operator_events
		(id, type, customer_id, endpoint_id, delivery_id, at, detail, dedupe_key, created_at, send_next_at)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
		ON CONFLICT (dedupe_key) DO NOTHING`,
		ev.ID, string(ev.Type), ev.CustomerID, ev.EndpointID, ev.DeliveryID, toMillis(ev.At), ev.Detail, dedupeKey,
		toMillis(ev.CreatedAt))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// operatorEventColumns are the columns scanOperatorEvent reads, in order.
const operatorEventColumns = `id, type, customer_id, endpoint_id, delivery_id, at, detail, created_at,
	sent_at, send_attempts, last_send_error, send_abandoned`

func scanOperatorEvents(rows *sql.Rows) ([]*herald.OperatorEvent, error) {
	defer rows.Close()
	out := []*herald.OperatorEvent{}
	for rows.Next() {
		var ev herald.OperatorEvent
		var typ string
		var at, created, sent int64
		if err := rows.Scan(&ev.ID, &typ, &ev.CustomerID, &ev.EndpointID, &ev.DeliveryID, &at, &ev.Detail,
			&created, &sent, &ev.SendAttempts, &ev.LastSendError, &ev.SendAbandoned); err != nil {
			return nil, err
		}
		ev.Type = herald.OperatorEventType(typ)
		ev.At, ev.CreatedAt, ev.SentAt = fromMillis(at), fromMillis(created), fromMillis(sent)
		out = append(out, &ev)
	}
	return out, rows.Err()
}

// OperatorEventList implements herald.HealthStore, with keyset pagination
// on id as DeliveryList.
func (s *Store) OperatorEventList(ctx context.Context, p *herald.OperatorEventListParams) (*herald.OperatorEventListResult, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	limit, err := herald.PageLimit(p.Limit)
	if err != nil {
		return nil, err
	}
	var where strings.Builder
	where.WriteString(`1 = 1`)
	var args []any
	if p.CustomerID != "" {
		where.WriteString(` AND customer_id = ?`)
		args = append(args, p.CustomerID)
	}
	if p.Type != "" {
		where.WriteString(` AND type = ?`)
		args = append(args, string(p.Type))
	}
	if !p.Since.IsZero() {
		where.WriteString(` AND created_at >= ?`)
		args = append(args, toMillis(p.Since))
	}
	if p.Cursor != "" {
		after, err := herald.ParseCursor(p.Cursor, herald.IDPrefixOperatorEvent)
		if err != nil {
			return nil, err
		}
		where.WriteString(` AND id < ?`)
		args = append(args, after)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+operatorEventColumns+` FROM operator_events
		WHERE `+where.String()+` ORDER BY id DESC LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, fmt.Errorf("list operator events: %w", err)
	}
	evs, err := scanOperatorEvents(rows)
	if err != nil {
		return nil, fmt.Errorf("list operator events: %w", err)
	}
	res := &herald.OperatorEventListResult{Events: evs}
	if len(evs) > limit {
		res.Events = evs[:limit]
		res.NextCursor = herald.NewCursor(evs[limit-1].ID)
	}
	return res, nil
}
