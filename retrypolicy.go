package herald

import (
	"context"
	"slices"
	"time"

	"github.com/heraldhq/herald/wire"
)

// Limits on a customer's retry policy.
const (
	MaxRetryScheduleLength = 100
	MaxRetryWait           = 7 * 24 * time.Hour
	MaxRetryAttempts       = 1000
	MaxRetryWindow         = 30 * 24 * time.Hour
)

// CustomerRetryPolicy is a customer's retry policy, for one event type or,
// with EventType empty, for all of them. The policy of a delivery is the
// one for its customer and event type, else its customer's default, else
// DefaultRetryPolicy (see ResolveRetryPolicy).
type CustomerRetryPolicy struct {
	CustomerID string
	// EventType is the event type the policy is for; empty: every type
	// without a policy of its own.
	EventType wire.EventType
	// Schedule is the wait before each retry. Empty: DefaultRetrySchedule.
	Schedule []time.Duration
	// MaxAttempts caps the attempts of one schedule, the first included:
	// fewer cut the schedule short; more repeat its last wait. Zero: the
	// schedule's length plus one.
	MaxAttempts int
	// MaxWindow caps the schedule's total wait (without jitter): the
	// retries stop once their waits would add up past it. A partner's
	// Retry-After may still push one retry beyond. Zero: no cap.
	MaxWindow time.Duration
	// PermanentStatuses are the statuses that reject a delivery for good
	// (400-599, except 410, which always disables the endpoint). Empty:
	// 400 only, the default.
	PermanentStatuses []int
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// Validate returns an EINVALID error naming the first field that breaks a
// rule.
func (p *CustomerRetryPolicy) Validate() error {
	if p.CustomerID == "" {
		return Errorf(EINVALID, "customerId is required")
	}
	if p.EventType != "" && !p.EventType.Valid() {
		return Errorf(EINVALID, "eventType: unknown event type %q", p.EventType)
	}
	if len(p.Schedule) > MaxRetryScheduleLength {
		return Errorf(EINVALID, "schedule cannot have more than %d waits", MaxRetryScheduleLength)
	}
	for _, w := range p.Schedule {
		if w < time.Second || w > MaxRetryWait || w%time.Millisecond != 0 {
			return Errorf(EINVALID, "schedule waits must be whole milliseconds from 1s to %s", MaxRetryWait)
		}
	}
	if p.MaxAttempts < 0 || p.MaxAttempts > MaxRetryAttempts {
		return Errorf(EINVALID, "maxAttempts must be between 0 (the schedule's) and %d", MaxRetryAttempts)
	}
	if p.MaxWindow < 0 || p.MaxWindow > MaxRetryWindow || p.MaxWindow%time.Millisecond != 0 {
		return Errorf(EINVALID, "maxWindow must be whole milliseconds between 0 (none) and %s", MaxRetryWindow)
	}
	seen := map[int]bool{}
	for _, s := range p.PermanentStatuses {
		if s < 400 || s > 599 || s == 410 {
			return Errorf(EINVALID, "permanentStatuses must be statuses from 400 to 599 other than 410")
		}
		if seen[s] {
			return Errorf(EINVALID, "permanentStatuses: %d is listed twice", s)
		}
		seen[s] = true
	}
	return nil
}

// RetryPolicyNotFound is the ENOTFOUND of RetryPolicyStore when the
// customer has no policy for eventType ("" for its default).
func RetryPolicyNotFound(customerID string, eventType wire.EventType) *Error {
	return Errorf(ENOTFOUND, "no retry policy for customer %q and event type %q", customerID, eventType)
}

// RetryPolicy returns the policy the dispatcher applies: the schedule cut
// or extended to MaxAttempts and cut to MaxWindow, the default jitter.
func (p *CustomerRetryPolicy) RetryPolicy() RetryPolicy {
	out := DefaultRetryPolicy()
	if len(p.Schedule) > 0 {
		out.Schedule = slices.Clone(p.Schedule)
	}
	if p.MaxAttempts > 0 {
		retries := p.MaxAttempts - 1
		switch {
		case retries < len(out.Schedule):
			out.Schedule = slices.Clone(out.Schedule[:retries])
		case retries > len(out.Schedule) && len(out.Schedule) > 0:
			last := out.Schedule[len(out.Schedule)-1]
			out.Schedule = append(slices.Clone(out.Schedule), slices.Repeat([]time.Duration{last}, retries-len(out.Schedule))...)
		}
	}
	if p.MaxWindow > 0 {
		var total time.Duration
		for i, w := range out.Schedule {
			if total+w > p.MaxWindow {
				out.Schedule = slices.Clone(out.Schedule[:i])
				break
			}
			total += w
		}
	}
	if len(p.PermanentStatuses) > 0 {
		out.PermanentStatuses = slices.Clone(p.PermanentStatuses)
	}
	return out
}

// ResolveRetryPolicy picks, among one customer's policies, the one for
// eventType, else the customer's default (EventType empty), and returns
// what it means; with neither, DefaultRetryPolicy.
func ResolveRetryPolicy(policies []*CustomerRetryPolicy, eventType wire.EventType) RetryPolicy {
	var customerWide *CustomerRetryPolicy
	for _, p := range policies {
		switch p.EventType {
		case eventType:
			return p.RetryPolicy()
		case "":
			customerWide = p
		}
	}
	if customerWide != nil {
		return customerWide.RetryPolicy()
	}
	return DefaultRetryPolicy()
}

// RetryPolicyStore keeps customers' retry policies. Both stores implement
// it; it is separate from Store so that each part of the domain can be
// faked alone. Methods return *Error values with the codes listed.
type RetryPolicyStore interface {
	// RetryPolicySet creates or replaces the policy for p.CustomerID and
	// p.EventType, setting CreatedAt (kept on a replace) and UpdatedAt.
	// Returns EINVALID if p does not validate, ENOTFOUND if the customer
	// does not exist.
	RetryPolicySet(ctx context.Context, p *CustomerRetryPolicy) error
	// RetryPolicyGet returns the policy for exactly that customer and
	// event type ("" for the customer's default). Returns ENOTFOUND if
	// there is none.
	RetryPolicyGet(ctx context.Context, customerID string, eventType wire.EventType) (*CustomerRetryPolicy, error)
	// RetryPolicyList returns a customer's policies, the default first,
	// then by event type. Empty if it has none.
	RetryPolicyList(ctx context.Context, customerID string) ([]*CustomerRetryPolicy, error)
	// RetryPolicyDelete removes the policy for exactly that customer and
	// event type. Returns ENOTFOUND if there is none.
	RetryPolicyDelete(ctx context.Context, customerID string, eventType wire.EventType) error
}
