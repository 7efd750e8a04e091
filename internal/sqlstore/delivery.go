package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/storerules"
	"github.com/heraldhq/herald/wire"
)

// The deliveries' read side and the retry. Publishing, the claim and
// recording attempts are each store's own (hot statements, claim
// algorithms).

var (
	qDeliveryGet            = query("DeliveryGet")
	qDeliveryListForEvent   = query("DeliveryListForEvent")
	qDeliveryListSelect     = query("DeliveryListSelect")
	qDeliveryAttempts       = query("DeliveryAttempts")
	qDeliveryRetry          = query("DeliveryRetry")
	qDeliveryExists         = query("DeliveryExists")
	qDeliveryReleaseOrphans = query("DeliveryReleaseOrphans")
)

// The deliveries columns every delivery statement reads, in this order:
// id, event_id, endpoint_id, customer_id, event_type, state, attempts,
// schedule_attempts, next_attempt_at, last_attempt_at, last_status_code,
// last_error, location, created_at, updated_at, subject, subject_seq,
// waiting_for.
func (s *Store) scanDelivery(r Row) (*herald.Delivery, error) {
	var d herald.Delivery
	var eventType, state string
	if err := r.Scan(&d.ID, &d.EventID, &d.EndpointID, &d.CustomerID, &eventType, &state, &d.Attempts,
		&d.ScheduleAttempts, s.d.ScanTime(&d.NextAttemptAt), s.d.ScanTime(&d.LastAttemptAt), &d.LastStatusCode,
		&d.LastError, &d.Location, s.d.ScanTime(&d.CreatedAt), s.d.ScanTime(&d.UpdatedAt),
		&d.Subject, &d.SubjectSeq, &d.WaitingFor); err != nil {
		return nil, err
	}
	d.EventType, d.State = wire.EventType(eventType), herald.DeliveryState(state)
	return &d, nil
}

// DeliveryGet implements herald.Store.
func (s *Store) DeliveryGet(ctx context.Context, id string) (*herald.Delivery, error) {
	var d *herald.Delivery
	// One snapshot, so the delivery and its log agree.
	err := s.readTx(ctx, "get delivery", func(tx DB) error {
		var err error
		if d, err = s.scanDelivery(tx.QueryRow(ctx, s.sql(qDeliveryGet), id)); err != nil {
			return notFound(err, "delivery", id)
		}
		return s.loadAttempts(ctx, tx, []*herald.Delivery{d})
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// DeliveryListForEvent implements herald.Store.
func (s *Store) DeliveryListForEvent(ctx context.Context, eventID string) ([]*herald.Delivery, error) {
	var ds []*herald.Delivery
	err := s.readTx(ctx, "list deliveries of event", func(tx DB) error {
		rows, err := tx.Query(ctx, s.sql(qDeliveryListForEvent), eventID)
		if ds, err = collect(rows, err, s.scanDelivery); err != nil {
			return err
		}
		return s.loadAttempts(ctx, tx, ds)
	})
	if err != nil {
		return nil, err
	}
	return ds, nil
}

// loadAttempts fills the AttemptLog of each delivery, oldest first.
func (s *Store) loadAttempts(ctx context.Context, tx DB, ds []*herald.Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	byID := make(map[string]*herald.Delivery, len(ds))
	ids := make([]string, 0, len(ds))
	for _, d := range ds {
		d.AttemptLog = []*herald.Attempt{}
		byID[d.ID] = d
		ids = append(ids, d.ID)
	}
	rows, err := tx.Query(ctx, s.sql(qDeliveryAttempts), s.d.Strings(ids))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var a herald.Attempt
		var latency int64
		var headers []byte // a JSON object; "{}" for none
		if err := rows.Scan(&a.DeliveryID, &a.Number, s.d.ScanTime(&a.At), &a.StatusCode, &a.Location,
			&a.UserMessage, &a.DebugErrorMessage, &a.Error, &latency, &a.ResponseBody, &headers); err != nil {
			return err
		}
		a.Latency = time.Duration(latency)
		if len(headers) > 0 && string(headers) != "{}" {
			if err := json.Unmarshal(headers, &a.RequestHeaders); err != nil {
				return fmt.Errorf("attempt of %s: request_headers: %w", a.DeliveryID, err)
			}
		}
		if d := byID[a.DeliveryID]; d != nil {
			d.AttemptLog = append(d.AttemptLog, &a)
		}
	}
	return rows.Err()
}

// DeliveryRetry implements herald.Store.
func (s *Store) DeliveryRetry(ctx context.Context, id string, now time.Time) (*herald.Delivery, error) {
	var d *herald.Delivery
	err := s.tx(ctx, "retry delivery", func(tx DB) error {
		// Ordered delivery: a waiting delivery leaves its subject's chain.
		// Undone with the rest if the UPDATE below refuses.
		if err := s.d.Unchain(ctx, tx, []string{id}); err != nil {
			return err
		}
		// One UPDATE decides: it changes the row unless a live lease holds
		// it. Clearing the token means a node still holding an expired
		// lease can no longer record over the retry.
		var err error
		d, err = s.scanDelivery(tx.QueryRow(ctx, s.sql(qDeliveryRetry), s.d.Time(now), id))
		if errors.Is(err, storerules.ErrNotFound) {
			var one int
			if err := tx.QueryRow(ctx, s.sql(qDeliveryExists), id).Scan(&one); err != nil {
				return notFound(err, "delivery", id)
			}
			return herald.DeliveryAttemptInProgress(id)
		}
		if err != nil {
			return err
		}
		if err := s.loadAttempts(ctx, tx, []*herald.Delivery{d}); err != nil {
			return err
		}
		return s.d.Wake(ctx, tx)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// DeliveryReleaseOrphans implements herald.Store. A lease that had expired
// already keeps its (earlier) due time, so the queue's order is kept. On
// PostgreSQL other nodes may hold live leases, so cmd/herald must not call
// this for a store several nodes share.
func (s *Store) DeliveryReleaseOrphans(ctx context.Context, now time.Time) (int, error) {
	n, err := s.write.Exec(ctx, s.sql(qDeliveryReleaseOrphans), s.d.Time(now))
	if err != nil {
		return 0, wrapOp("release orphaned deliveries", err)
	}
	return int(n), nil
}

// DeliveryList implements herald.Store with keyset pagination on id: ids
// are time-ordered, so "id < cursor ORDER BY id DESC" walks the
// (customer_id, id) index newest first, and a page costs the same however
// deep it is. The cursor is the last id of the page, versioned and
// base64'd, so callers treat it as opaque.
//
// The filters are optional, and each one present adds its term, so every
// combination has the plan of its own terms (a term that tests its
// argument for "any" would keep the planner from the indexes). The terms
// are the same SQL on both stores but for placeholders and the state list.
func (s *Store) DeliveryList(ctx context.Context, p *herald.DeliveryListParams) (*herald.DeliveryListResult, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	limit, err := herald.PageLimit(p.Limit)
	if err != nil {
		return nil, err
	}
	var where strings.Builder
	args := []any{p.CustomerID}
	arg := func(v any) string {
		args = append(args, v)
		return s.d.Arg(len(args))
	}
	customer := s.d.Arg(1)
	where.WriteString(`customer_id = ` + customer)
	if len(p.States) > 0 {
		where.WriteString(` AND ` + s.stateFilter(p.States, arg))
	}
	if p.EventType != "" {
		where.WriteString(` AND event_type = ` + arg(string(p.EventType)))
	}
	if p.EndpointID != "" {
		where.WriteString(` AND endpoint_id = ` + arg(p.EndpointID))
	}
	if !p.Since.IsZero() {
		where.WriteString(` AND created_at >= ` + arg(s.d.Time(p.Since)))
	}
	if !p.Until.IsZero() {
		where.WriteString(` AND created_at < ` + arg(s.d.Time(p.Until)))
	}
	if p.EventID != "" {
		where.WriteString(` AND event_id = ` + arg(p.EventID))
	}
	if p.DeliveryID != "" {
		where.WriteString(` AND id = ` + arg(p.DeliveryID))
	}
	// The events of the key (events_system_id, events_person_id), then
	// their deliveries (deliveries_event_id).
	if p.SystemID != "" {
		where.WriteString(` AND event_id IN (SELECT id FROM events WHERE customer_id = ` + customer +
			` AND system_id = ` + arg(p.SystemID) + `)`)
	}
	if p.PersonID != "" {
		where.WriteString(` AND event_id IN (SELECT id FROM events WHERE customer_id = ` + customer +
			` AND person_id = ` + arg(p.PersonID) + `)`)
	}
	if p.Cursor != "" {
		after, err := herald.ParseCursor(p.Cursor, herald.IDPrefixDelivery)
		if err != nil {
			return nil, err
		}
		where.WriteString(` AND id < ` + arg(after))
	}
	rows, err := s.read.Query(ctx, s.sql(qDeliveryListSelect)+`
		WHERE `+where.String()+` ORDER BY id DESC LIMIT `+arg(limit+1), args...)
	ds, err := collect(rows, err, s.scanDelivery)
	if err != nil {
		return nil, wrapOp("list deliveries", err)
	}
	res := &herald.DeliveryListResult{Deliveries: ds}
	if len(ds) > limit {
		res.Deliveries = ds[:limit]
		res.NextCursor = herald.NewCursor(ds[limit-1].ID)
	}
	return res, nil
}
