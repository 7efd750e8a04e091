package conformance

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// Defaults of Config.
const (
	// DefaultSlowAfter is the reply time above which the latency check
	// warns: a person waiting on an interactive event notices it.
	DefaultSlowAfter = 5 * time.Second
	// DefaultPublicURL is the base of test events' links when none is set.
	DefaultPublicURL = "https://api.example.com"
	// DefaultBudget is how long a run may go on starting requests.
	DefaultBudget = 5 * time.Minute
	// DefaultCustomerID is the customerId of test events when none is set.
	DefaultCustomerID = "herald-test"
	// staleBy is how old the auth-stale check's signature is: twice the
	// five minutes receivers must tolerate (spec section 5).
	staleBy = 10 * time.Minute
)

// Config configures a Battery.
type Config struct {
	// Client sends the requests. Whatever its CheckRedirect, the battery
	// never follows a redirect (a 303 is a result). Default: a client
	// with a transport of its own, a copy of http.DefaultTransport's
	// settings, so the battery never sends a POST on an idle connection
	// another caller pooled to a server that has gone since (a test
	// server's port, reused): such a POST fails, and is not retried.
	// Give Herald's policy-guarded client where the destination must be
	// checked (the API and UI).
	Client *http.Client
	// Deadline bounds each request, reply included: a reply later than
	// this fails. Default: herald.DefaultInteractiveDeadline (30s).
	Deadline time.Duration
	// SlowAfter is the reply time above which the latency check warns.
	// Default: DefaultSlowAfter (5s).
	SlowAfter time.Duration
	// Budget bounds a whole run: once it is spent no new request starts
	// (the rest are skipped, saying so), so a run takes at most Budget plus
	// one Deadline. Default: DefaultBudget (5m). A server answering an
	// HTTP request should give less than its write timeout minus Deadline.
	Budget time.Duration
	// PublicURL is the base of the test events' links (an absolute http or
	// https URL without query). Default: DefaultPublicURL.
	PublicURL string
	// CustomerID is the customerId of test events when the Target does not
	// name one. Default: DefaultCustomerID.
	CustomerID string
	// UserAgent is sent with every request. Default: "herald-check".
	UserAgent string
	// NowFunc returns the current time, for signatures. Default: time.Now.
	NowFunc func() time.Time
}

// Target is the endpoint a battery runs against, and how to sign for it.
type Target struct {
	// URL is the partner endpoint. Required: absolute http or https.
	URL string
	// Signer authenticates the requests as Herald would: wire.BasicAuth,
	// wire.HMACAuth, wire.StandardWebhooks, *wire.OAuth2TokenSource or
	// wire.BearerToken. Nil: no authentication.
	Signer wire.Signer
	// EventTypes limits the events sent. Default: all seven
	// (wire.EventTypes).
	EventTypes []wire.EventType
	// CustomerID overrides Config.CustomerID.
	CustomerID string
}

// Battery runs the conformance checks. It is safe for concurrent use; each
// Run is independent.
type Battery struct {
	cfg Config
}

var _ herald.EndpointChecker = (*Battery)(nil)

// New returns a Battery for cfg, or an error naming the first bad field.
func New(cfg Config) (*Battery, error) {
	switch {
	case cfg.Deadline < 0:
		return nil, errors.New("conformance config: Deadline cannot be negative")
	case cfg.SlowAfter < 0:
		return nil, errors.New("conformance config: SlowAfter cannot be negative")
	case cfg.Budget < 0:
		return nil, errors.New("conformance config: Budget cannot be negative")
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	// A copy, so the caller's client keeps its own redirect policy.
	c := *cfg.Client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	cfg.Client = &c
	if cfg.Deadline == 0 {
		cfg.Deadline = herald.DefaultInteractiveDeadline
	}
	if cfg.SlowAfter == 0 {
		cfg.SlowAfter = DefaultSlowAfter
	}
	if cfg.Budget == 0 {
		cfg.Budget = DefaultBudget
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = DefaultPublicURL
	}
	if cfg.CustomerID == "" {
		cfg.CustomerID = DefaultCustomerID
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "herald-check"
	}
	if cfg.NowFunc == nil {
		cfg.NowFunc = time.Now
	}
	// Validate the public URL and customer id the way events will use them.
	p := &wire.EventParams{EventType: wire.EventTypeViewJobWebPost, SystemID: wire.TestIDPrefix + "0", UserID: wire.TestIDPrefix + "0"}
	if _, _, err := wire.BuildTestEvent(cfg.PublicURL, cfg.CustomerID, p); err != nil {
		return nil, fmt.Errorf("conformance config: %w", err)
	}
	return &Battery{cfg: cfg}, nil
}

// CheckEndpoint implements herald.EndpointChecker: it runs the battery
// against e's URL and event types, signed with e's stored credentials (an
// OAuth 2.0 token is fetched through the battery's client), with e's
// customer id in the bodies.
func (b *Battery) CheckEndpoint(ctx context.Context, e *herald.Endpoint) (*herald.CheckReport, error) {
	var tokens *wire.OAuth2TokenSource
	if e.Auth.Type == herald.AuthTypeOAuth2 {
		tokens = e.Auth.TokenSource()
		tokens.Client = b.cfg.Client
		tokens.NowFunc = b.cfg.NowFunc
	}
	return b.Run(ctx, &Target{
		URL:        e.URL,
		Signer:     e.Auth.Signer(b.cfg.NowFunc(), tokens),
		EventTypes: e.EventTypes,
		CustomerID: e.CustomerID,
	})
}

// Run runs every check against t and returns the report. The partner's
// failures are in the report; the error is for a bad Target or ctx ending.
func (b *Battery) Run(ctx context.Context, t *Target) (*herald.CheckReport, error) {
	u, err := url.Parse(t.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, herald.Errorf(herald.EINVALID, "the endpoint URL must be an absolute http or https URL")
	}
	types := t.EventTypes
	if len(types) == 0 {
		types = wire.EventTypes
	}
	for _, typ := range types {
		if !typ.Canonical().Valid() {
			return nil, herald.Errorf(herald.EINVALID, "unknown event type %q", typ)
		}
	}
	customer := t.CustomerID
	if customer == "" {
		customer = b.cfg.CustomerID
	}
	r := &run{b: b, t: t, https: u.Scheme == "https", customer: customer, mode: modeOf(t.Signer),
		until: time.Now().Add(b.cfg.Budget)}
	report := &herald.CheckReport{URL: t.URL, Auth: r.mode, StartedAt: b.cfg.NowFunc().UTC()}
	for _, typ := range types {
		if typ = typ.Canonical(); !slices.Contains(report.EventTypes, typ) {
			report.EventTypes = append(report.EventTypes, typ)
		}
	}
	start := time.Now()

	if ts, ok := t.Signer.(*wire.OAuth2TokenSource); ok {
		r.checkOAuth2Token(ctx, ts)
	}
	for _, typ := range report.EventTypes {
		r.checkEventType(ctx, typ)
	}
	r.checkAuth(ctx, report.EventTypes[0])
	r.checkMalformed(ctx, report.EventTypes[0])
	r.checkRedirects()
	r.checkLatency()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("check endpoint: %w", err)
	}

	report.Results = r.results
	report.DurationMS = time.Since(start).Milliseconds()
	report.Tally()
	return report, nil
}

// Auth modes a Target's signer stands for. Bearer is not an endpoint
// setting, but `herald check --auth bearer` can send a fixed token.
const authTypeBearer herald.AuthType = "bearer"

func modeOf(s wire.Signer) herald.AuthType {
	switch s.(type) {
	case nil:
		return herald.AuthTypeNone
	case wire.BasicAuth:
		return herald.AuthTypeBasic
	case wire.HMACAuth:
		return herald.AuthTypeHMAC
	case wire.StandardWebhooks:
		return herald.AuthTypeStandardWebhooks
	case *wire.OAuth2TokenSource:
		return herald.AuthTypeOAuth2
	case wire.BearerToken:
		return authTypeBearer
	}
	return herald.AuthType(fmt.Sprintf("%T", s))
}

// run is one Run's state.
type run struct {
	b        *Battery
	t        *Target
	https    bool // the endpoint is https (production); http is development
	customer string
	mode     herald.AuthType
	results  []herald.CheckResult
	// valid holds the exchanges of valid events (for latency); all holds
	// every exchange (for redirects).
	valid, all []*exchange
	// stop, once set, says why no further request is sent.
	stop string
	// until is when the run's budget is spent.
	until time.Time
}

// testEvent is one test event: its id, params, body and Link header.
type testEvent struct {
	id         string
	typ        wire.EventType
	params     *wire.EventParams
	body       []byte
	linkHeader string
	links      []wire.Link
}

// newEvent builds a fresh test event of typ: new event id, new test ids.
func (r *run) newEvent(typ wire.EventType) *testEvent {
	now := r.b.cfg.NowFunc()
	p := sampleParams(typ, testID(), testID(), testID(), testID())
	body, links, err := wire.BuildTestEvent(r.b.cfg.PublicURL, r.customer, p)
	if err != nil {
		// New validated the public URL and customer id, and the samples
		// are valid for every type: a bug.
		panic("conformance: build test event: " + err.Error())
	}
	return &testEvent{id: herald.NewID(herald.IDPrefixEvent, now), typ: typ, params: p, body: body,
		linkHeader: wire.FormatLinkHeader(links), links: links}
}

// testID returns a fresh id reserved for test events: "herald-test-" and
// eight random hex digits.
func testID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b) // never fails (crypto/rand documentation)
	return wire.TestIDPrefix + hex.EncodeToString(b)
}

// testReturnURL is where test events send people back to: the .invalid
// top-level domain never resolves (RFC 2606), so nobody lands anywhere.
const testReturnURL = "https://herald-test.invalid"

// sampleParams returns a complete event of type t with the given test ids.
func sampleParams(t wire.EventType, system, user, person, job string) *wire.EventParams {
	p := &wire.EventParams{EventType: t, SystemID: system, UserID: user}
	switch t {
	case wire.EventTypeAssessment:
		p.JobID, p.ReturnURL = job, testReturnURL+"/return?i=1"
	case wire.EventTypeWorkFlowStatusChange:
		p.PersonID, p.JobID, p.OldStatus, p.NewStatus = person, job, "herald-test-old", "herald-test-new"
	case wire.EventTypeOnboardPortalTask:
		p.ReturnURL, p.IncompleteURL = testReturnURL+"/task/complete", testReturnURL+"/task/incomplete"
	case wire.EventTypeJobPostToWeb:
		p.PortalURL = testReturnURL + "/jobs/" + system
	case wire.EventTypeRemoteLogin:
		p.UserID, p.ReturnURL = system, testReturnURL
	}
	return p
}

// wrongSigner returns a signer of the same kind as s with credentials the
// partner cannot know, or nil when s is nil.
func wrongSigner(s wire.Signer) wire.Signer {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	switch s := s.(type) {
	case nil:
		return nil
	case wire.BasicAuth:
		return wire.BasicAuth{Username: s.Username, Password: "herald-test-" + hex.EncodeToString(key[:12])}
	case wire.HMACAuth:
		return wire.HMACAuth{Username: s.Username, Secret: key}
	case wire.StandardWebhooks:
		return wire.StandardWebhooks{Secrets: []string{wire.WebhookSecretPrefix + base64.StdEncoding.EncodeToString(key)}}
	}
	// OAuth 2.0 and bearer: a token nobody issued.
	return wire.BearerToken("herald-test-" + hex.EncodeToString(key))
}

// signsBody reports whether the mode's signature covers the body and a
// time: only those can refuse a changed body or a replayed request.
func signsBody(mode herald.AuthType) bool {
	return mode == herald.AuthTypeHMAC || mode == herald.AuthTypeStandardWebhooks
}

func (r *run) add(res herald.CheckResult) { r.results = append(r.results, res) }
