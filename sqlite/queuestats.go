package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
)

var _ herald.QueueStatsStore = (*Store)(nil)

// DeliveryQueueStats implements herald.QueueStatsStore. Both aggregates
// read the partial index of pending deliveries (deliveries_due), never the
// delivered history. A leased delivery's next_attempt_at is its lease's
// end, after now, so "due" excludes the leased without reading the token.
func (s *Store) DeliveryQueueStats(ctx context.Context, now time.Time) (*herald.QueueStats, error) {
	var st herald.QueueStats
	var oldest int64
	n := toMillis(now)
	err := s.read.QueryRowContext(ctx, `SELECT COUNT(*),
			COALESCE(SUM(next_attempt_at <= ?), 0),
			COALESCE(MIN(next_attempt_at), 0)
		FROM deliveries WHERE state = 'pending'`, n).Scan(&st.Pending, &st.Due, &oldest)
	if err != nil {
		return nil, fmt.Errorf("queue stats: %w", err)
	}
	if st.Due > 0 {
		st.OldestDueAt = fromMillis(oldest)
	}
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM endpoints WHERE enabled = 0`).Scan(&st.DisabledEndpoints); err != nil {
		return nil, fmt.Errorf("queue stats: %w", err)
	}
	return &st, nil
}

var _ herald.QueueDepthStore = (*Store)(nil)

// QueueDepthSample implements herald.QueueDepthStore. Each customer's
// count is one seek into deliveries_customer_state (customer_id, state),
// so the cost grows with the customers and the pending deliveries, not
// with the history. INSERT OR IGNORE keeps a minute some other call
// sampled already.
func (s *Store) QueueDepthSample(ctx context.Context, now time.Time) (int, error) {
	res, err := s.write.ExecContext(ctx, `INSERT OR IGNORE INTO queue_depth_samples (minute, customer_id, pending)
		SELECT ?, id, n FROM (
			SELECT c.id, (SELECT count(*) FROM deliveries d WHERE d.customer_id = c.id AND d.state = 'pending') AS n
			FROM customers c)
		WHERE n > 0`, toMillis(now.Truncate(time.Minute)))
	if err != nil {
		return 0, fmt.Errorf("sample queue depth: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sample queue depth: %w", err)
	}
	return int(n), nil
}

// QueueDepthList implements herald.QueueDepthStore.
func (s *Store) QueueDepthList(ctx context.Context, p *herald.QueueDepthParams) ([]*herald.QueueDepthSample, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	since, bucket := toMillis(p.Since), p.Bucket.Milliseconds()
	rows, err := s.read.QueryContext(ctx, `SELECT (minute - ?1) / ?2 AS b, customer_id, max(pending)
		FROM queue_depth_samples WHERE minute >= ?1 AND minute < ?3
		GROUP BY b, customer_id ORDER BY b, customer_id`, since, bucket, toMillis(p.Until))
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
		smp.Start = fromMillis(since + b*bucket)
		out = append(out, smp)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list queue depth: %w", err)
	}
	return out, nil
}
