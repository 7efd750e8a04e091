// Package testfactory inserts fixtures through a herald.Store, with
// defaults for every field a test does not care about: each call makes a
// record with fresh ids that passes validation. Tests set only the fields
// they assert on (River's rivershared/testfactory).
//
// It is imported by _test.go files and internal/storetest only, and goes
// through the Store interface, so it works on every backend.
package testfactory

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// seq makes ids unique within the test binary.
var seq atomic.Int64

func next() int64 { return seq.Add(1) }

// CustomerOpts are the optional fields of Customer; nil means all defaults.
type CustomerOpts struct {
	ID   string // default: "cust-<n>"
	Name string // default: "Customer <n>"
}

// Customer creates a customer and fails t if it cannot.
func Customer(ctx context.Context, t testing.TB, store herald.Store, opts *CustomerOpts) *herald.Customer {
	t.Helper()
	if opts == nil {
		opts = &CustomerOpts{}
	}
	n := next()
	c := &herald.Customer{ID: opts.ID, Name: opts.Name}
	if c.ID == "" {
		c.ID = fmt.Sprintf("cust-%d", n)
	}
	if c.Name == "" {
		c.Name = fmt.Sprintf("Customer %d", n)
	}
	if err := store.CustomerCreate(ctx, c); err != nil {
		t.Fatalf("testfactory.Customer: %v", err)
	}
	return c
}

// EndpointOpts are the optional fields of Endpoint; nil means all defaults.
type EndpointOpts struct {
	// CustomerID owns the endpoint. Default: a new customer.
	CustomerID string
	ID         string // default: assigned by the store
	URL        string // default: "https://partner-<n>.example.com/events"
	// EventTypes default to every type Herald sends.
	EventTypes     []wire.EventType
	Auth           *herald.Auth // default: {Type: none}
	Gzip           bool
	Disabled       bool // the default is an enabled endpoint
	DisabledReason string
	StatusTriggers []string
	MaxConcurrency int
	Ordered        bool
}

// Endpoint creates an endpoint and fails t if it cannot.
func Endpoint(ctx context.Context, t testing.TB, store herald.Store, opts *EndpointOpts) *herald.Endpoint {
	t.Helper()
	if opts == nil {
		opts = &EndpointOpts{}
	}
	n := next()
	e := &herald.Endpoint{
		ID:             opts.ID,
		CustomerID:     opts.CustomerID,
		URL:            opts.URL,
		EventTypes:     opts.EventTypes,
		Auth:           herald.Auth{Type: herald.AuthTypeNone},
		Gzip:           opts.Gzip,
		Enabled:        !opts.Disabled,
		DisabledReason: opts.DisabledReason,
		StatusTriggers: opts.StatusTriggers,
		MaxConcurrency: opts.MaxConcurrency,
		Ordered:        opts.Ordered,
	}
	if e.CustomerID == "" {
		e.CustomerID = Customer(ctx, t, store, nil).ID
	}
	if e.URL == "" {
		e.URL = fmt.Sprintf("https://partner-%d.example.com/events", n)
	}
	if e.EventTypes == nil {
		e.EventTypes = append([]wire.EventType(nil), wire.EventTypes...)
	}
	if opts.Auth != nil {
		e.Auth = *opts.Auth
	}
	if err := store.EndpointCreate(ctx, e); err != nil {
		t.Fatalf("testfactory.Endpoint: %v", err)
	}
	return e
}

// EventOpts are the optional fields of Event; nil means all defaults.
type EventOpts struct {
	// CustomerID owns the event. Default: a new customer (with no
	// endpoints, so the event gets no deliveries).
	CustomerID string
	ID         string         // default: a new evt_ id
	Type       wire.EventType // default: AssessmentEvent
	NewStatus  string         // WorkFlowStatusChangeEvent's newStatus
	// SystemID is the body's systemId, the event's subject's id
	// (herald.EventSubject). Default: made up, a new one per event.
	// Ignored when Body is set.
	SystemID string
	// Body is the JSON body. Default: a body of the type built by
	// wire.BuildEvent, with made-up ids.
	Body []byte
	// LinkHeader defaults to the one wire builds with the body.
	LinkHeader string
	// CreatedAt is when the event is published and its deliveries are
	// due. Default: now, to the millisecond.
	CreatedAt time.Time
}

// NewEvent builds an event as the publisher would, without storing it, for
// tests that publish batches themselves.
func NewEvent(t testing.TB, opts *EventOpts) *herald.Event {
	t.Helper()
	if opts == nil {
		opts = &EventOpts{}
	}
	ev := &herald.Event{
		ID:         opts.ID,
		CustomerID: opts.CustomerID,
		Type:       opts.Type,
		NewStatus:  opts.NewStatus,
		Body:       opts.Body,
		LinkHeader: opts.LinkHeader,
		CreatedAt:  opts.CreatedAt,
	}
	if ev.CustomerID == "" {
		t.Fatalf("testfactory.NewEvent: CustomerID is required")
	}
	if ev.CreatedAt.IsZero() {
		ev.CreatedAt = time.Now().UTC().Truncate(time.Millisecond)
	}
	if ev.ID == "" {
		ev.ID = herald.NewID(herald.IDPrefixEvent, ev.CreatedAt)
	}
	if ev.Type == "" {
		ev.Type = wire.EventTypeAssessment
	}
	if ev.Body == nil {
		if ev.Type == wire.EventTypeWorkFlowStatusChange && ev.NewStatus == "" {
			ev.NewStatus = "Reviewed" // the body needs one, and the field must match it
		}
		var link string
		ev.Body, link = buildBody(ev, opts.SystemID, next())
		if ev.LinkHeader == "" {
			ev.LinkHeader = link
		}
	}
	if ev.LinkHeader == "" {
		ev.LinkHeader = fmt.Sprintf(`https://api.icims.com/customers/%s/people/%d;rel="user";title="Posting User",`, ev.CustomerID, next())
	}
	ev.BodyGzip = Gzip(t, ev.Body)
	return ev
}

// Event publishes one event and fails t unless it is stored. The result
// holds the event and its deliveries.
func Event(ctx context.Context, t testing.TB, store herald.Store, opts *EventOpts) *herald.EventPublishResult {
	t.Helper()
	if opts == nil {
		opts = &EventOpts{}
	}
	o := *opts
	if o.CustomerID == "" {
		o.CustomerID = Customer(ctx, t, store, nil).ID
	}
	ev := NewEvent(t, &o)
	res, err := store.EventPublish(ctx, []*herald.Event{ev})
	if err != nil {
		t.Fatalf("testfactory.Event: %v", err)
	}
	if len(res) != 1 {
		t.Fatalf("testfactory.Event: %d results, want 1", len(res))
	}
	if res[0].Err != nil {
		t.Fatalf("testfactory.Event: %v", res[0].Err)
	}
	return res[0]
}

// Gzip compresses b as the publisher does (wire.Gzip).
func Gzip(t testing.TB, b []byte) []byte {
	t.Helper()
	return wire.Gzip(b)
}

// publicURL is the platform API the fixtures' links point at.
const publicURL = "https://api.icims.com"

// buildBody returns a real body and Link header for the event's type from
// wire.BuildEvent, with made-up ids, or a small JSON body in the same shape
// when the fixture is not one BuildEvent accepts (a newStatus on a type
// that has none, say): storage does not read bodies, so either will do.
func buildBody(ev *herald.Event, systemID string, n int64) (body []byte, linkHeader string) {
	id := func(kind string) string { return fmt.Sprintf("%s%d", kind, n) }
	if systemID == "" {
		systemID = id("1")
	}
	p := &wire.EventParams{EventType: ev.Type, SystemID: systemID, UserID: id("2")}
	const ret = "https://partner.example.com/return"
	switch ev.Type.Canonical() {
	case wire.EventTypeAssessment:
		p.JobID, p.ReturnURL = id("3"), ret
	case wire.EventTypeWorkFlowStatusChange:
		p.PersonID, p.JobID, p.OldStatus, p.NewStatus = id("4"), id("3"), "New Submission", ev.NewStatus
	case wire.EventTypeOnboardPortalTask:
		p.ReturnURL, p.IncompleteURL = ret, ret+"?incomplete=1"
	case wire.EventTypeJobPostToWeb:
		p.PortalURL = "https://careers.example.com/jobs/" + id("3")
	case wire.EventTypeRemoteLogin:
		p.ReturnURL = ret
	}
	if ev.NewStatus == "" || ev.Type == wire.EventTypeWorkFlowStatusChange {
		if body, links, err := wire.BuildEvent(publicURL, ev.CustomerID, p); err == nil {
			return body, wire.FormatLinkHeader(links)
		}
	}
	status := ""
	if ev.NewStatus != "" {
		status = fmt.Sprintf(`,"newStatus":%q`, ev.NewStatus)
	}
	return fmt.Appendf(nil, `{"systemId":%q,"userId":%q,"customerId":%q,"eventType":%q%s}`,
		p.SystemID, p.UserID, ev.CustomerID, ev.Type, status), ""
}
