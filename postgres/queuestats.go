package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
)

var _ herald.QueueStatsStore = (*Store)(nil)

// DeliveryQueueStats implements herald.QueueStatsStore. The aggregates read
// only pending rows (the partial index deliveries_endpoint_due), never the
// delivered history. A
// leased delivery's next_attempt_at is its lease's end, after now, so "due"
// excludes the leased without reading the token.
func (s *Store) DeliveryQueueStats(ctx context.Context, now time.Time) (*herald.QueueStats, error) {
	var st herald.QueueStats
	var oldest *time.Time
	err := s.pool.QueryRow(ctx, `SELECT
			count(*),
			count(*) FILTER (WHERE next_attempt_at <= $1),
			min(next_attempt_at),
			(SELECT count(*) FROM endpoints WHERE NOT enabled)
		FROM deliveries WHERE state = 'pending'`, dbTime(now)).Scan(&st.Pending, &st.Due, &oldest, &st.DisabledEndpoints)
	if err != nil {
		return nil, fmt.Errorf("queue stats: %w", err)
	}
	if st.Due > 0 && oldest != nil {
		st.OldestDueAt = oldest.UTC()
	}
	return &st, nil
}

var _ herald.QueueDepthStore = (*Store)(nil)

// QueueDepthSample implements herald.QueueDepthStore. Each customer's
// count is one range of deliveries_customer_state (customer_id, state),
// so the cost grows with the customers and the pending deliveries, not
// with the history. Nodes sample the same minute at about the same time:
// the primary key and ON CONFLICT DO NOTHING keep the first.
func (s *Store) QueueDepthSample(ctx context.Context, now time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO queue_depth_samples (minute, customer_id, pending)
		SELECT $1, id, n FROM (
			SELECT c.id, (SELECT count(*) FROM deliveries d WHERE d.customer_id = c.id AND d.state = 'pending') AS n
			FROM customers c) AS counts
		WHERE n > 0
		ON CONFLICT (minute, customer_id) DO NOTHING`, dbTime(now.Truncate(time.Minute)))
	if err != nil {
		return 0, fmt.Errorf("sample queue depth: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// QueueDepthList implements herald.QueueDepthStore. Buckets are counted
// in microseconds, PostgreSQL's resolution, so a sample is never put in
// the bucket next to its own.
func (s *Store) QueueDepthList(ctx context.Context, p *herald.QueueDepthParams) ([]*herald.QueueDepthSample, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	since, bucket := dbTime(p.Since), p.Bucket.Microseconds()
	rows, err := s.pool.Query(ctx, `SELECT (extract(epoch FROM minute - $1::timestamptz) * 1000000)::bigint / $2::bigint AS b,
			customer_id, max(pending)
		FROM queue_depth_samples WHERE minute >= $1 AND minute < $3
		GROUP BY b, customer_id ORDER BY b, customer_id`, since, bucket, dbTime(p.Until))
	if err != nil {
		return nil, fmt.Errorf("list queue depth: %w", err)
	}
	defer rows.Close()
	out := []*herald.QueueDepthSample{}
	for rows.Next() {
		var b int64
		smp := &herald.QueueDepthSample{}
		if err := rows.Scan(&b, &smp.CustomerID, &smp.Pending); err != nil {
			return nil, fmt.Errorf("list queue depth: %w", err)
		}
		smp.Start = since.Add(time.Duration(b) * p.Bucket)
		out = append(out, smp)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list queue depth: %w", err)
	}
	return out, nil
}
