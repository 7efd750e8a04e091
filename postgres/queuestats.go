package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
)

var _ herald.QueueDepthStore = (*Store)(nil)

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
