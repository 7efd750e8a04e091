package web

import (
	"fmt"
	"net/http"

	"github.com/heraldhq/herald"
)

// endpointCheckData is the endpoint check page: the endpoint, and the
// report of the check just run (nil before one runs).
type endpointCheckData struct {
	Cust     *herald.Customer
	Endpoint *herald.Endpoint
	// Available: the server can run checks (Config.Checker is set).
	Available bool
	Report    *herald.CheckReport
	Rows      []checkRow
}

func (d *endpointCheckData) customer() *herald.Customer { return d.Cust }

// checkRow is one result with its badge class.
type checkRow struct {
	herald.CheckResult
	Class string
}

// checkClass picks the badge colour of a check status.
func checkClass(s herald.CheckStatus) string {
	switch s {
	case herald.CheckStatusPass:
		return "state-delivered"
	case herald.CheckStatusWarn:
		return "state-pending"
	case herald.CheckStatusFail:
		return "state-failed"
	}
	return "muted"
}

// handleEndpointCheck serves GET and POST
// /ui/customers/{customerId}/endpoints/{endpointId}/check: the page that
// runs `herald check`'s battery against the endpoint, with its stored
// credentials, and shows the report. GET shows the page; POST (the form,
// CSRF-checked by requireSession) runs the check.
func (s *Server) handleEndpointCheck(w http.ResponseWriter, r *http.Request) error {
	c, err := s.customerFor(r)
	if err != nil {
		return err
	}
	e, err := s.endpointFor(r, c)
	if err != nil {
		return err
	}
	d := &endpointCheckData{Cust: c, Endpoint: e, Available: s.cfg.Checker != nil}
	if r.Method == http.MethodPost {
		if !d.Available {
			return herald.Errorf(herald.EUNAVAILABLE, "Endpoint checks are not available on this server.")
		}
		if d.Report, err = s.cfg.Checker.CheckEndpoint(r.Context(), e); err != nil {
			return fmt.Errorf("check endpoint: %w", err)
		}
		for _, res := range d.Report.Results {
			d.Rows = append(d.Rows, checkRow{CheckResult: res, Class: checkClass(res.Status)})
		}
	}
	s.render(w, r, http.StatusOK, "endpoint_check", "Check endpoint · "+c.Name, d)
	return nil
}
