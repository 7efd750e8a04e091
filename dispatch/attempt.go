package dispatch

import (
	"compress/flate"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// handle attempts one claimed delivery from a lane and hands the result to
// the recorder.
func (d *Dispatcher) handle(l *lane, c *herald.ClaimedDelivery) {
	r := d.process(d.attemptCtx, c, d.cfg.RequestTimeout, l)
	r.endpointID = c.EndpointID
	if r.rec == nil {
		return // handed back
	}
	d.rec.add(r.rec)
	d.notifyWaiter(c.ID, r)
}

// processed is what became of one claimed delivery.
type processed struct {
	// rec is the record to store; nil when the delivery was handed back
	// unattempted (and released already).
	rec     *herald.AttemptRecord
	outcome Outcome
	// attempted is false when no request was made (endpoint disabled or
	// deleted, or the delivery was handed back).
	attempted  bool
	endpointID string
}

// process decides and makes one attempt of c with the given timeout. l,
// if not nil, is the lane whose capacity follows the endpoint's.
func (d *Dispatcher) process(ctx context.Context, c *herald.ClaimedDelivery, timeout time.Duration, l *lane) processed {
	r := d.processOne(ctx, c, timeout, l)
	if r.rec != nil {
		// Whatever the partner sent becomes text every store accepts,
		// here, once, before the record reaches the recorder.
		r.rec.MakeStorable()
		r.rec.Unordered = c.Subject == ""
		d.obs.outcome(c.EventType, r.outcome.Kind, r.rec.State)
	}
	return r
}

func (d *Dispatcher) processOne(ctx context.Context, c *herald.ClaimedDelivery, timeout time.Duration, l *lane) processed {
	ep, err := d.eps.get(ctx, c.EndpointID)
	switch {
	case herald.ErrorCode(err) == herald.ENOTFOUND:
		// Its rate limit, circuit and token source (which holds the
		// client secret) go with it.
		d.forgetEndpoint(c.EndpointID)
		msg := "the endpoint was deleted"
		return processed{rec: &herald.AttemptRecord{Lease: c.Lease, State: herald.DeliveryStateFailed, Error: msg}, outcome: Outcome{Kind: OutcomeGone, Error: msg}}
	case err != nil:
		// Our store is failing; the lease will expire and the delivery
		// comes back. Nothing was sent.
		d.log.ErrorContext(ctx, "load endpoint", slog.String("endpoint_id", c.EndpointID), slog.Any("error", err))
		d.release([]herald.DeliveryLease{c.Lease})
		return processed{outcome: Outcome{Kind: OutcomeInterrupted}}
	case !ep.Enabled:
		msg := "the endpoint is disabled"
		if ep.DisabledReason != "" {
			msg += ": " + ep.DisabledReason
		}
		return processed{rec: &herald.AttemptRecord{Lease: c.Lease, State: herald.DeliveryStateFailed, Error: msg}, outcome: Outcome{Kind: OutcomeGone, Error: msg}}
	}
	if l != nil {
		d.setCapacity(l, ep.Concurrency())
	}

	// The circuit breaker first: an endpoint that keeps failing is not
	// tried, nor does it use up its rate limit. Interactive deliveries
	// (l == nil) obey it too: the person gets an answer at once instead
	// of waiting for a partner that is down.
	adm := d.ctl.admit(ep, d.now())
	if !adm.ok {
		return d.deferred(ctx, c, adm.retryAt, "not attempted: the endpoint's circuit is open after repeated failures; due again when a probe may go")
	}
	// Interactive deliveries (l == nil) obey the endpoint's concurrency
	// cap and rate limit too, so a burst of people cannot hammer a
	// partner: they wait for a slot and a token for up to half of their
	// deadline, keeping the rest for the attempt, and otherwise fall back
	// to the queue (deferred, pending), delivered later like any other.
	interactive := l == nil
	deadline := time.Now().Add(timeout)
	maxWait := timeout / 2
	if !interactive {
		maxWait = c.LeaseUntil.Sub(d.now()) - timeout - leaseMargin
	}
	freeSlot := d.ctl.acquire(ctx, ep, d.now(), maxWait, interactive)
	if freeSlot == nil {
		d.ctl.abandon(ep, adm.probe)
		return d.deferred(ctx, c, d.now(), "not attempted yet: the endpoint's concurrency cap")
	}
	defer freeSlot()
	if interactive {
		// What the wait used is no longer the attempt's.
		timeout = max(time.Until(deadline), time.Millisecond)
	}
	if r, ok := d.waitRateLimit(ctx, ep, c, timeout, interactive); !ok {
		d.ctl.abandon(ep, adm.probe)
		return r
	}
	if interactive {
		timeout = max(time.Until(deadline), time.Millisecond)
	}

	// Start only with enough lease left to finish: otherwise another claim
	// could take the delivery while this attempt is still going.
	if d.now().Add(timeout + leaseMargin).After(c.LeaseUntil) {
		d.ctl.abandon(ep, adm.probe)
		d.release([]herald.DeliveryLease{c.Lease})
		return processed{outcome: Outcome{Kind: OutcomeInterrupted}}
	}

	policy := d.retryPolicy(ctx, c)
	attempt, outcome := d.send(ctx, ep, c, timeout, policy)
	if outcome.Kind == OutcomeInterrupted {
		d.ctl.abandon(ep, adm.probe)
		d.release([]herald.DeliveryLease{c.Lease})
		return processed{outcome: outcome}
	}
	d.reportCircuit(ctx, ep, adm.probe, outcome.Kind == OutcomeRetry)
	rec := outcome.record(c, attempt, policy, d.now())

	level := slog.LevelDebug
	if outcome.Kind == OutcomeRetry {
		level = slog.LevelWarn
	}
	// LogAttrs, not Log: at the default level this line is off for every
	// delivery that succeeds, and Log would box its eight attributes into
	// interfaces, eight allocations per delivery, before finding that out.
	d.log.LogAttrs(ctx, level, "delivery attempted",
		slog.String("delivery_id", c.ID), slog.String("endpoint_id", c.EndpointID),
		slog.String("event_type", string(c.EventType)), slog.Int("attempt", attempt.Number),
		slog.Int("status_code", outcome.StatusCode), slog.String("outcome", outcome.Kind.String()),
		slog.String("state", string(rec.State)), slog.Duration("duration", attempt.Latency))

	switch {
	case outcome.Kind == OutcomeGone:
		// Recorded with the attempt, in its transaction (the recorder).
		rec.DisableEndpoint = "the partner answered 410 Gone"
		d.eps.forget(ep.ID)
		d.log.InfoContext(ctx, "endpoint disabled", slog.String("endpoint_id", ep.ID), slog.String("reason", rec.DisableEndpoint))
	case outcome.StatusCode == http.StatusUnauthorized && ep.Auth.Type == herald.AuthTypeOAuth2:
		d.signers.invalidate(ep.ID)
	}
	return processed{rec: rec, outcome: outcome, attempted: true}
}

// deferred puts c back, due at retryAt, without an attempt: nothing is
// counted against the partner and the retry schedule does not advance.
func (d *Dispatcher) deferred(ctx context.Context, c *herald.ClaimedDelivery, retryAt time.Time, why string) processed {
	d.log.DebugContext(ctx, "delivery deferred",
		slog.String("delivery_id", c.ID), slog.String("endpoint_id", c.EndpointID),
		slog.String("reason", why), slog.Time("next_attempt_at", retryAt))
	return processed{
		rec:     &herald.AttemptRecord{Lease: c.Lease, State: herald.DeliveryStatePending, NextAttemptAt: retryAt, Error: why},
		outcome: Outcome{Kind: OutcomeDeferred, Error: why},
	}
}

// waitRateLimit takes a token from ep's bucket, waiting for one if need be.
// It reports false, with what became of c, when c is not to be attempted
// now: the wait would outlast the lease, or for an interactive delivery
// half of what is left of its deadline (c is deferred to when a token is
// due), or the dispatcher is stopping (c is handed back).
func (d *Dispatcher) waitRateLimit(ctx context.Context, ep *herald.Endpoint, c *herald.ClaimedDelivery, timeout time.Duration, interactive bool) (processed, bool) {
	now := d.now()
	delay, cancelToken := d.ctl.reserve(ep, now)
	if delay <= 0 {
		return processed{}, true
	}
	tooLong := now.Add(delay + timeout + leaseMargin).After(c.LeaseUntil)
	if interactive {
		tooLong = tooLong || delay > timeout/2
	}
	if tooLong {
		cancelToken()
		return d.deferred(ctx, c, now.Add(delay), "not attempted yet: the endpoint's rate limit"), false
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		return processed{}, true
	case <-d.stopping:
		cancelToken()
		d.release([]herald.DeliveryLease{c.Lease})
		return processed{outcome: Outcome{Kind: OutcomeInterrupted}}, false
	}
}

// reportCircuit feeds an attempt's result to ep's circuit breaker and logs
// the changes of state.
func (d *Dispatcher) reportCircuit(ctx context.Context, ep *herald.Endpoint, probe, failed bool) {
	before, after := d.ctl.report(ep, d.now(), probe, failed)
	if before != after {
		d.obs.circuit(ep.ID, before, after)
	}
	switch {
	case before == after:
	case after == CircuitOpen:
		d.log.WarnContext(ctx, "circuit opened", slog.String("endpoint_id", ep.ID),
			slog.Int("failures", ep.CircuitFailures()), slog.Duration("cooldown", ep.CircuitOpenFor()))
	case after == CircuitClosed:
		d.log.InfoContext(ctx, "circuit closed", slog.String("endpoint_id", ep.ID))
	}
}

func (d *Dispatcher) setCapacity(l *lane, capacity int) {
	d.mu.Lock()
	if l.capacity != capacity {
		l.capacity = capacity
		d.startWorkersLocked(l)
	}
	d.mu.Unlock()
}

// send makes one HTTP attempt and classifies what came back.
func (d *Dispatcher) send(ctx context.Context, ep *herald.Endpoint, c *herald.ClaimedDelivery, timeout time.Duration, policy *herald.RetryPolicy) (*herald.Attempt, Outcome) {
	started := d.now()
	attempt := &herald.Attempt{DeliveryID: c.ID, Number: c.Attempts + 1, At: started}

	body := c.BodyGzip
	if !ep.Gzip {
		plain, err := wire.Gunzip(c.BodyGzip, maxEventBody)
		if err != nil {
			o := Outcome{Kind: OutcomeRetry, Error: "stored event body is unreadable: " + err.Error()}
			d.log.ErrorContext(ctx, "decompress event body", slog.String("event_id", c.EventID), slog.Any("error", err))
			return fill(attempt, o), o
		}
		body = plain
	}

	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// The span starts before the request is built: its id is the
	// traceparent the partner gets.
	ctx, span := d.startAttemptSpan(ctx, ep, c, attempt.Number)
	req, err := wire.NewRequest(ctx, &wire.Request{
		URL:         ep.URL,
		EventID:     c.EventID,
		Attempt:     attempt.Number,
		Body:        body,
		Gzip:        ep.Gzip,
		LinkHeader:  c.LinkHeader,
		TraceParent: traceParent(ep, span.SpanContext()),
		Signer:      d.signers.signer(ep, started),
	}, started)
	if err != nil {
		o := Outcome{Kind: OutcomeRetry, Error: "build request: " + err.Error()}
		if de := destinationError(err); de != nil {
			// The OAuth 2.0 token URL was refused: say so without the
			// address, which goes to the operator's log only.
			o.Error = "oauth2 access token: " + de.Error()
			d.logRefusedDestination(ctx, ep, de)
		}
		if d.attemptCtx.Err() != nil {
			o.Kind = OutcomeInterrupted
		}
		endAttemptSpan(span, &o)
		return fill(attempt, o), o
	}
	attempt.RequestHeaders = redactHeaders(req.Header)

	d.obs.inFlight(1)
	t0 := time.Now()
	resp, err := d.cfg.Client.Do(req)
	var o Outcome
	if err != nil {
		attempt.Latency = time.Since(t0)
		if de := destinationError(err); de != nil {
			d.logRefusedDestination(ctx, ep, de)
		}
		o = Outcome{Kind: OutcomeRetry, Error: describeTransportError(err, timeout),
			TimedOut: errors.Is(err, context.DeadlineExceeded) || isTimeout(err)}
		if d.attemptCtx.Err() != nil {
			o.Kind = OutcomeInterrupted
		}
	} else {
		reply, readErr := readReply(resp)
		attempt.Latency = time.Since(t0)
		o = classifyReply(resp, reply, policy, d.now())
		if readErr != nil && o.Error == "" && o.Kind != OutcomeDelivered && o.Kind != OutcomeDeliveredWithLink {
			o.Error = "read reply: " + readErr.Error()
		}
		attempt.ResponseBody = truncateUTF8(reply, herald.MaxResponseBodyKept)
	}
	d.obs.inFlight(-1)
	if o.Kind != OutcomeInterrupted {
		d.obs.attempt(ctx, ep.ID, c.EventType, o.StatusCode, attempt.Latency)
	}
	endAttemptSpan(span, &o)
	return fill(attempt, o), o
}

// logRefusedDestination tells the operator which address the policy
// refused for ep; customers only learn that it was refused.
func (d *Dispatcher) logRefusedDestination(ctx context.Context, ep *herald.Endpoint, de *DestinationError) {
	d.log.WarnContext(ctx, "destination not allowed", slog.String("endpoint_id", ep.ID),
		slog.String("customer_id", ep.CustomerID), slog.Any("destination", de))
}

func fill(a *herald.Attempt, o Outcome) *herald.Attempt {
	a.StatusCode = o.StatusCode
	a.Location = o.Location
	a.UserMessage = o.UserMessage
	a.DebugErrorMessage = o.DebugErrorMessage
	a.Error = o.Error
	return a
}

// readReply reads up to maxReplyBody of the reply, decompressing it if the
// partner compressed it (we asked for gzip,deflate), and closes it.
func readReply(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	var r io.Reader = io.LimitReader(resp.Body, maxReplyBody)
	switch strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding"))) {
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("gzip reply: %w", err)
		}
		r = io.LimitReader(zr, maxReplyBody)
	case "deflate":
		r = io.LimitReader(flate.NewReader(r), maxReplyBody)
	}
	b, err := io.ReadAll(r)
	// Drain a little more so the connection can be reused; give up on
	// partners that send more than that.
	_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
	return b, err
}

// describeTransportError says in words why no reply came.
func describeTransportError(err error, timeout time.Duration) string {
	var dnsErr *net.DNSError
	switch {
	case isDestinationError(err):
		// Only the refusal's own words: the wrappers (*url.Error,
		// *net.OpError) name the address dialled, which customers must
		// not learn (see DestinationError).
		return destinationError(err).Error()
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return fmt.Sprintf("timed out: no reply within %s", timeout)
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused: nothing is listening at the endpoint's address"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by the partner before it replied"
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return fmt.Sprintf("DNS: host %q not found", dnsErr.Name)
		}
		return fmt.Sprintf("DNS lookup of %q failed: %s", dnsErr.Name, dnsErr.Err)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the partner closed the connection without replying"
	case strings.Contains(err.Error(), "tls:"), strings.Contains(err.Error(), "x509:"):
		return "TLS: " + innermost(err).Error()
	}
	return innermost(err).Error()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// innermost strips *url.Error and *net.OpError wrappers, which repeat the
// URL and addresses the attempt log already shows.
func innermost(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}

// redactHeaders copies the request headers for the attempt log, with
// credentials replaced: the log is shown in the UI and API.
func redactHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		val := strings.Join(v, ", ")
		if strings.EqualFold(k, "Authorization") {
			scheme, _, _ := strings.Cut(val, " ")
			val = scheme + " REDACTED"
		}
		out[k] = val
	}
	return out
}

func truncateUTF8(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	b = b[:n]
	// Do not cut a multi-byte character in half.
	for i := 0; i < 3 && len(b) > 0 && b[len(b)-1]&0xC0 == 0x80; i++ {
		b = b[:len(b)-1]
	}
	if len(b) > 0 && b[len(b)-1] >= 0xC0 {
		b = b[:len(b)-1]
	}
	return string(b)
}
