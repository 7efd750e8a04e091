package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
)

var _ herald.HealthStore = (*Store)(nil)

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
