package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// Retry policies per customer and event type. The routes are registered in
// routes.go; the bodies are here rather
// than in types.go because this file is the whole feature.
//
//	GET    /api/v1/customers/{customerId}/retry-policies
//	PUT    /api/v1/customers/{customerId}/retry-policies/{eventType}
//	GET    /api/v1/customers/{customerId}/retry-policies/{eventType}
//	DELETE /api/v1/customers/{customerId}/retry-policies/{eventType}
//
// {eventType} is an event type, or "default" for the customer's policy for
// every type without one of its own. A delivery follows its event type's
// policy, else its customer's default, else Herald's
// (herald.DefaultRetryPolicy); the dispatcher reads policies again within
// a few seconds of a change.

// retryPolicyDefault is the {eventType} of a customer's default policy.
const retryPolicyDefault = "default"

// RetryPolicyRequest is the body of PUT
// /api/v1/customers/{customerId}/retry-policies/{eventType}. It replaces
// the whole policy; absent fields take the defaults.
//
//	{"schedule":["10s","1m","10m","1h"],"maxAttempts":6,"maxWindow":"48h","permanentStatuses":[400,422]}
type RetryPolicyRequest struct {
	// Schedule is the wait before each retry, as Go durations from "1s"
	// to "168h". Empty: Herald's default schedule.
	Schedule []string `json:"schedule,omitempty"`
	// MaxAttempts caps the attempts, the first included: fewer cut the
	// schedule short, more repeat its last wait. 0: the schedule's
	// length plus one.
	MaxAttempts int `json:"maxAttempts,omitempty"`
	// MaxWindow caps the total of the waits, a Go duration up to "720h".
	// Empty: no cap.
	MaxWindow string `json:"maxWindow,omitempty"`
	// PermanentStatuses are the reply statuses that reject a delivery for
	// good (400-599, not 410). Empty: 400.
	PermanentStatuses []int `json:"permanentStatuses,omitempty"`
}

// RetryPolicy is a customer's retry policy as the API shows it.
type RetryPolicy struct {
	CustomerID string `json:"customerId"`
	// EventType is the event type, or "default".
	EventType         string   `json:"eventType"`
	Schedule          []string `json:"schedule"`
	MaxAttempts       int      `json:"maxAttempts"`
	MaxWindow         string   `json:"maxWindow,omitempty"`
	PermanentStatuses []int    `json:"permanentStatuses"`
	// EffectiveSchedule is the schedule applied, after maxAttempts and
	// maxWindow: its length is the number of retries.
	EffectiveSchedule []string `json:"effectiveSchedule"`
	// EffectivePermanentStatuses are the statuses applied.
	EffectivePermanentStatuses []int     `json:"effectivePermanentStatuses"`
	CreatedAt                  time.Time `json:"createdAt"`
	UpdatedAt                  time.Time `json:"updatedAt"`
}

// RetryPolicyList is the body of GET .../retry-policies: the default
// first, then by event type.
type RetryPolicyList struct {
	Data []RetryPolicy `json:"data"`
}

// retryPolicies returns the store's retry policies, or EUNAVAILABLE if the
// store keeps none.
func (s *Server) retryPolicies() (herald.RetryPolicyStore, error) {
	ps := s.cfg.RetryPolicies
	if ps == nil {
		return nil, herald.Errorf(herald.EUNAVAILABLE, "this store does not keep retry policies")
	}
	return ps, nil
}

// retryPolicyEventType reads {eventType}: "default" is "", anything else
// must be a known type (legacy names are made canonical).
func retryPolicyEventType(r *http.Request) (wire.EventType, error) {
	v := r.PathValue("eventType")
	if v == retryPolicyDefault {
		return "", nil
	}
	t := wire.EventType(v).Canonical()
	if !t.Valid() {
		return "", herald.Errorf(herald.ENOTFOUND, "unknown event type %q; use an event type or %q", v, retryPolicyDefault)
	}
	return t, nil
}

// handleRetryPolicyList serves GET /api/v1/customers/{customerId}/retry-policies.
func (s *Server) handleRetryPolicyList(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.retryPolicies()
	if err != nil {
		return err
	}
	c, err := s.customer(r)
	if err != nil {
		return err
	}
	list, err := ps.RetryPolicyList(r.Context(), c.ID)
	if err != nil {
		return fmt.Errorf("list retry policies: %w", err)
	}
	out := RetryPolicyList{Data: make([]RetryPolicy, 0, len(list))}
	for _, p := range list {
		out.Data = append(out.Data, *retryPolicyJSON(p))
	}
	return writeJSON(w, http.StatusOK, &out)
}

// handleRetryPolicySet serves PUT /api/v1/customers/{customerId}/retry-policies/{eventType}.
func (s *Server) handleRetryPolicySet(w http.ResponseWriter, r *http.Request) error {
	var req RetryPolicyRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		return err
	}
	ps, err := s.retryPolicies()
	if err != nil {
		return err
	}
	t, err := retryPolicyEventType(r)
	if err != nil {
		return err
	}
	c, err := s.customer(r)
	if err != nil {
		return err
	}
	p := &herald.CustomerRetryPolicy{CustomerID: c.ID, EventType: t, MaxAttempts: req.MaxAttempts, PermanentStatuses: req.PermanentStatuses}
	for i, v := range req.Schedule {
		d, err := time.ParseDuration(v)
		if err != nil {
			return herald.Errorf(herald.EINVALID, "schedule[%d]: %q is not a duration such as \"30s\" or \"2h\"", i, v)
		}
		p.Schedule = append(p.Schedule, d)
	}
	if req.MaxWindow != "" {
		if p.MaxWindow, err = time.ParseDuration(req.MaxWindow); err != nil {
			return herald.Errorf(herald.EINVALID, "maxWindow: %q is not a duration such as \"48h\"", req.MaxWindow)
		}
	}
	if err := p.Validate(); err != nil {
		return err
	}
	if err := ps.RetryPolicySet(r.Context(), p); err != nil {
		return fmt.Errorf("set retry policy: %w", err)
	}
	return writeJSON(w, http.StatusOK, retryPolicyJSON(p))
}

// handleRetryPolicyGet serves GET /api/v1/customers/{customerId}/retry-policies/{eventType}.
func (s *Server) handleRetryPolicyGet(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.retryPolicies()
	if err != nil {
		return err
	}
	t, err := retryPolicyEventType(r)
	if err != nil {
		return err
	}
	c, err := s.customer(r)
	if err != nil {
		return err
	}
	p, err := ps.RetryPolicyGet(r.Context(), c.ID, t)
	switch {
	case herald.ErrorCode(err) == herald.ENOTFOUND:
		return err
	case err != nil:
		return fmt.Errorf("get retry policy: %w", err)
	}
	return writeJSON(w, http.StatusOK, retryPolicyJSON(p))
}

// handleRetryPolicyDelete serves DELETE /api/v1/customers/{customerId}/retry-policies/{eventType}.
func (s *Server) handleRetryPolicyDelete(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.retryPolicies()
	if err != nil {
		return err
	}
	t, err := retryPolicyEventType(r)
	if err != nil {
		return err
	}
	c, err := s.customer(r)
	if err != nil {
		return err
	}
	if err := ps.RetryPolicyDelete(r.Context(), c.ID, t); err != nil {
		if herald.ErrorCode(err) == herald.ENOTFOUND {
			return err
		}
		return fmt.Errorf("delete retry policy: %w", err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func retryPolicyJSON(p *herald.CustomerRetryPolicy) *RetryPolicy {
	eff := p.RetryPolicy()
	out := &RetryPolicy{
		CustomerID:                 p.CustomerID,
		EventType:                  string(p.EventType),
		Schedule:                   durations(p.Schedule),
		MaxAttempts:                p.MaxAttempts,
		PermanentStatuses:          p.PermanentStatuses,
		EffectiveSchedule:          durations(eff.Schedule),
		EffectivePermanentStatuses: eff.PermanentStatuses,
		CreatedAt:                  p.CreatedAt.UTC(),
		UpdatedAt:                  p.UpdatedAt.UTC(),
	}
	if out.EventType == "" {
		out.EventType = retryPolicyDefault
	}
	if p.MaxWindow > 0 {
		out.MaxWindow = p.MaxWindow.String()
	}
	if out.PermanentStatuses == nil {
		out.PermanentStatuses = []int{}
	}
	return out
}

func durations(ds []time.Duration) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.String()
	}
	return out
}
