package wire

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Herald's extension headers (spec section 2, ours). Receivers that ignore
// them lose nothing; receivers that read them can deduplicate.
const (
	// HeaderEventID carries the event's stable id, the same on every
	// attempt and for every endpoint.
	HeaderEventID = "Herald-Event-Id"
	// HeaderAttempt carries the attempt number, 1 for the first.
	HeaderAttempt = "Herald-Attempt"
	// HeaderTraceParent carries the W3C Trace Context traceparent of the
	// attempt (version-traceid-parentid-flags), so a partner's spans can
	// join Herald's trace. Sent unless the endpoint turned it off.
	HeaderTraceParent = "traceparent"
	// HeaderTest is "true" on a test event (Request.Test): one a
	// conformance check sends, which a partner must not act on as real.
	HeaderTest = "Herald-Test"
)

// canonicalTraceParent is the key net/http keeps traceparent under.
var canonicalTraceParent = http.CanonicalHeaderKey(HeaderTraceParent)

// Request describes one outgoing event POST.
type Request struct {
	URL     string
	EventID string // sent as Herald-Event-Id; required by StandardWebhooks
	Attempt int    // sent as Herald-Attempt when positive
	// Body is the bytes to send: gzip'd when Gzip is true.
	Body []byte
	// Gzip says Body is gzip'd; it sets Content-Encoding: gzip.
	Gzip bool
	// LinkHeader is the Link header value (FormatLinkHeader); empty: none.
	LinkHeader string
	// TraceParent is the traceparent header value; empty: none.
	TraceParent string
	// Signer authenticates the request; nil: no authentication.
	Signer Signer
	// Test marks a test event with "Herald-Test: true" (see BuildTestEvent).
	Test bool
}

// NewRequest builds the event POST exactly as Herald sends it: the one place
// that does, used by the dispatcher and by `herald trigger`. It sets
// Content-Type, Accept-Encoding, Content-Encoding, Link and the Herald
// headers (and Herald-Test, for a test event), then signs (last, so
// signers see the final headers).
//
// Accept-Encoding is set explicitly, as the contract asks; that turns off Go's
// transparent decompression of the reply, so callers must decode a gzip'd
// reply body themselves (IsGzip, Gunzip). ContentLength and GetBody are set,
// so the body can be re-sent.
func NewRequest(ctx context.Context, r *Request, now time.Time) (*http.Request, error) {
	if r.URL == "" {
		return nil, errors.New("new event request: no URL")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return nil, fmt.Errorf("new event request: %w", err)
	}
	// Every outgoing event is built here, so the headers go in by their
	// canonical names, with one backing array for their values, instead of
	// a Header.Set (a canonicalization and a slice) each.
	values := make([]string, 0, 8)
	set := func(key, value string) {
		values = append(values, value)
		req.Header[key] = values[len(values)-1 : len(values) : len(values)]
	}
	set("Content-Type", "application/json")
	set("Accept-Encoding", "gzip,deflate")
	if r.Gzip {
		set("Content-Encoding", "gzip")
	}
	if r.LinkHeader != "" {
		set("Link", r.LinkHeader)
	}
	if r.EventID != "" {
		set(HeaderEventID, r.EventID)
	}
	if r.Attempt > 0 {
		set(HeaderAttempt, strconv.Itoa(r.Attempt))
	}
	if r.TraceParent != "" {
		set(canonicalTraceParent, r.TraceParent)
	}
	if r.Test {
		set(HeaderTest, "true")
	}
	if r.Signer != nil {
		if err := r.Signer.Sign(req, r.Body, now); err != nil {
			return nil, fmt.Errorf("new event request: %w", err)
		}
	}
	return req, nil
}
