package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// EventTypeDoc is one entry of EventTypeList: an event type as the
// catalogue describes it (herald.EventCatalog).
type EventTypeDoc struct {
	Type         wire.EventType  `json:"type"`
	Name         string          `json:"name"`
	Fires        string          `json:"fires"`
	SuccessReply string          `json:"successReply"`
	FollowedBy   string          `json:"followedBy"`
	Interactive  bool            `json:"interactive"`
	Schema       json.RawMessage `json:"schema"`
	// Example is an example body exactly as a partner receives it
	// (before gzip), built for the customer asked about (or "6269").
	Example json.RawMessage `json:"example"`
	// Headers are the example request's headers, without the endpoint's
	// authentication header.
	Headers map[string]string `json:"headers"`
	// Endpoints are the customer's endpoints that receive the type; only
	// with ?customerId=.
	Endpoints []EventTypeEndpoint `json:"endpoints,omitempty"`
}

// EventTypeEndpoint names an endpoint that receives an event type.
type EventTypeEndpoint struct {
	ID      string `json:"id"`
	URL     string `json:"url"`
	Enabled bool   `json:"enabled"`
	// StatusTriggers limit a WorkFlowStatusChangeEvent endpoint to these
	// new statuses.
	StatusTriggers []string `json:"statusTriggers,omitempty"`
}

// EventTypeList is the reply of GET /api/v1/event-types.
type EventTypeList struct {
	Data []EventTypeDoc `json:"data"`
}

// exampleCustomerID is the customer of the catalogue's examples when the
// caller names none: the spec's.
const exampleCustomerID = "6269"

// handleEventTypeList serves GET /api/v1/event-types?customerId=: the
// event catalogue, and with customerId which of its endpoints receive each
// type.
func (s *Server) handleEventTypeList(w http.ResponseWriter, r *http.Request) error {
	q, err := strictQuery(r.URL.RawQuery, "customerId")
	if err != nil {
		return err
	}
	cid := q.Get("customerId")
	var eps []*herald.Endpoint
	if cid != "" {
		if _, err := s.cfg.Store.CustomerGet(r.Context(), cid); err != nil {
			if herald.ErrorCode(err) == herald.ENOTFOUND {
				return herald.Errorf(herald.ENOTFOUND, "customer %q not found", cid)
			}
			return fmt.Errorf("get customer: %w", err)
		}
		if eps, err = s.cfg.Store.EndpointList(r.Context(), cid); err != nil {
			return fmt.Errorf("list endpoints: %w", err)
		}
	}
	example := cid
	if example == "" {
		example = exampleCustomerID
	}
	docs, err := herald.EventCatalog(s.cfg.PublicURL, example)
	if err != nil {
		return fmt.Errorf("event catalogue: %w", err)
	}
	out := EventTypeList{Data: make([]EventTypeDoc, 0, len(docs))}
	for _, d := range docs {
		j := EventTypeDoc{Type: d.Type, Name: d.Name, Fires: d.Fires, SuccessReply: d.SuccessReply, FollowedBy: d.FollowedBy,
			Interactive: d.Interactive, Schema: d.Schema, Example: d.Example, Headers: map[string]string{}}
		for _, h := range d.Headers {
			j.Headers[h[0]] = h[1]
		}
		if cid != "" {
			j.Endpoints = []EventTypeEndpoint{}
			for _, e := range eps {
				if slices.Contains(e.EventTypes, d.Type) {
					j.Endpoints = append(j.Endpoints, EventTypeEndpoint{ID: e.ID, URL: e.URL, Enabled: e.Enabled, StatusTriggers: e.StatusTriggers})
				}
			}
		}
		out.Data = append(out.Data, j)
	}
	return writeJSON(w, http.StatusOK, &out)
}
