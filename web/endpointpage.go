package web

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// The endpoint page (/ui/customers/{customerId}/endpoints/{endpointId}):
// everything about one endpoint in one place, and what can be done to it
// alone. The form that edits its subscription and authentication is at
// .../edit (endpoint.go).

// missedStates are what an endpoint misses while failing or disabled:
// deliveries failed without an attempt, and those whose retries ran out.
var missedStates = []herald.DeliveryState{herald.DeliveryStateFailed, herald.DeliveryStateDead}

// missedLookback is how far back the endpoint page looks for missed
// deliveries of an endpoint that is healthy now: longer than a weekend.
const missedLookback = 7 * 24 * time.Hour

// signingView is one Standard Webhooks secret, masked.
type signingView struct {
	Masked    string
	ExpiresAt time.Time // zero: the current secret
}

// missedView is what the endpoint missed since it began failing or was
// disabled, and the filter a replay of it uses.
type missedView struct {
	Since   time.Time
	Why     string // "since it was disabled", "since it began failing"
	Total   int
	ByState []stateCount
	filter  herald.DeliveryFilter
}

// controlsForm is the per-endpoint delivery controls as typed.
type controlsForm struct {
	MaxConcurrency, RateLimit, RateBurst, CircuitThreshold, CircuitCooldown string
	Errors                                                                  map[string]string
}

type endpointPageData struct {
	Cust     *herald.Customer
	E        *herald.Endpoint
	Health   *herald.EndpointHealth // nil without a HealthStore
	Circuit  string                 // "", closed, open, half_open
	OpenTill time.Time              // the open circuit's next probe
	Now      time.Time
	Signing  []signingView
	Charts   []template.HTML
	Recent   []*herald.Delivery
	Missed   *missedView
	Test     *testResult
	Controls *controlsForm
	// NewSecret is a Standard Webhooks secret just made: shown once.
	NewSecret string
	Window    time.Duration
	Overlap   time.Duration // a replaced signing secret's
	// Defaults of the controls, shown beside them.
	DefaultConcurrency, DefaultThreshold int
	DefaultCooldown                      time.Duration
	MaxConcurrency                       int
}

func (d *endpointPageData) customer() *herald.Customer { return d.Cust }

// controlsFromEndpoint fills the controls form with the stored values
// (empty: the default).
func controlsFromEndpoint(e *herald.Endpoint) *controlsForm {
	f := &controlsForm{Errors: map[string]string{}}
	if e.MaxConcurrency > 0 {
		f.MaxConcurrency = strconv.Itoa(e.MaxConcurrency)
	}
	if e.RateLimit > 0 {
		f.RateLimit = strconv.FormatFloat(e.RateLimit, 'f', -1, 64)
	}
	if e.RateBurst > 0 {
		f.RateBurst = strconv.Itoa(e.RateBurst)
	}
	if e.CircuitThreshold > 0 {
		f.CircuitThreshold = strconv.Itoa(e.CircuitThreshold)
	}
	if e.CircuitCooldown > 0 {
		f.CircuitCooldown = strconv.FormatFloat(e.CircuitCooldown.Seconds(), 'f', -1, 64)
	}
	return f
}

// handleEndpointPage serves GET /ui/customers/{customerId}/endpoints/{endpointId}.
func (s *Server) handleEndpointPage(w http.ResponseWriter, r *http.Request) error {
	c, err := s.customerFor(r)
	if err != nil {
		return err
	}
	e, err := s.endpointFor(r, c)
	if err != nil {
		return err
	}
	return s.renderEndpointPage(w, r, http.StatusOK, c, e, func(d *endpointPageData) {})
}

// renderEndpointPage loads what the page shows and renders it; edit sets
// the parts a POST produced (a test result, a new secret, form errors).
func (s *Server) renderEndpointPage(w http.ResponseWriter, r *http.Request, status int, c *herald.Customer, e *herald.Endpoint, edit func(*endpointPageData)) error {
	now := s.now()
	d := &endpointPageData{Cust: c, E: e, Now: now, Controls: controlsFromEndpoint(e), Window: s.cfg.HealthWindow,
		Overlap:            herald.DefaultRotationOverlap,
		DefaultConcurrency: herald.DefaultEndpointConcurrency, DefaultThreshold: herald.DefaultCircuitThreshold,
		DefaultCooldown: herald.DefaultCircuitCooldown, MaxConcurrency: herald.MaxEndpointConcurrency}
	for _, sec := range e.Auth.SigningSecrets {
		if sec.ExpiresAt.IsZero() || now.Before(sec.ExpiresAt) {
			d.Signing = append(d.Signing, signingView{Masked: sec.Secret.Masked(), ExpiresAt: sec.ExpiresAt})
		}
	}
	if s.cfg.CircuitStateFunc != nil {
		d.Circuit = s.cfg.CircuitStateFunc(e.ID)
		if d.Circuit == "open" && s.cfg.CircuitOpenUntilFunc != nil {
			d.OpenTill = s.cfg.CircuitOpenUntilFunc(e.ID)
		}
	}
	if s.cfg.Health != nil {
		hs, err := s.cfg.Health.EndpointHealthList(r.Context(), &herald.EndpointHealthParams{
			CustomerID: c.ID, EndpointID: e.ID, Since: now.Add(-s.cfg.HealthWindow)})
		if err != nil {
			return fmt.Errorf("endpoint health: %w", err)
		}
		d.Health = hs[0]
		// Charts: the last 24 hours by hour, the last 7 days by 6 hours,
		// each ending at the end of the current bucket.
		for _, v := range []struct {
			id, label string
			span      time.Duration
			bucket    time.Duration
		}{{"day", "24 hours", 24 * time.Hour, time.Hour}, {"week", "7 days", 7 * 24 * time.Hour, 6 * time.Hour}} {
			until := now.Truncate(v.bucket).Add(v.bucket)
			ss, err := s.cfg.Health.AttemptStats(r.Context(), &herald.AttemptStatsParams{CustomerID: c.ID, EndpointID: e.ID,
				Since: until.Add(-v.span), Until: until, Bucket: v.bucket})
			if err != nil {
				return fmt.Errorf("attempt stats: %w", err)
			}
			d.Charts = append(d.Charts,
				attemptsChart("attempts-"+v.id, "Attempts, last "+v.label, ss[0], v.bucket).HTML(),
				latencyChart("latency-"+v.id, "Latency, last "+v.label, ss[0], v.bucket).HTML())
		}
	}
	res, err := s.cfg.Store.DeliveryList(r.Context(), &herald.DeliveryListParams{CustomerID: c.ID, EndpointID: e.ID, Limit: 10})
	if err != nil {
		return fmt.Errorf("list deliveries: %w", err)
	}
	d.Recent = res.Deliveries
	if d.Missed, err = s.missed(r, e, d.Health); err != nil {
		return err
	}
	edit(d)
	s.render(w, r, status, "endpoint_page", "Endpoint · "+c.Name, d)
	return nil
}

// missed counts what the endpoint missed: failed or dead deliveries
// changed since it was disabled (or paused, or began failing), or in the
// last missedLookback when it is healthy. Nil when the server keeps no
// replay jobs or no health.
func (s *Server) missed(r *http.Request, e *herald.Endpoint, h *herald.EndpointHealth) (*missedView, error) {
	if s.cfg.Replays == nil || h == nil {
		return nil, nil
	}
	m := &missedView{}
	switch {
	case !h.DisabledAt.IsZero():
		m.Since, m.Why = h.DisabledAt, "since Herald disabled it"
	case !e.Enabled && !e.DisabledAt.IsZero():
		m.Since, m.Why = e.DisabledAt, "since it was paused"
	case !e.Enabled:
		m.Since, m.Why = e.UpdatedAt, "since it was paused"
	case !h.FailingSince.IsZero():
		m.Since, m.Why = h.FailingSince, "since it began failing"
	default:
		// Healthy now (resumed, or recovered): what failed lately, so
		// what it missed while paused can still be replayed.
		m.Since, m.Why = s.now().Add(-missedLookback), "in the last "+span(missedLookback)
	}
	m.filter = herald.DeliveryFilter{CustomerID: e.CustomerID, EndpointID: e.ID, States: missedStates, ChangedSince: m.Since}
	counts, err := s.cfg.Replays.DeliveryCountByState(r.Context(), &m.filter)
	if err != nil {
		return nil, fmt.Errorf("count missed deliveries: %w", err)
	}
	for _, st := range missedStates {
		if n := counts[st]; n > 0 {
			m.Total += n
			m.ByState = append(m.ByState, stateCount{st, n})
		}
	}
	return m, nil
}

// handleEndpointPause serves POST .../endpoints/{endpointId}/pause and
// .../resume: turn the endpoint off or on. Resuming clears the reason
// Herald gave for disabling it.
func (s *Server) handleEndpointPause(w http.ResponseWriter, r *http.Request) error {
	c, err := s.customerFor(r)
	if err != nil {
		return err
	}
	e, err := s.endpointFor(r, c)
	if err != nil {
		return err
	}
	resume := strings.HasSuffix(r.URL.Path, "/resume")
	e.Enabled = resume
	if resume {
		e.DisabledReason = ""
	}
	// Recorded if this turns it off; pausing a paused endpoint keeps who
	// paused it first (the store's rule).
	e.DisabledBy = sessionFromContext(r.Context()).actor()
	if err := s.cfg.Store.EndpointUpdate(r.Context(), e); err != nil {
		return fmt.Errorf("update endpoint: %w", err)
	}
	done := "paused"
	if resume {
		done = "resumed"
	}
	s.cfg.Logger.InfoContext(r.Context(), "endpoint "+done, slog.String("endpoint_id", e.ID), slog.String("customer_id", c.ID))
	return redirect(w, r, customerPath(c.ID, "endpoints", e.ID)+"?done="+done)
}

// handleEndpointControls serves POST .../endpoints/{endpointId}/controls:
// concurrency, rate limit and circuit breaker. Every field's error is
// shown at once; empty means the default.
func (s *Server) handleEndpointControls(w http.ResponseWriter, r *http.Request) error {
	c, err := s.customerFor(r)
	if err != nil {
		return err
	}
	e, err := s.endpointFor(r, c)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return herald.Errorf(herald.ETOOLARGE, "The form is too large.")
	}
	pf := r.PostForm
	f := &controlsForm{Errors: map[string]string{},
		MaxConcurrency: strings.TrimSpace(pf.Get("maxConcurrency")), RateLimit: strings.TrimSpace(pf.Get("rateLimit")),
		RateBurst: strings.TrimSpace(pf.Get("rateBurst")), CircuitThreshold: strings.TrimSpace(pf.Get("circuitThreshold")),
		CircuitCooldown: strings.TrimSpace(pf.Get("circuitCooldown"))}
	whole := func(field, v string, lo, hi int, msg string) int {
		if v == "" {
			return 0
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			f.Errors[field] = msg
			return 0
		}
		return n
	}
	next := *e
	next.MaxConcurrency = whole("maxConcurrency", f.MaxConcurrency, 1, herald.MaxEndpointConcurrency,
		fmt.Sprintf("Enter a whole number from 1 to %d, or leave it empty for the default (%d).", herald.MaxEndpointConcurrency, herald.DefaultEndpointConcurrency))
	next.RateBurst = whole("rateBurst", f.RateBurst, 1, herald.MaxEndpointRateBurst,
		fmt.Sprintf("Enter a whole number from 1 to %d, or leave it empty.", herald.MaxEndpointRateBurst))
	next.CircuitThreshold = whole("circuitThreshold", f.CircuitThreshold, 1, herald.MaxCircuitThreshold,
		fmt.Sprintf("Enter a whole number from 1 to %d, or leave it empty for the default (%d).", herald.MaxCircuitThreshold, herald.DefaultCircuitThreshold))
	next.RateLimit = 0
	if f.RateLimit != "" {
		v, err := strconv.ParseFloat(f.RateLimit, 64)
		if err != nil || !(v > 0 && v <= herald.MaxEndpointRateLimit) {
			f.Errors["rateLimit"] = fmt.Sprintf("Enter requests per second, more than 0 and at most %d, or leave it empty for no limit.", herald.MaxEndpointRateLimit)
		} else {
			next.RateLimit = v
		}
	}
	next.CircuitCooldown = 0
	if f.CircuitCooldown != "" {
		v, err := strconv.ParseFloat(f.CircuitCooldown, 64)
		if err != nil || !(v >= 0.001 && v <= herald.MaxCircuitCooldown.Seconds()) {
			f.Errors["circuitCooldown"] = fmt.Sprintf("Enter seconds, from 0.001 to %d, or leave it empty for the default (%s).",
				int(herald.MaxCircuitCooldown.Seconds()), herald.DefaultCircuitCooldown)
		} else {
			next.CircuitCooldown = time.Duration(v * float64(time.Second)).Round(time.Millisecond)
		}
	}
	if len(f.Errors) == 0 {
		err := s.cfg.Store.EndpointUpdate(r.Context(), &next)
		if herald.ErrorCode(err) == herald.EINVALID {
			f.Errors["controls"] = humanMessage(herald.ErrorMessage(err))
		} else if err != nil {
			return fmt.Errorf("update endpoint controls: %w", err)
		}
	}
	if len(f.Errors) > 0 {
		return s.renderEndpointPage(w, r, http.StatusBadRequest, c, e, func(d *endpointPageData) { d.Controls = f })
	}
	return redirect(w, r, customerPath(c.ID, "endpoints", e.ID)+"?done=controls")
}

// newWebhookSecret returns a fresh Standard Webhooks secret: whsec_ and
// 32 random bytes in base64.
func newWebhookSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return wire.WebhookSecretPrefix + base64.StdEncoding.EncodeToString(b), nil
}

// handleEndpointRotate serves POST .../endpoints/{endpointId}/rotate-secret:
// a new Standard Webhooks secret, shown on the page this once; the old one
// keeps signing for herald.DefaultRotationOverlap.
func (s *Server) handleEndpointRotate(w http.ResponseWriter, r *http.Request) error {
	c, err := s.customerFor(r)
	if err != nil {
		return err
	}
	e, err := s.endpointFor(r, c)
	if err != nil {
		return err
	}
	if e.Auth.Type != herald.AuthTypeStandardWebhooks {
		return herald.Errorf(herald.EINVALID, "Only an endpoint with Standard Webhooks authentication has a signing secret to rotate.")
	}
	secret, err := newWebhookSecret()
	if err != nil {
		return fmt.Errorf("new signing secret: %w", err)
	}
	e.Auth.RotateSigningSecret(herald.Secret(secret), s.now(), herald.DefaultRotationOverlap)
	if err := s.cfg.Store.EndpointUpdate(r.Context(), e); err != nil {
		return fmt.Errorf("rotate signing secret: %w", err)
	}
	s.cfg.Logger.InfoContext(r.Context(), "signing secret rotated", slog.String("endpoint_id", e.ID), slog.String("customer_id", c.ID))
	return s.renderEndpointPage(w, r, http.StatusOK, c, e, func(d *endpointPageData) { d.NewSecret = secret })
}

// handleEndpointTestEvent serves POST .../endpoints/{endpointId}/test-events:
// a sample event of the chosen type to this endpoint alone.
func (s *Server) handleEndpointTestEvent(w http.ResponseWriter, r *http.Request) error {
	c, err := s.customerFor(r)
	if err != nil {
		return err
	}
	e, err := s.endpointFor(r, c)
	if err != nil {
		return err
	}
	t := wire.EventType(r.PostFormValue("eventType"))
	if !t.Valid() {
		return herald.Errorf(herald.EINVALID, "Choose an event type.")
	}
	params := s.sampleParams(t, c.ID)
	if t == wire.EventTypeWorkFlowStatusChange && len(e.StatusTriggers) > 0 {
		params.NewStatus = e.StatusTriggers[0] // one the endpoint wants
	}
	out, err := s.sendTestEvent(r, c, params, e.ID)
	if err != nil {
		return err
	}
	return s.renderEndpointPage(w, r, http.StatusOK, c, e, func(d *endpointPageData) { d.Test = out })
}

// handleEndpointReplayConfirm serves GET .../endpoints/{endpointId}/replay-missed:
// the question before the replay, with how many deliveries it resends.
func (s *Server) handleEndpointReplayConfirm(w http.ResponseWriter, r *http.Request) error {
	c, e, m, err := s.missedFor(r)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "confirm", "Replay what the endpoint missed · "+c.Name, &confirmData{Cust: c,
		Heading: "Replay what this endpoint missed?",
		Lines: []string{fmt.Sprintf("This sends %d %s again to %s: the failed and dead deliveries %s (%s).",
			m.Total, plural(m.Total, "delivery", "deliveries"), e.URL, m.Why, m.Since.UTC().Format("2006-01-02 15:04 UTC")),
			"Each is sent as the same event, with the same Herald-Event-Id, so the partner can tell a repeat."},
		Action: customerPath(c.ID, "endpoints", e.ID, "replay-missed"),
		Button: fmt.Sprintf("Replay %d %s", m.Total, plural(m.Total, "delivery", "deliveries")),
		Cancel: customerPath(c.ID, "endpoints", e.ID)})
	return nil
}

// handleEndpointReplayMissed serves POST .../endpoints/{endpointId}/replay-missed:
// a replay job of what the endpoint missed.
func (s *Server) handleEndpointReplayMissed(w http.ResponseWriter, r *http.Request) error {
	c, _, m, err := s.missedFor(r)
	if err != nil {
		return err
	}
	j := &herald.ReplayJob{CustomerID: c.ID, Filter: m.filter}
	if err := s.cfg.Replays.ReplayJobCreate(r.Context(), j, s.now()); err != nil {
		return fmt.Errorf("create replay job: %w", err)
	}
	s.cfg.ReplayWakeFunc()
	return redirect(w, r, customerPath(c.ID, "replays", j.ID))
}

func (s *Server) missedFor(r *http.Request) (*herald.Customer, *herald.Endpoint, *missedView, error) {
	c, err := s.customerFor(r)
	if err != nil {
		return nil, nil, nil, err
	}
	e, err := s.endpointFor(r, c)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := s.replaysEnabled(); err != nil {
		return nil, nil, nil, err
	}
	var h *herald.EndpointHealth
	if s.cfg.Health != nil {
		hs, err := s.cfg.Health.EndpointHealthList(r.Context(), &herald.EndpointHealthParams{CustomerID: c.ID, EndpointID: e.ID, Since: s.now()})
		if err != nil {
			return nil, nil, nil, fmt.Errorf("endpoint health: %w", err)
		}
		h = hs[0]
	}
	m, err := s.missed(r, e, h)
	if err != nil {
		return nil, nil, nil, err
	}
	if m == nil || m.Total == 0 {
		return nil, nil, nil, herald.Errorf(herald.ENOTFOUND, "This endpoint has missed nothing to replay.")
	}
	return c, e, m, nil
}

// confirmData is the "are you sure" page of an action that cannot be
// undone, or that sends many requests.
type confirmData struct {
	Cust    *herald.Customer
	Heading string
	Lines   []string
	Action  string // where the form posts
	Button  string
	Danger  bool
	Cancel  string
	// Hidden are fields the form posts back (a replay filter, say).
	Hidden [][2]string
	// Type, when set, asks the person to type this value (a customer id)
	// before the button works.
	Type, TypeLabel, TypeError string
}

func (d *confirmData) customer() *herald.Customer { return d.Cust }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
