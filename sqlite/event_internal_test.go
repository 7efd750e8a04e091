package sqlite

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// An event whose customer is gone by the time its batch takes the writer
// (deleted after the batch read its endpoints) is refused alone, as one of
// an unknown customer is: the foreign key stops its insert.
func TestPublishRefusesAnEventWhoseCustomerWentBeforeItsInsert(t *testing.T) {
	t.Parallel()
	s := hotTestStore(t)
	ctx := t.Context()
	gone := &herald.Event{ID: herald.NewID(herald.IDPrefixEvent, time.Now()), CustomerID: "deleted-customer",
		Type: wire.EventTypeWorkFlowStatusChange, BodyGzip: []byte{0x1f, 0x8b}, CreatedAt: time.Now()}
	plan := &plannedBatch{s: s, events: []plannedEvent{{ev: gone}}}
	var refused map[string]error
	if err := s.hotWrites.run(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		refused, err = plan.insert(ctx, tx)
		return err
	}); err != nil {
		t.Fatalf("the batch failed: %v", err)
	}
	if code := herald.ErrorCode(refused[gone.ID]); code != herald.ENOTFOUND {
		t.Fatalf("refused %v (code %q), want the customer not found", refused[gone.ID], code)
	}
}
