package herald

import (
	"math"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/heraldhq/herald/wire"
)

// Limits on endpoint configuration, so one bad request cannot store megabytes.
const (
	MaxEndpointURLLength   = 2048
	MaxStatusTriggers      = 200
	MaxEndpointConcurrency = 64
	// DefaultEndpointConcurrency is how many attempts Herald makes to one
	// endpoint at a time unless the endpoint says otherwise. Small, so a
	// partner that hangs ties up few workers, and a partner's server is not
	// flooded by a backlog.
	DefaultEndpointConcurrency = 8
	// DefaultRotationOverlap is how long a replaced Standard Webhooks secret
	// keeps signing beside the new one, so partners can roll over.
	DefaultRotationOverlap = 24 * time.Hour

	// MaxEndpointRateLimit bounds RateLimit (requests per second).
	MaxEndpointRateLimit = 10000
	// MaxEndpointRateBurst bounds RateBurst.
	MaxEndpointRateBurst = 10000
	// DefaultCircuitThreshold is how many attempts in a row must fail in a
	// way worth retrying (timeouts, connection errors, 408, 429, 5xx)
	// before an endpoint's circuit opens. High enough that a blip or two
	// never trips it, low enough that a partner that is down stops tying
	// up workers within seconds.
	DefaultCircuitThreshold = 5
	// MaxCircuitThreshold bounds CircuitThreshold.
	MaxCircuitThreshold = 1000
	// DefaultCircuitCooldown is how long an open circuit fails fast
	// before it lets one probe through.
	DefaultCircuitCooldown = 30 * time.Second
	// MaxCircuitCooldown bounds CircuitCooldown.
	MaxCircuitCooldown = 24 * time.Hour
)

// AuthType is how Herald authenticates its POSTs to an endpoint (spec section 5).
type AuthType string

// Authentication modes.
const (
	AuthTypeNone             AuthType = "none"
	AuthTypeBasic            AuthType = "basic"
	AuthTypeHMAC             AuthType = "hmac" // x-icims-v1-hmac-sha256
	AuthTypeOAuth2           AuthType = "oauth2"
	AuthTypeStandardWebhooks AuthType = "standard-webhooks"
)

// Auth is an endpoint's authentication configuration. Which fields are used
// depends on Type; Validate says which are required.
type Auth struct {
	Type AuthType

	Username string // basic, hmac
	Password Secret // basic
	Secret   Secret // hmac shared secret

	TokenURL     string // oauth2: client-credentials token endpoint
	ClientID     string // oauth2
	ClientSecret Secret // oauth2
	Scope        string // oauth2, optional

	// SigningSecrets are the Standard Webhooks secrets ("whsec_..."), the
	// current one first. A replaced secret keeps signing until its ExpiresAt.
	SigningSecrets []SigningSecret
}

// SigningSecret is one Standard Webhooks secret.
type SigningSecret struct {
	Secret    Secret
	ExpiresAt time.Time // zero: current, never expires
}

// ActiveSigningSecrets returns the secrets that sign at now: the current one
// and any replaced one still inside its overlap.
func (a *Auth) ActiveSigningSecrets(now time.Time) []Secret {
	var out []Secret
	for _, s := range a.SigningSecrets {
		if s.ExpiresAt.IsZero() || now.Before(s.ExpiresAt) {
			out = append(out, s.Secret)
		}
	}
	return out
}

// RotateSigningSecret makes secret the current Standard Webhooks secret. The
// previous current secret keeps signing until now+overlap; secrets whose
// overlap has ended are dropped. Rotating to the current secret changes nothing.
func (a *Auth) RotateSigningSecret(secret Secret, now time.Time, overlap time.Duration) {
	if len(a.SigningSecrets) > 0 && a.SigningSecrets[0].Secret == secret && a.SigningSecrets[0].ExpiresAt.IsZero() {
		return
	}
	next := []SigningSecret{{Secret: secret}}
	for _, s := range a.SigningSecrets {
		switch {
		case s.Secret == secret:
			continue
		case s.ExpiresAt.IsZero():
			if overlap > 0 {
				next = append(next, SigningSecret{Secret: s.Secret, ExpiresAt: now.Add(overlap)})
			}
		case now.Before(s.ExpiresAt):
			next = append(next, s)
		}
	}
	a.SigningSecrets = next
}

// Validate returns an EINVALID error naming the first missing or bad field.
func (a *Auth) Validate() error {
	switch a.Type {
	case AuthTypeNone:
	case AuthTypeBasic:
		if a.Username == "" || a.Password == "" {
			return Errorf(EINVALID, "auth.username and auth.password are required for basic auth")
		}
		if strings.Contains(a.Username, ":") {
			return Errorf(EINVALID, "auth.username cannot contain ':' for basic auth")
		}
	case AuthTypeHMAC:
		if a.Username == "" || a.Secret == "" {
			return Errorf(EINVALID, "auth.username and auth.secret are required for hmac auth")
		}
		if strings.ContainsAny(a.Username, ", =") {
			return Errorf(EINVALID, "auth.username cannot contain ',', ' ' or '=' for hmac auth")
		}
	case AuthTypeOAuth2:
		if a.TokenURL == "" || a.ClientID == "" || a.ClientSecret == "" {
			return Errorf(EINVALID, "auth.tokenUrl, auth.clientId and auth.clientSecret are required for oauth2 auth")
		}
		if err := validateHTTPURL("auth.tokenUrl", a.TokenURL); err != nil {
			return err
		}
	case AuthTypeStandardWebhooks:
		if len(a.SigningSecrets) == 0 {
			return Errorf(EINVALID, "auth.secret is required for standard-webhooks auth")
		}
		for _, s := range a.SigningSecrets {
			if err := wire.ValidateWebhookSecret(string(s.Secret)); err != nil {
				return Errorf(EINVALID, "auth.secret: %s", err.Error())
			}
		}
	case "":
		return Errorf(EINVALID, "auth.type is required (none, basic, hmac, oauth2 or standard-webhooks)")
	default:
		return Errorf(EINVALID, "auth.type %q is not one of none, basic, hmac, oauth2, standard-webhooks", a.Type)
	}
	return nil
}

// Who disabled an endpoint (Endpoint.DisabledBy) when it was not a
// customer administrator, who is named by their username.
const (
	// DisabledByOperator is an operator (the admin token, or the
	// operator's web session).
	DisabledByOperator = "operator"
	// DisabledByHealthMonitor is Herald itself: the health monitor after
	// a long failing streak, or the dispatcher after a 410 Gone reply
	// (Store.EndpointDisable, with the reason in DisabledReason).
	DisabledByHealthMonitor = "health monitor"
)

// Endpoint is a partner URL a customer configured for some event types.
type Endpoint struct {
	ID         string
	CustomerID string
	URL        string
	EventTypes []wire.EventType
	Auth       Auth
	Gzip       bool
	Enabled    bool
	// TraceContext sends the W3C traceparent header with every attempt,
	// so the partner can join the attempt's trace. On unless turned off
	// (the API and UI default it to true).
	TraceContext bool
	// DisabledReason says why Herald disabled the endpoint by itself (a 410
	// reply, say); empty when it is enabled or an operator disabled it.
	DisabledReason string
	// DisabledBy says who turned the endpoint off: a customer
	// administrator's username, DisabledByOperator, or
	// DisabledByHealthMonitor (Store.EndpointDisable). Empty when it is
	// enabled, or when nobody knows (disabled before Herald kept it).
	// Callers of EndpointCreate and EndpointUpdate set it when they turn
	// an endpoint off; the store keeps the first one while it stays off,
	// and clears it when the endpoint is turned on.
	DisabledBy string
	// DisabledAt is when the endpoint was turned off, set by the store;
	// zero when it is enabled.
	DisabledAt time.Time
	// StatusTriggers limits WorkFlowStatusChangeEvent deliveries to events
	// whose newStatus is in the list. Empty: every status change.
	StatusTriggers []string
	// MaxConcurrency caps the attempts in flight to this endpoint. Zero: the
	// default, DefaultEndpointConcurrency.
	MaxConcurrency int
	// RateLimit caps the attempts started per second to this endpoint (a
	// token bucket, per node). Zero: unlimited, the default.
	RateLimit float64
	// RateBurst is the token bucket's size: how many attempts may start
	// at once after a quiet spell. Zero: the default, RateLimit rounded
	// up (at least 1). Ignored when RateLimit is zero.
	RateBurst int
	// CircuitThreshold is how many attempts in a row must fail in a way
	// worth retrying before the endpoint's circuit opens: deliveries are
	// then not attempted (no attempt counted) but put back, due when the
	// circuit lets a probe through. Zero: DefaultCircuitThreshold.
	CircuitThreshold int
	// CircuitCooldown is how long an open circuit stays open before one
	// probe attempt is let through; its success closes the circuit, its
	// failure opens it again. Zero: DefaultCircuitCooldown.
	CircuitCooldown time.Duration
	// Ordered delivers the events of one subject (EventSubject: an
	// applicant workflow, an onboarding workflow, a job, a person) one at
	// a time, in publish order, retries included: a subject's delivery
	// waits until the one before it is final. Default: false, deliveries
	// are attempted as they come due, in any order. See order.go.
	Ordered   bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Concurrency returns the endpoint's cap on attempts in flight.
func (e *Endpoint) Concurrency() int {
	if e.MaxConcurrency > 0 {
		return e.MaxConcurrency
	}
	return DefaultEndpointConcurrency
}

// Burst returns the endpoint's token bucket size: RateBurst, or RateLimit
// rounded up (at least 1) when RateBurst is zero.
func (e *Endpoint) Burst() int {
	if e.RateBurst > 0 {
		return e.RateBurst
	}
	return max(1, int(math.Ceil(e.RateLimit)))
}

// CircuitFailures returns how many retryable failures in a row open the
// endpoint's circuit.
func (e *Endpoint) CircuitFailures() int {
	if e.CircuitThreshold > 0 {
		return e.CircuitThreshold
	}
	return DefaultCircuitThreshold
}

// CircuitOpenFor returns how long the endpoint's circuit stays open before
// it lets a probe through.
func (e *Endpoint) CircuitOpenFor() time.Duration {
	if e.CircuitCooldown > 0 {
		return e.CircuitCooldown
	}
	return DefaultCircuitCooldown
}

// Wants reports whether the endpoint receives an event of type t whose
// newStatus (WorkFlowStatusChangeEvent only; otherwise empty) is given.
// A disabled endpoint wants nothing.
func (e *Endpoint) Wants(t wire.EventType, newStatus string) bool {
	if !e.Enabled || !slices.Contains(e.EventTypes, t) {
		return false
	}
	if t == wire.EventTypeWorkFlowStatusChange && len(e.StatusTriggers) > 0 {
		return slices.Contains(e.StatusTriggers, newStatus)
	}
	return true
}

// Validate returns an EINVALID error naming the first field that breaks a
// rule. It checks the form of the URL only; whether Herald may connect to the
// address behind it is decided when it connects.
func (e *Endpoint) Validate() error {
	if err := validateHTTPURL("url", e.URL); err != nil {
		return err
	}
	if len(e.EventTypes) == 0 {
		return Errorf(EINVALID, "eventTypes needs at least one event type")
	}
	seen := map[wire.EventType]bool{}
	for _, t := range e.EventTypes {
		if !t.Valid() {
			return Errorf(EINVALID, "eventTypes: unknown event type %q", t)
		}
		if seen[t] {
			return Errorf(EINVALID, "eventTypes: %q is listed twice", t)
		}
		seen[t] = true
	}
	if len(e.StatusTriggers) > MaxStatusTriggers {
		return Errorf(EINVALID, "statusTriggers cannot have more than %d entries", MaxStatusTriggers)
	}
	for _, s := range e.StatusTriggers {
		if s == "" || len(s) > 64 {
			return Errorf(EINVALID, "statusTriggers entries must be 1 to 64 characters")
		}
	}
	if e.MaxConcurrency < 0 || e.MaxConcurrency > MaxEndpointConcurrency {
		return Errorf(EINVALID, "maxConcurrency must be between 0 (default) and %d", MaxEndpointConcurrency)
	}
	// The negated form also refuses NaN.
	if !(e.RateLimit >= 0 && e.RateLimit <= MaxEndpointRateLimit) {
		return Errorf(EINVALID, "rateLimit must be between 0 (unlimited) and %d requests per second", MaxEndpointRateLimit)
	}
	if e.RateBurst < 0 || e.RateBurst > MaxEndpointRateBurst {
		return Errorf(EINVALID, "rateBurst must be between 0 (default) and %d", MaxEndpointRateBurst)
	}
	if e.CircuitThreshold < 0 || e.CircuitThreshold > MaxCircuitThreshold {
		return Errorf(EINVALID, "circuitThreshold must be between 0 (default) and %d", MaxCircuitThreshold)
	}
	if e.CircuitCooldown < 0 || e.CircuitCooldown > MaxCircuitCooldown {
		return Errorf(EINVALID, "circuitCooldown must be between 0 (default) and %s", MaxCircuitCooldown)
	}
	if e.CircuitCooldown%time.Millisecond != 0 {
		return Errorf(EINVALID, "circuitCooldown must be a whole number of milliseconds")
	}
	return e.Auth.Validate()
}

func validateHTTPURL(field, raw string) error {
	if raw == "" {
		return Errorf(EINVALID, "%s is required", field)
	}
	if len(raw) > MaxEndpointURLLength {
		return Errorf(EINVALID, "%s cannot be longer than %d characters", field, MaxEndpointURLLength)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Hostname() == "" {
		return Errorf(EINVALID, "%s must be an absolute http or https URL", field)
	}
	if u.User != nil {
		return Errorf(EINVALID, "%s cannot carry credentials; use auth", field)
	}
	if u.Fragment != "" {
		return Errorf(EINVALID, "%s cannot have a fragment", field)
	}
	return nil
}
