package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/heraldhq/herald"
)

// latencyClassSQL is a CASE expression giving the latency class
// (herald.AttemptLatencyClass) of the attempt aliased a; latency is in
// nanoseconds.
var latencyClassSQL = func() string {
	var b strings.Builder
	b.WriteString("CASE")
	for i, d := range herald.AttemptLatencyBounds {
		fmt.Fprintf(&b, " WHEN a.latency <= %d THEN %d", d.Nanoseconds(), i)
	}
	b.WriteString(" ELSE " + strconv.Itoa(len(herald.AttemptLatencyBounds)) + " END")
	return b.String()
}()

// AttemptStats implements herald.HealthStore. One grouped query returns at
// most endpoints × buckets × latency classes rows; the percentiles are
// computed from the classes in Go (herald.AttemptBucket.Add).
func (s *Store) AttemptStats(ctx context.Context, p *herald.AttemptStatsParams) ([]*herald.AttemptSeries, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("attempt stats: %w", err)
	}
	defer func() { _ = tx.Rollback() }()

	// The endpoints in scope, oldest first: the series, and the ids the
	// attempt query reaches its deliveries through.
	where, args := "", []any{}
	if p.CustomerID != "" {
		where, args = " WHERE customer_id = ?", append(args, p.CustomerID)
		if p.EndpointID != "" {
			where, args = where+" AND id = ?", append(args, p.EndpointID)
		}
	}
	series := []*herald.AttemptSeries{}
	index := map[string]*herald.AttemptSeries{}
	if p.PerEndpoint {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM endpoints`+where+` ORDER BY created_at, rowid`, args...)
		if err != nil {
			return nil, fmt.Errorf("attempt stats: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return nil, fmt.Errorf("attempt stats: %w", err)
			}
			index[id] = herald.NewAttemptSeries(id, p)
			series = append(series, index[id])
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("attempt stats: %w", err)
		}
	} else {
		series = append(series, herald.NewAttemptSeries("", p))
	}
	if p.EndpointID != "" && p.PerEndpoint && len(series) == 0 {
		return nil, herald.NotFound("endpoint", p.EndpointID)
	}
	if p.EndpointID != "" && !p.PerEndpoint {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM endpoints`+where, args...).Scan(&n); err != nil {
			return nil, fmt.Errorf("attempt stats: %w", err)
		}
		if n == 0 {
			return nil, herald.NotFound("endpoint", p.EndpointID)
		}
	}

	since, until, bucket := toMillis(p.Since), toMillis(p.Until), p.Bucket.Milliseconds()
	// The endpoint list drives the search: per endpoint, the deliveries
	// attempted since the span began (deliveries_endpoint_last_attempt),
	// then their attempts in the span.
	q := `SELECT d.endpoint_id, (a.at - ?) / ?, ` + latencyClassSQL + `, count(*),
			coalesce(sum(a.status_code BETWEEN 200 AND 299 OR a.status_code = 303), 0),
			coalesce(sum(a.status_code = 400), 0)
		FROM deliveries d JOIN attempts a ON a.delivery_id = d.id
		WHERE d.endpoint_id IN (SELECT id FROM endpoints` + where + `)
			AND d.last_attempt_at >= ? AND a.at >= ? AND a.at < ?
		GROUP BY 1, 2, 3`
	qargs := append([]any{since, bucket}, args...)
	qargs = append(qargs, since, since, until)
	rows, err := tx.QueryContext(ctx, q, qargs...)
	if err != nil {
		return nil, fmt.Errorf("attempt stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var endpointID string
		var b, class, n, ok, rejected int
		if err := rows.Scan(&endpointID, &b, &class, &n, &ok, &rejected); err != nil {
			return nil, fmt.Errorf("attempt stats: %w", err)
		}
		sr := series[0]
		if p.PerEndpoint {
			if sr = index[endpointID]; sr == nil {
				continue
			}
		}
		if b >= 0 && b < len(sr.Buckets) {
			sr.Buckets[b].Add(class, n, ok, rejected)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("attempt stats: %w", err)
	}
	return series, nil
}
