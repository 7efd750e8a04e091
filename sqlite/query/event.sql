-- Event reads (internal/sqlstore/event.go); publishing is event.go's.

-- name: EventGet
SELECT id, customer_id, type, new_status, body_gzip, link_header, created_at, trace_context
FROM events WHERE id = ?;
