package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/secretbox"
	"github.com/heraldhq/herald/internal/storecodec"
	"github.com/heraldhq/herald/wire"
)

// marshalAuth and unmarshalAuth store an endpoint's auth as the document
// both stores share (internal/storecodec), in a JSONB column.
func marshalAuth(a *herald.Auth, keys *secretbox.Keyring) ([]byte, error) {
	return storecodec.MarshalAuth(a, keys)
}

func unmarshalAuth(b []byte, keys *secretbox.Keyring) (herald.Auth, error) {
	return storecodec.UnmarshalAuth(b, keys)
}

// skipAuth, passed as scanEndpoint's keys, leaves the endpoint's Auth
// empty: publishing only asks which endpoints want an event.
var skipAuth = new(secretbox.Keyring)

// toStrings converts a slice of a string type for a text[] parameter; nil
// becomes an empty array, since the columns are NOT NULL.
func toStrings[T ~string](v []T) []string {
	out := make([]string, len(v))
	for i, s := range v {
		out[i] = string(s)
	}
	return out
}

// fromStrings is the inverse of toStrings; an empty array reads as nil.
func fromStrings[T ~string](v []string) []T {
	if len(v) == 0 {
		return nil
	}
	out := make([]T, len(v))
	for i, s := range v {
		out[i] = T(s)
	}
	return out
}

// endpointColumns are the columns scanEndpoint reads, in order.
const endpointColumns = `id, customer_id, url, event_types, auth, gzip, enabled,
	disabled_reason, status_triggers, max_concurrency, created_at, updated_at,
	rate_limit, rate_burst, circuit_threshold, circuit_cooldown_ms, ordered, trace_context,
	disabled_by, disabled_at`

func scanEndpoint(r pgx.Row, keys *secretbox.Keyring) (*herald.Endpoint, error) {
	var e herald.Endpoint
	var eventTypes, triggers []string
	var auth []byte
	var cooldownMs int64
	var disabledAt *time.Time
	if err := r.Scan(&e.ID, &e.CustomerID, &e.URL, &eventTypes, &auth, &e.Gzip, &e.Enabled,
		&e.DisabledReason, &triggers, &e.MaxConcurrency, &e.CreatedAt, &e.UpdatedAt,
		&e.RateLimit, &e.RateBurst, &e.CircuitThreshold, &cooldownMs, &e.Ordered, &e.TraceContext,
		&e.DisabledBy, &disabledAt); err != nil {
		return nil, err
	}
	if disabledAt != nil {
		e.DisabledAt = disabledAt.UTC()
	}
	e.CircuitCooldown = time.Duration(cooldownMs) * time.Millisecond
	var err error
	if keys != skipAuth {
		if e.Auth, err = unmarshalAuth(auth, keys); err != nil {
			return nil, fmt.Errorf("endpoint %s: auth: %w", e.ID, err)
		}
	}
	e.EventTypes = fromStrings[wire.EventType](eventTypes)
	e.StatusTriggers = fromStrings[string](triggers)
	e.CreatedAt, e.UpdatedAt = e.CreatedAt.UTC(), e.UpdatedAt.UTC()
	return &e, nil
}

func collectEndpoints(rows pgx.Rows, keys *secretbox.Keyring) ([]*herald.Endpoint, error) {
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*herald.Endpoint, error) {
		return scanEndpoint(r, keys)
	})
	if out == nil {
		out = []*herald.Endpoint{}
	}
	return out, err
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

// disabledAt is the disabled_at of an endpoint created at now: now when
// it is created off, NULL otherwise.
func disabledAt(e *herald.Endpoint, now time.Time) *time.Time {
	if e.Enabled {
		return nil
	}
	return &now
}

// EndpointCreate implements herald.Store.
func (s *Store) EndpointCreate(ctx context.Context, e *herald.Endpoint) error {
	if err := e.Validate(); err != nil {
		return err
	}
	auth, err := marshalAuth(&e.Auth, s.secrets)
	if err != nil {
		return fmt.Errorf("create endpoint: %w", err)
	}
	now := s.nowUTC()
	id := e.ID
	if id == "" {
		id = herald.NewID(herald.IDPrefixEndpoint, now)
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO endpoints (`+endpointColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
		id, e.CustomerID, e.URL, toStrings(e.EventTypes), auth, e.Gzip, e.Enabled,
		disabledReason(e), toStrings(e.StatusTriggers), e.MaxConcurrency, now,
		e.RateLimit, e.RateBurst, e.CircuitThreshold, e.CircuitCooldown.Milliseconds(), e.Ordered, e.TraceContext,
		disabledBy(e), disabledAt(e, now))
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

// EndpointGet implements herald.Store.
func (s *Store) EndpointGet(ctx context.Context, id string) (*herald.Endpoint, error) {
	e, err := scanEndpoint(s.pool.QueryRow(ctx, `SELECT `+endpointColumns+` FROM endpoints WHERE id = $1`, id), s.secrets)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, herald.NotFound("endpoint", id)
	case err != nil:
		return nil, fmt.Errorf("get endpoint: %w", err)
	}
	return e, nil
}

// EndpointList implements herald.Store.
func (s *Store) EndpointList(ctx context.Context, customerID string) ([]*herald.Endpoint, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+endpointColumns+` FROM endpoints
		WHERE customer_id = $1 ORDER BY created_at, id`, customerID)
	if err != nil {
		return nil, fmt.Errorf("list endpoints: %w", err)
	}
	out, err := collectEndpoints(rows, s.secrets)
	if err != nil {
		return nil, fmt.Errorf("list endpoints: %w", err)
	}
	return out, nil
}

// EndpointUpdate implements herald.Store.
func (s *Store) EndpointUpdate(ctx context.Context, e *herald.Endpoint) error {
	if err := e.Validate(); err != nil {
		return err
	}
	auth, err := marshalAuth(&e.Auth, s.secrets)
	if err != nil {
		return fmt.Errorf("update endpoint: %w", err)
	}
	now := s.nowUTC()
	var createdAt time.Time
	var offAt *time.Time
	// Who disabled it and when are set as it goes off and kept while it
	// stays off: in SET, enabled is the stored (old) value.
	err = s.pool.QueryRow(ctx, `UPDATE endpoints SET
			url = $1, event_types = $2, auth = $3, gzip = $4, enabled = $5, disabled_reason = $6,
			status_triggers = $7, max_concurrency = $8, updated_at = $9,
			rate_limit = $12, rate_burst = $13, circuit_threshold = $14, circuit_cooldown_ms = $15,
			ordered = $16, trace_context = $17,
			disabled_by = CASE WHEN $5 THEN '' WHEN enabled THEN $18 ELSE disabled_by END,
			disabled_at = CASE WHEN $5 THEN NULL WHEN enabled THEN $9 ELSE disabled_at END
		WHERE id = $10 AND customer_id = $11
		RETURNING created_at, disabled_by, disabled_at`,
		e.URL, toStrings(e.EventTypes), auth, e.Gzip, e.Enabled, disabledReason(e),
		toStrings(e.StatusTriggers), e.MaxConcurrency, now, e.ID, e.CustomerID,
		e.RateLimit, e.RateBurst, e.CircuitThreshold, e.CircuitCooldown.Milliseconds(), e.Ordered, e.TraceContext,
		e.DisabledBy).Scan(&createdAt, &e.DisabledBy, &offAt)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return herald.NotFound("endpoint", e.ID)
	case err != nil:
		return fmt.Errorf("update endpoint: %w", err)
	}
	e.CreatedAt, e.UpdatedAt = createdAt.UTC(), now
	e.DisabledReason, e.DisabledAt = disabledReason(e), time.Time{}
	if offAt != nil {
		e.DisabledAt = offAt.UTC()
	}
	return nil
}

// EndpointDisable implements herald.Store.
func (s *Store) EndpointDisable(ctx context.Context, id, reason string, now time.Time) error {
	tag, err := s.pool.Exec(ctx,
		`UPDATE endpoints SET enabled = false, disabled_reason = $1, updated_at = $2, disabled_by = $4, disabled_at = $2 WHERE id = $3`,
		reason, dbTime(now), id, herald.DisabledByHealthMonitor)
	if err != nil {
		return fmt.Errorf("disable endpoint: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return herald.NotFound("endpoint", id)
	}
	return nil
}

// EndpointDelete implements herald.Store. The row goes; its deliveries stay
// (they have no foreign key to it) and fail when next claimed, since the
// dispatcher finds no endpoint to send them to.
func (s *Store) EndpointDelete(ctx context.Context, customerID, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM endpoints WHERE id = $1 AND customer_id = $2`, id, customerID)
	if err != nil {
		return fmt.Errorf("delete endpoint: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return herald.NotFound("endpoint", id)
	}
	return nil
}
