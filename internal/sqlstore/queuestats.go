package sqlstore

import (
	"context"
	"time"

	"github.com/heraldhq/herald"
)

var (
	qQueueStats       = query("QueueStats")
	qQueueDepthSample = query("QueueDepthSample")
)

var _ herald.QueueStatsStore = (*Store)(nil)

// DeliveryQueueStats implements herald.QueueStatsStore: one statement,
// whose aggregates read only pending deliveries (a partial index), never
// the delivered history.
func (s *Store) DeliveryQueueStats(ctx context.Context, now time.Time) (*herald.QueueStats, error) {
	var st herald.QueueStats
	var oldest time.Time
	err := s.read.QueryRow(ctx, s.sql(qQueueStats), s.d.Time(now)).
		Scan(&st.Pending, &st.Due, s.d.ScanTime(&oldest), &st.DisabledEndpoints)
	if err != nil {
		return nil, wrapOp("queue stats", err)
	}
	if st.Due > 0 {
		st.OldestDueAt = oldest
	}
	return &st, nil
}

// QueueDepthSample implements herald.QueueDepthStore. Each customer's
// count is one range of deliveries_customer_state (customer_id, state),
// so the cost grows with the customers and the pending deliveries, not
// with the history. A minute some other call (or node) sampled already
// keeps its sample.
func (s *Store) QueueDepthSample(ctx context.Context, now time.Time) (int, error) {
	n, err := s.write.Exec(ctx, s.sql(qQueueDepthSample), s.d.Time(now.Truncate(time.Minute)))
	if err != nil {
		return 0, wrapOp("sample queue depth", err)
	}
	return int(n), nil
}
