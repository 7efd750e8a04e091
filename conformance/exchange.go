package conformance

import (
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/heraldhq/herald/wire"
)

// Limits on what the battery reads and shows.
const (
	// maxReply bounds a reply body read, as the dispatcher's does.
	maxReply = 64 << 10
	// shownBody bounds a body quoted in a report.
	shownBody = 600
)

// exchange is one request of a check and what came back.
type exchange struct {
	check string // the check it belongs to
	sent  string // the request, described; credentials redacted
	// notSent is set, with the reason, when the request was not made.
	notSent string

	status   int
	proto    string
	location string
	body     []byte // decompressed, bounded
	latency  time.Duration
	err      error // no reply
	timedOut bool
}

// replied reports whether a reply came.
func (x *exchange) replied() bool { return x.notSent == "" && x.err == nil }

// sendOpts describe a request beyond its wire.Request.
type sendOpts struct {
	// bodyText says what the body is, for the report (the JSON, or what
	// is wrong with it).
	bodyText string
	// now signs the request; zero: the battery's now.
	now time.Time
	// tamper, if set, changes the request after it was signed.
	tamper func(*http.Request)
	// valid marks a valid event, whose latency the latency check judges.
	valid bool
}

// send makes one request of check, exactly as Herald would (wire.NewRequest),
// marked as a test event, within the deadline.
func (r *run) send(ctx context.Context, check string, wr *wire.Request, o sendOpts) *exchange {
	x := &exchange{check: check}
	r.all = append(r.all, x)
	if o.valid {
		r.valid = append(r.valid, x)
	}
	if r.stop == "" && time.Now().After(r.until) {
		r.stop = fmt.Sprintf("the check's time budget (%s) ran out before this request: the endpoint answers slowly", r.b.cfg.Budget)
	}
	if r.stop != "" {
		x.notSent = r.stop
		return x
	}
	now := o.now
	if now.IsZero() {
		now = r.b.cfg.NowFunc()
	}
	wr.URL, wr.Test = r.t.URL, true
	ctx, cancel := context.WithTimeout(ctx, r.b.cfg.Deadline)
	defer cancel()
	req, err := wire.NewRequest(ctx, wr, now)
	if err != nil {
		x.notSent = "the request could not be built: " + err.Error()
		return x
	}
	req.Header.Set("User-Agent", r.b.cfg.UserAgent)
	if o.tamper != nil {
		o.tamper(req)
	}
	x.sent = describeRequest(req, o.bodyText)

	t0 := time.Now()
	resp, err := r.b.cfg.Client.Do(req)
	if err != nil {
		x.latency = time.Since(t0)
		x.err = err
		x.timedOut = errors.Is(err, context.DeadlineExceeded) || isTimeout(err)
		if x.timedOut {
			// One deadline is enough to learn the endpoint is too slow;
			// waiting out the same deadline forty times is not.
			r.stop = fmt.Sprintf("an earlier request (%s) got no reply within %s, so the battery stopped sending", check, r.b.cfg.Deadline)
		}
		return x
	}
	x.body = readReply(resp)
	x.latency = time.Since(t0)
	x.status, x.proto = resp.StatusCode, resp.Proto
	x.location = resp.Header.Get("Location")
	return x
}

// readReply reads up to maxReply of the reply, decompressing it if the
// partner compressed it (the request said Accept-Encoding: gzip,deflate),
// and closes it. A reply that cannot be read is kept as far as it was.
func readReply(resp *http.Response) []byte {
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	switch strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding"))) {
	case "gzip", "x-gzip":
		if plain, err := wire.Gunzip(raw, maxReply); err == nil {
			return plain
		}
	case "deflate":
		if plain, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(raw)), maxReply)); err == nil {
			return plain
		}
	}
	return raw
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// describeRequest writes the request line, the headers (sorted;
// Authorization by its scheme only, webhook-signature not at all) and the
// body as text said.
func describeRequest(req *http.Request, bodyText string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", req.Method, req.URL.Redacted())
	names := make([]string, 0, len(req.Header))
	for k := range req.Header {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		v := strings.Join(req.Header[k], ", ")
		switch {
		case strings.EqualFold(k, "Authorization"):
			scheme, _, _ := strings.Cut(v, " ")
			v = scheme + " REDACTED"
		case strings.EqualFold(k, wire.HeaderWebhookSignature):
			// Not a secret, but with the body it would let whoever reads
			// the report replay the request for five minutes.
			v = "REDACTED"
		}
		fmt.Fprintf(&b, "%s: %s\n", k, v)
	}
	b.WriteString("\n")
	b.WriteString(bodyText)
	return b.String()
}

// describe says what came back: status, time, Location and the body.
func (x *exchange) describe() string {
	switch {
	case x.notSent != "":
		return "not sent: " + x.notSent
	case x.timedOut:
		return fmt.Sprintf("no reply within %s", roundDuration(x.latency))
	case x.err != nil:
		return "no reply: " + innermost(x.err).Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s in %s", x.status, http.StatusText(x.status), roundDuration(x.latency))
	if x.location != "" {
		fmt.Fprintf(&b, "\nLocation: %s", x.location)
	}
	if body := bytes.TrimSpace(x.body); len(body) > 0 {
		b.WriteString("\n")
		b.WriteString(snippet(body, shownBody))
	}
	return b.String()
}

// innermost strips the *url.Error and *net.OpError wrappers, which repeat
// the URL the report already shows.
func innermost(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}

// snippet returns b as valid UTF-8 text, at most n bytes, marked when cut.
func snippet(b []byte, n int) string {
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + fmt.Sprintf(" … (%d bytes)", len(b))
}

// jsonText describes a JSON body for the report.
func jsonText(body []byte, sent int, gzipped bool) string {
	if gzipped {
		return fmt.Sprintf("[%d bytes of JSON, gzip'd to %d]\n%s", len(body), sent, snippet(body, shownBody*2))
	}
	return snippet(body, shownBody*2)
}

// roundDuration rounds d for a report: to the millisecond, or to ten
// microseconds below one (loopback replies), so it never reads "0s".
func roundDuration(d time.Duration) time.Duration {
	if d < time.Millisecond {
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Millisecond)
}
