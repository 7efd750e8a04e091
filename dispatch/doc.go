// Package dispatch is Herald's delivery engine. It claims due deliveries from
// the Store in batches, sends each through one shared HTTP client that cannot
// reach internal addresses unless an operator allows them, classifies the
// reply into an Outcome, and records attempts in batches (group commit).
//
// Isolation: each endpoint has a lane with its own concurrency cap and a
// bounded queue. A lane that is full is left out of the next claims, so a
// partner that hangs until the timeout holds up only its own deliveries.
//
// Durability: a delivery is leased when claimed and due again when the lease
// ends, so a node that dies mid-attempt loses nothing. An attempt is only
// started while enough lease is left to finish it, so Herald's own timing
// never sends one attempt twice.
//
// The package must not import another adapter (api, sqlite, postgres, web).
package dispatch
