package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/sqlstore"
)

// Ordered delivery per subject (herald.Endpoint.Ordered; the rule is in the
// root order.go). What this store adds for it, each inside the transaction
// that already does the work:
//
//   - publish: placeOrdered, before the deliveries' INSERT;
//   - final outcome: the deliveries_release_next trigger (migration 010),
//     after DeliveryRecordAttempts took the subjects' locks (lockRecordsSQL);
//   - claim by id: claimIDsSQL leaves waiting deliveries out;
//   - retry and replay: lockDeliveriesSQL, then unlinkSQL, before their
//     UPDATE.
//
// Claims due need nothing: a waiting delivery is due at herald.HoldUntil.
//
// Several nodes change one queue at once, so each of those transactions
// first takes a transaction-scoped advisory lock per (endpoint, subject) it
// touches (class lockClassSubject, key hashtext(endpoint_id || ' ' ||
// subject)). Without it two publishes of one subject would both read the
// same tail and fork the chain, and a publish could place a delivery
// behind one whose final outcome was being recorded, after the trigger had
// looked for followers: a delivery waiting forever. Under READ COMMITTED
// each later statement's snapshot sees what the lock's previous holder
// committed. The locks are taken in one statement, in key order, before
// any row lock: two transactions that need several keys queue rather than
// deadlock, and no transaction that waits for a key holds a row that the
// key's holder needs (claims take no subject locks and never wait for rows).
// Two keys that collide share a lock, which costs parallelism, never
// correctness.

// subjectKeySQL is a queue's lock key from the columns of deliveries.
const subjectKeySQL = `hashtext(endpoint_id || ' ' || subject)`

// lockKeysSQL locks the queues whose "endpoint_id subject" strings are in
// $2. The ordered subquery (OFFSET 0 keeps the planner from flattening it)
// makes the locks be taken in key order.
const lockKeysSQL = `SELECT pg_advisory_xact_lock($1, k) FROM (
		SELECT DISTINCT hashtext(t) AS k FROM unnest($2::text[]) AS t ORDER BY k OFFSET 0) s`

// lockDeliveriesSQL locks the queues of the deliveries with the ids $2 that
// have a subject, in key order. For the deliveries of unordered endpoints
// it costs a primary key lookup each and locks nothing.
const lockDeliveriesSQL = `SELECT pg_advisory_xact_lock($1, k) FROM (
		SELECT DISTINCT ` + subjectKeySQL + ` AS k FROM deliveries
		WHERE id = ANY($2) AND subject <> '' ORDER BY k OFFSET 0) s`

// subjectTailsSQL reads the tails (herald.SubjectTail) of the queues in
// $1 (endpoint ids) and $2 (subjects): each one's highest subject_seq and
// its pending delivery with the highest one, a seek each in the partial
// indexes of migration 010 (the literal test that subject is not empty lets the planner use
// them).
const subjectTailsSQL = `SELECT k.endpoint_id, k.subject,
		COALESCE((SELECT max(d.subject_seq) FROM deliveries d
			WHERE d.endpoint_id = k.endpoint_id AND d.subject = k.subject AND d.subject <> ''), 0),
		COALESCE((SELECT d.id FROM deliveries d
			WHERE d.endpoint_id = k.endpoint_id AND d.subject = k.subject AND d.subject <> ''
				AND d.state = 'pending'
			ORDER BY d.subject_seq DESC LIMIT 1), '')
	FROM unnest($1::text[], $2::text[]) AS k (endpoint_id, subject)`

// orderedDeliveries reports whether any of ds has a subject.
func orderedDeliveries(ds []*herald.Delivery) bool {
	for _, d := range ds {
		if d.Subject != "" {
			return true
		}
	}
	return false
}

// placeOrdered locks the queues of the deliveries of ds that have a subject,
// reads their tails and places those deliveries (herald.Delivery.Follow), in
// the order of ds, which is publish order. tx must then insert them before
// it commits. The deliveries of the events among eventIDs that exist
// already are left out: their insert will be refused (ON CONFLICT), and a
// delivery placed behind one never inserted would wait forever. Checked
// after the locks, so a concurrent publish of the same event, which needs
// the same locks, has committed by then.
func placeOrdered(ctx context.Context, tx batchSender, ds []*herald.Delivery, eventIDs []string) error {
	var keys, endpointIDs, subjects []string
	seen := map[herald.SubjectKey]bool{}
	for _, d := range ds {
		k := herald.SubjectKey{EndpointID: d.EndpointID, Subject: d.Subject}
		if d.Subject == "" || seen[k] {
			continue
		}
		seen[k] = true
		keys = append(keys, k.EndpointID+" "+k.Subject)
		endpointIDs = append(endpointIDs, k.EndpointID)
		subjects = append(subjects, k.Subject)
	}
	if len(keys) == 0 {
		return nil
	}
	tails := make(map[herald.SubjectKey]herald.SubjectTail, len(keys))
	exists := map[string]bool{}
	b := &pgx.Batch{}
	b.Queue(lockKeysSQL, lockClassSubject, keys)
	if len(eventIDs) > 0 {
		b.Queue(`SELECT id FROM events WHERE id = ANY($1)`, eventIDs).Query(func(rows pgx.Rows) error {
			var id string
			_, err := pgx.ForEachRow(rows, []any{&id}, func() error {
				exists[id] = true
				return nil
			})
			return err
		})
	}
	b.Queue(subjectTailsSQL, endpointIDs, subjects).Query(func(rows pgx.Rows) error {
		var k herald.SubjectKey
		var t herald.SubjectTail
		_, err := pgx.ForEachRow(rows, []any{&k.EndpointID, &k.Subject, &t.Seq, &t.PendingID}, func() error {
			tails[k] = t
			return nil
		})
		return err
	})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("place ordered deliveries: %w", err)
	}
	for _, d := range ds {
		if d.Subject == "" || exists[d.EventID] {
			continue
		}
		k := herald.SubjectKey{EndpointID: d.EndpointID, Subject: d.Subject}
		tails[k] = d.Follow(tails[k])
	}
	return nil
}

// unlinkSQL takes the deliveries with the ids $1 out of their subjects'
// chains before a retry or replay sends them at once: a delivery that
// waited for one of them, if it was waiting itself, waits for what it
// waited for instead. A follower of a head or of a final delivery keeps
// waiting for it (see herald.Store.DeliveryRetry). The UPDATE that follows
// clears the retried deliveries' own waiting_for. Run it after
// lockDeliveriesSQL.
const unlinkSQL = `UPDATE deliveries f
	SET waiting_for = d.waiting_for
	FROM deliveries d
	WHERE d.id = ANY($1) AND d.waiting_for <> ''
		AND f.waiting_for = d.id AND f.waiting_for <> '' AND f.state = 'pending'`

// Unchain implements sqlstore.Dialect: lockDeliveriesSQL, then unlinkSQL.
func (dialect) Unchain(ctx context.Context, tx sqlstore.DB, ids []string) error {
	if _, err := tx.Exec(ctx, lockDeliveriesSQL, lockClassSubject, ids); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, unlinkSQL, ids)
	return err
}
