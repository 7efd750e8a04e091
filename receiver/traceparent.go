package receiver

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/heraldhq/herald/wire"
)

// ErrTraceParent is returned by ParseTraceParent for a header that is not a
// W3C traceparent.
var ErrTraceParent = errors.New("receiver: malformed traceparent")

// TraceParent is the partner's side of Herald's trace: the W3C Trace
// Context traceparent header Herald sends with each attempt (unless the
// endpoint turned it off). Make the span that handles the event a child
// of ParentID in TraceID, and the attempt shows up in Herald's trace of
// the event, from the publish to every attempt.
//
// With OpenTelemetry, the simplest way is its propagator on the request's
// headers (propagation.TraceContext{}.Extract); this type is for partners
// who only want to log the ids, or use another tracer.
type TraceParent struct {
	// TraceID is the trace's 16-byte id; never all zeros.
	TraceID [16]byte
	// ParentID is the id of Herald's attempt span; never all zeros.
	ParentID [8]byte
	// Flags are the trace flags; bit 0 (Sampled) says Herald records
	// the trace.
	Flags byte
}

// Sampled reports whether Herald records this trace, so the partner's spans
// in it are worth keeping.
func (t TraceParent) Sampled() bool { return t.Flags&1 == 1 }

// TraceIDString is TraceID in lowercase hex, as tracing UIs show it.
func (t TraceParent) TraceIDString() string { return hex.EncodeToString(t.TraceID[:]) }

// ParentIDString is ParentID in lowercase hex.
func (t TraceParent) ParentIDString() string { return hex.EncodeToString(t.ParentID[:]) }

// String returns the header value (version 00).
func (t TraceParent) String() string {
	return fmt.Sprintf("00-%s-%s-%02x", t.TraceIDString(), t.ParentIDString(), t.Flags)
}

// ParseTraceParent parses a traceparent header value
// ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01") as the W3C
// Trace Context recommendation asks: lowercase hex, ids not all zeros,
// version ff refused, and a future version read for its first four fields
// if what follows them starts with '-'.
func ParseTraceParent(s string) (TraceParent, error) {
	var t TraceParent
	// version(2) - trace-id(32) - parent-id(16) - flags(2)
	const n = 2 + 1 + 32 + 1 + 16 + 1 + 2
	if len(s) < n || s[2] != '-' || s[35] != '-' || s[52] != '-' {
		return t, ErrTraceParent
	}
	var version [1]byte
	if !lowerHex(s[0:2]) || !lowerHex(s[3:35]) || !lowerHex(s[36:52]) || !lowerHex(s[53:55]) {
		return t, ErrTraceParent
	}
	_, _ = hex.Decode(version[:], []byte(s[0:2]))
	switch {
	case version[0] == 0xff:
		return t, ErrTraceParent
	case version[0] == 0 && len(s) != n:
		return t, ErrTraceParent
	case len(s) > n && s[n] != '-':
		return t, ErrTraceParent
	}
	_, _ = hex.Decode(t.TraceID[:], []byte(s[3:35]))
	_, _ = hex.Decode(t.ParentID[:], []byte(s[36:52]))
	var flags [1]byte
	_, _ = hex.Decode(flags[:], []byte(s[53:55]))
	t.Flags = flags[0]
	if t.TraceID == [16]byte{} || t.ParentID == [8]byte{} {
		return TraceParent{}, ErrTraceParent
	}
	return t, nil
}

// lowerHex reports whether s is only the digits 0-9 and a-f.
func lowerHex(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') }) < 0
}

// traceParentOf parses r's traceparent header; nil when there is none or
// it is malformed (tracing is optional: a bad header never refuses the
// event).
func traceParentOf(h http.Header) *TraceParent {
	v := h.Values(wire.HeaderTraceParent)
	if len(v) != 1 { // two traceparents: which one is a guess
		return nil
	}
	t, err := ParseTraceParent(strings.TrimSpace(v[0]))
	if err != nil {
		return nil
	}
	return &t
}
