package sqlite

import (
	"context"
	"fmt"

	"github.com/heraldhq/herald"
)

var _ herald.QueueDepthStore = (*Store)(nil)

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
