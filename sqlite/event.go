package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/storerules"
)

// EventPublish implements herald.Store. The rules are storerules.Publish's;
// this gives them SQLite's statements (eventBatch). The batch is one write
// of a shared hot transaction (hottx.go) with its statements prepared once,
// made durable by the group fsync of walSyncer rather than while holding
// the writer; each customer's
// endpoints are read once per batch (never cached across calls, so an
// endpoint edit applies to the next batch).
func (s *Store) EventPublish(ctx context.Context, events []*herald.Event) (_ []*herald.EventPublishResult, err error) {
	defer func() { err = busyAsUnavailable(err) }()
	if len(events) == 0 {
		return []*herald.EventPublishResult{}, nil
	}
	var results []*herald.EventPublishResult
	err = s.hotWrites.run(ctx, func(ctx context.Context, tx *sql.Tx) error {
		b := &eventBatch{s: s, tx: tx, queues: newSubjectQueues(tx)}
		var err error
		if b.insEvent, err = s.stmt(ctx, tx, insertEvent); err != nil {
			return err
		}
		defer b.insEvent.Close()
		if b.insDelivery, err = s.stmt(ctx, tx, insertDelivery); err != nil {
			return err
		}
		defer b.insDelivery.Close()
		results, err = storerules.Publish(ctx, b, events, atMillis)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("publish events: %w", err)
	}
	// Durable before anyone hears so (a 202 promises it); the writer is
	// free for the next batch meanwhile.
	if err := s.wal.wait(ctx); err != nil {
		return nil, fmt.Errorf("publish events: sync the log: %w", err)
	}
	return results, nil
}

// eventBatch is storerules.PublishTx over EventPublish's transaction, with
// its statements prepared once for the batch.
type eventBatch struct {
	s                     *Store
	tx                    *sql.Tx
	insEvent, insDelivery *sql.Stmt
	queues                *subjectQueues
}

func (b *eventBatch) CustomerEndpoints(ctx context.Context, customerID string) ([]*herald.Endpoint, error) {
	return customerEndpoints(ctx, hotTx{b.s, b.tx}, customerID)
}

// EventInsert runs INSERT OR IGNORE: a taken id (stored, or earlier in the
// batch: same transaction) refuses that one event, where a failing
// statement would be an error for the whole batch.
func (b *eventBatch) EventInsert(ctx context.Context, ev *herald.Event, systemID, personID string) error {
	res, err := b.insEvent.ExecContext(ctx, ev.ID, ev.CustomerID, string(ev.Type),
		ev.NewStatus, ev.BodyGzip, ev.LinkHeader, toMillis(ev.CreatedAt), systemID, personID, ev.TraceContext)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return storerules.ErrDuplicate
	}
	return nil
}

func (b *eventBatch) DeliveriesInsert(ctx context.Context, ds []*herald.Delivery) error {
	return insertDeliveries(ctx, b.queues, b.insDelivery, ds)
}

// insertDeliveries places each of ds in its subject's queue and stores it
// with ins (insertDelivery as a statement of the transaction).
func insertDeliveries(ctx context.Context, queues *subjectQueues, ins *sql.Stmt, ds []*herald.Delivery) error {
	for _, d := range ds {
		if err := queues.place(ctx, d); err != nil {
			return err
		}
		if _, err := ins.ExecContext(ctx, deliveryArgs(d)...); err != nil {
			return err
		}
	}
	return nil
}

// insertEvent stores an event; INSERT OR IGNORE: see EventPublish.
const insertEvent = `INSERT OR IGNORE INTO events
	(id, customer_id, type, new_status, body_gzip, link_header, created_at, system_id, person_id, trace_context)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// insertDelivery stores a delivery that herald.NewDelivery made, with the
// arguments deliveryArgs gives. EventPublish (eventBatch) and the platform
// actions (actionPublish) both use it.
const insertDelivery = `INSERT INTO deliveries
	(id, event_id, endpoint_id, customer_id, event_type, state, last_error, next_attempt_at, created_at, updated_at,
	 subject, subject_seq, waiting_for)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// deliveryArgs are the arguments of insertDelivery for d.
func deliveryArgs(d *herald.Delivery) []any {
	return []any{d.ID, d.EventID, d.EndpointID, d.CustomerID, string(d.EventType), string(d.State), d.LastError,
		toMillis(d.NextAttemptAt), toMillis(d.CreatedAt), toMillis(d.UpdatedAt),
		d.Subject, d.SubjectSeq, d.WaitingFor}
}

// customerEndpoints returns the customer's endpoints, or
// storerules.ErrNotFound if there is no such customer. Their Auth is left
// empty (scanEndpoint): publishing needs only what they want.
func customerEndpoints(ctx context.Context, q rowQuerier, customerID string) ([]*herald.Endpoint, error) {
	var one int
	err := q.QueryRowContext(ctx, customerExistsSQL, customerID).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, storerules.ErrNotFound
	case err != nil:
		return nil, err
	}
	return listEndpoints(ctx, q, customerID)
}

const customerExistsSQL = `SELECT 1 FROM customers WHERE id = ?`

// rowQuerier is what customerEndpoints reads through: a *sql.Tx, or hotTx.
type rowQuerier interface {
	querier
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// hotTx runs queries in tx through the store's statement cache, for the
// shared helpers that take a querier.
type hotTx struct {
	s  *Store
	tx *sql.Tx
}

func (h hotTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return h.s.txQuery(ctx, h.tx, query, args...)
}

func (h hotTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return h.s.txQueryRow(ctx, h.tx, query, args...)
}
