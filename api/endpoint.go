package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// MaxRotationOverlap is the longest rotationOverlap a PATCH may ask for.
const MaxRotationOverlap = 30 * 24 * time.Hour

// maskPrefix starts every masked secret (herald.Secret.Masked). A secret
// sent in that form is a masked value echoed back, never a real secret.
const maskPrefix = "********"

// endpointCreateBody is what POST .../endpoints decodes into: the request,
// plus a key refused with a message of its own rather than "unknown field".
type endpointCreateBody struct {
	EndpointCreateRequest
	RotationOverlap json.RawMessage `json:"rotationOverlap"`
}

// handleEndpointCreate serves POST /api/v1/customers/{customerId}/endpoints.
func (s *Server) handleEndpointCreate(w http.ResponseWriter, r *http.Request) error {
	var req endpointCreateBody
	if err := s.decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.RotationOverlap != nil {
		return herald.Errorf(herald.EINVALID, "rotationOverlap applies only when a PATCH gives a standard-webhooks endpoint a new secret")
	}
	c, err := s.customer(r)
	if err != nil {
		return err
	}
	if req.Auth == nil {
		return herald.Errorf(herald.EINVALID, `auth is required; use {"type":"none"} to send without credentials`)
	}
	auth, err := newAuth(req.Auth)
	if err != nil {
		return err
	}
	cooldown, err := parseCircuitCooldown(req.CircuitCooldown)
	if err != nil {
		return err
	}
	e := &herald.Endpoint{
		CustomerID:     c.ID,
		URL:            req.URL,
		EventTypes:     canonicalTypes(req.EventTypes),
		Auth:           auth,
		Gzip:           req.Gzip == nil || *req.Gzip,
		TraceContext:   req.TraceContext == nil || *req.TraceContext,
		Enabled:        req.Enabled == nil || *req.Enabled,
		DisabledBy:     herald.DisabledByOperator, // kept only if it is created off; the API is the operator's
		StatusTriggers: req.StatusTriggers,
		MaxConcurrency: req.MaxConcurrency,

		RateLimit:        req.RateLimit,
		RateBurst:        req.RateBurst,
		CircuitThreshold: req.CircuitThreshold,
		CircuitCooldown:  cooldown,
		Ordered:          req.Ordered,
	}
	if err := e.Validate(); err != nil {
		return err
	}
	if err := s.cfg.Store.EndpointCreate(r.Context(), e); err != nil {
		return fmt.Errorf("create endpoint: %w", err)
	}
	w.Header().Set("Location", endpointPath(e))
	return writeJSON(w, http.StatusCreated, endpointJSON(e, s.now()))
}

// handleEndpointList serves GET /api/v1/customers/{customerId}/endpoints.
func (s *Server) handleEndpointList(w http.ResponseWriter, r *http.Request) error {
	c, err := s.customer(r)
	if err != nil {
		return err
	}
	es, err := s.cfg.Store.EndpointList(r.Context(), c.ID)
	if err != nil {
		return fmt.Errorf("list endpoints: %w", err)
	}
	now := s.now()
	out := EndpointList{Data: make([]Endpoint, 0, len(es))}
	for _, e := range es {
		out.Data = append(out.Data, *endpointJSON(e, now))
	}
	return writeJSON(w, http.StatusOK, &out)
}

// handleEndpointGet serves GET /api/v1/customers/{customerId}/endpoints/{endpointId}.
func (s *Server) handleEndpointGet(w http.ResponseWriter, r *http.Request) error {
	e, err := s.endpoint(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, endpointJSON(e, s.now()))
}

// handleEndpointUpdate serves PATCH /api/v1/customers/{customerId}/endpoints/{endpointId}.
func (s *Server) handleEndpointUpdate(w http.ResponseWriter, r *http.Request) error {
	var req EndpointUpdateRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		return err
	}
	overlap := herald.DefaultRotationOverlap
	if req.RotationOverlap != nil {
		var err error
		if overlap, err = parseRotationOverlap(*req.RotationOverlap); err != nil {
			return err
		}
	}
	e, err := s.endpoint(r)
	if err != nil {
		return err
	}
	old := *e // what the stored credentials were for (ValidateUpdate)
	now := s.now()

	if req.URL != nil {
		e.URL = *req.URL
	}
	if req.EventTypes != nil {
		e.EventTypes = canonicalTypes(*req.EventTypes)
	}
	if req.Gzip != nil {
		e.Gzip = *req.Gzip
	}
	if req.TraceContext != nil {
		e.TraceContext = *req.TraceContext
	}
	if req.Enabled != nil {
		// Whoever sets the flag now decides; a reason Herald recorded when
		// it disabled the endpoint by itself no longer applies.
		e.Enabled = *req.Enabled
		e.DisabledReason = ""
		// The admin token is the operator's: the store records it as
		// who turned the endpoint off (kept if it was off already).
		e.DisabledBy = herald.DisabledByOperator
	}
	if req.StatusTriggers != nil {
		e.StatusTriggers = *req.StatusTriggers
	}
	if req.MaxConcurrency != nil {
		e.MaxConcurrency = *req.MaxConcurrency
	}
	if req.RateLimit != nil {
		e.RateLimit = *req.RateLimit
	}
	if req.RateBurst != nil {
		e.RateBurst = *req.RateBurst
	}
	if req.CircuitThreshold != nil {
		e.CircuitThreshold = *req.CircuitThreshold
	}
	if req.CircuitCooldown != nil {
		if e.CircuitCooldown, err = parseCircuitCooldown(*req.CircuitCooldown); err != nil {
			return err
		}
	}
	if req.Ordered != nil {
		e.Ordered = *req.Ordered
	}
	rotated := false
	// Without auth in the request, every stored secret is kept.
	kept := herald.CredentialsKept{Password: true, ClientSecret: true}
	if req.Auth != nil {
		if e.Auth, kept, rotated, err = updateAuth(e.Auth, req.Auth, now, overlap); err != nil {
			return err
		}
	}
	if req.RotationOverlap != nil && !rotated {
		return herald.Errorf(herald.EINVALID, "rotationOverlap applies only when auth gives a standard-webhooks endpoint a new secret")
	}
	if err := e.Validate(); err != nil {
		return err
	}
	if err := e.ValidateUpdate(&old, kept); err != nil {
		return err
	}
	if err := s.cfg.Store.EndpointUpdate(r.Context(), e); err != nil {
		return fmt.Errorf("update endpoint: %w", err)
	}
	return writeJSON(w, http.StatusOK, endpointJSON(e, now))
}

// handleEndpointDelete serves DELETE /api/v1/customers/{customerId}/endpoints/{endpointId}.
func (s *Server) handleEndpointDelete(w http.ResponseWriter, r *http.Request) error {
	// Checked here as well as by the store, so tenant isolation does not
	// rest on one query's WHERE clause.
	e, err := s.endpoint(r)
	if err != nil {
		return err
	}
	if err := s.cfg.Store.EndpointDelete(r.Context(), e.CustomerID, e.ID); err != nil {
		if herald.ErrorCode(err) == herald.ENOTFOUND {
			return errEndpointNotFound(e.ID)
		}
		return fmt.Errorf("delete endpoint: %w", err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// endpoint returns the endpoint named in the path, or ENOTFOUND if there
// is none or it belongs to another customer than the path's.
func (s *Server) endpoint(r *http.Request) (*herald.Endpoint, error) {
	id := r.PathValue("endpointId")
	e, err := s.cfg.Store.EndpointGet(r.Context(), id)
	switch {
	case herald.ErrorCode(err) == herald.ENOTFOUND:
		return nil, errEndpointNotFound(id)
	case err != nil:
		return nil, fmt.Errorf("get endpoint: %w", err)
	case e.CustomerID != r.PathValue("customerId"):
		// Another customer's endpoint does not exist for this one; the
		// reply is the same as for an id that was never used.
		return nil, errEndpointNotFound(id)
	}
	return e, nil
}

func errEndpointNotFound(id string) error {
	return herald.Errorf(herald.ENOTFOUND, "endpoint %q not found", id)
}

func endpointPath(e *herald.Endpoint) string {
	return "/api/v1/customers/" + url.PathEscape(e.CustomerID) + "/endpoints/" + url.PathEscape(e.ID)
}

// canonicalTypes maps legacy event type names to the current ones, so an
// endpoint configured for ApplicationCompletedEvent receives AssessmentEvent.
func canonicalTypes(ts []wire.EventType) []wire.EventType {
	if ts == nil {
		return nil
	}
	out := make([]wire.EventType, len(ts))
	for i, t := range ts {
		out[i] = t.Canonical()
	}
	return out
}

// parseCircuitCooldown reads circuitCooldown: empty is zero, the default;
// the range is checked by Endpoint.Validate.
func parseCircuitCooldown(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, herald.Errorf(herald.EINVALID, `circuitCooldown must be a duration such as "30s" or "5m"`)
	}
	return d, nil
}

func parseRotationOverlap(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || d > MaxRotationOverlap {
		return 0, herald.Errorf(herald.EINVALID, `rotationOverlap must be a duration from "0s" to "720h", such as "24h"`)
	}
	return d, nil
}

// authFields lists the keys of AuthRequest each type takes.
var authFields = map[herald.AuthType][]string{
	herald.AuthTypeNone:             nil,
	herald.AuthTypeBasic:            {"username", "password"},
	herald.AuthTypeHMAC:             {"username", "secret"},
	herald.AuthTypeOAuth2:           {"tokenUrl", "clientId", "clientSecret", "scope"},
	herald.AuthTypeStandardWebhooks: {"secret"},
}

// checkAuthFields returns EINVALID if a's type is unknown, if a sets a key
// its type does not use (most likely a mistake about the type), or if a
// secret is a masked value echoed back.
func checkAuthFields(a *AuthRequest) error {
	used, ok := authFields[a.Type]
	if !ok {
		return (&herald.Auth{Type: a.Type}).Validate()
	}
	for _, f := range []struct {
		name, value string
		secret      bool
	}{
		{"username", a.Username, false},
		{"password", a.Password, true},
		{"secret", a.Secret, true},
		{"tokenUrl", a.TokenURL, false},
		{"clientId", a.ClientID, false},
		{"clientSecret", a.ClientSecret, true},
		{"scope", a.Scope, false},
	} {
		if f.value == "" {
			continue
		}
		if !slices.Contains(used, f.name) {
			return herald.Errorf(herald.EINVALID, "auth.%s is not used by %s auth", f.name, a.Type)
		}
		if f.secret && strings.HasPrefix(f.value, maskPrefix) {
			return herald.Errorf(herald.EINVALID, "auth.%s is a masked value; send the full secret, or leave it out to keep the stored one", f.name)
		}
	}
	return nil
}

// newAuth builds an endpoint's auth wholly from a request.
func newAuth(req *AuthRequest) (herald.Auth, error) {
	if err := checkAuthFields(req); err != nil {
		return herald.Auth{}, err
	}
	a := herald.Auth{
		Type:         req.Type,
		Username:     req.Username,
		Password:     herald.Secret(req.Password),
		TokenURL:     req.TokenURL,
		ClientID:     req.ClientID,
		ClientSecret: herald.Secret(req.ClientSecret),
		Scope:        req.Scope,
	}
	if req.Type == herald.AuthTypeStandardWebhooks {
		if req.Secret != "" {
			a.SigningSecrets = []herald.SigningSecret{{Secret: herald.Secret(req.Secret)}}
		}
	} else {
		a.Secret = herald.Secret(req.Secret)
	}
	return a, nil
}

// updateAuth applies a PATCH's auth object to the stored auth cur. A new
// type replaces everything. The same type (or none given) takes the other
// fields as sent but keeps each stored secret the request leaves empty or
// sends masked; a new standard-webhooks secret is rotated in, the old one
// signing for overlap more. rotated reports that rotation.
func updateAuth(cur herald.Auth, req *AuthRequest, now time.Time, overlap time.Duration) (_ herald.Auth, kept herald.CredentialsKept, rotated bool, _ error) {
	in := *req
	if in.Type == "" {
		in.Type = cur.Type
	}
	// Masked values of the stored secrets mean "keep"; clear them before
	// the check, which refuses any other masked-looking value.
	in.Password = unmasked(in.Password, cur.Password)
	in.Secret = unmasked(in.Secret, cur.Secret)
	in.ClientSecret = unmasked(in.ClientSecret, cur.ClientSecret)
	if len(cur.SigningSecrets) > 0 {
		in.Secret = unmasked(in.Secret, cur.SigningSecrets[0].Secret)
	}
	if in.Type != cur.Type {
		a, err := newAuth(&in)
		return a, kept, false, err
	}
	if err := checkAuthFields(&in); err != nil {
		return herald.Auth{}, kept, false, err
	}
	kept = herald.CredentialsKept{Password: in.Password == "", ClientSecret: in.ClientSecret == ""}
	a := herald.Auth{
		Type:         in.Type,
		Username:     in.Username,
		Password:     keep(in.Password, cur.Password),
		TokenURL:     in.TokenURL,
		ClientID:     in.ClientID,
		ClientSecret: keep(in.ClientSecret, cur.ClientSecret),
		Scope:        in.Scope,
	}
	if in.Type != herald.AuthTypeStandardWebhooks {
		a.Secret = keep(in.Secret, cur.Secret)
		return a, kept, false, nil
	}
	a.SigningSecrets = slices.Clone(cur.SigningSecrets)
	if in.Secret == "" {
		return a, kept, false, nil
	}
	// Checked before rotating: an invalid secret must not push the good
	// one into its overlap.
	if err := wire.ValidateWebhookSecret(in.Secret); err != nil {
		return herald.Auth{}, kept, false, herald.Errorf(herald.EINVALID, "auth.secret: %s", err.Error())
	}
	a.RotateSigningSecret(herald.Secret(in.Secret), now, overlap)
	return a, kept, true, nil
}

// unmasked returns "" if sent is the masked form of the stored secret, and
// sent otherwise.
func unmasked(sent string, stored herald.Secret) string {
	if stored != "" && sent == stored.Masked() {
		return ""
	}
	return sent
}

// keep returns the stored secret when none was sent.
func keep(sent string, stored herald.Secret) herald.Secret {
	if sent == "" {
		return stored
	}
	return herald.Secret(sent)
}

func endpointJSON(e *herald.Endpoint, now time.Time) *Endpoint {
	out := &Endpoint{
		ID:             e.ID,
		CustomerID:     e.CustomerID,
		URL:            e.URL,
		EventTypes:     e.EventTypes,
		Auth:           authJSON(&e.Auth, now),
		Gzip:           e.Gzip,
		TraceContext:   e.TraceContext,
		Enabled:        e.Enabled,
		DisabledReason: e.DisabledReason,
		DisabledBy:     e.DisabledBy,
		StatusTriggers: e.StatusTriggers,
		MaxConcurrency: e.MaxConcurrency,

		RateLimit:        e.RateLimit,
		RateBurst:        e.RateBurst,
		CircuitThreshold: e.CircuitThreshold,
		CircuitCooldown:  e.CircuitCooldown.String(),
		Ordered:          e.Ordered,
		CreatedAt:        e.CreatedAt.UTC(),
		UpdatedAt:        e.UpdatedAt.UTC(),
	}
	if !e.DisabledAt.IsZero() {
		at := e.DisabledAt.UTC()
		out.DisabledAt = &at
	}
	if out.EventTypes == nil {
		out.EventTypes = []wire.EventType{}
	}
	if out.StatusTriggers == nil {
		out.StatusTriggers = []string{}
	}
	return out
}

// authJSON shows an auth with every secret masked. Standard-webhooks
// secrets replaced but still signing at now are listed with their expiry.
func authJSON(a *herald.Auth, now time.Time) Auth {
	out := Auth{
		Type:         a.Type,
		Username:     a.Username,
		Password:     a.Password.Masked(),
		Secret:       a.Secret.Masked(),
		TokenURL:     a.TokenURL,
		ClientID:     a.ClientID,
		ClientSecret: a.ClientSecret.Masked(),
		Scope:        a.Scope,
	}
	for i, ss := range a.SigningSecrets {
		switch {
		case i == 0:
			out.Secret = ss.Secret.Masked()
		case ss.ExpiresAt.IsZero() || now.Before(ss.ExpiresAt):
			out.PreviousSecrets = append(out.PreviousSecrets, PreviousSecret{
				Secret:    ss.Secret.Masked(),
				ExpiresAt: ss.ExpiresAt.UTC(),
			})
		}
	}
	return out
}
