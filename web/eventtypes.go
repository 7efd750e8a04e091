package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"github.com/heraldhq/herald"
)

// catalogEntry is one event type of the catalogue page, with its example
// and schema indented for reading, and who receives it.
type catalogEntry struct {
	*herald.EventTypeDoc
	Example, Schema string
	Receivers       []catalogReceiver
}

// catalogReceiver is an endpoint that receives the type.
type catalogReceiver struct {
	Customer *herald.Customer
	Endpoint *herald.Endpoint
}

type catalogData struct {
	Cust    *herald.Customer // the administrator's customer; nil for an operator
	Entries []catalogEntry
	More    bool // customers past maxOverviewCustomers are not listed
}

func (d *catalogData) customer() *herald.Customer { return d.Cust }

func indentJSON(b []byte) string {
	var out bytes.Buffer
	if json.Indent(&out, b, "", "  ") != nil {
		return string(b)
	}
	return out.String()
}

// handleEventTypes serves GET /ui/event-types: the event catalogue, and
// which endpoints receive each type (the administrator's customer's, or
// every customer's for an operator).
func (s *Server) handleEventTypes(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFromContext(r.Context())
	d := &catalogData{}
	var customers []*herald.Customer
	if sess.Operator() {
		cs, err := s.cfg.Store.CustomerList(r.Context())
		if err != nil {
			return fmt.Errorf("list customers: %w", err)
		}
		if len(cs) > maxOverviewCustomers {
			cs, d.More = cs[:maxOverviewCustomers], true
		}
		customers = cs
	} else {
		c, err := s.cfg.Store.CustomerGet(r.Context(), sess.CustomerID())
		if err != nil {
			return fmt.Errorf("get customer: %w", err)
		}
		d.Cust, customers = c, []*herald.Customer{c}
	}
	example := exampleCustomer
	if d.Cust != nil {
		example = d.Cust.ID
	}
	docs, err := herald.EventCatalog(s.cfg.PublicURL, example)
	if err != nil {
		return fmt.Errorf("event catalogue: %w", err)
	}
	for _, doc := range docs {
		d.Entries = append(d.Entries, catalogEntry{EventTypeDoc: doc, Example: indentJSON(doc.Example), Schema: string(doc.Schema)})
	}
	for _, c := range customers {
		eps, err := s.cfg.Store.EndpointList(r.Context(), c.ID)
		if err != nil {
			return fmt.Errorf("list endpoints: %w", err)
		}
		for i := range d.Entries {
			for _, e := range eps {
				if slices.Contains(e.EventTypes, d.Entries[i].Type) {
					d.Entries[i].Receivers = append(d.Entries[i].Receivers, catalogReceiver{Customer: c, Endpoint: e})
				}
			}
		}
	}
	s.render(w, r, http.StatusOK, "event_types", "Event types", d)
	return nil
}

// exampleCustomer is the customer id of an operator's catalogue examples:
// the spec's.
const exampleCustomer = "6269"
