package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
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

// healthWindowFrom is windowStats' FROM and WHERE: the attempts at or after
// the second argument of the endpoint the first names.
const healthWindowFrom = ` FROM deliveries d JOIN attempts a ON a.delivery_id = d.id
		WHERE d.endpoint_id = ? AND d.last_attempt_at > 0 AND d.last_attempt_at >= ? AND a.at >= ?`

// windowStats fills the counts and latencies of h over attempts at or after
// since. It reaches them through the endpoint's deliveries attempted since
// then (deliveries_endpoint_last_attempt, partial on last_attempt_at > 0,
// which the query says so that SQLite uses it): a delivery's last_attempt_at
// is at least the time of each of its attempts.
func windowStats(ctx context.Context, q querier, h *herald.EndpointHealth, since int64) error {
	const from = healthWindowFrom
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
