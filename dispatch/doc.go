// Package dispatch is Herald's delivery engine. It claims due deliveries from
// the Store in batches, sends each through one shared HTTP client that cannot
// reach internal addresses unless an operator allows them, classifies the
// reply into an Outcome, and records attempts in batches (group commit).
//
// Isolation: each endpoint has a lane with its own concurrency cap and a
// bounded queue. A lane that is full is left out of the next claims, so a
// partner that hangs until the timeout holds up only its own deliveries.
//
// Per-endpoint controls (controls.go), all per node and in memory: a token
// bucket (Endpoint.RateLimit, RateBurst) spaces an endpoint's attempts; a
// circuit breaker opens after Endpoint.CircuitFailures() retryable failures
// in a row. While it is open, claims leave the endpoint out and deliveries
// already claimed are put back pending, due when the cool-down ends, with
// no attempt counted; then one probe goes (half-open), and its success
// closes the circuit, its failure opens it again. Each node learns on its
// own, and a restart closes every circuit: a few attempts per node, in
// exchange for keeping the store out of the hot path.
//
// Durability: a delivery is leased when claimed and due again when the lease
// ends, so a node that dies mid-attempt loses nothing. An attempt is only
// started while enough lease is left to finish it, so Herald's own timing
// never sends one attempt twice.
//
// The package must not import another adapter (api, sqlite, postgres, web).
package dispatch
