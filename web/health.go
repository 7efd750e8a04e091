package web

import (
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/heraldhq/herald"
)

// endpointRow is one endpoint of the Event Notifications page with its
// health.
type endpointRow struct {
	Endpoint *herald.Endpoint
	// Health is nil when the server has no HealthStore.
	Health *herald.EndpointHealth
	// Circuit is the breaker state on this node ("closed", "open",
	// "half_open"); empty when the server cannot tell.
	Circuit string
	// Spark is the success-rate sparkline of the last 24 hours; empty
	// without a HealthStore.
	Spark template.HTML
}

// Failing reports whether the endpoint is in a failing streak.
func (r endpointRow) Failing() bool { return r.Health != nil && !r.Health.FailingSince.IsZero() }

// endpointRows pairs each endpoint with its health over the configured
// window (one query for the whole customer) and its circuit state.
func (s *Server) endpointRows(r *http.Request, c *herald.Customer, eps []*herald.Endpoint) ([]endpointRow, error) {
	byID := map[string]*herald.EndpointHealth{}
	if s.cfg.Health != nil && len(eps) > 0 {
		hs, err := s.cfg.Health.EndpointHealthList(r.Context(), &herald.EndpointHealthParams{
			CustomerID: c.ID, Since: s.now().Add(-s.cfg.HealthWindow)})
		if err != nil {
			return nil, fmt.Errorf("endpoint health: %w", err)
		}
		for _, h := range hs {
			byID[h.EndpointID] = h
		}
	}
	// One query for every endpoint's sparkline: 24 hourly buckets
	// ending with the current hour.
	spark := map[string]template.HTML{}
	if s.cfg.Health != nil && len(eps) > 0 {
		until := s.now().Truncate(time.Hour).Add(time.Hour)
		ss, err := s.cfg.Health.AttemptStats(r.Context(), &herald.AttemptStatsParams{CustomerID: c.ID,
			Since: until.Add(-24 * time.Hour), Until: until, Bucket: time.Hour, PerEndpoint: true})
		if err != nil {
			return nil, fmt.Errorf("attempt stats: %w", err)
		}
		for _, sr := range ss {
			spark[sr.EndpointID] = sparkline(sr, time.Hour)
		}
	}
	rows := make([]endpointRow, 0, len(eps))
	for _, e := range eps {
		row := endpointRow{Endpoint: e, Health: byID[e.ID], Spark: spark[e.ID]}
		if s.cfg.Health != nil && row.Health == nil {
			// Created after the health query: no attempts yet.
			row.Health = &herald.EndpointHealth{EndpointID: e.ID, CustomerID: c.ID}
		}
		if s.cfg.CircuitStateFunc != nil {
			row.Circuit = s.cfg.CircuitStateFunc(e.ID)
		}
		rows = append(rows, row)
	}
	return rows, nil
}
