package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
)

var _ herald.QueueStatsStore = (*Store)(nil)

// DeliveryQueueStats implements herald.QueueStatsStore. The aggregates read
// only pending rows (the partial due index), never the delivered history. A
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
