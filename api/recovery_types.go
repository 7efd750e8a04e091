package api

import (
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// JSON of the endpoint health, operator event, "not delivered" and replay
// job routes (recovery.go). Times are RFC 3339 in UTC; a time that has not
// happened is left out.

// EndpointHealth is the reply of GET .../endpoints/{endpointId}/health, and
// an entry of EndpointHealthList.
type EndpointHealth struct {
	EndpointID string `json:"endpointId"`
	CustomerID string `json:"customerId"`
	Enabled    bool   `json:"enabled"`
	// DisabledReason says why Herald disabled the endpoint (a 410, or
	// failing for longer than the monitor's window).
	DisabledReason string `json:"disabledReason,omitempty"`
	// Window is the span the counts and latencies cover, ending now
	// (Go duration syntax, "24h0m0s"); Since is its start.
	Window       string    `json:"window"`
	Since        time.Time `json:"since"`
	Attempts     int       `json:"attempts"`
	Succeeded    int       `json:"succeeded"` // 2xx, 303
	Rejected     int       `json:"rejected"`  // 400
	Failed       int       `json:"failed"`    // anything else
	SuccessRate  float64   `json:"successRate"`
	LatencyAvgMs int64     `json:"latencyAvgMs"`
	LatencyP50Ms int64     `json:"latencyP50Ms"`
	// The rest covers the endpoint's whole life.
	LastAttemptAt  *time.Time `json:"lastAttemptAt,omitempty"`
	LastSuccessAt  *time.Time `json:"lastSuccessAt,omitempty"`
	LastFailureAt  *time.Time `json:"lastFailureAt,omitempty"`
	LastStatusCode int        `json:"lastStatusCode,omitempty"`
	LastError      string     `json:"lastError,omitempty"`
	// FailingSince is the first failure of the current failing streak.
	FailingSince *time.Time `json:"failingSince,omitempty"`
	// DisabledAt is when Herald last recorded the endpoint as disabled.
	DisabledAt *time.Time `json:"disabledAt,omitempty"`
}

// EndpointHealthList is the reply of GET
// /api/v1/customers/{customerId}/endpoint-health.
type EndpointHealthList struct {
	Data []EndpointHealth `json:"data"`
}

// OperatorEvent is one entry of OperatorEventList.
type OperatorEvent struct {
	ID         string                   `json:"id"`
	Type       herald.OperatorEventType `json:"type"`
	CustomerID string                   `json:"customerId"`
	EndpointID string                   `json:"endpointId,omitempty"`
	DeliveryID string                   `json:"deliveryId,omitempty"`
	At         time.Time                `json:"at"`
	Detail     string                   `json:"detail,omitempty"`
	CreatedAt  time.Time                `json:"createdAt"`
	// The operator webhook's side.
	SentAt        *time.Time `json:"sentAt,omitempty"`
	SendAttempts  int        `json:"sendAttempts"`
	LastSendError string     `json:"lastSendError,omitempty"`
	SendAbandoned bool       `json:"sendAbandoned,omitempty"`
}

// OperatorEventList is the reply of GET /api/v1/operator-events, newest
// first.
type OperatorEventList struct {
	Data       []OperatorEvent `json:"data"`
	NextCursor string          `json:"nextCursor,omitempty"`
}

// ReplayJobCreateRequest is the body of POST
// /api/v1/customers/{customerId}/replay-jobs: which of the customer's
// deliveries to replay. Every field is optional; an empty body replays all
// of them.
type ReplayJobCreateRequest struct {
	Endpoint  string                 `json:"endpoint,omitempty"`
	EventType wire.EventType         `json:"eventType,omitempty"`
	States    []herald.DeliveryState `json:"states,omitempty"`
	// Since and Until bound when the deliveries were created.
	Since *time.Time `json:"since,omitempty"`
	Until *time.Time `json:"until,omitempty"`
	// ChangedSince keeps deliveries last changed at or after it.
	ChangedSince *time.Time `json:"changedSince,omitempty"`
}

// ReplayJob is the reply of the replay job routes.
type ReplayJob struct {
	ID         string                 `json:"id"`
	CustomerID string                 `json:"customerId"`
	Filter     ReplayJobCreateRequest `json:"filter"`
	// State is pending, running or completed.
	State herald.ReplayJobState `json:"state"`
	// Total is how many deliveries matched at creation; Done how many are
	// handled (Replayed + Skipped).
	Total    int `json:"total"`
	Done     int `json:"done"`
	Replayed int `json:"replayed"`
	// Skipped deliveries had an attempt in flight; Errors say which (the
	// first 20).
	Skipped    int        `json:"skipped"`
	Errors     []string   `json:"errors"`
	CreatedAt  time.Time  `json:"createdAt"`
	UpdatedAt  time.Time  `json:"updatedAt"`
	FinishedAt *time.Time `json:"finishedAt,omitempty"`
}

// ReplayJobList is the reply of GET
// /api/v1/customers/{customerId}/replay-jobs, newest first.
type ReplayJobList struct {
	Data []ReplayJob `json:"data"`
}

// Redrive tells a caller how to send deliveries again.
type Redrive struct {
	// Single is the route that retries one delivery.
	Single string `json:"single"`
	// Bulk is the request that replays them all as a background job.
	Bulk RedriveRequest `json:"bulk"`
}

// RedriveRequest is a request to make, spelled out.
type RedriveRequest struct {
	Method string                 `json:"method"`
	Path   string                 `json:"path"`
	Body   ReplayJobCreateRequest `json:"body"`
}

// NotDelivered is the reply of GET
// /api/v1/customers/{customerId}/not-delivered: the customer's dead,
// rejected and failed deliveries (counts by state, then a page, newest
// first), and how to send them again.
type NotDelivered struct {
	Counts     map[herald.DeliveryState]int `json:"counts"`
	Total      int                          `json:"total"`
	Data       []Delivery                   `json:"data"`
	NextCursor string                       `json:"nextCursor,omitempty"`
	Redrive    Redrive                      `json:"redrive"`
}

// Missed is the reply of GET
// /api/v1/customers/{customerId}/endpoints/{endpointId}/missed: the
// deliveries to an endpoint that failed or died since Since (by default,
// when Herald disabled it), and the replay job that sends them again.
type Missed struct {
	EndpointID string                       `json:"endpointId"`
	Enabled    bool                         `json:"enabled"`
	Since      time.Time                    `json:"since"`
	Count      int                          `json:"count"`
	Counts     map[herald.DeliveryState]int `json:"counts"`
	Data       []Delivery                   `json:"data"`
	NextCursor string                       `json:"nextCursor,omitempty"`
	// Replay is the request that redrives them all.
	Replay RedriveRequest `json:"replay"`
	// Note says what to do first, when there is something.
	Note string `json:"note,omitempty"`
}
