package sqlstore

import (
	"context"
	"fmt"

	"github.com/heraldhq/herald"
)

var _ herald.DispatchConfigStore = (*Store)(nil)

var (
	qConfigVersion       = query("ConfigVersion")
	qEndpointGetMany     = query("EndpointGetMany")
	qRetryPolicyListMany = query("RetryPolicyListMany")
)

// ConfigVersion implements herald.DispatchConfigStore: endpoints_version,
// which triggers on customers, endpoints and retry_policies move.
func (s *Store) ConfigVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := s.read.QueryRow(ctx, s.sql(qConfigVersion)).Scan(&v); err != nil {
		return 0, fmt.Errorf("read config version: %w", err)
	}
	return v, nil
}

// EndpointGetMany implements herald.DispatchConfigStore.
func (s *Store) EndpointGetMany(ctx context.Context, ids []string) ([]*herald.Endpoint, error) {
	if err := checkConfigIDs(len(ids)); err != nil {
		return nil, err
	}
	rows, err := s.read.Query(ctx, s.sql(qEndpointGetMany), s.d.Strings(ids))
	out, err := collect(rows, err, s.scanEndpoint)
	return out, wrapOp("get endpoints", err)
}

// RetryPolicyListMany implements herald.DispatchConfigStore.
func (s *Store) RetryPolicyListMany(ctx context.Context, customerIDs []string) ([]*herald.CustomerRetryPolicy, error) {
	if err := checkConfigIDs(len(customerIDs)); err != nil {
		return nil, err
	}
	rows, err := s.read.Query(ctx, s.sql(qRetryPolicyListMany), s.d.Strings(customerIDs))
	out, err := collect(rows, err, s.scanRetryPolicy)
	if err != nil {
		return nil, fmt.Errorf("list retry policies: %w", err)
	}
	return out, nil
}

func checkConfigIDs(n int) error {
	if n > herald.MaxConfigReadIDs {
		return herald.Errorf(herald.EINVALID, "%d ids in one read; at most %d", n, herald.MaxConfigReadIDs)
	}
	return nil
}
