package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// The endpoint methods are internal/sqlstore's (query/endpoint.sql);
// publishing reads a customer's endpoints here, through the statement
// cache (customerEndpoints), with a scan of its own that does no more
// than publishing needs.

func unmarshalStrings[T ~string](s string) ([]T, error) {
	var v []T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, err
	}
	if len(v) == 0 {
		return nil, nil
	}
	return v, nil
}

// endpointColumns are the columns scanEndpoint reads, in order.
const endpointColumns = `id, customer_id, url, event_types, auth, gzip, enabled,
	disabled_reason, status_triggers, max_concurrency, created_at, updated_at,
	rate_limit, rate_burst, circuit_threshold, circuit_cooldown, ordered, trace_context,
	disabled_by, disabled_at`

// scanEndpoint reads an endpoint for publishing, which asks only which
// endpoints want an event: its Auth is left empty.
func scanEndpoint(r rowScanner) (*herald.Endpoint, error) {
	var e herald.Endpoint
	var eventTypes, auth, triggers string
	var createdAt, updatedAt, cooldownMs, disabledAt int64
	if err := r.Scan(&e.ID, &e.CustomerID, &e.URL, &eventTypes, &auth, &e.Gzip, &e.Enabled,
		&e.DisabledReason, &triggers, &e.MaxConcurrency, &createdAt, &updatedAt,
		&e.RateLimit, &e.RateBurst, &e.CircuitThreshold, &cooldownMs, &e.Ordered, &e.TraceContext,
		&e.DisabledBy, &disabledAt); err != nil {
		return nil, err
	}
	if disabledAt != 0 {
		e.DisabledAt = fromMillis(disabledAt)
	}
	e.CircuitCooldown = time.Duration(cooldownMs) * time.Millisecond
	var err error
	if e.EventTypes, err = unmarshalStrings[wire.EventType](eventTypes); err != nil {
		return nil, fmt.Errorf("endpoint %s: event_types: %w", e.ID, err)
	}
	if e.StatusTriggers, err = unmarshalStrings[string](triggers); err != nil {
		return nil, fmt.Errorf("endpoint %s: status_triggers: %w", e.ID, err)
	}
	e.CreatedAt, e.UpdatedAt = fromMillis(createdAt), fromMillis(updatedAt)
	return &e, nil
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// listEndpointsSQL lists one customer's endpoints in creation order: the
// statement EndpointList of query/endpoint.sql, here for the statement
// cache.
const listEndpointsSQL = `SELECT ` + endpointColumns + ` FROM endpoints
	WHERE customer_id = ? ORDER BY created_at, rowid`

func listEndpoints(ctx context.Context, q querier, customerID string) ([]*herald.Endpoint, error) {
	rows, err := q.QueryContext(ctx, listEndpointsSQL, customerID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*herald.Endpoint{}
	for rows.Next() {
		e, err := scanEndpoint(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
