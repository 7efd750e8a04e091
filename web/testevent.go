package web

import (
	"fmt"
	"net/http"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/eventgzip"
	"github.com/heraldhq/herald/wire"
)

// testResult is what a test event did: the event, and each partner's reply.
type testResult struct {
	EventID   string
	EventType wire.EventType
	// Queued is set when the event was only queued (no deliverer, or a
	// type nobody waits on): the explorer shows what happens next.
	Queued   bool
	Outcomes []*herald.DeliveryOutcome
	// None is set when no endpoint of the customer receives the type.
	None bool
	// EndpointURL names each outcome's endpoint.
	EndpointURL map[string]string
}

// sampleParams returns a realistic event of type t, with the ids of the
// spec's examples. Its return URLs point back to the customer's page, so a
// partner that sends the tester back lands somewhere useful.
func (s *Server) sampleParams(t wire.EventType, customerID string) *wire.EventParams {
	back := s.cfg.PublicURL + customerPath(customerID)
	p := &wire.EventParams{EventType: t, SystemID: "12391385", UserID: "1239"}
	switch t {
	case wire.EventTypeAssessment:
		p.JobID, p.ReturnURL = "1385", back
	case wire.EventTypeWorkFlowStatusChange:
		p.SystemID, p.UserID, p.PersonID, p.JobID, p.OldStatus, p.NewStatus = "13437", "9059", "9166", "4442", "D10103", "D10104"
	case wire.EventTypeOnboardPortalTask:
		p.SystemID, p.ReturnURL, p.IncompleteURL = "1239", back+"?task=complete", back+"?task=incomplete"
	case wire.EventTypeJobPostToWeb:
		p.SystemID, p.UserID, p.PortalURL = "1385", "244", s.cfg.PublicURL+"/portal/"+customerID+"/jobs/1385/sample-job"
	case wire.EventTypeViewJobWebPost, wire.EventTypeJobUnpostToWeb:
		p.SystemID, p.UserID = "1385", "244"
	case wire.EventTypeRemoteLogin:
		p.SystemID, p.UserID, p.ReturnURL = "244", "244", back
	}
	return p
}

// handleTestEvent serves POST /ui/customers/{customerId}/test-events: send
// a sample event of the chosen type to every endpoint of the customer that
// receives it, delivered at once, and show each partner's reply.
func (s *Server) handleTestEvent(w http.ResponseWriter, r *http.Request) error {
	c, err := s.customerFor(r)
	if err != nil {
		return err
	}
	t := wire.EventType(r.PostFormValue("eventType"))
	if !t.Valid() {
		return herald.Errorf(herald.EINVALID, "Choose an event type.")
	}
	params := s.sampleParams(t, c.ID)
	if nt := r.PostFormValue("newStatus"); nt != "" && t == wire.EventTypeWorkFlowStatusChange {
		params.NewStatus = nt
	}
	out, err := s.sendTestEvent(r, c, params, "")
	if err != nil {
		return err
	}
	return s.renderNotifications(w, r, http.StatusOK, out)
}

// sendTestEvent publishes a sample event (to onlyEndpointID alone, if
// set) and delivers it while the person waits.
func (s *Server) sendTestEvent(r *http.Request, c *herald.Customer, params *wire.EventParams, onlyEndpointID string) (*testResult, error) {
	ev, err := herald.NewEvent(s.cfg.PublicURL, c.ID, params, s.now(), eventgzip.Compress)
	if err != nil {
		return nil, err
	}
	ev.OnlyEndpointID = onlyEndpointID
	ev.Interactive = true // deliverNow attempts it while the person waits
	ev.TraceContext = herald.TraceContextFromContext(r.Context())
	res, err := s.cfg.Publisher.Publish(r.Context(), ev)
	if err != nil {
		return nil, fmt.Errorf("publish test event: %w", err)
	}
	if res.Err != nil {
		return nil, fmt.Errorf("publish test event: %w", res.Err)
	}
	out := &testResult{EventID: ev.ID, EventType: params.EventType, None: len(res.Deliveries) == 0,
		EndpointURL: map[string]string{}}
	if len(res.Deliveries) > 0 {
		out.Outcomes, out.Queued = s.deliverNow(r, res.Deliveries)
	}
	eps, err := s.cfg.Store.EndpointList(r.Context(), c.ID)
	if err != nil {
		return nil, fmt.Errorf("list endpoints: %w", err)
	}
	for _, e := range eps {
		out.EndpointURL[e.ID] = e.URL
	}
	return out, nil
}

// deliverNow attempts committed deliveries while the person waits and
// returns the outcomes, or queued=true when they could only be queued. The
// deliveries are durable before this runs, so a failure here loses nothing.
func (s *Server) deliverNow(r *http.Request, ds []*herald.Delivery) (outcomes []*herald.DeliveryOutcome, queued bool) {
	defer s.cfg.WakeFunc()
	if s.cfg.Deliverer == nil || len(ds) == 0 {
		return nil, true
	}
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	out, err := s.cfg.Deliverer.DeliverNow(r.Context(), ids, s.cfg.InteractiveDeadline)
	if err != nil {
		return nil, true
	}
	for _, o := range out {
		o.UserMessage = herald.ReplaceFieldPlaceholders(o.UserMessage)
	}
	return out, false
}
