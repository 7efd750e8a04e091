package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/secretbox"
	"github.com/heraldhq/herald/internal/storecodec"
	"github.com/heraldhq/herald/wire"
)

// marshalAuth and unmarshalAuth store an endpoint's auth as the document
// both stores share (internal/storecodec), in a TEXT column.
func marshalAuth(a *herald.Auth, keys *secretbox.Keyring) (string, error) {
	b, err := storecodec.MarshalAuth(a, keys)
	return string(b), err
}

func unmarshalAuth(s string, keys *secretbox.Keyring) (herald.Auth, error) {
	return storecodec.UnmarshalAuth([]byte(s), keys)
}

// marshalStrings stores a list as a JSON array; nil is stored as [].
func marshalStrings[T ~string](v []T) (string, error) {
	if v == nil {
		v = []T{}
	}
	b, err := json.Marshal(v)
	return string(b), err
}

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

// skipAuth, passed as scanEndpoint's keys, leaves the endpoint's Auth
// empty: publishing only asks which endpoints want an event, and its free
// functions (customerEndpoints) have no keyring to open secrets with.
var skipAuth = new(secretbox.Keyring)

func scanEndpoint(r rowScanner, keys *secretbox.Keyring) (*herald.Endpoint, error) {
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
	if keys != skipAuth {
		if e.Auth, err = unmarshalAuth(auth, keys); err != nil {
			return nil, fmt.Errorf("endpoint %s: auth: %w", e.ID, err)
		}
	}
	e.CreatedAt, e.UpdatedAt = fromMillis(createdAt), fromMillis(updatedAt)
	return &e, nil
}

// endpointValues are the JSON columns of e.
func endpointValues(e *herald.Endpoint, keys *secretbox.Keyring) (eventTypes, triggers, auth string, err error) {
	if eventTypes, err = marshalStrings(e.EventTypes); err != nil {
		return "", "", "", err
	}
	if triggers, err = marshalStrings(e.StatusTriggers); err != nil {
		return "", "", "", err
	}
	if auth, err = marshalAuth(&e.Auth, keys); err != nil {
		return "", "", "", err
	}
	return eventTypes, triggers, auth, nil
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
	eventTypes, triggers, auth, err := endpointValues(e, s.secrets)
	if err != nil {
		return fmt.Errorf("create endpoint: %w", err)
	}
	now := fromMillis(s.now().UnixMilli())
	id := e.ID
	if id == "" {
		id = herald.NewID(herald.IDPrefixEndpoint, now)
	}
	_, err = s.write.ExecContext(ctx, `INSERT INTO endpoints (`+endpointColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, e.CustomerID, e.URL, eventTypes, auth, boolInt(e.Gzip), boolInt(e.Enabled),
		disabledReason(e), triggers, e.MaxConcurrency, toMillis(now), toMillis(now),
		e.RateLimit, e.RateBurst, e.CircuitThreshold, e.CircuitCooldown.Milliseconds(), boolInt(e.Ordered), boolInt(e.TraceContext),
		disabledBy(e), disabledAtMillis(e, now))
	switch {
	case isForeignKeyViolation(err):
		return herald.NotFound("customer", e.CustomerID)
	case isUniqueViolation(err):
		return herald.Exists("endpoint", id)
	case err != nil:
		return fmt.Errorf("create endpoint: %w", err)
	}
	e.ID, e.CreatedAt, e.UpdatedAt = id, now, now
	e.DisabledReason, e.DisabledBy, e.DisabledAt = disabledReason(e), disabledBy(e), time.Time{}
	if !e.Enabled {
		e.DisabledAt = now
	}
	return nil
}

// disabledAtMillis is the disabled_at of an endpoint created at now: now
// when it is created off, 0 otherwise.
func disabledAtMillis(e *herald.Endpoint, now time.Time) int64 {
	if e.Enabled {
		return 0
	}
	return toMillis(now)
}

// EndpointGet implements herald.Store.
func (s *Store) EndpointGet(ctx context.Context, id string) (*herald.Endpoint, error) {
	e, err := scanEndpoint(s.read.QueryRowContext(ctx,
		`SELECT `+endpointColumns+` FROM endpoints WHERE id = ?`, id), s.secrets)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, herald.NotFound("endpoint", id)
	case err != nil:
		return nil, fmt.Errorf("get endpoint: %w", err)
	}
	return e, nil
}

// EndpointList implements herald.Store.
func (s *Store) EndpointList(ctx context.Context, customerID string) ([]*herald.Endpoint, error) {
	out, err := listEndpoints(ctx, s.read, customerID, s.secrets)
	if err != nil {
		return nil, fmt.Errorf("list endpoints: %w", err)
	}
	return out, nil
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// listEndpointsSQL lists one customer's endpoints in creation order.
// rowid breaks ties within a millisecond: it grows with each insert, so it
// is creation order, where the random part of the id is not.
const listEndpointsSQL = `SELECT ` + endpointColumns + ` FROM endpoints
	WHERE customer_id = ? ORDER BY created_at, rowid`

func listEndpoints(ctx context.Context, q querier, customerID string, keys *secretbox.Keyring) ([]*herald.Endpoint, error) {
	rows, err := q.QueryContext(ctx, listEndpointsSQL, customerID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*herald.Endpoint{}
	for rows.Next() {
		e, err := scanEndpoint(rows, keys)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// EndpointUpdate implements herald.Store.
func (s *Store) EndpointUpdate(ctx context.Context, e *herald.Endpoint) error {
	if err := e.Validate(); err != nil {
		return err
	}
	eventTypes, triggers, auth, err := endpointValues(e, s.secrets)
	if err != nil {
		return fmt.Errorf("update endpoint: %w", err)
	}
	now := fromMillis(s.now().UnixMilli())
	var createdAt, disabledAt int64
	// Who disabled it and when are set as it goes off and kept while it
	// stays off: in SET, enabled is the stored (old) value.
	err = s.write.QueryRowContext(ctx, `UPDATE endpoints SET
			url = ?, event_types = ?, auth = ?, gzip = ?, enabled = ?, disabled_reason = ?,
			status_triggers = ?, max_concurrency = ?, updated_at = ?,
			rate_limit = ?, rate_burst = ?, circuit_threshold = ?, circuit_cooldown = ?, ordered = ?,
			trace_context = ?,
			disabled_by = CASE WHEN ?5 THEN '' WHEN enabled THEN ? ELSE disabled_by END,
			disabled_at = CASE WHEN ?5 THEN 0 WHEN enabled THEN ?9 ELSE disabled_at END
		WHERE id = ? AND customer_id = ?
		RETURNING created_at, disabled_by, disabled_at`,
		e.URL, eventTypes, auth, boolInt(e.Gzip), boolInt(e.Enabled), disabledReason(e),
		triggers, e.MaxConcurrency, toMillis(now),
		e.RateLimit, e.RateBurst, e.CircuitThreshold, e.CircuitCooldown.Milliseconds(), boolInt(e.Ordered),
		boolInt(e.TraceContext), e.DisabledBy, e.ID, e.CustomerID).Scan(&createdAt, &e.DisabledBy, &disabledAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return herald.NotFound("endpoint", e.ID)
	case err != nil:
		return fmt.Errorf("update endpoint: %w", err)
	}
	e.CreatedAt, e.UpdatedAt = fromMillis(createdAt), now
	e.DisabledReason, e.DisabledAt = disabledReason(e), time.Time{}
	if disabledAt != 0 {
		e.DisabledAt = fromMillis(disabledAt)
	}
	return nil
}

// EndpointDisable implements herald.Store.
func (s *Store) EndpointDisable(ctx context.Context, id, reason string, now time.Time) error {
	res, err := s.write.ExecContext(ctx,
		`UPDATE endpoints SET enabled = 0, disabled_reason = ?, updated_at = ?2, disabled_by = ?, disabled_at = ?2 WHERE id = ?`,
		reason, toMillis(now), herald.DisabledByHealthMonitor, id)
	if err != nil {
		return fmt.Errorf("disable endpoint: %w", err)
	}
	return notFoundIfNone(res, "endpoint", id)
}

// EndpointDelete implements herald.Store.
func (s *Store) EndpointDelete(ctx context.Context, customerID, id string) error {
	res, err := s.write.ExecContext(ctx,
		`DELETE FROM endpoints WHERE id = ? AND customer_id = ?`, id, customerID)
	if err != nil {
		return fmt.Errorf("delete endpoint: %w", err)
	}
	return notFoundIfNone(res, "endpoint", id)
}

// notFoundIfNone returns herald.NotFound(kind, id) if res affected no row.
func notFoundIfNone(res sql.Result, kind, id string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return herald.NotFound(kind, id)
	}
	return nil
}
