package herald

import "time"

// IDPrefixOperatorEvent starts the id of an OperatorEvent.
const IDPrefixOperatorEvent = "opev_"

// OperatorEventType says what an operator event reports.
type OperatorEventType string

// Operator event types.
const (
	// OperatorEventEndpointDisabled: Herald disabled an endpoint, because
	// the partner answered 410 or because it failed for longer than the
	// monitor's window. Detail is the reason.
	OperatorEventEndpointDisabled OperatorEventType = "endpoint.disabled"
	// OperatorEventEndpointRecovered: an endpoint Herald had disabled was
	// enabled again, or a long failing streak ended with a healthy attempt.
	OperatorEventEndpointRecovered OperatorEventType = "endpoint.recovered"
	// OperatorEventDeliveryDead: a delivery spent its retry schedule.
	// Detail is its last error.
	OperatorEventDeliveryDead OperatorEventType = "delivery.dead"
)

// OperatorEventTypes lists every operator event type.
var OperatorEventTypes = []OperatorEventType{
	OperatorEventEndpointDisabled, OperatorEventEndpointRecovered, OperatorEventDeliveryDead,
}

// Valid reports whether t is a known operator event type.
func (t OperatorEventType) Valid() bool {
	for _, k := range OperatorEventTypes {
		if t == k {
			return true
		}
	}
	return false
}

// OperatorEvent is a change in Herald's own state that an operator should
// hear about: the lifecycle of endpoints and deliveries that gave up. They
// are listed by the API and sent to the operator webhook when one is set.
type OperatorEvent struct {
	ID         string
	Type       OperatorEventType
	CustomerID string
	EndpointID string
	DeliveryID string // delivery.dead only
	// At is when the change happened (the endpoint's update, the
	// delivery's last attempt).
	At     time.Time
	Detail string
	// CreatedAt is when Herald noticed and recorded it.
	CreatedAt time.Time

	// The operator webhook's side: SentAt is zero until it answered 2xx.
	SentAt        time.Time
	SendAttempts  int
	LastSendError string
	// SendAbandoned is true once the notifier gave up on sending it.
	SendAbandoned bool
}

// OperatorEventListParams filter HealthStore.OperatorEventList. Zero fields
// do not filter.
type OperatorEventListParams struct {
	CustomerID string
	Type       OperatorEventType
	Since      time.Time // created at or after
	// Cursor is the NextCursor of the previous page; empty for the first.
	Cursor string
	// Limit is the page size; 0 means 50, and it is capped at 500.
	Limit int
}

// Validate checks an operator event list's limit and type.
func (p *OperatorEventListParams) Validate() error {
	if _, err := PageLimit(p.Limit); err != nil {
		return err
	}
	if p.Type != "" && !p.Type.Valid() {
		return Errorf(EINVALID, "type: %q is not an operator event type", p.Type)
	}
	return nil
}

// OperatorEventListResult is one page of operator events, newest first.
type OperatorEventListResult struct {
	Events []*OperatorEvent
	// NextCursor fetches the next page; empty on the last one.
	NextCursor string
}

// OperatorEventSendRecord is the result of one attempt to send an operator
// event to the operator webhook.
type OperatorEventSendRecord struct {
	ID string
	At time.Time
	// Sent is true when the webhook answered 2xx.
	Sent bool
	// Error says why it was not sent.
	Error string
	// NextAttemptAt is when to try again, if not sent; zero gives up.
	NextAttemptAt time.Time
}
