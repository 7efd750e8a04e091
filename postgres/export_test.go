package postgres

import "context"

// Leases returns how many unexpired leases the endpoint has now, by the
// database's clock; for tests that watch the cap from outside.
func Leases(ctx context.Context, s *Store, endpointID string) (int32, error) {
	var n int32
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM deliveries
		WHERE endpoint_id = $1 AND state = 'pending' AND lease_token IS NOT NULL AND next_attempt_at > now()`,
		endpointID).Scan(&n)
	return n, err
}

// Analyze updates the planner's statistics of Herald's tables, as
// autovacuum does on a database that has been running for a while.
func Analyze(ctx context.Context, s *Store) error {
	_, err := s.pool.Exec(ctx, `ANALYZE customers, endpoints, events, deliveries, attempts`)
	return err
}

// Exec runs sql on the store's pool; for benchmarks that build a large
// queue faster than the API could.
func Exec(ctx context.Context, s *Store, sql string, args ...any) error {
	_, err := s.pool.Exec(ctx, sql, args...)
	return err
}

// RawEndpointAuth returns an endpoint's auth column as stored.
func RawEndpointAuth(ctx context.Context, s *Store, id string) (string, error) {
	var auth string
	err := s.pool.QueryRow(ctx, `SELECT auth::text FROM endpoints WHERE id = $1`, id).Scan(&auth)
	return auth, err
}

// Wakeups returns how many wake-up rows wait for the endpoint's fold.
func Wakeups(ctx context.Context, s *Store, endpointID string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM endpoint_queue_wakeups WHERE endpoint_id = $1`, endpointID).Scan(&n)
	return n, err
}
