package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/storecodec"
	"github.com/heraldhq/herald/internal/storerules"
	"github.com/heraldhq/herald/wire"
)

var (
	qEndpointInsert  = query("EndpointInsert")
	qEndpointGet     = query("EndpointGet")
	qEndpointList    = query("EndpointList")
	qEndpointUpdate  = query("EndpointUpdate")
	qEndpointDisable = query("EndpointDisable")
	qEndpointDelete  = query("EndpointDelete")
)

// Auth is stored as the document internal/storecodec makes, passed as a
// string: SQLite keeps it in a TEXT column, and pgx takes a string for
// jsonb as the document it is.

// ScanEndpointNoAuth reads a row of the endpoint columns, as the endpoint
// statements read them: id, customer_id, url, event_types, auth, gzip,
// enabled, disabled_reason, status_triggers, max_concurrency, created_at,
// updated_at, rate_limit, rate_burst, circuit_threshold, the circuit's
// cooldown in milliseconds, ordered, trace_context, disabled_by,
// disabled_at. It leaves Auth empty: publishing, which reads endpoints
// its own way in each store, asks only which endpoints want an event.
func ScanEndpointNoAuth(d Dialect, r Row) (*herald.Endpoint, error) {
	e, _, err := scanEndpointColumns(d, r)
	return e, err
}

// scanEndpoint reads an endpoint and opens its secrets.
func (s *Store) scanEndpoint(r Row) (*herald.Endpoint, error) {
	e, auth, err := scanEndpointColumns(s.d, r)
	if err != nil {
		return nil, err
	}
	if e.Auth, err = storecodec.UnmarshalAuth(auth, s.secrets); err != nil {
		return nil, fmt.Errorf("endpoint %s: auth: %w", e.ID, err)
	}
	return e, nil
}

func scanEndpointColumns(d Dialect, r Row) (*herald.Endpoint, []byte, error) {
	var e herald.Endpoint
	var eventTypes, triggers []string
	var auth []byte
	var cooldownMs int64
	if err := r.Scan(&e.ID, &e.CustomerID, &e.URL, d.ScanStrings(&eventTypes), &auth, &e.Gzip, &e.Enabled,
		&e.DisabledReason, d.ScanStrings(&triggers), &e.MaxConcurrency, d.ScanTime(&e.CreatedAt), d.ScanTime(&e.UpdatedAt),
		&e.RateLimit, &e.RateBurst, &e.CircuitThreshold, &cooldownMs, &e.Ordered, &e.TraceContext,
		&e.DisabledBy, d.ScanTime(&e.DisabledAt)); err != nil {
		return nil, nil, err
	}
	e.CircuitCooldown = time.Duration(cooldownMs) * time.Millisecond
	e.EventTypes = stringsAs[wire.EventType](eventTypes)
	e.StatusTriggers = stringsAs[string](triggers)
	return &e, auth, nil
}

// stringsOf converts a list for Dialect.Strings.
func stringsOf[T ~string](v []T) []string {
	out := make([]string, len(v))
	for i, s := range v {
		out[i] = string(s)
	}
	return out
}

// stringsAs is the inverse of stringsOf; an empty list reads as nil.
func stringsAs[T ~string](v []string) []T {
	if len(v) == 0 {
		return nil
	}
	out := make([]T, len(v))
	for i, s := range v {
		out[i] = T(s)
	}
	return out
}

// disabledReason is what is stored: an enabled endpoint has no reason.
func disabledReason(e *herald.Endpoint) string {
	if e.Enabled {
		return ""
	}
	return e.DisabledReason
}

// disabledBy is what is stored: an enabled endpoint was disabled by nobody.
func disabledBy(e *herald.Endpoint) string {
	if e.Enabled {
		return ""
	}
	return e.DisabledBy
}

// EndpointCreate implements herald.Store.
func (s *Store) EndpointCreate(ctx context.Context, e *herald.Endpoint) error {
	if err := e.Validate(); err != nil {
		return err
	}
	auth, err := storecodec.MarshalAuth(&e.Auth, s.secrets)
	if err != nil {
		return fmt.Errorf("create endpoint: %w", err)
	}
	now := s.now()
	id := e.ID
	if id == "" {
		id = herald.NewID(herald.IDPrefixEndpoint, now)
	}
	var disabledAt time.Time // an endpoint created off went off as it was created
	if !e.Enabled {
		disabledAt = now
	}
	_, err = s.write.Exec(ctx, s.sql(qEndpointInsert),
		id, e.CustomerID, e.URL, s.d.Strings(stringsOf(e.EventTypes)), string(auth), e.Gzip, e.Enabled,
		disabledReason(e), s.d.Strings(stringsOf(e.StatusTriggers)), e.MaxConcurrency, s.d.Time(now),
		e.RateLimit, e.RateBurst, e.CircuitThreshold, e.CircuitCooldown.Milliseconds(), e.Ordered, e.TraceContext,
		disabledBy(e), s.d.Time(disabledAt))
	switch {
	case errors.Is(err, ErrForeignKey):
		return herald.NotFound("customer", e.CustomerID)
	case errors.Is(err, storerules.ErrDuplicate):
		return herald.Exists("endpoint", id)
	case err != nil:
		return fmt.Errorf("create endpoint: %w", err)
	}
	e.ID, e.CreatedAt, e.UpdatedAt = id, now, now
	e.DisabledReason, e.DisabledBy, e.DisabledAt = disabledReason(e), disabledBy(e), disabledAt
	return nil
}

// EndpointGet implements herald.Store.
func (s *Store) EndpointGet(ctx context.Context, id string) (*herald.Endpoint, error) {
	e, err := s.scanEndpoint(s.read.QueryRow(ctx, s.sql(qEndpointGet), id))
	if err != nil {
		return nil, wrapOp("get endpoint", notFound(err, "endpoint", id))
	}
	return e, nil
}

// EndpointList implements herald.Store.
func (s *Store) EndpointList(ctx context.Context, customerID string) ([]*herald.Endpoint, error) {
	rows, err := s.read.Query(ctx, s.sql(qEndpointList), customerID)
	out, err := collect(rows, err, s.scanEndpoint)
	return out, wrapOp("list endpoints", err)
}

// EndpointUpdate implements herald.Store.
func (s *Store) EndpointUpdate(ctx context.Context, e *herald.Endpoint) error {
	if err := e.Validate(); err != nil {
		return err
	}
	auth, err := storecodec.MarshalAuth(&e.Auth, s.secrets)
	if err != nil {
		return fmt.Errorf("update endpoint: %w", err)
	}
	now := s.now()
	var createdAt, disabledAt time.Time
	// The statement sets who disabled it and when as it goes off, and
	// keeps them while it stays off.
	err = s.write.QueryRow(ctx, s.sql(qEndpointUpdate),
		e.URL, s.d.Strings(stringsOf(e.EventTypes)), string(auth), e.Gzip, e.Enabled, disabledReason(e),
		s.d.Strings(stringsOf(e.StatusTriggers)), e.MaxConcurrency, s.d.Time(now), e.ID, e.CustomerID,
		e.RateLimit, e.RateBurst, e.CircuitThreshold, e.CircuitCooldown.Milliseconds(), e.Ordered, e.TraceContext,
		e.DisabledBy).Scan(s.d.ScanTime(&createdAt), &e.DisabledBy, s.d.ScanTime(&disabledAt))
	if err != nil {
		return wrapOp("update endpoint", notFound(err, "endpoint", e.ID))
	}
	e.CreatedAt, e.UpdatedAt = createdAt, now
	e.DisabledReason, e.DisabledAt = disabledReason(e), disabledAt
	return nil
}

// EndpointDisable implements herald.Store.
func (s *Store) EndpointDisable(ctx context.Context, id, reason string, now time.Time) error {
	n, err := s.write.Exec(ctx, s.sql(qEndpointDisable), reason, s.d.Time(now), id, herald.DisabledByHealthMonitor)
	return wrapOp("disable endpoint", rowsChanged(n, err, "endpoint", id))
}

// EndpointDelete implements herald.Store. The row goes; its deliveries stay
// (they have no foreign key to it) and fail when next claimed, since the
// dispatcher finds no endpoint to send them to.
func (s *Store) EndpointDelete(ctx context.Context, customerID, id string) error {
	n, err := s.write.Exec(ctx, s.sql(qEndpointDelete), id, customerID)
	return wrapOp("delete endpoint", rowsChanged(n, err, "endpoint", id))
}
