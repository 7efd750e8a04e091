package receiver

import (
	"context"
	"sync"

	"github.com/heraldhq/herald/wire"
)

// Mux routes events to handlers by customer and event type. The most
// specific route wins: (customer, type), then (customer, any type), then
// (any customer, type), then NotFound. Routes match canonical types, so a
// handler for wire.EventTypeAssessment also gets ApplicationCompletedEvent.
// It is safe for concurrent use.
type Mux struct {
	mu     sync.RWMutex
	routes map[muxKey]EventHandler
	// NotFound handles events no route matches. Default: a 400 saying the
	// endpoint does not handle the event, which the platform shows and
	// does not retry.
	NotFound EventHandler
}

type muxKey struct {
	customerID string
	typ        wire.EventType
}

var _ EventHandler = (*Mux)(nil)

// NewMux returns an empty Mux.
func NewMux() *Mux { return &Mux{routes: make(map[muxKey]EventHandler)} }

// Handle routes events of type t, from any customer, to h.
func (m *Mux) Handle(t wire.EventType, h EventHandler) { m.HandleCustomer("", t, h) }

// HandleFunc routes events of type t, from any customer, to f.
func (m *Mux) HandleFunc(t wire.EventType, f func(ctx context.Context, e *Event) Reply) {
	m.HandleCustomer("", t, HandlerFunc(f))
}

// HandleCustomerFunc routes events of customerID and type t to f; see
// HandleCustomer.
func (m *Mux) HandleCustomerFunc(customerID string, t wire.EventType, f func(ctx context.Context, e *Event) Reply) {
	m.HandleCustomer(customerID, t, HandlerFunc(f))
}

// HandleCustomer routes events of customerID and type t to h. An empty
// customerID matches every customer; an empty t matches every type. It
// panics if h is nil or the route is already taken (programming errors).
func (m *Mux) HandleCustomer(customerID string, t wire.EventType, h EventHandler) {
	if h == nil {
		panic("receiver: nil handler")
	}
	if hf, ok := h.(HandlerFunc); ok && hf == nil {
		panic("receiver: nil handler")
	}
	k := muxKey{customerID, t.Canonical()}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.routes == nil {
		m.routes = make(map[muxKey]EventHandler)
	}
	if _, dup := m.routes[k]; dup {
		panic("receiver: route for customer " + customerID + " and type " + string(t) + " registered twice")
	}
	m.routes[k] = h
}

// ServeEvent implements EventHandler.
func (m *Mux) ServeEvent(ctx context.Context, e *Event) Reply {
	m.mu.RLock()
	var h EventHandler
	for _, k := range []muxKey{{e.CustomerID, e.Type}, {e.CustomerID, ""}, {"", e.Type}, {"", ""}} {
		if h = m.routes[k]; h != nil {
			break
		}
	}
	m.mu.RUnlock()
	if h != nil {
		return h.ServeEvent(ctx, e)
	}
	if m.NotFound != nil {
		return m.NotFound.ServeEvent(ctx, e)
	}
	return BadRequest("This integration does not handle "+e.Type.PageName()+" events.",
		"no route for customer "+e.CustomerID+" and event type "+string(e.Type))
}
