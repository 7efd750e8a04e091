package postgres

import (
	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/sqlstore"
)

// The endpoint methods are internal/sqlstore's (query/endpoint.sql);
// publishing and the platform actions read endpoints here, in their own
// statements (endpointColumns), scanned as sqlstore scans them.

// endpointColumns are the columns sqlstore.ScanEndpointNoAuth reads, in
// order.
const endpointColumns = `id, customer_id, url, event_types, auth, gzip, enabled,
	disabled_reason, status_triggers, max_concurrency, created_at, updated_at,
	rate_limit, rate_burst, circuit_threshold, circuit_cooldown_ms, ordered, trace_context,
	disabled_by, disabled_at`

// collectEndpoints reads rows of endpointColumns, leaving each endpoint's
// Auth empty: publishing asks only which endpoints want an event.
func collectEndpoints(rows pgx.Rows) ([]*herald.Endpoint, error) {
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*herald.Endpoint, error) {
		return sqlstore.ScanEndpointNoAuth(dialect{}, r)
	})
	if out == nil {
		out = []*herald.Endpoint{}
	}
	return out, err
}
