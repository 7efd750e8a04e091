package herald

import "context"

// Publisher commits one event with its deliveries and returns once they are
// durable. Implementations batch concurrent calls into one transaction and
// tell the dispatcher that work is due. A refused event (unknown customer)
// comes back as the result's Err, not as the error, which is for failures
// of the publisher itself.
type Publisher interface {
	Publish(ctx context.Context, e *Event) (*EventPublishResult, error)
}
