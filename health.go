package herald

import (
	"context"
	"time"
)

// Endpoint health: how an endpoint has fared lately, and the lifecycle that
// follows from it (an endpoint failing for days is disabled, and says so).
//
// For health, an attempt is healthy when the partner gave one of the three
// answers of the contract: 2xx, 303 See Other, or 400 with an Error Reporting
// body (a rejection is the partner working as designed). Anything else (no
// reply, 408, 410, 429, 5xx, other statuses) is a failure. A failing streak
// is the run of failed attempts since the last healthy one.

// DefaultDisableAfter is how long an endpoint may fail continuously (no
// healthy attempt, and at least one failed attempt) before it is disabled:
// five days, as Svix does, longer than the retry schedule
// (DefaultRetrySchedule, about three days), so a partner's long weekend
// outage makes deliveries dead before it costs the endpoint.
const DefaultDisableAfter = 5 * 24 * time.Hour

// DefaultHealthWindow is the window of EndpointHealth when the caller gives
// none.
const DefaultHealthWindow = 24 * time.Hour

// EndpointHealth is how an endpoint has fared: counts and latency over the
// attempts of a recent window, and its failing streak over all time.
type EndpointHealth struct {
	EndpointID string
	CustomerID string
	// Since is the start of the window the counts and latencies cover.
	Since time.Time

	// Attempts made in the window, split by what came back.
	Attempts  int
	Succeeded int // 2xx, 303
	Rejected  int // 400
	Failed    int // everything else
	// LatencyAvg and LatencyP50 are over the window's attempts; zero when
	// there were none. P50 is the lower median (an attempt's own latency).
	LatencyAvg time.Duration
	LatencyP50 time.Duration

	// These cover the endpoint's whole life, not only the window.
	LastAttemptAt time.Time
	LastSuccessAt time.Time // last healthy attempt
	LastFailureAt time.Time
	// LastStatusCode and LastError are those of the last failed attempt.
	LastStatusCode int
	LastError      string
	// FailingSince is the first failed attempt of the current failing
	// streak; zero when the last attempt was healthy (or there was none).
	FailingSince time.Time
	// DisabledAt is when Herald last recorded the endpoint as disabled
	// (endpoint.disabled), zero if never. It stays after a re-enable, so
	// the deliveries the endpoint missed can be found.
	DisabledAt time.Time
}

// SuccessRate is Succeeded / Attempts, from 0 to 1; 0 with no attempts.
func (h *EndpointHealth) SuccessRate() float64 {
	if h.Attempts == 0 {
		return 0
	}
	return float64(h.Succeeded) / float64(h.Attempts)
}

// EndpointHealthParams select the endpoints of Store.EndpointHealthList.
type EndpointHealthParams struct {
	CustomerID string // required
	// EndpointID limits the list to one endpoint. Empty: every endpoint of
	// the customer, oldest first.
	EndpointID string
	// Since starts the window of the counts and latencies. Required.
	Since time.Time
}

// HealthScanParams are the arguments of HealthStore.HealthScan.
type HealthScanParams struct {
	Now time.Time
	// RecoveredAfter is how long a failing streak must have lasted for its
	// end (a healthy attempt) to be an endpoint.recovered event; shorter
	// blips are not worth an operator's attention. Zero: every streak.
	RecoveredAfter time.Duration
	// DeadSettle is how far behind Now the delivery.dead scan stays. A
	// delivery's updated_at is its attempt's start, which commits later
	// (after the attempt, in a batch, on another node), so the scan only
	// looks at deliveries that died at least this long ago: it never
	// steps past a death that has not committed yet.
	DeadSettle time.Duration
	// Limit caps the delivery.dead events of one scan; the next scan goes
	// on where it stopped. Zero: 1000.
	Limit int
}

// HealthScanResult says what one HealthStore.HealthScan recorded.
type HealthScanResult struct {
	// Events are the operator events recorded, oldest first.
	Events []*OperatorEvent
	// More is true when Limit stopped the scan of dead deliveries early.
	More bool
}

// HealthStore keeps what endpoint health and its lifecycle need. It is
// separate from Store so that stores and fakes that only deliver events need
// not implement it; the sqlite and postgres stores implement it on the same
// database. They follow every recorded attempt (a trigger on the attempts
// table keeps each endpoint's failing streak), so nothing in the dispatcher
// has to call them.
//
// Each method is one transaction. Methods return *Error values with the
// codes listed; any other error is internal.
type HealthStore interface {
	// EndpointHealthList returns the health of a customer's endpoints (or
	// of the one p.EndpointID names), oldest endpoint first. An endpoint
	// with no attempt has zero counts. Returns EINVALID without
	// CustomerID or Since, ENOTFOUND if p.EndpointID is not one of the
	// customer's endpoints.
	EndpointHealthList(ctx context.Context, p *EndpointHealthParams) ([]*EndpointHealth, error)
	// EndpointFailingList returns the enabled endpoints whose current
	// failing streak began at or before before, with their health (counts
	// and latencies left zero): the endpoints to disable.
	EndpointFailingList(ctx context.Context, before time.Time) ([]*EndpointHealth, error)
	// HealthScan records, once each, the operator events that changes since
	// the last scan call for: endpoints disabled with a reason (by a 410 or
	// by the monitor) as endpoint.disabled; endpoints re-enabled after
	// that, and failing streaks of at least RecoveredAfter ended by a
	// healthy attempt, as endpoint.recovered; deliveries that became dead
	// as delivery.dead. A re-enabled endpoint starts a new streak. Scans
	// may run at once on several nodes; each event is still recorded once.
	HealthScan(ctx context.Context, p *HealthScanParams) (*HealthScanResult, error)

	// OperatorEventList returns one page of operator events, newest first.
	// Returns EINVALID for a bad cursor, type or limit.
	OperatorEventList(ctx context.Context, p *OperatorEventListParams) (*OperatorEventListResult, error)
	// OperatorEventClaimUnsent leases up to limit operator events that are
	// not sent yet and due at now (oldest first), making them due again at
	// leaseUntil unless OperatorEventRecordSend records a result first.
	OperatorEventClaimUnsent(ctx context.Context, now, leaseUntil time.Time, limit int) ([]*OperatorEvent, error)
	// OperatorEventRecordSend stores the result of sending an operator
	// event to the operator webhook.
	OperatorEventRecordSend(ctx context.Context, r *OperatorEventSendRecord) error
	// AttemptStats counts the attempts of p's span per bucket: one series
	// per endpoint (p.PerEndpoint; the endpoints oldest first, those with
	// no attempt included), or one series in all. Attempts of deleted
	// endpoints are left out. It reads the attempts through the
	// deliveries attempted in the span, so its cost grows with the
	// span's traffic, and it returns at most MaxAttemptStatsBuckets rows
	// per series. Returns EINVALID if p does not validate, ENOTFOUND if
	// p.EndpointID is not one of p.CustomerID's endpoints.
	AttemptStats(ctx context.Context, p *AttemptStatsParams) ([]*AttemptSeries, error)
}

// Validate checks that the health list names its customer and window.
func (p *EndpointHealthParams) Validate() error {
	if p.CustomerID == "" {
		return Errorf(EINVALID, "customerId is required")
	}
	if p.Since.IsZero() {
		return Errorf(EINVALID, "since is required")
	}
	return nil
}
