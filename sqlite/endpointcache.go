package sqlite

import "context"

// endpointsVersionSQL reads the count of changes to customers, endpoints
// and retry policies (migrations 018 and 020), for the publish's endpoint cache
// (storerules.EndpointCache): plannedBatch reads it on the read pool when
// the cache has no version or its plan was stale, and plannedBatch.insert
// checks it on the writer.
//
// Why the check is on the writer: a read connection's first read after
// any commit starts from an empty page cache (SQLite drops it when the
// log has changed), so reading the version there before every batch cost
// about 0.1 ms a batch, 3.7 % of a node's CPU at full speed, where the
// writer's connection, whose cache stays warm, reads it in microseconds.
const endpointsVersionSQL = `SELECT version FROM endpoints_version`

// currentEndpointsVersion reads the version on the read pool, as the
// dispatcher does (ConfigVersion), and gives it to the cache
// (storerules.EndpointCache.Current).
func (s *Store) currentEndpointsVersion(ctx context.Context) (int64, error) {
	v, err := s.ConfigVersion(ctx)
	if err != nil {
		return 0, err
	}
	return s.endpoints.Current(v), nil
}
