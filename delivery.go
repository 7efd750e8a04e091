package herald

import (
	"time"

	"github.com/heraldhq/herald/wire"
)

// DeliveryState is where a delivery is in its life. See docs/delivery-states.md.
type DeliveryState string

// Delivery states. Only pending is not final; a retry or replay makes a
// final delivery pending again.
const (
	// DeliveryStatePending: waiting for its next attempt (or in one).
	DeliveryStatePending DeliveryState = "pending"
	// DeliveryStateDelivered: the partner answered 2xx, or 303 with a Location.
	DeliveryStateDelivered DeliveryState = "delivered"
	// DeliveryStateRejected: the partner answered 400 (or another status its
	// retry policy calls permanent). Not retried until someone replays it.
	DeliveryStateRejected DeliveryState = "rejected"
	// DeliveryStateFailed: the endpoint is gone (410, which also disables it)
	// or was disabled or deleted before the delivery could be attempted.
	DeliveryStateFailed DeliveryState = "failed"
	// DeliveryStateDead: every retry of the schedule failed.
	DeliveryStateDead DeliveryState = "dead"
)

// DeliveryStates lists every state, pending first.
var DeliveryStates = []DeliveryState{
	DeliveryStatePending, DeliveryStateDelivered, DeliveryStateRejected,
	DeliveryStateFailed, DeliveryStateDead,
}

// Valid reports whether s is a known state.
func (s DeliveryState) Valid() bool {
	for _, k := range DeliveryStates {
		if s == k {
			return true
		}
	}
	return false
}

// MaxResponseBodyKept is how much of a partner's reply body an attempt keeps:
// enough for any Error Reporting body, bounded so a partner that answers
// with megabytes cannot fill the database.
const MaxResponseBodyKept = 4096

// Delivery is one event on its way to one endpoint.
type Delivery struct {
	ID         string
	EventID    string
	EndpointID string
	CustomerID string
	EventType  wire.EventType
	State      DeliveryState
	// Attempts counts the attempts recorded, over the delivery's whole life.
	Attempts int
	// ScheduleAttempts counts attempts since the retry schedule last
	// (re)started; a manual retry or a replay restarts it.
	ScheduleAttempts int
	// NextAttemptAt is when a pending delivery is due. While a node holds
	// the delivery's lease it is the end of that lease.
	NextAttemptAt  time.Time
	LastAttemptAt  time.Time // zero before the first attempt
	LastStatusCode int
	LastError      string
	Location       string // the Location of the 303 that delivered it
	CreatedAt      time.Time
	UpdatedAt      time.Time

	// Subject is what the event is about (EventSubject), set on the
	// deliveries of an ordered endpoint only; empty otherwise.
	Subject string
	// SubjectSeq is the delivery's place among its endpoint's deliveries of
	// Subject, from 1 in publish order; 0 without a subject.
	SubjectSeq int64
	// WaitingFor is the id of the earlier delivery of the same endpoint and
	// subject that this pending delivery waits for: it is not attempted
	// before that one is final, and its NextAttemptAt is HoldUntil until
	// then. Empty when it waits for nothing. See order.go.
	WaitingFor string

	// AttemptLog is filled by the calls that say so, oldest first.
	AttemptLog []*Attempt
}

// Attempt is one HTTP request of a delivery and what came back.
type Attempt struct {
	DeliveryID string
	Number     int // 1 for the first attempt; sent as Herald-Attempt
	At         time.Time
	// StatusCode is the partner's HTTP status; 0 when no reply came (timeout,
	// connection refused, destination not allowed).
	StatusCode int
	Location   string
	// UserMessage and DebugErrorMessage come from an Error Reporting body.
	UserMessage       string
	DebugErrorMessage string
	// Error says in words why the attempt did not deliver: the transport
	// failure, the refusal, or what was wrong with the reply. Empty on success.
	Error   string
	Latency time.Duration
	// ResponseBody is the first MaxResponseBodyKept bytes of the reply body,
	// decompressed if the partner gzip'd it.
	ResponseBody string
	// RequestHeaders are the headers as sent, credentials redacted.
	RequestHeaders map[string]string
}

// DeliveryLease names a claimed delivery and the token of that claim. A node
// may record an attempt or hand the delivery back only while its token is
// the delivery's current one, so a node that lost its lease cannot overwrite
// the work of the node that took the delivery over.
type DeliveryLease struct {
	DeliveryID string
	Token      string
}

// ClaimedDelivery is a due delivery that a node has leased, with everything
// needed to send it.
type ClaimedDelivery struct {
	Delivery
	Lease      DeliveryLease
	LeaseUntil time.Time
	BodyGzip   []byte
	LinkHeader string
	// TraceContext is the event's TraceContext.
	TraceContext string
}

// DeliveryClaimParams are the arguments of Store.DeliveryClaimDue.
type DeliveryClaimParams struct {
	Now time.Time
	// Limit is the most deliveries to claim in one call.
	Limit int
	// LeaseUntil is when the lease ends, and when the delivery is due again
	// if nothing is recorded before then. It must leave time for the
	// request timeout and the recording of the result.
	LeaseUntil time.Time
	// Owner names the claiming node, for operators and for
	// DeliveryReleaseOrphans.
	Owner string
	// ExcludeEndpointIDs are endpoints this node will not take more
	// deliveries for now (their queue is full).
	ExcludeEndpointIDs []string
}

// AttemptRecord is the outcome of handling one claimed delivery.
type AttemptRecord struct {
	Lease DeliveryLease
	// Attempt is the request made, or nil when none was made (the endpoint
	// was disabled or deleted, so the delivery fails without one).
	Attempt *Attempt
	// State is the delivery's new state.
	State DeliveryState
	// NextAttemptAt is when a delivery left pending is due again.
	NextAttemptAt time.Time
	// Location is the 303's Location, for a delivery that it delivered.
	Location string
	// Error says why, when no attempt was made.
	Error string
	// DisableEndpoint, if set, is why the delivery's endpoint is turned
	// off (a 410 Gone reply), as Store.EndpointDisable does, in the same
	// transaction that records the attempt: the 410 is never recorded
	// without the endpoint going off, nor the other way round.
	DisableEndpoint string
	// Unordered says that the delivery has no subject (as it was claimed:
	// its endpoint does not order deliveries), so a store may skip what a
	// final outcome needs for ordered delivery (PostgreSQL's subject
	// locks). False asks for it whatever the delivery.
	Unordered bool
}

// DeliveryListParams filter Store.DeliveryList. Zero fields do not filter.
type DeliveryListParams struct {
	CustomerID string // required
	States     []DeliveryState
	EventType  wire.EventType
	EndpointID string
	Since      time.Time // created at or after
	Until      time.Time // created before
	// EventID and DeliveryID find the deliveries of one event (the
	// Herald-Event-Id a partner quotes) or one delivery.
	EventID    string
	DeliveryID string
	// SystemID and PersonID find the deliveries of events whose body has
	// that systemId, or is about that person (EventSearchKeys).
	SystemID string
	PersonID string
	// Cursor is the NextCursor of the previous page; empty for the first.
	Cursor string
	// Limit is the page size; 0 means 50, and it is capped at 500.
	Limit int
}

// DeliveryListResult is one page of deliveries, newest first.
type DeliveryListResult struct {
	Deliveries []*Delivery
	// NextCursor fetches the next page; empty on the last one.
	NextCursor string
}

// NewDelivery returns the delivery ev makes to endpoint e, created at
// ev.CreatedAt, or nil if e does not want ev. An endpoint subscribed to ev
// (type and status triggers) but disabled gets one too, failed from the
// start with no attempt and the reason in LastError, so what it missed
// while disabled is listed as missed and can be replayed once it is enabled
// again (as Svix keeps a failed attempt for a disabled endpoint). An
// event with OnlyEndpointID makes deliveries to that endpoint alone. Every
// store builds its deliveries with it, so the rule lives in one place.
func NewDelivery(e *Endpoint, ev *Event) *Delivery {
	if ev.OnlyEndpointID != "" && ev.OnlyEndpointID != e.ID {
		return nil
	}
	d := &Delivery{
		ID:            NewID(IDPrefixDelivery, ev.CreatedAt),
		EventID:       ev.ID,
		EndpointID:    e.ID,
		CustomerID:    ev.CustomerID,
		EventType:     ev.Type,
		State:         DeliveryStatePending,
		NextAttemptAt: ev.CreatedAt,
		CreatedAt:     ev.CreatedAt,
		UpdatedAt:     ev.CreatedAt,
	}
	if e.Wants(ev.Type, ev.NewStatus) {
		if e.Ordered {
			// The store then places it in its subject's queue
			// (Delivery.Follow).
			d.Subject = EventSubject(ev)
		}
		return d
	}
	// Wants says no to every event while the endpoint is disabled; ask
	// what it would say if the endpoint were enabled.
	enabled := *e
	enabled.Enabled = true
	if e.Enabled || !enabled.Wants(ev.Type, ev.NewStatus) {
		return nil
	}
	d.State = DeliveryStateFailed
	d.LastError = "endpoint disabled"
	if e.DisabledReason != "" {
		d.LastError += ": " + e.DisabledReason
	}
	return d
}

// DeliveryAttemptInProgress is the ECONFLICT of Store.DeliveryRetry for a
// delivery whose attempt is in flight (leased): retried now, it could be
// sent twice at once.
func DeliveryAttemptInProgress(id string) *Error {
	return Errorf(ECONFLICT, "delivery %q is being attempted; retry it once the attempt ends", id)
}

// Check returns nil if s is a delivery state, else EINVALID naming it.
func (s DeliveryState) Check() error {
	if !s.Valid() {
		return Errorf(EINVALID, "state %q is not a delivery state", s)
	}
	return nil
}

// ValidateClaim checks what every claim (of deliveries, of operator
// events) needs: room for at least one, and a lease that ends after now.
func ValidateClaim(limit int, now, leaseUntil time.Time) error {
	if limit <= 0 {
		return Errorf(EINVALID, "limit must be positive")
	}
	return ValidateLease(now, leaseUntil)
}

// ValidateClaimIDs checks a Store.DeliveryClaimIDs call: a lease that ends
// after now, and at most MaxDeliveryClaimIDs ids.
func ValidateClaimIDs(ids []string, now, leaseUntil time.Time) error {
	if err := ValidateLease(now, leaseUntil); err != nil {
		return err
	}
	if len(ids) > MaxDeliveryClaimIDs {
		return Errorf(EINVALID, "ids cannot hold more than %d ids (got %d)", MaxDeliveryClaimIDs, len(ids))
	}
	return nil
}

// ValidateLease checks that a lease ends after now (a claim by id takes
// what it names, so it has no limit).
func ValidateLease(now, leaseUntil time.Time) error {
	if !leaseUntil.After(now) {
		return Errorf(EINVALID, "leaseUntil must be after now")
	}
	return nil
}

// Validate checks a delivery list's customer, limit and states; a zero
// limit means the store's default page.
func (p *DeliveryListParams) Validate() error {
	if p.CustomerID == "" {
		return Errorf(EINVALID, "customerId is required")
	}
	if p.Limit < 0 {
		return Errorf(EINVALID, "limit cannot be negative")
	}
	for _, st := range p.States {
		if err := st.Check(); err != nil {
			return err
		}
	}
	return nil
}
