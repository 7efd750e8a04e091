package sqlstore

import (
	"context"
	"slices"
	"time"

	"github.com/heraldhq/herald"
)

var (
	qQueueStats       = query("QueueStats")
	qQueueDepthCounts = query("QueueDepthCounts")
	qQueueDepthInsert = query("QueueDepthInsert")
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
// with the history. The counts are read on the read side and only their
// rows written: on SQLite, counting a million pending deliveries on the
// writer held every publish and record for about 0.3 s once a minute.
// A minute some other call (or node) sampled already keeps its sample.
func (s *Store) QueueDepthSample(ctx context.Context, now time.Time) (int, error) {
	type count struct {
		customerID string
		pending    int64
	}
	rows, err := s.read.Query(ctx, s.sql(qQueueDepthCounts))
	counts, err := collect(rows, err, func(r Row) (c count, err error) {
		err = r.Scan(&c.customerID, &c.pending)
		return c, err
	})
	if err != nil {
		return 0, wrapOp("sample queue depth", err)
	}

	// A transaction per queueDepthChunk customers, so a platform with
	// thousands of backlogged customers does not hold the writer for
	// all of them at once.
	minute := s.d.Time(now.Truncate(time.Minute))
	written := 0
	for chunk := range slices.Chunk(counts, queueDepthChunk) {
		inChunk := 0
		err := s.tx(ctx, "sample queue depth", func(tx DB) error {
			inChunk = 0
			for _, c := range chunk {
				n, err := tx.Exec(ctx, s.sql(qQueueDepthInsert), minute, c.customerID, c.pending)
				if err != nil {
					return err
				}
				inChunk += int(n)
			}
			return nil
		})
		if err != nil {
			return written, err
		}
		written += inChunk
	}
	return written, nil
}

// queueDepthChunk is how many customers' samples one transaction writes.
const queueDepthChunk = 256
