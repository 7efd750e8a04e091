package api

import (
	"context"
	"fmt"
	"net/http"

	"github.com/heraldhq/herald"
)

// EndpointCheckReport is the body of POST
// /api/v1/customers/{customerId}/endpoints/{endpointId}/check: the
// conformance report of `herald check` (herald.CheckReport), whose JSON is
// the same from the CLI's --format json and from here.
type EndpointCheckReport = herald.CheckReport

// handleEndpointCheck serves POST
// /api/v1/customers/{customerId}/endpoints/{endpointId}/check: run the
// conformance battery against the endpoint, with its stored credentials,
// and return the report. Test events only: nothing is stored. The reply is
// 200 whether or not the endpoint passed; "passed" says which.
func (s *Server) handleEndpointCheck(w http.ResponseWriter, r *http.Request) error {
	e, err := s.endpoint(r)
	if err != nil {
		return err
	}
	if s.cfg.Checker == nil {
		return herald.Errorf(herald.EUNAVAILABLE, "endpoint checks are not available on this server")
	}
	rep, err := s.cfg.Checker.CheckEndpoint(r.Context(), e)
	if err != nil {
		return fmt.Errorf("check endpoint: %w", err)
	}
	return writeJSON(w, http.StatusOK, rep)
}

// EndpointCheck runs the conformance check against one of a customer's
// endpoints and returns the report. It takes as long as the partner does
// (the server bounds it to under 90 s): give ctx or the client room.
func (c *Client) EndpointCheck(ctx context.Context, customerID, endpointID string) (*EndpointCheckReport, error) {
	var out EndpointCheckReport
	if err := c.do(ctx, "check endpoint", http.MethodPost, endpointPathOf(customerID, endpointID)+"/check", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
