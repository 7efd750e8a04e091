package dispatch_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/dispatch"
	"github.com/heraldhq/herald/wire"
)

// TestOrderedDelivery reproduces issue 12: 20 applicant workflows, 3
// status changes each, published one workflow after the other, and a partner
// that fails the first attempt of every odd workflow. The clock stands
// still, so those first attempts are not retried until the test moves it:
// what gets delivered meanwhile is what a failing head does not hold back.
//
// With ordering on, every even workflow is delivered in full while the odd
// ones wait, and once the clock moves every workflow's changes arrive in
// order, each once. With ordering off, the odd workflows' later changes
// overtake their first one: the reordering the issue reports, which shows
// that the test can tell.
func TestOrderedDelivery(t *testing.T) {
	t.Parallel()
	for _, ordered := range []bool{true, false} {
		t.Run(fmt.Sprintf("ordered=%t", ordered), func(t *testing.T) {
			t.Parallel()
			const workflows, changes = 20, 3
			clock := &fakeClock{now: time.Now().UTC().Add(time.Hour)} // ahead of every publish
			r := newRig(t, func(c *dispatch.Config) { c.NowFunc = clock.Now })

			var (
				mu       sync.Mutex
				received = map[string][]string{} // systemId -> newStatus, in arrival order (2xx only)
				failed   = map[string]bool{}
				arrived  = make(chan struct{}, 1)
			)
			partner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				b, err := readEventBody(req)
				if err != nil {
					w.WriteHeader(http.StatusBadRequest)
					return
				}
				n, _ := strconv.Atoi(b.SystemID)
				mu.Lock()
				defer mu.Unlock()
				if n%2 == 1 && !failed[b.SystemID] {
					failed[b.SystemID] = true
					w.WriteHeader(http.StatusServiceUnavailable)
					return
				}
				received[b.SystemID] = append(received[b.SystemID], b.NewStatus)
				select {
				case arrived <- struct{}{}:
				default:
				}
				w.WriteHeader(http.StatusOK)
			}))
			t.Cleanup(partner.Close)

			r.customer(t, "c1")
			r.endpoint(t, "c1", partner.URL, func(e *herald.Endpoint) {
				e.Ordered = ordered
				// Ten failures in a row must not open the circuit, which
				// would pause every workflow, not only the failing ones.
				e.CircuitThreshold = herald.MaxCircuitThreshold
			})
			for c := range changes {
				for wf := range workflows {
					publishStatus(t, r, "c1", strconv.Itoa(wf), fmt.Sprintf("S%d", c+1), clock.Now())
				}
			}

			// waitFor waits until cond holds on what the partner received.
			waitFor := func(what string, cond func() bool) {
				t.Helper()
				deadline := time.After(20 * time.Second) // a safety net, not a speed target
				for {
					mu.Lock()
					ok := cond()
					mu.Unlock()
					if ok {
						return
					}
					select {
					case <-arrived:
					case <-time.After(50 * time.Millisecond):
					case <-deadline:
						mu.Lock()
						defer mu.Unlock()
						t.Fatalf("%s: not reached; received %v", what, received)
					}
				}
			}
			all := []string{"S1", "S2", "S3"}

			if ordered {
				// The even workflows go at full speed, the odd ones
				// hold back their later changes.
				waitFor("even workflows delivered", func() bool {
					for wf := 0; wf < workflows; wf += 2 {
						if len(received[strconv.Itoa(wf)]) < changes {
							return false
						}
					}
					return len(failed) == workflows/2
				})
				mu.Lock()
				for wf := 1; wf < workflows; wf += 2 {
					if got := received[strconv.Itoa(wf)]; len(got) != 0 {
						t.Errorf("workflow %d: received %v while its first change awaits its retry", wf, got)
					}
				}
				mu.Unlock()
			} else {
				// Without order the later changes of the odd
				// workflows overtake the failing first one.
				waitFor("later changes delivered", func() bool {
					for wf := range workflows {
						want := 2
						if wf%2 == 0 {
							want = 3
						}
						if len(received[strconv.Itoa(wf)]) < want {
							return false
						}
					}
					return true
				})
			}

			// The retries come due.
			clock.Advance(time.Hour)
			r.disp.Wake()
			waitFor("every change delivered", func() bool {
				for wf := range workflows {
					if len(received[strconv.Itoa(wf)]) < changes {
						return false
					}
				}
				return true
			})
			mu.Lock()
			defer mu.Unlock()
			for wf := range workflows {
				got := received[strconv.Itoa(wf)]
				inOrder := slices.Equal(got, all)
				switch {
				case ordered && !inOrder:
					t.Errorf("workflow %d: received %v, want %v", wf, got, all)
				case !ordered && wf%2 == 1 && inOrder:
					t.Errorf("workflow %d: received %v in order without ordering; the test cannot tell", wf, got)
				}
			}
		})
	}
}

// publishStatus publishes the status change of workflow systemID to status.
func publishStatus(t testing.TB, r *rig, customerID, systemID, status string, now time.Time) {
	t.Helper()
	params := &wire.EventParams{EventType: wire.EventTypeWorkFlowStatusChange, SystemID: systemID, PersonID: "9166",
		UserID: "9059", JobID: "4442", OldStatus: "1753", NewStatus: status}
	body, links, err := wire.BuildEvent("https://platform.example", customerID, params)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.pub.Publish(context.Background(), &herald.Event{
		ID: herald.NewID(herald.IDPrefixEvent, now), CustomerID: customerID, Type: params.EventType,
		NewStatus: status, Body: body, BodyGzip: wire.Gzip(body), LinkHeader: wire.FormatLinkHeader(links), CreatedAt: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Err != nil {
		t.Fatal(res.Err)
	}
}

// readEventBody reads and parses a POST's event body, gunzipping it if
// need be.
func readEventBody(req *http.Request) (*wire.Body, error) {
	b, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if req.Header.Get("Content-Encoding") == "gzip" {
		if b, err = wire.Gunzip(b, 1<<20); err != nil {
			return nil, err
		}
	}
	return wire.ParseBody(b)
}

// TestOrderedInteractive: an interactive event on an ordered endpoint
// waits for its subject's earlier deliveries within the deadline, then is
// attempted at once; past the deadline it stays queued, in order.
func TestOrderedInteractive(t *testing.T) {
	t.Parallel()
	// partner answers a status change when release is closed (200) or
	// with 503 while fail is set, and an assessment with a 303. It logs
	// the eventType of each 2xx/303 reply, in order.
	type partner struct {
		srv     *httptest.Server
		release chan struct{}
		mu      sync.Mutex
		fail    bool
		got     []string
	}
	newPartner := func(t *testing.T) *partner {
		p := &partner{release: make(chan struct{})}
		p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			b, err := readEventBody(req)
			if err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			if b.EventType == wire.EventTypeWorkFlowStatusChange {
				select {
				case <-p.release:
				case <-req.Context().Done():
					return
				}
				p.mu.Lock()
				defer p.mu.Unlock()
				if p.fail {
					w.WriteHeader(http.StatusServiceUnavailable)
					return
				}
				p.got = append(p.got, string(b.EventType))
				w.WriteHeader(http.StatusOK)
				return
			}
			p.mu.Lock()
			p.got = append(p.got, string(b.EventType))
			p.mu.Unlock()
			w.Header().Set("Location", "https://partner.example/assess/1")
			w.WriteHeader(http.StatusSeeOther)
		}))
		t.Cleanup(p.srv.Close)
		return p
	}
	start := func(t *testing.T, p *partner) (*rig, *fakeClock) {
		clock := &fakeClock{now: time.Now().UTC().Add(time.Hour)}
		r := newRig(t, func(c *dispatch.Config) { c.NowFunc = clock.Now })
		r.customer(t, "c1")
		r.endpoint(t, "c1", p.srv.URL, func(e *herald.Endpoint) { e.Ordered = true })
		return r, clock
	}

	t.Run("WaitsThenAttempted", func(t *testing.T) {
		t.Parallel()
		p := newPartner(t)
		r, clock := start(t, p)
		head := r.publishAt(t, "c1", "13437", wire.EventTypeWorkFlowStatusChange, clock.Now()).Deliveries[0]
		assess := r.publishAt(t, "c1", "13437", wire.EventTypeAssessment, clock.Now()).Deliveries[0]
		if assess.WaitingFor != head.ID {
			t.Fatalf("assessment waits for %q, want %q", assess.WaitingFor, head.ID)
		}
		outcomes := make(chan []*herald.DeliveryOutcome, 1)
		go func() {
			os, err := r.disp.DeliverNow(context.Background(), []string{assess.ID}, 10*time.Second)
			if err != nil {
				t.Error(err)
			}
			outcomes <- os
		}()
		close(p.release) // the head's attempt answers 200
		o := (<-outcomes)[0]
		if o.State != herald.DeliveryStateDelivered || o.Location != "https://partner.example/assess/1" {
			t.Fatalf("outcome %+v, want delivered with the partner's Location", o)
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if want := []string{"WorkFlowStatusChangeEvent", "AssessmentEvent"}; !slices.Equal(p.got, want) {
			t.Fatalf("partner received %v, want %v", p.got, want)
		}
	})

	t.Run("QueuedInOrderPastTheDeadline", func(t *testing.T) {
		t.Parallel()
		p := newPartner(t)
		p.fail = true
		close(p.release)
		r, clock := start(t, p)
		head := r.publishAt(t, "c1", "13437", wire.EventTypeWorkFlowStatusChange, clock.Now()).Deliveries[0]
		r.wait(t, head.ID, func(d *herald.Delivery) bool { return d.Attempts == 1 })
		assess := r.publishAt(t, "c1", "13437", wire.EventTypeAssessment, clock.Now()).Deliveries[0]
		os, err := r.disp.DeliverNow(context.Background(), []string{assess.ID}, 200*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if o := os[0]; o.State != herald.DeliveryStatePending || !o.TimedOut {
			t.Fatalf("outcome %+v, want pending, timed out", o)
		}
		if d := r.wait(t, assess.ID, func(*herald.Delivery) bool { return true }); d.WaitingFor != head.ID || d.Attempts != 0 {
			t.Fatalf("after the deadline: waiting for %q with %d attempts, want %q, 0", d.WaitingFor, d.Attempts, head.ID)
		}
		p.mu.Lock()
		p.fail = false
		p.mu.Unlock()
		clock.Advance(time.Hour) // the head's retry comes due
		r.disp.Wake()
		r.wait(t, assess.ID, func(d *herald.Delivery) bool { return d.State == herald.DeliveryStateDelivered })
		p.mu.Lock()
		defer p.mu.Unlock()
		if want := []string{"WorkFlowStatusChangeEvent", "AssessmentEvent"}; !slices.Equal(p.got, want) {
			t.Fatalf("partner received %v, want %v", p.got, want)
		}
	})
}
