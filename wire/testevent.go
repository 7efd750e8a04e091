package wire

import (
	"net/http"
	"strings"
)

// Test events are what a conformance check (`herald check`) sends to find
// out whether a partner's endpoint behaves: real bodies, built and signed
// exactly as real events are, marked two ways so a partner can recognise
// them and must not act on them as real (spec section 9):
//
//   - the request carries "Herald-Test: true" (HeaderTest), and
//   - the subject's systemId (and, by Herald's convention, every other id in
//     the body but customerId) starts with TestIDPrefix, which BuildEvent
//     refuses for real events, so a test id can never name a real record.

// TestIDPrefix starts the ids of a test event's records:
// "herald-test-3f9c2a71". Real events cannot use it (BuildEvent refuses it).
const TestIDPrefix = "herald-test-"

// IsTestID reports whether id is reserved for test events: it starts with
// TestIDPrefix, in any case.
func IsTestID(id string) bool {
	return len(id) >= len(TestIDPrefix) && strings.EqualFold(id[:len(TestIDPrefix)], TestIDPrefix)
}

// IsTestEvent reports whether a request's header marks a test event
// ("Herald-Test: true").
func IsTestEvent(h http.Header) bool {
	return strings.EqualFold(strings.TrimSpace(h.Get(HeaderTest)), "true")
}

// BuildTestEvent is BuildEvent for a test event: the same body and links,
// byte for byte, except that systemId must start with TestIDPrefix (and
// other ids may). Send it with Request.Test set.
func BuildTestEvent(publicURL, customerID string, p *EventParams) (body []byte, links []Link, err error) {
	return buildEvent(publicURL, customerID, p, true)
}
