package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
)

// latencyClassSQL is a CASE expression giving the latency class
// (herald.AttemptLatencyClass) of the attempt aliased a.
var latencyClassSQL = func() string {
	var b strings.Builder
	b.WriteString("CASE")
	for i, d := range herald.AttemptLatencyBounds {
		fmt.Fprintf(&b, " WHEN a.latency_ns <= %d THEN %d", d.Nanoseconds(), i)
	}
	b.WriteString(" ELSE " + strconv.Itoa(len(herald.AttemptLatencyBounds)) + " END")
	return b.String()
}()

// AttemptStats implements herald.HealthStore. One grouped query returns at
// most endpoints × buckets × latency classes rows; the percentiles are
// computed from the classes in Go (herald.AttemptBucket.Add), as the
// sqlite store does.
func (s *Store) AttemptStats(ctx context.Context, p *herald.AttemptStatsParams) ([]*herald.AttemptSeries, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("attempt stats: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()

	// $1 and $2 are the customer and endpoint, '' for any.
	const scope = `SELECT id FROM endpoints WHERE ($1 = '' OR customer_id = $1) AND ($2 = '' OR id = $2)`
	rows, err := tx.Query(ctx, scope+` ORDER BY created_at, id`, p.CustomerID, p.EndpointID)
	if err != nil {
		return nil, fmt.Errorf("attempt stats: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("attempt stats: %w", err)
	}
	if p.EndpointID != "" && len(ids) == 0 {
		return nil, herald.NotFound("endpoint", p.EndpointID)
	}
	series := []*herald.AttemptSeries{}
	index := map[string]*herald.AttemptSeries{}
	if p.PerEndpoint {
		for _, id := range ids {
			index[id] = herald.NewAttemptSeries(id, p)
			series = append(series, index[id])
		}
	} else {
		series = append(series, herald.NewAttemptSeries("", p))
	}

	since, until := dbTime(p.Since), dbTime(p.Until)
	// Per endpoint, the deliveries attempted since the span began
	// (deliveries_endpoint_last_attempt), then their attempts in the span.
	rows, err = tx.Query(ctx, `SELECT d.endpoint_id,
			floor(extract(epoch FROM a.at - $3::timestamptz) * 1000 / $5)::bigint,
			`+latencyClassSQL+`, count(*),
			count(*) FILTER (WHERE a.status_code BETWEEN 200 AND 299 OR a.status_code = 303),
			count(*) FILTER (WHERE a.status_code = 400)
		FROM deliveries d JOIN attempts a ON a.delivery_id = d.id
		WHERE d.endpoint_id IN (`+scope+`)
			AND d.last_attempt_at >= $3 AND a.at >= $3 AND a.at < $4
		GROUP BY 1, 2, 3`, p.CustomerID, p.EndpointID, since, until, p.Bucket.Milliseconds())
	if err != nil {
		return nil, fmt.Errorf("attempt stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var endpointID string
		var b, class, n, ok, rejected int64
		if err := rows.Scan(&endpointID, &b, &class, &n, &ok, &rejected); err != nil {
			return nil, fmt.Errorf("attempt stats: %w", err)
		}
		sr := series[0]
		if p.PerEndpoint {
			if sr = index[endpointID]; sr == nil {
				continue
			}
		}
		if b >= 0 && b < int64(len(sr.Buckets)) {
			sr.Buckets[b].Add(int(class), int(n), int(ok), int(rejected))
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("attempt stats: %w", err)
	}
	return series, nil
}
