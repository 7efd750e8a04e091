// Package testfactory inserts fixtures through a herald.Store, with
// defaults for every field a test does not care about: each call makes a
// record with fresh ids that passes validation. Tests set only the fields
// they assert on (River's rivershared/testfactory).
//
// It is imported by _test.go files and internal/storetest only, and goes
// through the Store interface, so it works on every backend.
package testfactory

import (
	"bytes"
	"compress/gzip"
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
	// Body is the JSON body. Default: a small iCIMS-like body.
	Body       []byte
	LinkHeader string // default: a Link to the person
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
	n := next()
	if ev.LinkHeader == "" {
		ev.LinkHeader = fmt.Sprintf(`<https://api.icims.com/customers/%s/people/%d>; rel="person"; title="Person"`, ev.CustomerID, n)
	}
	if ev.Body == nil {
		// A small body in the shape of an iCIMS event. (wire will build
		// real ones; this package must not wait for it.)
		status := ""
		if ev.NewStatus != "" {
			status = fmt.Sprintf(`,"newStatus":%q`, ev.NewStatus)
		}
		ev.Body = fmt.Appendf(nil, `{"customerId":%q,"eventType":%q,"systemId":"%d","userId":"%d","timestamp":%d%s}`,
			ev.CustomerID, ev.Type, n, n, ev.CreatedAt.UnixMilli(), status)
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

// Gzip compresses b, as wire does for event bodies.
func Gzip(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatalf("testfactory.Gzip: %v", err)
	}
	if err := zw.Close(); err != nil {
		t.Fatalf("testfactory.Gzip: %v", err)
	}
	return buf.Bytes()
}
