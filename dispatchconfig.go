package herald

import "context"

// MaxConfigReadIDs is the most ids one EndpointGetMany or
// RetryPolicyListMany takes; callers split longer lists.
const MaxConfigReadIDs = 1000

// DispatchConfigStore is what a store offers the dispatcher so that it can
// keep endpoints and customers' retry policies in memory for as long as
// they have not changed, and read those it lacks many at a time. Both
// stores implement it; a store that does not leaves the dispatcher to read
// them one at a time, again after each EndpointCacheTTL.
//
// Why: with thousands of customers each endpoint receives an event only
// every few seconds, so a cache that trusts what it read for a fixed time
// misses on almost every delivery and reads the store twice for each.
type DispatchConfigStore interface {
	// ConfigVersion returns a count that moves, in the transaction that
	// makes the change and on whichever node makes it, whenever a
	// customer, an endpoint or a retry policy is created, changed or
	// deleted. What was read after the count was read is current for as
	// long as the count has not moved.
	ConfigVersion(ctx context.Context) (int64, error)
	// EndpointGetMany returns the endpoints with these ids that exist, as
	// EndpointGet returns them (secrets opened), in no particular order.
	// Returns EINVALID if ids holds more than MaxConfigReadIDs.
	EndpointGetMany(ctx context.Context, ids []string) ([]*Endpoint, error)
	// RetryPolicyListMany returns every retry policy of these customers,
	// by customer and then as RetryPolicyList orders them. Returns
	// EINVALID if customerIDs holds more than MaxConfigReadIDs.
	RetryPolicyListMany(ctx context.Context, customerIDs []string) ([]*CustomerRetryPolicy, error)
}
