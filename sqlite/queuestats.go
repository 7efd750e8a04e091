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
