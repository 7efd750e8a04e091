package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/storerules"
)

var _ herald.HealthStore = (*Store)(nil)

// optTime is t for a nullable timestamptz: NULL for the zero time.
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = dbTime(t)
	return &t
}

// healthColumns are the endpoint_health columns scanHealth reads after the
// endpoint's id and customer, from endpoint_health aliased h.
const healthColumns = `h.last_attempt_at, h.last_success_at, h.last_failure_at,
	coalesce(h.last_status_code, 0), coalesce(h.last_error, ''), h.failing_since, h.disabled_at`

func scanHealth(r pgx.Row) (*herald.EndpointHealth, error) {
	var h herald.EndpointHealth
	var last, success, failure, failing, disabled *time.Time
	if err := r.Scan(&h.EndpointID, &h.CustomerID, &last, &success, &failure, &h.LastStatusCode,
		&h.LastError, &failing, &disabled); err != nil {
		return nil, err
	}
	h.LastAttemptAt, h.LastSuccessAt, h.LastFailureAt = fromNullTime(last), fromNullTime(success), fromNullTime(failure)
	h.FailingSince, h.DisabledAt = fromNullTime(failing), fromNullTime(disabled)
	return &h, nil
}

func collectHealths(rows pgx.Rows) ([]*herald.EndpointHealth, error) {
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*herald.EndpointHealth, error) { return scanHealth(r) })
	if out == nil {
		out = []*herald.EndpointHealth{}
	}
	return out, err
}

// EndpointHealthList implements herald.HealthStore.
func (s *Store) EndpointHealthList(ctx context.Context, p *herald.EndpointHealthParams) ([]*herald.EndpointHealth, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	since := dbTime(p.Since)
	// One repeatable-read transaction: every endpoint's numbers are of one
	// snapshot.
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("list endpoint health: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	q := `SELECT e.id, e.customer_id, ` + healthColumns + ` FROM endpoints e
		LEFT JOIN endpoint_health h ON h.endpoint_id = e.id
		WHERE e.customer_id = $1`
	args := []any{p.CustomerID}
	if p.EndpointID != "" {
		q += ` AND e.id = $2`
		args = append(args, p.EndpointID)
	}
	rows, err := tx.Query(ctx, q+` ORDER BY e.created_at, e.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list endpoint health: %w", err)
	}
	out, err := collectHealths(rows)
	if err != nil {
		return nil, fmt.Errorf("list endpoint health: %w", err)
	}
	if p.EndpointID != "" && len(out) == 0 {
		return nil, herald.NotFound("endpoint", p.EndpointID)
	}
	for _, h := range out {
		h.Since = since
		var avg float64
		var p50 *int64
		// percentile_disc(0.5) is the lower median, as the sqlite store
		// computes it. The endpoint's deliveries attempted since then
		// lead to the window's attempts (deliveries_endpoint_last_attempt).
		err := tx.QueryRow(ctx, `SELECT count(*),
				count(*) FILTER (WHERE a.status_code BETWEEN 200 AND 299 OR a.status_code = 303),
				count(*) FILTER (WHERE a.status_code = 400),
				coalesce(avg(a.latency_ns), 0)::float8,
				percentile_disc(0.5) WITHIN GROUP (ORDER BY a.latency_ns)
			FROM deliveries d JOIN attempts a ON a.delivery_id = d.id
			WHERE d.endpoint_id = $1 AND d.last_attempt_at >= $2 AND a.at >= $2`,
			h.EndpointID, since).Scan(&h.Attempts, &h.Succeeded, &h.Rejected, &avg, &p50)
		if err != nil {
			return nil, fmt.Errorf("list endpoint health: %w", err)
		}
		h.Failed = h.Attempts - h.Succeeded - h.Rejected
		h.LatencyAvg = time.Duration(avg)
		if p50 != nil {
			h.LatencyP50 = time.Duration(*p50)
		}
	}
	return out, nil
}

// EndpointFailingList implements herald.HealthStore.
func (s *Store) EndpointFailingList(ctx context.Context, before time.Time) ([]*herald.EndpointHealth, error) {
	rows, err := s.pool.Query(ctx, `SELECT e.id, e.customer_id, `+healthColumns+`
		FROM endpoint_health h JOIN endpoints e ON e.id = h.endpoint_id
		WHERE h.failing_since IS NOT NULL AND h.failing_since <= $1 AND e.enabled
		ORDER BY h.failing_since`, dbTime(before))
	if err != nil {
		return nil, fmt.Errorf("list failing endpoints: %w", err)
	}
	out, err := collectHealths(rows)
	if err != nil {
		return nil, fmt.Errorf("list failing endpoints: %w", err)
	}
	return out, nil
}

// lockClassHealthScan serializes HealthScans of one schema (second key:
// hashtext of the schema). Without it two nodes' scans would read the same
// changes and the same dead-delivery mark at once; the dedupe keys would
// still keep each event single, but the second scan would wait on the
// first's unique-index entries row by row and then write the mark back
// with a stale value.
const lockClassHealthScan int32 = 0x48524c10

// healthRules is embedded in Store under an unexported name: HealthScan is
// storerules', over healthTx.
type healthRules = storerules.Health

func (s *Store) newHealthRules() healthRules {
	return healthRules{
		InHealthTx: func(ctx context.Context, fn func(storerules.HealthTx) error) error {
			return s.withTx(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error {
				if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))`, lockClassHealthScan); err != nil {
					return fmt.Errorf("lock: %w", err)
				}
				return fn(healthTx{tx})
			})
		},
		Round: dbTime,
	}
}

// healthTx is storerules.HealthTx over a transaction.
type healthTx struct{ tx pgx.Tx }

func (t healthTx) EndpointStateChanges(ctx context.Context) ([]storerules.EndpointStateChange, error) {
	rows, err := t.tx.Query(ctx, `SELECT e.id, e.customer_id, e.disabled_reason, e.updated_at, e.enabled
		FROM endpoints e LEFT JOIN endpoint_health h ON h.endpoint_id = e.id
		WHERE (NOT e.enabled AND e.disabled_reason <> '' AND NOT coalesce(h.disabled_open, false))
		   OR (e.enabled AND h.disabled_open)
		ORDER BY e.id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (storerules.EndpointStateChange, error) {
		var c storerules.EndpointStateChange
		err := r.Scan(&c.ID, &c.CustomerID, &c.Reason, &c.At, &c.Enabled)
		c.At = c.At.UTC()
		return c, err
	})
}

func (t healthTx) MarkDisabledAnnounced(ctx context.Context, endpointID, customerID string, at time.Time) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO endpoint_health (endpoint_id, customer_id, disabled_at, disabled_open)
		VALUES ($1, $2, $3, true)
		ON CONFLICT (endpoint_id) DO UPDATE SET disabled_at = $3, disabled_open = true`,
		endpointID, customerID, at)
	return err
}

func (t healthTx) MarkEnabledAgain(ctx context.Context, endpointID string) error {
	_, err := t.tx.Exec(ctx, `UPDATE endpoint_health
		SET disabled_open = false, failing_since = NULL, recovered_from = NULL, recovered_at = NULL
		WHERE endpoint_id = $1`, endpointID)
	return err
}

// TakeRecoveries clears them as it reads them, in one statement.
func (t healthTx) TakeRecoveries(ctx context.Context) ([]storerules.Recovery, error) {
	rows, err := t.tx.Query(ctx, `UPDATE endpoint_health h SET recovered_from = NULL, recovered_at = NULL
		FROM (SELECT endpoint_id, recovered_from, recovered_at FROM endpoint_health
			WHERE recovered_at IS NOT NULL FOR UPDATE) old
		WHERE h.endpoint_id = old.endpoint_id
		RETURNING h.endpoint_id, h.customer_id, old.recovered_from, old.recovered_at`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (storerules.Recovery, error) {
		var v storerules.Recovery
		err := r.Scan(&v.ID, &v.CustomerID, &v.From, &v.At)
		v.From, v.At = v.From.UTC(), v.At.UTC()
		return v, err
	})
}

func (t healthTx) DeadMark(ctx context.Context) (time.Time, string, bool, error) {
	var at time.Time
	var id string
	err := t.tx.QueryRow(ctx, `SELECT at, id FROM health_scan_marks WHERE name = 'dead'`).Scan(&at, &id)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return time.Time{}, "", false, nil
	case err != nil:
		return time.Time{}, "", false, err
	}
	return at.UTC(), id, true, nil
}

func (t healthTx) SetDeadMark(ctx context.Context, at time.Time, id string) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO health_scan_marks (name, at, id) VALUES ('dead', $1, $2)
		ON CONFLICT (name) DO UPDATE SET at = $1, id = $2`, at, id)
	return err
}

func (t healthTx) DeadDeliveries(ctx context.Context, at time.Time, id string, until time.Time, limit int) ([]storerules.DeadDelivery, error) {
	rows, err := t.tx.Query(ctx, `SELECT id, customer_id, endpoint_id, updated_at, last_error
		FROM deliveries WHERE state = 'dead' AND (updated_at, id) > ($1, $2) AND updated_at <= $3
		ORDER BY updated_at, id LIMIT $4`, at, id, until, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (storerules.DeadDelivery, error) {
		var d storerules.DeadDelivery
		err := r.Scan(&d.ID, &d.CustomerID, &d.EndpointID, &d.At, &d.LastError)
		d.At = d.At.UTC()
		return d, err
	})
}

func (t healthTx) OperatorEventInsert(ctx context.Context, ev *herald.OperatorEvent, dedupeKey string) (bool, error) {
	tag, err := t.tx.Exec(ctx, `INSERT INTO operator_events
		(id, type, customer_id, endpoint_id, delivery_id, at, detail, dedupe_key, created_at, send_next_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
		ON CONFLICT (dedupe_key) DO NOTHING`,
		ev.ID, string(ev.Type), ev.CustomerID, ev.EndpointID, ev.DeliveryID, ev.At, ev.Detail, dedupeKey, ev.CreatedAt)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

// operatorEventColumns are the columns scanOperatorEvent reads, in order.
const operatorEventColumns = `id, type, customer_id, endpoint_id, delivery_id, at, detail, created_at,
	sent_at, send_attempts, last_send_error, send_abandoned`

func collectOperatorEvents(rows pgx.Rows) ([]*herald.OperatorEvent, error) {
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*herald.OperatorEvent, error) {
		var ev herald.OperatorEvent
		var typ string
		var sent *time.Time
		if err := r.Scan(&ev.ID, &typ, &ev.CustomerID, &ev.EndpointID, &ev.DeliveryID, &ev.At, &ev.Detail,
			&ev.CreatedAt, &sent, &ev.SendAttempts, &ev.LastSendError, &ev.SendAbandoned); err != nil {
			return nil, err
		}
		ev.Type = herald.OperatorEventType(typ)
		ev.At, ev.CreatedAt, ev.SentAt = ev.At.UTC(), ev.CreatedAt.UTC(), fromNullTime(sent)
		return &ev, nil
	})
	if out == nil {
		out = []*herald.OperatorEvent{}
	}
	return out, err
}

// OperatorEventList implements herald.HealthStore.
func (s *Store) OperatorEventList(ctx context.Context, p *herald.OperatorEventListParams) (*herald.OperatorEventListResult, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	limit, err := herald.PageLimit(p.Limit)
	if err != nil {
		return nil, err
	}
	var where strings.Builder
	where.WriteString(`true`)
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if p.CustomerID != "" {
		where.WriteString(` AND customer_id = ` + arg(p.CustomerID))
	}
	if p.Type != "" {
		where.WriteString(` AND type = ` + arg(string(p.Type)))
	}
	if !p.Since.IsZero() {
		where.WriteString(` AND created_at >= ` + arg(dbTime(p.Since)))
	}
	if p.Cursor != "" {
		after, err := herald.ParseCursor(p.Cursor, herald.IDPrefixOperatorEvent)
		if err != nil {
			return nil, err
		}
		where.WriteString(` AND id < ` + arg(after))
	}
	rows, err := s.pool.Query(ctx, `SELECT `+operatorEventColumns+` FROM operator_events
		WHERE `+where.String()+` ORDER BY id DESC LIMIT `+arg(limit+1), args...)
	if err != nil {
		return nil, fmt.Errorf("list operator events: %w", err)
	}
	evs, err := collectOperatorEvents(rows)
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

// OperatorEventClaimUnsent implements herald.HealthStore. SKIP LOCKED lets
// several nodes' notifiers claim at once without waiting on each other.
func (s *Store) OperatorEventClaimUnsent(ctx context.Context, now, leaseUntil time.Time, limit int) ([]*herald.OperatorEvent, error) {
	if err := herald.ValidateClaim(limit, now, leaseUntil); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `UPDATE operator_events SET send_next_at = $1
		WHERE id IN (SELECT id FROM operator_events WHERE send_next_at IS NOT NULL AND send_next_at <= $2
			ORDER BY send_next_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
		RETURNING `+operatorEventColumns, dbTime(leaseUntil), dbTime(now), limit)
	if err != nil {
		return nil, fmt.Errorf("claim operator events: %w", err)
	}
	evs, err := collectOperatorEvents(rows)
	if err != nil {
		return nil, fmt.Errorf("claim operator events: %w", err)
	}
	slices.SortFunc(evs, func(a, b *herald.OperatorEvent) int { return strings.Compare(a.ID, b.ID) })
	return evs, nil
}

// OperatorEventRecordSend implements herald.HealthStore.
func (s *Store) OperatorEventRecordSend(ctx context.Context, r *herald.OperatorEventSendRecord) error {
	var sentAt, next *time.Time
	abandoned := false
	switch {
	case r.Sent:
		sentAt = optTime(r.At)
	case r.NextAttemptAt.IsZero():
		abandoned = true
	default:
		next = optTime(r.NextAttemptAt)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE operator_events SET sent_at = $1, send_next_at = $2,
			send_attempts = send_attempts + 1, last_send_error = $3, send_abandoned = $4
		WHERE id = $5`, sentAt, next, r.Error, abandoned, r.ID)
	if err != nil {
		return fmt.Errorf("record operator event send: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return herald.NotFound("operator event", r.ID)
	}
	return nil
}
