package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/eventgzip"
	"github.com/heraldhq/herald/wire"
)

// maxEventBodyBytes bounds the decompressed body of a stored event that GET
// /api/v1/events/{id} will show. wire.BuildEvent's field limits keep real
// bodies to a few kilobytes; this only guards against a corrupt row.
const maxEventBodyBytes = 1 << 20

// eventPublishBody is what POST .../events decodes into: the request, plus
// keys refused with a message of their own rather than "unknown field".
type eventPublishBody struct {
	EventPublishRequest
	Links      json.RawMessage `json:"links"`
	CustomerID json.RawMessage `json:"customerId"`
}

// decodeEventPublish reads and checks the body of an event publish.
func (s *Server) decodeEventPublish(w http.ResponseWriter, r *http.Request) (*EventPublishRequest, error) {
	var req eventPublishBody
	if err := s.decodeJSON(w, r, &req); err != nil {
		return nil, err
	}
	switch {
	case req.Links != nil:
		return nil, herald.Errorf(herald.EINVALID, "links are built by Herald from the event's ids; leave them out")
	case req.CustomerID != nil:
		return nil, herald.Errorf(herald.EINVALID, "customerId is built by Herald from the URL path; leave it out of the body")
	case req.Interactive != nil && *req.Interactive && s.cfg.Deliverer == nil:
		return nil, herald.Errorf(herald.EINVALID, "interactive delivery is not available on this server; leave interactive out")
	}
	return &req.EventPublishRequest, nil
}

// handleEventPublish serves POST /api/v1/customers/{customerId}/events. It
// replies 202 only after the Publisher has committed the event and its
// deliveries.
func (s *Server) handleEventPublish(w http.ResponseWriter, r *http.Request) error {
	req, err := s.decodeEventPublish(w, r)
	if err != nil {
		return err
	}
	params := &req.EventParams
	customerID := r.PathValue("customerId")
	ev, err := herald.NewEvent(s.cfg.PublicURL, customerID, params, s.now(), eventgzip.Compress)
	if err != nil {
		return err
	}
	// The publish request's trace: every attempt's span joins it.
	ev.TraceContext = herald.TraceContextFromContext(r.Context())
	interactive := ev.Type.Interactive()
	if req.Interactive != nil {
		interactive = *req.Interactive
	}
	// DeliverNow attempts an interactive event's deliveries below, so the
	// publish must leave them to it.
	ev.Interactive = interactive && s.cfg.Deliverer != nil
	res, err := s.cfg.Publisher.Publish(r.Context(), ev)
	if err != nil {
		return fmt.Errorf("publish event: %w", err)
	}
	if res.Err != nil {
		return fmt.Errorf("publish event: %w", res.Err)
	}
	out := EventPublishResponse{ID: ev.ID, Deliveries: make([]DeliverySummary, 0, len(res.Deliveries))}
	for _, d := range res.Deliveries {
		out.Deliveries = append(out.Deliveries, DeliverySummary{ID: d.ID, EndpointID: d.EndpointID, State: d.State})
	}
	w.Header().Set("Location", "/api/v1/events/"+url.PathEscape(ev.ID))
	if !ev.Interactive || len(res.Deliveries) == 0 {
		return writeJSON(w, http.StatusAccepted, &out)
	}
	// The event is committed: whatever happens now, it is delivered.
	ids := make([]string, len(res.Deliveries))
	for i, d := range res.Deliveries {
		ids[i] = d.ID
	}
	outcomes, err := s.cfg.Deliverer.DeliverNow(r.Context(), ids, s.cfg.InteractiveDeadline)
	if err != nil {
		return fmt.Errorf("deliver interactive event: %w", err)
	}
	out.Interactive = true
	for i, o := range outcomes {
		ds := &out.Deliveries[i]
		ds.State, ds.StatusCode, ds.Location, ds.TimedOut = o.State, o.StatusCode, o.Location, o.TimedOut
		ds.UserMessage = herald.ReplaceFieldPlaceholders(o.UserMessage)
	}
	return writeJSON(w, http.StatusOK, &out)
}

// handleEventGet serves GET /api/v1/events/{eventId}.
func (s *Server) handleEventGet(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("eventId")
	ev, err := s.cfg.Store.EventGet(r.Context(), id)
	if err != nil {
		if herald.ErrorCode(err) == herald.ENOTFOUND {
			return herald.Errorf(herald.ENOTFOUND, "event %q not found", id)
		}
		return fmt.Errorf("get event: %w", err)
	}
	ds, err := s.cfg.Store.DeliveryListForEvent(r.Context(), id)
	if err != nil {
		return fmt.Errorf("list deliveries of event: %w", err)
	}
	body, err := wire.Gunzip(ev.BodyGzip, maxEventBodyBytes)
	if err != nil {
		return fmt.Errorf("decompress event body: %w", err)
	}
	if !json.Valid(body) {
		return fmt.Errorf("event %s: stored body is not JSON", ev.ID)
	}
	out := Event{
		ID:         ev.ID,
		CustomerID: ev.CustomerID,
		EventType:  ev.Type,
		Body:       body,
		LinkHeader: ev.LinkHeader,
		CreatedAt:  ev.CreatedAt.UTC(),
		Deliveries: make([]DeliveryDetail, 0, len(ds)),
	}
	for _, d := range ds {
		out.Deliveries = append(out.Deliveries, deliveryDetailJSON(d))
	}
	return writeJSON(w, http.StatusOK, &out)
}
