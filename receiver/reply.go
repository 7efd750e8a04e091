package receiver

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/heraldhq/herald/wire"
)

// Reply is a handler's answer to an event, written by Reply.Write. Build one
// with OK, SeeOther, BadRequest, ServerError or Unavailable.
type Reply struct {
	// Status is the HTTP status: 200, 303, 400, 500 or 503.
	Status int
	// Location is the absolute URL of a 303.
	Location string
	// UserMessage is shown to the person who triggered the event (400,
	// 500, 503). It may hold {{profileType.fieldId}} placeholders, which
	// the platform replaces with the customer's field label.
	UserMessage string
	// DebugMessage is logged by the platform, not shown.
	DebugMessage string
	// RetryAfter, on a 503, tells the sender when to try again.
	RetryAfter time.Duration
}

// OK says the event was processed: 200.
func OK() Reply { return Reply{Status: http.StatusOK} }

// SeeOther says the event was processed and sends the person who triggered
// it to location, an absolute http(s) URL: 303 with an empty body.
func SeeOther(location string) Reply { return Reply{Status: http.StatusSeeOther, Location: location} }

// BadRequest refuses the event as something the user can fix: 400. The
// platform shows userMessage and does not retry.
func BadRequest(userMessage, debugMessage string) Reply {
	return Reply{Status: http.StatusBadRequest, UserMessage: userMessage, DebugMessage: debugMessage}
}

// ServerError reports a failure that needs support: 500.
func ServerError(userMessage, debugMessage string) Reply {
	return Reply{Status: http.StatusInternalServerError, UserMessage: userMessage, DebugMessage: debugMessage}
}

// Unavailable reports a temporary failure (maintenance): 503. The platform
// tries again later.
func Unavailable(userMessage, debugMessage string) Reply {
	return Reply{Status: http.StatusServiceUnavailable, UserMessage: userMessage, DebugMessage: debugMessage}
}

// defaultUserMessage fills in an error reply without a message, since the
// platform shows userMessage to a person.
func defaultUserMessage(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "The request could not be accepted."
	case http.StatusServiceUnavailable:
		return "The service is temporarily unavailable. Please try again later."
	default:
		return "Something went wrong. Please contact support."
	}
}

// Write writes the reply. A 303 whose Location is not an absolute http(s)
// URL is a bug in the handler; it is written as a 500 rather than sending
// the person nowhere.
func (r Reply) Write(w http.ResponseWriter) {
	switch {
	case r.Status == http.StatusSeeOther:
		u, err := url.Parse(r.Location)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			ServerError("", "the partner replied 303 without an absolute Location").Write(w)
			return
		}
		w.Header().Set("Location", r.Location)
		w.WriteHeader(http.StatusSeeOther)
	case r.Status >= 200 && r.Status < 300:
		w.WriteHeader(r.Status)
	default:
		status := r.Status
		if status < 400 || status > 599 {
			status = http.StatusInternalServerError
		}
		msg := r.UserMessage
		if msg == "" {
			msg = defaultUserMessage(status)
		}
		body, _ := json.Marshal(wire.ErrorReport{Error: wire.ErrorDetail{UserMessage: msg, DebugErrorMessage: r.DebugMessage}})
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", strconv.Itoa(len(body)+1))
		if r.RetryAfter > 0 && status == http.StatusServiceUnavailable {
			h.Set("Retry-After", strconv.Itoa(int((r.RetryAfter+time.Second-1)/time.Second)))
		}
		w.WriteHeader(status)
		w.Write(append(body, '\n'))
	}
}
