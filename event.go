package herald

import (
	"errors"
	"fmt"
	"time"

	"github.com/heraldhq/herald/wire"
)

// Event is one notification as partners see it. It is built once when it is
// published (body, gzip'd body, Link header) and never changes, so every
// delivery and every retry sends the same bytes, compressed once.
type Event struct {
	ID         string
	CustomerID string
	Type       wire.EventType
	// NewStatus is the body's newStatus (WorkFlowStatusChangeEvent only),
	// kept beside the body so endpoints' status triggers can match it.
	NewStatus string
	// Body is the compact JSON body. Stores do not keep it: they keep
	// BodyGzip and return Body empty; wire.Gunzip restores it.
	Body []byte
	// BodyGzip is Body gzip'd once at publish time: the bytes sent to every
	// endpoint with gzip on, and the form the event is stored in.
	BodyGzip   []byte
	LinkHeader string
	// TraceContext is the W3C trace context of the request that published
	// the event (the publish call or the platform action): its traceparent
	// header value, then a newline and its tracestate when it had one.
	// Empty when it was published untraced. The dispatcher starts every
	// attempt's span from it, so a trace shows the publish and every
	// attempt it caused. Set it with TraceContextFromContext; stores keep
	// it as is.
	TraceContext string
	CreatedAt    time.Time
	// OnlyEndpointID, when set, limits the event's deliveries to that
	// endpoint of the customer: a test event sent from one endpoint's
	// page. It is a publishing instruction, not stored with the event.
	OnlyEndpointID string
	// Interactive says a person waits for the event's deliveries: its
	// publisher attempts them itself (Deliverer.DeliverNow), so a publish
	// leaves them pending for it rather than handing them to the node's
	// background dispatcher (PublishLeaser). A publishing instruction, not
	// stored.
	Interactive bool
	// searchKeys, set by NewEvent, spare EventSearchKeys reading the body.
	searchKeys eventSearchKeys
}

// EventPublishResult is what publishing one event did: the event as stored
// and one pending delivery for each endpoint that wants it (none is fine:
// the event is kept for the record). Err is set instead when that one event
// was refused (ENOTFOUND: no such customer); the others in the batch stand.
type EventPublishResult struct {
	Event      *Event
	Deliveries []*Delivery
	Err        error
}

// Validate checks the fields a Store needs to keep an event: ID,
// CustomerID, Type, BodyGzip and CreatedAt. It returns EINVALID naming the
// first that is missing.
func (e *Event) Validate() error {
	switch {
	case e == nil:
		return Errorf(EINVALID, "event is required")
	case e.ID == "":
		return Errorf(EINVALID, "event id is required")
	case e.CustomerID == "":
		return Errorf(EINVALID, "event customerId is required")
	case e.Type == "":
		return Errorf(EINVALID, "event type is required")
	case len(e.BodyGzip) == 0:
		return Errorf(EINVALID, "event bodyGzip is required")
	case e.CreatedAt.IsZero():
		return Errorf(EINVALID, "event createdAt is required")
	}
	return nil
}

// NewEvent builds an event from its params, ready to publish: body
// (wire.BuildEvent), gzip'd body, Link header and a new id, created at now.
// It is the one constructor of events: the API's publish, the platform's
// actions (in their transaction) and the UI's test events all use it. A
// problem with the params is EINVALID naming the field; a bad publicURL is
// internal (it is the server's configuration, not the caller's input).
//
// gzip compresses the body, once for every delivery and retry; it must
// return a gzip stream of its input, as wire.Gzip (the standard library's)
// does. The publish paths pass internal/eventgzip's Compress, which takes
// under half the time, and which the domain, needing the standard library
// only, cannot import itself.
func NewEvent(publicURL, customerID string, p *wire.EventParams, now time.Time, gzip func([]byte) []byte) (*Event, error) {
	body, links, err := wire.BuildEvent(publicURL, customerID, p)
	if err != nil {
		var fe *wire.FieldError
		if errors.As(err, &fe) && fe.Field != "publicUrl" {
			return nil, Errorf(EINVALID, "%s %s", fe.Field, fe.Message)
		}
		return nil, fmt.Errorf("build event: %w", err)
	}
	now = now.UTC()
	systemID, personID, userID := wire.BodyIDs(p)
	return &Event{
		ID:         NewID(IDPrefixEvent, now),
		CustomerID: customerID,
		Type:       p.EventType.Canonical(),
		NewStatus:  p.NewStatus,
		Body:       body,
		BodyGzip:   gzip(body),
		LinkHeader: wire.FormatLinkHeader(links),
		CreatedAt:  now,
		searchKeys: searchKeysOf(p.EventType, systemID, personID, userID),
	}, nil
}
