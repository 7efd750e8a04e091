package sqlstore

import (
	"context"

	"github.com/heraldhq/herald"
)

var (
	qAttemptStatsEndpoints           = query("AttemptStatsEndpoints")
	qAttemptStatsEndpointsOfCustomer = query("AttemptStatsEndpointsOfCustomer")
	qAttemptStatsEndpoint            = query("AttemptStatsEndpoint")
	qAttemptStatsCounts              = query("AttemptStatsCounts")
)

// AttemptStats implements herald.HealthStore. One grouped query returns at
// most endpoints × buckets × latency classes rows; the percentiles are
// computed from the classes in Go (herald.AttemptBucket.Add).
//
// Each scope (every endpoint, a customer's, one endpoint) has its own
// statement for the endpoint ids in it, and the counts take those ids, so
// the latency classes are written once per store.
func (s *Store) AttemptStats(ctx context.Context, p *herald.AttemptStatsParams) ([]*herald.AttemptSeries, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	endpoints, scope := qAttemptStatsEndpoints, []any{}
	switch {
	case p.EndpointID != "": // Validate: with a customer
		endpoints, scope = qAttemptStatsEndpoint, []any{p.CustomerID, p.EndpointID}
	case p.CustomerID != "":
		endpoints, scope = qAttemptStatsEndpointsOfCustomer, []any{p.CustomerID}
	}
	series := []*herald.AttemptSeries{}
	err := s.readTx(ctx, "attempt stats", func(tx DB) error {
		// The endpoints in scope, oldest first: the series, or the one
		// endpoint that must exist.
		rows, err := tx.Query(ctx, s.sql(endpoints), scope...)
		ids, err := collect(rows, err, func(r Row) (id string, err error) { return id, r.Scan(&id) })
		if err != nil {
			return err
		}
		if p.EndpointID != "" && len(ids) == 0 {
			return herald.NotFound("endpoint", p.EndpointID)
		}
		index := map[string]*herald.AttemptSeries{}
		if p.PerEndpoint {
			for _, id := range ids {
				index[id] = herald.NewAttemptSeries(id, p)
				series = append(series, index[id])
			}
		} else {
			series = append(series, herald.NewAttemptSeries("", p))
		}

		rows, err = tx.Query(ctx, s.sql(qAttemptStatsCounts),
			s.d.Time(p.Since), s.d.Time(p.Until), p.Bucket.Milliseconds(), s.d.Strings(ids))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var endpointID string
			var b, class, n, ok, rejected int64
			if err := rows.Scan(&endpointID, &b, &class, &n, &ok, &rejected); err != nil {
				return err
			}
			sr := series[0]
			if p.PerEndpoint {
				if sr = index[endpointID]; sr == nil {
					continue
				}
			}
			if b >= 0 && b < int64(len(sr.Buckets)) {
				sr.Buckets[b].Add(int(class), int(n), int(ok), int(rejected))
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return series, nil
}
