package herald

import (
	"context"
	"time"
)

// DefaultInteractiveDeadline is how long a person waits for the partners'
// replies to an interactive event before seeing a plain message. Partners
// get up to 30 s per the contract, so the deadline matches it.
const DefaultInteractiveDeadline = 30 * time.Second

// Deliverer attempts deliveries at once, while a person waits for the
// partners' replies: a candidate who finished an application waits for the
// assessment vendor's 303, a recruiter for a background-check vendor's
// userMessage. The deliveries must be committed (pending) before the call,
// so a crash during it loses nothing: what was not attempted, or failed in
// a way worth retrying, stays queued and is retried like any other.
type Deliverer interface {
	// DeliverNow attempts each delivery once, concurrently, and returns one
	// outcome per id, in order, when all have answered or the deadline
	// (DefaultInteractiveDeadline if zero) has passed.
	DeliverNow(ctx context.Context, deliveryIDs []string, deadline time.Duration) ([]*DeliveryOutcome, error)
}

// DeliveryOutcome is what the person waiting on an interactive delivery is
// shown: where to go (Location of a 303), or what went wrong (the partner's
// userMessage, or a plain message).
type DeliveryOutcome struct {
	DeliveryID string
	EndpointID string
	// State is the delivery's state after the attempt: delivered, rejected,
	// failed, dead, or pending (will be retried, or not attempted in time).
	State      DeliveryState
	StatusCode int // 0 when no reply came
	Location   string
	// UserMessage is the partner's message for the person, or a plain one
	// when the partner gave none (a timeout, an error without a body).
	UserMessage string
	// TimedOut is set when no reply came before the deadline.
	TimedOut bool
}
