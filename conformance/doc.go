// Package conformance is the battery behind `herald check`: it tells a
// partner whether its endpoint is ready for production by sending it test
// events exactly as Herald sends real ones (package wire builds, compresses
// and signs them, with the same code the dispatcher uses) and judging each
// reply against the contract.
//
// Each check has a stable name, says what it protects against, and returns
// pass, warn, fail or skip with what was sent, what came back and what to
// change (herald.CheckResult). The checks, in order, per event type:
//
//   - event-gzip/<type>, event-plain/<type>: a valid event, gzip'd and not,
//     gets a reply the contract allows: 200; a 303 with an absolute https
//     Location (expected for the types whose success is a link); or a 400
//     whose Error Reporting body has a readable userMessage.
//   - redelivery/<type>: the same event again (same Herald-Event-Id and
//     body, Herald-Attempt 2) gets an equivalent answer.
//   - unknown-fields/<type>: a body with keys the partner does not know is
//     still accepted.
//   - link-extra/<type>: a Link header with extra links is still accepted.
//
// and once, with the first type's event:
//
//   - oauth2-token (oauth2 only): an access token can be had at all.
//   - auth-missing, auth-wrong: no credentials, or wrong ones, are refused
//     (401, 403 or 400), never accepted.
//   - signature-body, auth-stale (hmac and standard-webhooks only): a body
//     changed after signing, and a signature ten minutes old, are refused.
//   - malformed-json, malformed-gzip: a body that is not JSON, and a gzip
//     body cut short, get a 400, not a 500 (nor a success).
//   - no-redirect: no reply is a redirect other than 303.
//   - latency: every reply came within the interactive deadline (warn above
//     5 s).
//
// Test events are marked so a partner can recognise them and must not act
// on them: the "Herald-Test: true" header, and ids (systemId, userId,
// personId, jobId) that start with wire.TestIDPrefix, which real events
// cannot use. Their links point under the configured public URL at records
// that do not exist; their return URLs point at herald-test.invalid.
//
// The battery sends requests one at a time. Once one gets no reply within
// the deadline the rest are not sent (their checks are skipped, saying so),
// so a hanging endpoint costs one deadline, not forty; and none starts once
// the run's budget is spent, so a merely slow one is bounded too.
//
// This package sends HTTP requests and nothing else: it stores nothing and
// never imports another adapter. Battery implements herald.EndpointChecker
// for the API and the UI; cmd/herald gives it the dispatcher's
// policy-guarded client there, so a check reaches only what a delivery may.
package conformance
