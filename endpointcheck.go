package herald

import (
	"context"
	"time"

	"github.com/heraldhq/herald/wire"
)

// EndpointChecker runs the conformance battery (`herald check`) against a
// configured endpoint: test events of the endpoint's types, signed with its
// stored credentials and sent through the same outbound destination guard as
// deliveries. Nothing is stored; no delivery or attempt is recorded.
type EndpointChecker interface {
	// CheckEndpoint runs every check against e and returns the report. A
	// partner's failures are in the report, not the error; the error is
	// for the check itself failing to run (ctx cancelled).
	CheckEndpoint(ctx context.Context, e *Endpoint) (*CheckReport, error)
}

// CheckStatus is the verdict of one conformance check.
type CheckStatus string

// Check verdicts. Only CheckStatusFail makes a report fail.
const (
	// CheckStatusPass: the endpoint behaves as the contract asks.
	CheckStatusPass CheckStatus = "pass"
	// CheckStatusWarn: allowed, but likely to hurt in production (a slow
	// reply, a 200 where a person waits for a link).
	CheckStatusWarn CheckStatus = "warn"
	// CheckStatusFail: the endpoint breaks the contract; Fix says how to
	// mend it.
	CheckStatusFail CheckStatus = "fail"
	// CheckStatusSkip: the check does not apply (a signature check of an
	// endpoint without signatures) or could not run; Got says why.
	CheckStatusSkip CheckStatus = "skip"
)

// CheckResult is one check of a conformance report.
type CheckResult struct {
	// Name identifies the check, stable across releases:
	// "event-gzip/AssessmentEvent", "auth-missing", "latency".
	Name string `json:"name"`
	// Title says what the check does, in a line.
	Title string `json:"title"`
	// Protects says what the check protects against: the production
	// trouble an endpoint that fails it will meet.
	Protects string      `json:"protects"`
	Status   CheckStatus `json:"status"`
	// Sent describes the request(s) made, credentials redacted.
	Sent string `json:"sent"`
	// Got describes the reply (or its absence), and for a skip, why.
	Got string `json:"got"`
	// Fix says what to change; empty on a pass.
	Fix string `json:"fix,omitempty"`
	// DurationMS is how long the check's requests took, in milliseconds.
	DurationMS int64 `json:"durationMs"`
}

// CheckReport is the result of running the conformance battery against one
// endpoint.
type CheckReport struct {
	URL string `json:"url"`
	// Auth is the auth mode the requests were signed with.
	Auth       AuthType         `json:"auth"`
	EventTypes []wire.EventType `json:"eventTypes"`
	StartedAt  time.Time        `json:"startedAt"`
	DurationMS int64            `json:"durationMs"`
	// Passed is true when no check failed (warnings and skips allowed).
	Passed  bool          `json:"passed"`
	Counts  CheckCounts   `json:"counts"`
	Results []CheckResult `json:"results"`
}

// CheckCounts counts a report's results by status.
type CheckCounts struct {
	Pass int `json:"pass"`
	Warn int `json:"warn"`
	Fail int `json:"fail"`
	Skip int `json:"skip"`
}

// Tally fills Counts and Passed from Results.
func (r *CheckReport) Tally() {
	r.Counts = CheckCounts{}
	for _, res := range r.Results {
		switch res.Status {
		case CheckStatusPass:
			r.Counts.Pass++
		case CheckStatusWarn:
			r.Counts.Warn++
		case CheckStatusFail:
			r.Counts.Fail++
		case CheckStatusSkip:
			r.Counts.Skip++
		}
	}
	r.Passed = r.Counts.Fail == 0
}
