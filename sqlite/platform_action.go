package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/sqlstore"
	"github.com/heraldhq/herald/internal/storerules"
)

// The platform actions are storerules', run by internal/sqlstore over this
// store's query file; they publish their event through actionPublish.

// platformPublish is sqlstore.Config.PlatformPublish: tx is a transaction
// of the store's InTx (sqlstore.go), so an sqlDB over a *sql.Tx.
func platformPublish(tx sqlstore.DB) storerules.PublishTx {
	return actionPublish{tx.(sqlDB).q.(*sql.Tx)}
}

// actionPublish stores an action's event by storerules' publishing rules,
// inside the action's transaction so the event commits with the change
// that caused it. EventPublish's statements are written for a batch in a
// transaction of its own (eventBatch), so the event INSERT is repeated
// here against the same table; the endpoint lookup, the queues and the
// delivery INSERT are EventPublish's own.
type actionPublish struct{ tx *sql.Tx }

func (t actionPublish) CustomerEndpoints(ctx context.Context, customerID string) ([]*herald.Endpoint, error) {
	return customerEndpoints(ctx, t.tx, customerID)
}

func (t actionPublish) EventInsert(ctx context.Context, ev *herald.Event, systemID, personID string) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO events
		(id, customer_id, type, new_status, body_gzip, link_header, created_at, system_id, person_id, trace_context)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ev.ID, ev.CustomerID, string(ev.Type), ev.NewStatus, ev.BodyGzip, ev.LinkHeader, toMillis(ev.CreatedAt),
		systemID, personID, ev.TraceContext)
	if err != nil {
		return fmt.Errorf("insert event: %w", err)
	}
	return nil
}

func (t actionPublish) DeliveriesInsert(ctx context.Context, ds []*herald.Delivery) error {
	ins, err := t.tx.PrepareContext(ctx, insertDelivery)
	if err != nil {
		return fmt.Errorf("insert delivery: %w", err)
	}
	defer ins.Close()
	if err := insertDeliveries(ctx, newSubjectQueues(t.tx), ins, ds); err != nil {
		return fmt.Errorf("insert delivery: %w", err)
	}
	return nil
}
