package sqlstore

import (
	"context"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

var qEventGet = query("EventGet")

// EventGet implements herald.Store.
func (s *Store) EventGet(ctx context.Context, id string) (*herald.Event, error) {
	var ev herald.Event
	var typ string
	err := s.read.QueryRow(ctx, s.sql(qEventGet), id).Scan(&ev.ID, &ev.CustomerID, &typ, &ev.NewStatus, &ev.BodyGzip,
		&ev.LinkHeader, s.d.ScanTime(&ev.CreatedAt), &ev.TraceContext)
	if err != nil {
		return nil, wrapOp("get event", notFound(err, "event", id))
	}
	ev.Type = wire.EventType(typ)
	return &ev, nil
}
