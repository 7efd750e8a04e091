package sqlite

import (
	"context"
	"database/sql"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/sqlstore"
)

// Ordered delivery per subject (herald.Endpoint.Ordered; the rule is in the
// root order.go). What this store adds for it, each inside the transaction
// that already does the work:
//
//   - publish: subjectQueues.place, before each delivery's INSERT;
//   - final outcome: the deliveries_release_next trigger (migration 013);
//   - claim by id: claimIDsSQL leaves waiting deliveries out;
//   - retry and replay: unlinkSQL before their UPDATE.
//
// Claims due need nothing: a waiting delivery is due at herald.HoldUntil.
// All of it runs on the single writer connection, so no two of these can
// interleave and no lock is needed (compare the postgres store).

// subjectTailSQL reads the tail of one queue (herald.SubjectTail): its
// highest subject_seq and its pending delivery with the highest one. The
// literal test that subject is not empty lets SQLite use the partial indexes of migration
// 013; each subquery is one seek.
const subjectTailSQL = `SELECT
	COALESCE((SELECT max(subject_seq) FROM deliveries
		WHERE endpoint_id = ?1 AND subject = ?2 AND subject <> ''), 0),
	COALESCE((SELECT id FROM deliveries
		WHERE endpoint_id = ?1 AND subject = ?2 AND subject <> '' AND state = 'pending'
		ORDER BY subject_seq DESC LIMIT 1), '')`

// subjectQueues places the deliveries of one publish transaction in their
// subjects' queues. It reads each queue's tail once per transaction and
// keeps it up to date as deliveries are placed, so several events of one
// subject in one batch line up in batch order.
type subjectQueues struct {
	tx    *sql.Tx
	stmt  *sql.Stmt // subjectTailSQL, prepared at the first ordered delivery
	tails map[herald.SubjectKey]herald.SubjectTail
}

func newSubjectQueues(tx *sql.Tx) *subjectQueues {
	return &subjectQueues{tx: tx}
}

// place sets d's SubjectSeq and WaitingFor (herald.Delivery.Follow), before
// d is inserted. A delivery without a subject (an unordered endpoint) costs
// nothing.
func (q *subjectQueues) place(ctx context.Context, d *herald.Delivery) error {
	if d.Subject == "" {
		return nil
	}
	k := herald.SubjectKey{EndpointID: d.EndpointID, Subject: d.Subject}
	t, ok := q.tails[k]
	if !ok {
		if q.stmt == nil {
			// Prepared once per transaction, as the publish's other
			// statements are; it is closed with the transaction.
			var err error
			if q.stmt, err = q.tx.PrepareContext(ctx, subjectTailSQL); err != nil {
				return err
			}
			q.tails = map[herald.SubjectKey]herald.SubjectTail{}
		}
		if err := q.stmt.QueryRowContext(ctx, k.EndpointID, k.Subject).Scan(&t.Seq, &t.PendingID); err != nil {
			return err
		}
	}
	q.tails[k] = d.Follow(t)
	return nil
}

// unlinkSQL takes the deliveries in the JSON array ?1 out of their
// subjects' chains before a retry or replay sends them at once: a delivery
// that waited for one of them, if it was waiting itself, waits for what it
// waited for instead. A follower of a head or of a final delivery keeps
// waiting for it (see herald.Store.DeliveryRetry). The UPDATE that follows
// clears the retried deliveries' own waiting_for.
const unlinkSQL = `UPDATE deliveries AS f
	SET waiting_for = d.waiting_for
	FROM deliveries AS d
	WHERE d.id IN (SELECT value FROM json_each(?1)) AND d.waiting_for <> ''
		AND f.waiting_for = d.id AND f.waiting_for <> '' AND f.state = 'pending'`

// Unchain implements sqlstore.Dialect with unlinkSQL.
func (dialect) Unchain(ctx context.Context, tx sqlstore.DB, ids []string) error {
	_, err := tx.Exec(ctx, unlinkSQL, jsonArray(ids))
	return err
}
