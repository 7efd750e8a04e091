package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/heraldhq/herald/receiver"
	"github.com/heraldhq/herald/wire"
)

// listenHeaders are the request headers listen shows: what a partner
// debugging an integration wants to see. Authorization is shown by its
// scheme only, never its credentials.
var listenHeaders = []string{
	"Content-Type", "Content-Encoding", "Link", wire.HeaderEventID, wire.HeaderAttempt,
	wire.HeaderICIMSDate, wire.HeaderICIMSContentSHA256, wire.HeaderWebhookID, wire.HeaderWebhookTimestamp, "User-Agent",
}

// runListen runs a local partner endpoint built on package receiver. It
// prints each event it gets (or why it refused one) and answers as --reply
// says, until ctx is cancelled.
func runListen(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("herald listen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: herald listen [flags]\n\nRuns a local partner endpoint that prints the events it receives.\n\nFlags:")
		fs.PrintDefaults()
	}
	addr := fs.String("listen", "127.0.0.1:9000", "`address` to listen on")
	replySpec := fs.String("reply", "200", `reply to send: 200, "303 <url>", "400 <message>", "500 <message>" or "503 <message>"`)
	delay := fs.Duration("delay", 0, "wait this long before replying (e.g. 2s, to test timeouts)")
	asJSON := fs.Bool("json", false, "print one JSON object per line instead of readable blocks")
	maxBody := fs.Int64("max-body", receiver.DefaultMaxBodyBytes, "body limit in `bytes`")
	var auth partnerAuthFlags
	auth.register(fs, false)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("listen: %v", err)
	}
	if fs.NArg() > 0 {
		return usagef("listen: unexpected argument %q", fs.Arg(0))
	}
	reply, err := listenParseReply(*replySpec)
	if err != nil {
		return err
	}
	if *delay < 0 {
		return usagef("listen: --delay cannot be negative")
	}
	if *maxBody <= 0 {
		return usagef("listen: --max-body must be positive")
	}
	verifier, err := auth.verifier()
	if err != nil {
		return err
	}

	p := &listenPrinter{w: stdout, json: *asJSON, auth: auth.describe()}
	handler := receiver.NewHandler(receiver.Config{
		Verifier:     verifier,
		MaxBodyBytes: *maxBody,
		ErrorFunc:    p.refused,
	}, receiver.HandlerFunc(func(ctx context.Context, e *receiver.Event) receiver.Reply {
		p.event(e, reply)
		if *delay > 0 {
			t := time.NewTimer(*delay)
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
			}
		}
		return reply
	}))

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      *delay + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	fmt.Fprintf(stdout, "listening on http://%s (auth %s, reply %s)\n", ln.Addr(), auth.describe(), listenDescribeReply(reply))

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("listen: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("listen: %w", err)
	}
	return nil
}

// listenParseReply reads --reply: a status, then a URL (303) or message.
func listenParseReply(s string) (receiver.Reply, error) {
	code, rest, _ := strings.Cut(strings.TrimSpace(s), " ")
	rest = strings.TrimSpace(rest)
	n, err := strconv.Atoi(code)
	if err != nil {
		return receiver.Reply{}, usagef(`listen: --reply must start with a status: 200, "303 <url>", "400 <message>", "500 <message>" or "503 <message>"`)
	}
	switch n {
	case http.StatusOK:
		return receiver.OK(), nil
	case http.StatusSeeOther:
		u, err := url.Parse(rest)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return receiver.Reply{}, usagef(`listen: --reply "303 <url>" needs an absolute http or https URL`)
		}
		return receiver.SeeOther(rest), nil
	case http.StatusBadRequest:
		return receiver.BadRequest(rest, "herald listen --reply"), nil
	case http.StatusInternalServerError:
		return receiver.ServerError(rest, "herald listen --reply"), nil
	case http.StatusServiceUnavailable:
		return receiver.Unavailable(rest, "herald listen --reply"), nil
	}
	return receiver.Reply{}, usagef("listen: --reply status %d is not one of 200, 303, 400, 500, 503", n)
}

func listenDescribeReply(r receiver.Reply) string {
	s := strconv.Itoa(r.Status) + " " + http.StatusText(r.Status)
	if r.Location != "" {
		s += " → " + r.Location
	}
	if r.UserMessage != "" {
		s += fmt.Sprintf(" %q", r.UserMessage)
	}
	return s
}

// listenPrinter writes events and refusals to stdout, one whole block or
// line at a time (requests are served concurrently).
type listenPrinter struct {
	mu   sync.Mutex
	w    io.Writer
	json bool
	auth string
}

// listenRecord is one line of --json output.
type listenRecord struct {
	Time       time.Time         `json:"time"`
	Remote     string            `json:"remote,omitempty"`
	EventID    string            `json:"eventId,omitempty"`
	Attempt    int               `json:"attempt,omitempty"`
	EventType  wire.EventType    `json:"eventType,omitempty"`
	CustomerID string            `json:"customerId,omitempty"`
	Body       json.RawMessage   `json:"body,omitempty"`
	Links      []wire.Link       `json:"links,omitempty"`
	Headers    map[string]string `json:"headers,omitempty"`
	Verified   string            `json:"verified,omitempty"`
	Sender     string            `json:"sender,omitempty"`
	Reply      *listenReply      `json:"reply,omitempty"`
	Error      string            `json:"error,omitempty"`
}

type listenReply struct {
	Status      int    `json:"status"`
	Location    string `json:"location,omitempty"`
	UserMessage string `json:"userMessage,omitempty"`
}

func listenHeaderValues(h http.Header) map[string]string {
	out := map[string]string{}
	for _, k := range listenHeaders {
		if v := h.Values(k); len(v) > 0 {
			out[k] = strings.Join(v, ", ")
		}
	}
	if a := h.Get("Authorization"); a != "" {
		scheme, _, _ := strings.Cut(a, " ")
		out["Authorization"] = scheme + " …"
	}
	if h.Get(wire.HeaderWebhookSignature) != "" {
		out[wire.HeaderWebhookSignature] = fmt.Sprintf("%d signatures", len(strings.Fields(h.Get(wire.HeaderWebhookSignature))))
	}
	return out
}

func (p *listenPrinter) event(e *receiver.Event, r receiver.Reply) {
	p.mu.Lock()
	defer p.mu.Unlock()
	verified := p.auth
	if p.auth == "none" {
		verified = "not checked (--auth none)"
	}
	if p.json {
		rec := listenRecord{
			Time: e.ReceivedAt.UTC(), EventID: e.ID, Attempt: e.Attempt, EventType: e.Type, CustomerID: e.CustomerID,
			Body: e.JSON, Links: e.Links, Headers: listenHeaderValues(e.Header), Verified: verified, Sender: e.Sender,
			Reply: &listenReply{Status: r.Status, Location: r.Location, UserMessage: r.UserMessage},
		}
		if !json.Valid(e.JSON) {
			rec.Body = nil
		}
		b, _ := json.Marshal(rec)
		fmt.Fprintf(p.w, "%s\n", b)
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n── %s  %s (%s)  customer %s\n", e.ReceivedAt.Format("15:04:05"), e.Type, e.Type.PageName(), e.CustomerID)
	if e.Body.EventType != e.Type {
		fmt.Fprintf(&b, "   sent as     %s\n", e.Body.EventType)
	}
	if e.ID != "" {
		fmt.Fprintf(&b, "   event id    %s (attempt %d)\n", e.ID, e.Attempt)
	}
	for _, f := range []struct{ k, v string }{
		{"systemId", e.SystemID}, {"userId", e.UserID}, {"personId", e.Body.PersonID}, {"jobId", e.Body.JobID},
		{"oldStatus", e.Body.OldStatus}, {"newStatus", e.Body.NewStatus}, {"returnUrl", e.Body.ReturnURL},
		{"incompleteUrl", e.Body.IncompleteURL}, {"portalUrl", e.Body.PortalURL},
	} {
		if f.v != "" {
			fmt.Fprintf(&b, "   %-11s %s\n", f.k, f.v)
		}
	}
	for k, v := range e.Body.Extra {
		fmt.Fprintf(&b, "   %-11s %s (unknown key)\n", k, triggerSnippet(v, 200))
	}
	for i, l := range e.Links {
		label := ""
		if i == 0 {
			label = "links"
		}
		fmt.Fprintf(&b, "   %-11s %-17s %s\n", label, l.Rel, l.URL)
	}
	hv := listenHeaderValues(e.Header)
	for _, k := range append(append([]string{}, listenHeaders...), "Authorization", wire.HeaderWebhookSignature) {
		if v, ok := hv[k]; ok {
			fmt.Fprintf(&b, "   %-11s %s: %s\n", "header", k, v)
		}
	}
	fmt.Fprintf(&b, "   %-11s %s", "verified", verified)
	if e.Sender != "" {
		fmt.Fprintf(&b, ", sender %s", e.Sender)
	}
	fmt.Fprintf(&b, "\n   %-11s %s\n", "reply", listenDescribeReply(r))
	io.WriteString(p.w, b.String())
}

func (p *listenPrinter) refused(r *http.Request, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		b, _ := json.Marshal(listenRecord{Time: time.Now().UTC(), Remote: r.RemoteAddr, Headers: listenHeaderValues(r.Header), Error: err.Error()})
		fmt.Fprintf(p.w, "%s\n", b)
		return
	}
	fmt.Fprintf(p.w, "\n── %s  refused request from %s\n   %-11s %s\n", time.Now().Format("15:04:05"), r.RemoteAddr, "error", err)
}
