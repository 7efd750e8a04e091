package dispatch

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// OutcomeKind is what a reply (or its absence) means for a delivery.
type OutcomeKind int

// Outcome kinds. Control flow branches on these, never on status numbers or
// error strings, so the mapping lives in one place: classify.
const (
	// OutcomeDelivered: 2xx.
	OutcomeDelivered OutcomeKind = iota + 1
	// OutcomeDeliveredWithLink: 303 See Other; Location says where the
	// acting person goes next.
	OutcomeDeliveredWithLink
	// OutcomeRejected: the partner refused the event for good (400, or a
	// status the retry policy calls permanent). Not retried.
	OutcomeRejected
	// OutcomeGone: 410; the endpoint no longer exists and is disabled.
	OutcomeGone
	// OutcomeRetry: a timeout, a connection error, 408, 429, 5xx, or any
	// other reply that may succeed later.
	OutcomeRetry
	// OutcomeInterrupted: Herald itself cut the attempt short (shutdown). The
	// delivery goes back to the queue unchanged; it is not the partner's
	// failure.
	OutcomeInterrupted
	// OutcomeDeferred: Herald did not attempt the delivery because the
	// endpoint's circuit is open (or its rate limit leaves no room in the
	// lease). The delivery stays pending, due later, with no attempt
	// counted against the partner.
	OutcomeDeferred
)

func (k OutcomeKind) String() string {
	switch k {
	case OutcomeDelivered:
		return "delivered"
	case OutcomeDeliveredWithLink:
		return "delivered_with_link"
	case OutcomeRejected:
		return "rejected"
	case OutcomeGone:
		return "gone"
	case OutcomeRetry:
		return "retry"
	case OutcomeInterrupted:
		return "interrupted"
	case OutcomeDeferred:
		return "deferred"
	}
	return "unknown"
}

// Outcome is the classified result of one attempt.
type Outcome struct {
	Kind       OutcomeKind
	StatusCode int
	Location   string
	// RetryAfter is the partner's Retry-After, zero if none.
	RetryAfter        time.Duration
	UserMessage       string
	DebugErrorMessage string
	// Error says in words why the attempt did not deliver; empty if it did.
	Error string
	// TimedOut is set when no reply came within the attempt's timeout.
	TimedOut bool
}

// classifyReply maps a reply to an Outcome. body is the (decompressed,
// bounded) reply body.
func classifyReply(resp *http.Response, body []byte, policy *herald.RetryPolicy, now time.Time) Outcome {
	o := Outcome{StatusCode: resp.StatusCode}
	code := resp.StatusCode
	if code >= 400 {
		if d, ok := wire.ParseErrorReport(body); ok {
			o.UserMessage, o.DebugErrorMessage = d.UserMessage, d.DebugErrorMessage
		}
	}
	switch {
	case code == http.StatusSeeOther:
		o.Kind = OutcomeDeliveredWithLink
		o.Location = resp.Header.Get("Location")
		if o.Location == "" {
			// The partner processed the event but gave no link; record
			// that, but the event itself was accepted.
			o.Kind = OutcomeDelivered
			o.Error = "303 See Other without a Location header"
		}
	case code >= 200 && code < 300:
		o.Kind = OutcomeDelivered
	case code == http.StatusGone:
		o.Kind = OutcomeGone
		o.Error = "410 Gone: the partner says this endpoint no longer exists; Herald disabled it"
	case policy.Permanent(code):
		o.Kind = OutcomeRejected
		o.Error = fmt.Sprintf("%d %s: the partner rejected the event; it is not retried", code, http.StatusText(code))
	case code >= 300 && code < 400:
		o.Kind = OutcomeRetry
		o.Error = fmt.Sprintf("%d %s to %q: Herald never follows redirects; fix the endpoint URL", code, http.StatusText(code), resp.Header.Get("Location"))
	default:
		o.Kind = OutcomeRetry
		o.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), now)
		o.Error = fmt.Sprintf("%d %s", code, http.StatusText(code))
	}
	return o
}

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP-date
// (RFC 9110 §10.2.3). Anything else, or a time in the past, is zero.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return min(time.Duration(secs)*time.Second, herald.MaxRetryAfter)
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), herald.MaxRetryAfter)
	}
	return 0
}

// record turns an outcome into the AttemptRecord the store keeps: the new
// state and, for a retry, when the delivery is due again.
func (o *Outcome) record(c *herald.ClaimedDelivery, a *herald.Attempt, policy *herald.RetryPolicy, now time.Time) *herald.AttemptRecord {
	r := &herald.AttemptRecord{Lease: c.Lease, Attempt: a}
	switch o.Kind {
	case OutcomeDelivered:
		r.State = herald.DeliveryStateDelivered
	case OutcomeDeliveredWithLink:
		r.State = herald.DeliveryStateDelivered
		r.Location = o.Location
	case OutcomeRejected:
		r.State = herald.DeliveryStateRejected
	case OutcomeGone:
		r.State = herald.DeliveryStateFailed
	default:
		next, ok := policy.NextAttempt(c.ScheduleAttempts+1, o.RetryAfter, now)
		if !ok {
			r.State = herald.DeliveryStateDead
			break
		}
		r.State = herald.DeliveryStatePending
		r.NextAttemptAt = next
	}
	return r
}
