package api

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// This file lists every JSON body the API reads or writes. Keys are
// camelCase; times are RFC 3339 in UTC. Request bodies are strict: an
// unknown key, a value of the wrong JSON type or a second JSON value after
// the first is a 400, so a caller's typo is never silently dropped.

// Error codes the API adds to those of herald.Error, for failures that
// happen before a request reaches the domain.
const (
	// ErrorCodeUnsupportedMediaType (415): a POST or PATCH body that is
	// not Content-Type application/json.
	ErrorCodeUnsupportedMediaType = "unsupported_media_type"
	// ErrorCodeMethodNotAllowed (405): the path exists, the method does
	// not. The Allow header lists the methods that do.
	ErrorCodeMethodNotAllowed = "method_not_allowed"
)

// ErrorResponse is the body of every error reply.
//
//	{"error":{"code":"invalid","message":"url must be an absolute http or https URL"}}
type ErrorResponse struct {
	Error ErrorBody `json:"error"`
}

// ErrorBody is the code and message of an error reply. Code is stable
// (herald.EINVALID and the other herald codes, or an ErrorCode constant of
// this package); Message is for people and may change.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// CustomerCreateRequest is the body of POST /api/v1/customers.
type CustomerCreateRequest struct {
	// ID is the customer's own id ("6269"): letters, digits, '-', '_',
	// '.', at most 64 characters.
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Customer is a customer as the API shows it.
type Customer struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"createdAt"`
}

// CustomerList is the body of GET /api/v1/customers, ordered by id.
type CustomerList struct {
	Data []Customer `json:"data"`
}

// AuthRequest is how Herald authenticates to an endpoint, as a caller sends
// it. Type picks the mode, and each mode takes only its own fields:
//
//	{"type":"none"}
//	{"type":"basic","username":"u","password":"p"}
//	{"type":"hmac","username":"u","secret":"s"}
//	{"type":"oauth2","tokenUrl":"https://...","clientId":"c","clientSecret":"s","scope":"optional"}
//	{"type":"standard-webhooks","secret":"whsec_..."}
//
// In a PATCH, an auth object of the endpoint's current type (or with no
// type) whose secret fields (password, secret, clientSecret) are empty or
// equal to the masked value the API showed keeps the stored secrets; the
// other fields are taken as sent. A new standard-webhooks secret rotates:
// the old one keeps signing for the request's rotationOverlap.
type AuthRequest struct {
	Type         herald.AuthType `json:"type"`
	Username     string          `json:"username,omitempty"`
	Password     string          `json:"password,omitempty"`
	Secret       string          `json:"secret,omitempty"`
	TokenURL     string          `json:"tokenUrl,omitempty"`
	ClientID     string          `json:"clientId,omitempty"`
	ClientSecret string          `json:"clientSecret,omitempty"`
	Scope        string          `json:"scope,omitempty"`
}

// Auth is an endpoint's authentication as the API shows it: secrets are
// masked (herald.Secret.Masked), never shown in full.
type Auth struct {
	Type         herald.AuthType `json:"type"`
	Username     string          `json:"username,omitempty"`
	Password     string          `json:"password,omitempty"`     // masked
	Secret       string          `json:"secret,omitempty"`       // masked
	TokenURL     string          `json:"tokenUrl,omitempty"`     // oauth2
	ClientID     string          `json:"clientId,omitempty"`     // oauth2
	ClientSecret string          `json:"clientSecret,omitempty"` // masked
	Scope        string          `json:"scope,omitempty"`        // oauth2
	// PreviousSecrets are replaced standard-webhooks secrets that still
	// sign until ExpiresAt.
	PreviousSecrets []PreviousSecret `json:"previousSecrets,omitempty"`
}

// PreviousSecret is a replaced standard-webhooks secret inside its
// rotation overlap.
type PreviousSecret struct {
	Secret    string    `json:"secret"` // masked
	ExpiresAt time.Time `json:"expiresAt"`
}

// EndpointCreateRequest is the body of POST
// /api/v1/customers/{customerId}/endpoints.
type EndpointCreateRequest struct {
	// URL is the partner's absolute http or https URL. Required.
	URL string `json:"url"`
	// EventTypes are the event types the endpoint receives. At least one.
	EventTypes []wire.EventType `json:"eventTypes"`
	// Auth is required; {"type":"none"} sends without credentials.
	Auth *AuthRequest `json:"auth"`
	// Gzip sends bodies gzip'd with Content-Encoding: gzip. Default: true.
	Gzip *bool `json:"gzip,omitempty"`
	// TraceContext sends the W3C traceparent header with each attempt.
	// Default: true.
	TraceContext *bool `json:"traceContext,omitempty"`
	// Enabled makes the endpoint receive events. Default: true.
	Enabled *bool `json:"enabled,omitempty"`
	// StatusTriggers limits WorkFlowStatusChangeEvent deliveries to these
	// newStatus values. Empty: every status change.
	StatusTriggers []string `json:"statusTriggers,omitempty"`
	// MaxConcurrency caps attempts in flight to the endpoint, 0 to 64.
	// Zero: the default, herald.DefaultEndpointConcurrency.
	MaxConcurrency int `json:"maxConcurrency,omitempty"`
	// RateLimit caps attempts started per second to the endpoint, on each
	// node (a token bucket), 0 to 10000. Zero: unlimited, the default.
	RateLimit float64 `json:"rateLimit,omitempty"`
	// RateBurst is the token bucket's size. Zero: rateLimit rounded up.
	RateBurst int `json:"rateBurst,omitempty"`
	// CircuitThreshold is how many attempts in a row must fail in a way
	// worth retrying before the endpoint's circuit opens, 0 to 1000.
	// Zero: the default, herald.DefaultCircuitThreshold.
	CircuitThreshold int `json:"circuitThreshold,omitempty"`
	// CircuitCooldown is how long an open circuit fails fast before it
	// lets one probe through: a Go duration ("30s", "5m"), up to "24h".
	// Empty or "0s": the default, herald.DefaultCircuitCooldown.
	CircuitCooldown string `json:"circuitCooldown,omitempty"`
	// Ordered delivers the events of one subject (an applicant workflow,
	// an onboarding workflow, a job, a person) one at a time, in publish
	// order (herald.Endpoint.Ordered). Default: false.
	Ordered bool `json:"ordered,omitempty"`
}

// EndpointUpdateRequest is the body of PATCH
// /api/v1/customers/{customerId}/endpoints/{endpointId}. Only the keys
// present change; a key set to null counts as absent (send [] to clear a
// list).
type EndpointUpdateRequest struct {
	URL        *string           `json:"url,omitempty"`
	EventTypes *[]wire.EventType `json:"eventTypes,omitempty"`
	Auth       *AuthRequest      `json:"auth,omitempty"`
	Gzip       *bool             `json:"gzip,omitempty"`
	// TraceContext turns the traceparent header on or off.
	TraceContext *bool `json:"traceContext,omitempty"`
	// Enabled turns the endpoint on or off; either way it clears the
	// disabledReason Herald set when it disabled the endpoint by itself.
	Enabled        *bool     `json:"enabled,omitempty"`
	StatusTriggers *[]string `json:"statusTriggers,omitempty"`
	MaxConcurrency *int      `json:"maxConcurrency,omitempty"`
	// RateLimit, RateBurst, CircuitThreshold and CircuitCooldown are as
	// in EndpointCreateRequest; 0 (or "0s") restores the default.
	RateLimit        *float64 `json:"rateLimit,omitempty"`
	RateBurst        *int     `json:"rateBurst,omitempty"`
	CircuitThreshold *int     `json:"circuitThreshold,omitempty"`
	CircuitCooldown  *string  `json:"circuitCooldown,omitempty"`
	// Ordered turns ordered delivery per subject on or off. Deliveries
	// already waiting keep waiting for their subject's earlier ones.
	Ordered *bool `json:"ordered,omitempty"`
	// RotationOverlap is how long the replaced secret keeps signing when
	// this request gives a standard-webhooks endpoint a new secret: a Go
	// duration ("24h", "90m"), 0 to 720h. Default: 24h
	// (herald.DefaultRotationOverlap). Refused in any other request.
	RotationOverlap *string `json:"rotationOverlap,omitempty"`
}

// Endpoint is an endpoint as the API shows it.
type Endpoint struct {
	ID         string           `json:"id"`
	CustomerID string           `json:"customerId"`
	URL        string           `json:"url"`
	EventTypes []wire.EventType `json:"eventTypes"`
	Auth       Auth             `json:"auth"`
	Gzip       bool             `json:"gzip"`
	// TraceContext says each attempt carries a W3C traceparent header.
	TraceContext bool `json:"traceContext"`
	Enabled      bool `json:"enabled"`
	// DisabledReason says why Herald disabled the endpoint by itself (a
	// 410 reply); absent otherwise.
	DisabledReason string `json:"disabledReason,omitempty"`
	// DisabledBy says who turned the endpoint off: an administrator's
	// username, "operator", or "health monitor"; DisabledAt when. Absent
	// while it is enabled.
	DisabledBy     string     `json:"disabledBy,omitempty"`
	DisabledAt     *time.Time `json:"disabledAt,omitempty"`
	StatusTriggers []string   `json:"statusTriggers"`
	// MaxConcurrency is as configured; 0 means the default.
	MaxConcurrency int `json:"maxConcurrency"`
	// RateLimit is in requests per second; 0 means unlimited.
	RateLimit float64 `json:"rateLimit"`
	// RateBurst, CircuitThreshold and CircuitCooldown are as configured;
	// 0 (or "0s") means the default.
	RateBurst        int    `json:"rateBurst"`
	CircuitThreshold int    `json:"circuitThreshold"`
	CircuitCooldown  string `json:"circuitCooldown"`
	// Ordered: the events of one subject are delivered one at a time,
	// in publish order.
	Ordered   bool      `json:"ordered"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// EndpointList is the body of GET /api/v1/customers/{customerId}/endpoints,
// oldest first.
type EndpointList struct {
	Data []Endpoint `json:"data"`
}

// EventPublishRequest is the body of POST
// /api/v1/customers/{customerId}/events: eventType and that event's fields
// (wire.BuildEvent lists which each type requires), and nothing else.
// Herald builds customerId and links itself, so they are refused, as is
// any key not listed in wire.EventParams.
//
//	{"eventType":"WorkFlowStatusChangeEvent","systemId":"13437","userId":"9059",
//	 "personId":"9166","jobId":"4442","oldStatus":"1753","newStatus":"20786"}
type EventPublishRequest struct {
	wire.EventParams
	// Interactive asks Herald to attempt the deliveries while the call
	// waits and to return each partner's reply (spec section 7). Default:
	// true for the event types whose success reply is a 303 (a person is
	// sent on: AssessmentEvent, OnboardPortalTaskEvent, JobPostToWebEvent,
	// ViewJobWebPostEvent, RemoteLoginEvent), false for the others.
	Interactive *bool `json:"interactive,omitempty"`
}

// EventPublishResponse is the 202 reply to an event publish, written once
// the event and its deliveries are committed. Deliveries lists one pending
// delivery per endpoint that wants the event; it may be empty.
type EventPublishResponse struct {
	ID string `json:"id"`
	// Interactive says the deliveries were attempted during the call: the
	// reply is 200 and each delivery carries its outcome. Otherwise the
	// reply is 202 and the deliveries are pending.
	Interactive bool              `json:"interactive,omitempty"`
	Deliveries  []DeliverySummary `json:"deliveries"`
}

// DeliverySummary names a delivery and its state. After an interactive
// publish it also says what the partner answered: where to send the person
// (Location of a 303), or the message to show them (the partner's
// userMessage with {{profileType.field}} placeholders replaced by labels, or
// a plain message when the partner gave none or did not answer in time).
type DeliverySummary struct {
	ID          string               `json:"id"`
	EndpointID  string               `json:"endpointId"`
	State       herald.DeliveryState `json:"state"`
	StatusCode  int                  `json:"statusCode,omitempty"`
	Location    string               `json:"location,omitempty"`
	UserMessage string               `json:"userMessage,omitempty"`
	TimedOut    bool                 `json:"timedOut,omitempty"`
}

// Event is the body of GET /api/v1/events/{id}: the event as sent, with its
// deliveries and their attempts.
type Event struct {
	ID         string         `json:"id"`
	CustomerID string         `json:"customerId"`
	EventType  wire.EventType `json:"eventType"`
	// Body is the JSON body exactly as sent to partners.
	Body       json.RawMessage  `json:"body"`
	LinkHeader string           `json:"linkHeader"`
	CreatedAt  time.Time        `json:"createdAt"`
	Deliveries []DeliveryDetail `json:"deliveries"`
}

// Delivery is one event on its way to one endpoint, without its attempts:
// the items of a delivery list and the reply to a retry.
type Delivery struct {
	ID         string               `json:"id"`
	EventID    string               `json:"eventId"`
	EndpointID string               `json:"endpointId"`
	CustomerID string               `json:"customerId"`
	EventType  wire.EventType       `json:"eventType"`
	State      herald.DeliveryState `json:"state"`
	// AttemptCount is how many attempts were made, over the delivery's
	// whole life.
	AttemptCount int `json:"attemptCount"`
	// NextAttemptAt is when a pending delivery is due; absent otherwise,
	// and while it waits for an earlier delivery of its subject.
	NextAttemptAt *time.Time `json:"nextAttemptAt,omitempty"`
	// Subject is what the event is about ("applicantWorkflow:13437"), for
	// a delivery to an ordered endpoint; absent otherwise.
	Subject string `json:"subject,omitempty"`
	// WaitingFor is the id of the earlier delivery of the same subject
	// and endpoint that this pending delivery waits for: it is attempted
	// once that one is delivered, rejected, failed or dead. Absent when it
	// waits for nothing.
	WaitingFor string `json:"waitingFor,omitempty"`
	// LastAttemptAt is absent before the first attempt.
	LastAttemptAt *time.Time `json:"lastAttemptAt,omitempty"`
	// LastStatusCode is the last reply's status; 0 when no reply came.
	LastStatusCode int    `json:"lastStatusCode"`
	LastError      string `json:"lastError,omitempty"`
	// Location is the Location of the 303 that delivered it.
	Location  string    `json:"location,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// DeliveryDetail is a delivery with its attempts, oldest first: the body of
// GET /api/v1/deliveries/{id} and the deliveries of an event.
type DeliveryDetail struct {
	Delivery
	Attempts []Attempt `json:"attempts"`
}

// Attempt is one HTTP request of a delivery and what came back.
type Attempt struct {
	// Number is 1 for the first attempt; it was sent as Herald-Attempt.
	Number int       `json:"number"`
	At     time.Time `json:"at"`
	// StatusCode is the partner's status; 0 when no reply came.
	StatusCode int    `json:"statusCode"`
	Location   string `json:"location,omitempty"`
	// UserMessage and DebugErrorMessage come from the partner's Error
	// Reporting body.
	UserMessage       string `json:"userMessage,omitempty"`
	DebugErrorMessage string `json:"debugErrorMessage,omitempty"`
	// Error says in words why the attempt did not deliver.
	Error     string `json:"error,omitempty"`
	LatencyMs int64  `json:"latencyMs"`
	// ResponseBody is the start of the reply body, at most
	// herald.MaxResponseBodyKept bytes.
	ResponseBody string `json:"responseBody,omitempty"`
	// RequestHeaders are the headers as sent, credentials redacted.
	RequestHeaders map[string]string `json:"requestHeaders,omitempty"`
}

// DeliveryList is the body of GET /api/v1/customers/{customerId}/deliveries:
// one page, newest first. NextCursor, passed as cursor, fetches the next
// page; it is absent on the last one.
type DeliveryList struct {
	Data       []Delivery `json:"data"`
	NextCursor string     `json:"nextCursor,omitempty"`
}

// DeliveryListQuery holds the query parameters of GET
// /api/v1/customers/{customerId}/deliveries. Zero fields do not filter.
//
//	state=pending,dead     one or more states, comma-separated
//	eventType=...          one event type
//	endpoint=ep_...        one endpoint id
//	since=RFC3339          created at or after
//	until=RFC3339          created before
//	limit=50               page size, 1 to 500; default 50
//	cursor=...             nextCursor of the previous page
type DeliveryListQuery struct {
	States     []herald.DeliveryState
	EventType  wire.EventType
	EndpointID string
	Since      time.Time
	Until      time.Time
	Limit      int
	Cursor     string
}

// Values encodes q as query parameters.
func (q *DeliveryListQuery) Values() url.Values {
	v := url.Values{}
	if q == nil {
		return v
	}
	if len(q.States) > 0 {
		s := make([]string, len(q.States))
		for i, st := range q.States {
			s[i] = string(st)
		}
		v.Set("state", strings.Join(s, ","))
	}
	if q.EventType != "" {
		v.Set("eventType", string(q.EventType))
	}
	if q.EndpointID != "" {
		v.Set("endpoint", q.EndpointID)
	}
	if !q.Since.IsZero() {
		v.Set("since", q.Since.UTC().Format(time.RFC3339Nano))
	}
	if !q.Until.IsZero() {
		v.Set("until", q.Until.UTC().Format(time.RFC3339Nano))
	}
	if q.Limit != 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Cursor != "" {
		v.Set("cursor", q.Cursor)
	}
	return v
}
