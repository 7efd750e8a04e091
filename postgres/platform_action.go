package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/sqlstore"
	"github.com/heraldhq/herald/internal/storerules"
)

// The platform actions are storerules', run by internal/sqlstore over this
// store's query file; they publish their event through actionPublish.

// platformPublish is sqlstore.Config.PlatformPublish: tx is a transaction
// of the store's InTx (sqlstore.go), so a pgDB over a pgx.Tx.
func platformPublish(tx sqlstore.DB) storerules.PublishTx {
	return actionPublish{tx.(pgDB).q.(pgx.Tx)}
}

// actionPublish stores an action's event by storerules' publishing rules,
// inside the action's transaction so the event commits with the change
// that caused it, and queues the NOTIFY that wakes every node's dispatcher
// at commit if a delivery is pending. EventPublish sends a batch outside
// any transaction of ours (one pgx.Batch), so this repeats its INSERTs for
// one event against the same tables; the endpoint columns and scanner,
// placeOrdered and the NOTIFY are EventPublish's own. Endpoints are read
// inside the transaction, unlike EventPublish, which costs nothing here: an
// action is one event.
type actionPublish struct{ tx pgx.Tx }

// CustomerEndpoints does not look for the customer: the event's INSERT
// does, with its foreign key (EventInsert), saving a round trip.
func (t actionPublish) CustomerEndpoints(ctx context.Context, customerID string) ([]*herald.Endpoint, error) {
	rows, err := t.tx.Query(ctx, `SELECT `+endpointColumns+` FROM endpoints WHERE customer_id = $1 ORDER BY created_at, id`, customerID)
	if err != nil {
		return nil, err
	}
	return collectEndpoints(rows)
}

func (t actionPublish) EventInsert(ctx context.Context, ev *herald.Event, systemID, personID string) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO events (id, customer_id, type, new_status, body_gzip, link_header, created_at, system_id, person_id, trace_context)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		ev.ID, ev.CustomerID, string(ev.Type), ev.NewStatus, ev.BodyGzip, ev.LinkHeader, ev.CreatedAt, systemID, personID, ev.TraceContext)
	switch {
	case isForeignKeyViolation(err):
		return storerules.ErrNotFound
	case err != nil:
		return fmt.Errorf("insert event: %w", err)
	}
	return nil
}

// DeliveriesInsert places the deliveries to ordered endpoints in their
// subjects' queues (order.go) first; the event INSERT has refused a taken
// id, so all of them will be inserted.
func (t actionPublish) DeliveriesInsert(ctx context.Context, ds []*herald.Delivery) error {
	if err := placeOrdered(ctx, t.tx, ds, nil); err != nil {
		return err
	}
	wake := false
	for _, d := range ds {
		if _, err := t.tx.Exec(ctx, `INSERT INTO deliveries (id, event_id, endpoint_id, customer_id, event_type, state,
			last_error, next_attempt_at, created_at, updated_at, subject, subject_seq, waiting_for)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12)`,
			d.ID, d.EventID, d.EndpointID, d.CustomerID, string(d.EventType), string(d.State), d.LastError,
			d.NextAttemptAt, d.CreatedAt, d.Subject, d.SubjectSeq, d.WaitingFor); err != nil {
			return fmt.Errorf("insert delivery: %w", err)
		}
		wake = wake || d.State == herald.DeliveryStatePending
	}
	if wake {
		if err := notify(ctx, t.tx); err != nil {
			return fmt.Errorf("notify work: %w", err)
		}
	}
	return nil
}
