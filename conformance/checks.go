package conformance

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// verdict is a judge's finding: the status, and what to change.
type verdict struct {
	status herald.CheckStatus
	fix    string
}

func pass() verdict { return verdict{status: herald.CheckStatusPass} }

func warn(format string, a ...any) verdict {
	return verdict{herald.CheckStatusWarn, fmt.Sprintf(format, a...)}
}

func fail(format string, a ...any) verdict {
	return verdict{herald.CheckStatusFail, fmt.Sprintf(format, a...)}
}

// result assembles a CheckResult from the exchanges and the verdict. A
// check whose request was not sent is skipped, saying why.
func result(name, title, protects string, v verdict, xs ...*exchange) herald.CheckResult {
	res := herald.CheckResult{Name: name, Title: title, Protects: protects, Status: v.status, Fix: v.fix}
	var sent, got []string
	var d time.Duration
	for i, x := range xs {
		if x.notSent != "" {
			res.Status, res.Fix = herald.CheckStatusSkip, ""
			got = append(got, x.describe())
			continue
		}
		label := ""
		if len(xs) > 1 {
			label = fmt.Sprintf("[%d] ", i+1)
		}
		sent = append(sent, label+x.sent)
		got = append(got, label+x.describe())
		d += x.latency
	}
	res.Sent = strings.Join(sent, "\n\n")
	res.Got = strings.Join(got, "\n")
	res.DurationMS = d.Milliseconds()
	if res.Status == herald.CheckStatusPass {
		res.Fix = ""
	}
	return res
}

// skipped is a check that does not apply, with why.
func skipped(name, title, protects, why string) herald.CheckResult {
	return herald.CheckResult{Name: name, Title: title, Protects: protects, Status: herald.CheckStatusSkip, Got: why}
}

// linkTypes are the event types whose success is a 303: a person waits to
// be sent to the Location (spec section 3, "success reply").
func isLinkType(t wire.EventType) bool {
	switch t {
	case wire.EventTypeOnboardPortalTask, wire.EventTypeJobPostToWeb, wire.EventTypeViewJobWebPost, wire.EventTypeRemoteLogin:
		return true
	}
	return false
}

// judgeEvent judges the reply to a valid event of type t.
func (r *run) judgeEvent(t wire.EventType, x *exchange) verdict {
	if v, ok := judgeNoReply(x); !ok {
		return v
	}
	name := t.PageName()
	switch code := x.status; {
	case code == http.StatusOK:
		if isLinkType(t) {
			return warn("%s events succeed with a 303 whose Location is where the person waiting goes next; a 200 is recorded as delivered, but sends them nowhere. Reply 303 with an absolute https Location.", name)
		}
		return pass()
	case code >= 200 && code < 300:
		return warn("Herald counts any 2xx as delivered, but the contract's success reply is 200 (or a 303 with a Location); other 2xx statuses may not be understood by other senders. Reply 200.")
	case code == http.StatusSeeOther:
		if v := r.judgeLocation(x.location); v.status != herald.CheckStatusPass {
			return v
		}
		if t == wire.EventTypeJobUnpostToWeb {
			return warn("Nobody waits on a Job Unposting, so nobody follows the Location of this 303; reply 200.")
		}
		return pass()
	case code >= 300 && code < 400:
		return fail("%d %s is a redirect: Herald never follows redirects, so the event is not delivered and is retried until it dies. Accept the event at this URL (or configure the URL it redirects to); only a 303 with a Location is a result.", code, http.StatusText(code))
	case code == http.StatusBadRequest:
		return judgeErrorReport(x, "")
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return fail("The request carried the endpoint's configured credentials, yet was refused as unauthenticated. Check that the partner and Herald agree on the auth mode, username and secret (for hmac: the signed headers and the body hash of the bytes as sent, gzip'd).")
	case code >= 500:
		return fail("A valid event got %d: Herald retries it, and a person waiting sees an error. Process valid events; use 400 with an Error Reporting body for an event you cannot accept, 503 only for a temporary outage.", code)
	default:
		return fail("A valid event got %d %s, which the contract does not define. Reply 200 (or 303 with a Location); refuse with 400 and an Error Reporting body.", code, http.StatusText(code))
	}
}

// judgeNoReply returns the verdict for an exchange without a reply, and
// ok=true when there was one to judge.
func judgeNoReply(x *exchange) (verdict, bool) {
	switch {
	case x.notSent != "":
		return verdict{status: herald.CheckStatusSkip}, false
	case x.timedOut:
		return fail("No reply within the deadline: the person waiting sees a timeout and Herald retries. Reply within 5 s; do slow work after replying."), false
	case x.err != nil:
		return fail("No reply (%s). Check that the endpoint is reachable from Herald and its TLS certificate is valid.", innermost(x.err)), false
	}
	return verdict{}, true
}

// judgeLocation checks a 303's Location: absolute https (http is a warning
// when the endpoint itself is plain http, as in local development).
func (r *run) judgeLocation(loc string) verdict {
	if loc == "" {
		return fail("A 303 without a Location: Herald records the event delivered, but the person waiting is sent nowhere. Set Location to an absolute https URL.")
	}
	u, err := url.Parse(loc)
	switch {
	case err != nil:
		return fail("The Location %q is not a URL. Set an absolute https URL.", loc)
	case !u.IsAbs() || u.Host == "":
		return fail("The Location %q is relative: Herald sends the person's browser there from Herald's own pages, so it must be absolute. Use https://your-host/....", loc)
	case u.Scheme == "https":
		return pass()
	case u.Scheme == "http" && !r.https:
		return warn("The Location %q is plain http. Fine for local development; in production use https.", loc)
	case u.Scheme == "http":
		return fail("The Location %q is plain http: the person's browser leaves https for it. Use https.", loc)
	}
	return fail("The Location %q is not an http(s) URL. Use an absolute https URL.", loc)
}

// htmlTag matches what makes a message HTML rather than text.
var htmlTag = regexp.MustCompile(`<\s*/?\s*[a-zA-Z!][^>]*>`)

// maxReadableMessage is the longest userMessage a person is expected to read.
const maxReadableMessage = 500

// judgeErrorReport judges a 400's body: the Error Reporting Standard, with
// a userMessage a person can read. prefix starts the fix.
func judgeErrorReport(x *exchange, prefix string) verdict {
	d, ok := wire.ParseErrorReport(x.body)
	msg := strings.TrimSpace(d.UserMessage)
	want := `Reply {"error":{"userMessage":"<what the person can do>","debugErrorMessage":"<detail for logs>"}} with Content-Type: application/json.`
	switch {
	case !ok || msg == "":
		return fail("%sA 400 without an Error Reporting body that has a userMessage: Herald can only show the person a generic message. %s", prefix, want)
	case htmlTag.MatchString(msg):
		return fail("%sThe userMessage is HTML; Herald shows it as text. Write a plain sentence. %s", prefix, want)
	case len(msg) > maxReadableMessage:
		return fail("%sThe userMessage is %d characters long; a person reads a sentence or two. Put detail in debugErrorMessage.", prefix, len(msg))
	case strings.ContainsFunc(msg, func(r rune) bool { return r < 0x20 && r != '\n' }):
		return fail("%sThe userMessage holds control characters; write plain text.", prefix)
	}
	return pass()
}

// judgeRefused judges the reply to a request that must be refused (no,
// wrong or stale credentials; a changed body).
func judgeRefused(x *exchange, what string) verdict {
	if v, ok := judgeNoReply(x); !ok {
		return v
	}
	switch code := x.status; {
	case code == http.StatusUnauthorized || code == http.StatusForbidden || code == http.StatusBadRequest:
		return pass()
	case code >= 200 && code < 300, code == http.StatusSeeOther:
		return fail("The endpoint accepted a request with %s: anyone who finds its URL can send it events in a customer's name. Verify every request (package receiver does: receiver.HMAC, receiver.StandardWebhooks, receiver.Basic) and refuse with 401.", what)
	case code >= 300 && code < 400:
		return fail("A request with %s got a %d redirect instead of a refusal. Refuse it with 401.", what, code)
	case code >= 500:
		return fail("A request with %s got %d: Herald would retry it as a failure of the endpoint. Refuse it with 401.", what, code)
	}
	return warn("A request with %s was refused with %d %s; the contract's refusals are 401 (or 403, 400), which every sender understands.", what, x.status, http.StatusText(x.status))
}

// judgeMalformed judges the reply to a malformed body: a 400, not a 5xx.
func judgeMalformed(x *exchange, what string) verdict {
	if v, ok := judgeNoReply(x); !ok {
		return v
	}
	switch code := x.status; {
	case code == http.StatusBadRequest:
		return pass()
	case code >= 200 && code < 300, code == http.StatusSeeOther:
		return fail("The endpoint accepted %s as if it were an event. Parse the body and refuse what is not an event with 400.", what)
	case code >= 500:
		return fail("%s got %d: Herald retries a 5xx until the delivery dies, and the person waiting sees an error. Refuse a body you cannot read with 400 and an Error Reporting body.", upperFirst(what), code)
	case code >= 300 && code < 400:
		return fail("%s got a %d redirect. Refuse it with 400.", upperFirst(what), code)
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return warn("%s was correctly signed, yet refused as unauthenticated (%d). Authenticate the bytes as sent, then refuse what cannot be read with 400.", upperFirst(what), code)
	}
	return warn("%s was refused with %d %s; the contract's refusal of a bad message is 400, which Herald does not retry.", upperFirst(what), x.status, http.StatusText(x.status))
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// checkEventType runs the checks of one event type.
func (r *run) checkEventType(ctx context.Context, t wire.EventType) {
	name := t.PageName()
	ev := r.newEvent(t)
	gz := wire.Gzip(ev.body)

	first := r.send(ctx, "event-gzip/"+string(t), &wire.Request{EventID: ev.id, Attempt: 1, Body: gz, Gzip: true,
		LinkHeader: ev.linkHeader, Signer: r.t.Signer}, sendOpts{bodyText: jsonText(ev.body, len(gz), true), valid: true})
	r.add(result("event-gzip/"+string(t), "A valid "+name+" event, gzip'd, exactly as Herald sends it",
		"Herald sends every event gzip'd (Content-Encoding: gzip) unless the endpoint turns it off; an endpoint that cannot read gzip fails every real delivery.",
		r.judgeEvent(t, first), first))

	plainEv := r.newEvent(t)
	plain := r.send(ctx, "event-plain/"+string(t), &wire.Request{EventID: plainEv.id, Attempt: 1, Body: plainEv.body,
		LinkHeader: plainEv.linkHeader, Signer: r.t.Signer}, sendOpts{bodyText: jsonText(plainEv.body, len(plainEv.body), false), valid: true})
	r.add(result("event-plain/"+string(t), "A valid "+name+" event, not compressed",
		"An endpoint whose customer turns gzip off (a per-endpoint switch) gets plain JSON; real captures of both exist.",
		r.judgeEvent(t, plain), plain))

	again := r.send(ctx, "redelivery/"+string(t), &wire.Request{EventID: ev.id, Attempt: 2, Body: gz, Gzip: true,
		LinkHeader: ev.linkHeader, Signer: r.t.Signer}, sendOpts{bodyText: jsonText(ev.body, len(gz), true), valid: true})
	r.add(result("redelivery/"+string(t), "The same "+name+" event again (same Herald-Event-Id and body, Herald-Attempt 2) gets an equivalent answer",
		"Duplicates happen: a retry after a lost reply, a person repeating an action. A partner that answers the second delivery differently (a 400 \"already processed\", a second assessment) turns Herald's retry into a failure or a duplicate.",
		judgeRedelivery(first, again), first, again))

	extra := r.newEvent(t)
	body := withUnknownFields(extra.body)
	egz := wire.Gzip(body)
	xe := r.send(ctx, "unknown-fields/"+string(t), &wire.Request{EventID: extra.id, Attempt: 1, Body: egz, Gzip: true,
		LinkHeader: extra.linkHeader, Signer: r.t.Signer}, sendOpts{bodyText: jsonText(body, len(egz), true), valid: true})
	r.add(result("unknown-fields/"+string(t), name+" event with body keys the partner does not know is accepted",
		"The contract says receivers must ignore unknown keys: senders add fields over time. A strict decoder turns the next addition into an outage.",
		r.judgeEvent(t, xe), xe))

	le := r.newEvent(t)
	lh := withExtraLinks(le.linkHeader, r.b.cfg.PublicURL, r.customer)
	lgz := wire.Gzip(le.body)
	xl := r.send(ctx, "link-extra/"+string(t), &wire.Request{EventID: le.id, Attempt: 1, Body: lgz, Gzip: true,
		LinkHeader: lh, Signer: r.t.Signer}, sendOpts{bodyText: jsonText(le.body, len(lgz), true), valid: true})
	r.add(result("link-extra/"+string(t), name+" event whose Link header carries extra links is accepted",
		"The Link header repeats the related resources and may carry more than a partner uses (job events carry theirs only there). A parser that expects exactly the links it knows breaks when one is added.",
		r.judgeEvent(t, xl), xl))
}

// judgeRedelivery compares the answers to an event and to its redelivery.
func judgeRedelivery(first, again *exchange) verdict {
	if v, ok := judgeNoReply(first); !ok {
		return v
	}
	if v, ok := judgeNoReply(again); !ok {
		return v
	}
	switch {
	case first.status != again.status:
		return fail("The first delivery got %d, the same event again got %d. Deduplicate on Herald-Event-Id (receiver.Dedup does) and answer a repeat as you answered the first: the same status, and for a 303 the same Location.", first.status, again.status)
	case first.status == http.StatusSeeOther && first.location != again.location:
		return warn("Both got 303, but to different Locations (%q, then %q): a person who repeats the action, or a retry after a lost reply, starts over somewhere new. Deduplicate on Herald-Event-Id and send them to the same place.", first.location, again.location)
	}
	return pass()
}

// withUnknownFields adds keys no receiver knows, at the front and at the
// end of the body object, nested and of every JSON type.
func withUnknownFields(body []byte) []byte {
	const front = `"heraldTestFront":{"nested":{"list":[1,2.5,true,null,"x"]},"note":"unknown keys must be ignored"},`
	const back = `,"heraldTestBack":[{"rel":"x"}],"futureField":"herald-test"`
	out := make([]byte, 0, len(body)+len(front)+len(back))
	out = append(out, '{')
	out = append(out, front...)
	out = append(out, body[1:len(body)-1]...)
	out = append(out, back...)
	return append(out, '}')
}

// withExtraLinks adds links of relations no receiver knows, one before and
// one after the real ones, in the same iCIMS form.
func withExtraLinks(header, publicURL, customer string) string {
	base := strings.TrimRight(publicURL, "/") + "/customers/" + customer
	before := wire.FormatLinkHeader([]wire.Link{{Rel: "heraldTestBefore", Title: "Extra Link", URL: base + "/herald-test/before"}})
	after := wire.FormatLinkHeader([]wire.Link{{Rel: "heraldTestAfter", Title: "Another \"Extra\" Link", URL: base + "/herald-test/after"}})
	return before + header + after
}

// checkOAuth2Token fetches an access token first: without one no request
// can be signed, and every other check would fail for the same reason.
func (r *run) checkOAuth2Token(ctx context.Context, ts *wire.OAuth2TokenSource) {
	const name, title = "oauth2-token", "An OAuth 2.0 access token can be had from the token URL"
	const protects = "With OAuth 2.0 Herald gets a token (client-credentials grant) before it sends; if the token URL refuses the client, no event is delivered."
	ctx, cancel := context.WithTimeout(ctx, r.b.cfg.Deadline)
	defer cancel()
	t0 := time.Now()
	_, err := ts.Token(ctx)
	res := herald.CheckResult{Name: name, Title: title, Protects: protects, Status: herald.CheckStatusPass,
		Sent: "POST " + ts.TokenURL + "\ngrant_type=client_credentials (client " + ts.ClientID + ", secret REDACTED)",
		Got:  "an access token", DurationMS: time.Since(t0).Milliseconds()}
	if err != nil {
		res.Status, res.Got = herald.CheckStatusFail, err.Error()
		res.Fix = "Check the token URL, client id and client secret. The token endpoint must answer {\"access_token\":\"...\",\"token_type\":\"Bearer\",\"expires_in\":3600}."
		r.stop = "no OAuth 2.0 access token (see oauth2-token)"
	}
	r.add(res)
}

// checkAuth runs the refusal checks with an event of type t.
func (r *run) checkAuth(ctx context.Context, t wire.EventType) {
	const (
		missingName     = "auth-missing"
		missingTitle    = "A request without credentials is refused"
		missingProtects = "An endpoint that accepts unauthenticated requests acts on events anyone can forge: fake candidates, fake new hires, in any customer's name."
		wrongName       = "auth-wrong"
		wrongTitle      = "A request with wrong credentials (another secret or password) is refused"
		wrongProtects   = "Checking that credentials are present is not checking them: an endpoint must refuse a signature made with another secret, or a wrong password."
		bodyName        = "signature-body"
		bodyTitle       = "A request whose body was changed after signing is refused"
		bodyProtects    = "The signature covers the body; an endpoint that checks only the header lets anyone who saw one signed request send any body with it."
		staleName       = "auth-stale"
		staleTitle      = "A request signed 10 minutes ago is refused"
		staleProtects   = "Receivers must refuse a signature more than 5 minutes old, or a recorded request can be replayed later, forever."
	)
	if r.mode == herald.AuthTypeNone {
		why := "skipped: the endpoint has no authentication (auth none), so there are no credentials to leave out or get wrong. Anyone who finds its URL can send it events: use hmac or standard-webhooks in production."
		r.add(skipped(missingName, missingTitle, missingProtects, why))
		r.add(skipped(wrongName, wrongTitle, wrongProtects, why))
		r.add(skipped(bodyName, bodyTitle, bodyProtects, why))
		r.add(skipped(staleName, staleTitle, staleProtects, why))
		return
	}

	ev := r.newEvent(t)
	gz := wire.Gzip(ev.body)
	text := jsonText(ev.body, len(gz), true)
	req := func(s wire.Signer) *wire.Request {
		return &wire.Request{EventID: ev.id, Attempt: 1, Body: gz, Gzip: true, LinkHeader: ev.linkHeader, Signer: s}
	}

	x := r.send(ctx, missingName, req(nil), sendOpts{bodyText: text})
	r.add(result(missingName, missingTitle, missingProtects, judgeRefused(x, "no credentials at all"), x))

	x = r.send(ctx, wrongName, req(wrongSigner(r.t.Signer)), sendOpts{bodyText: text})
	r.add(result(wrongName, wrongTitle, wrongProtects, judgeRefused(x, "wrong credentials"), x))

	if !signsBody(r.mode) {
		why := fmt.Sprintf("skipped: %s credentials sign neither the body nor a time, so the endpoint cannot tell a changed body or a replay; only hmac and standard-webhooks can.", r.mode)
		r.add(skipped(bodyName, bodyTitle, bodyProtects, why))
		r.add(skipped(staleName, staleTitle, staleProtects, why))
		return
	}

	// Sign the event, then swap in a body that differs in one id.
	other := bytes.Replace(ev.body, []byte(ev.params.SystemID), []byte(testID()), 1)
	otherGz := wire.Gzip(other)
	x = r.send(ctx, bodyName, req(r.t.Signer), sendOpts{bodyText: jsonText(other, len(otherGz), true) + "\n(signed for a body with systemId " + ev.params.SystemID + ")",
		tamper: func(hr *http.Request) {
			hr.Body = io.NopCloser(bytes.NewReader(otherGz))
			hr.ContentLength = int64(len(otherGz))
			hr.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(otherGz)), nil }
		}})
	r.add(result(bodyName, bodyTitle, bodyProtects, judgeRefused(x, "a body that does not match its signature"), x))

	stale := r.newEvent(t)
	sgz := wire.Gzip(stale.body)
	x = r.send(ctx, staleName, &wire.Request{EventID: stale.id, Attempt: 1, Body: sgz, Gzip: true, LinkHeader: stale.linkHeader, Signer: r.t.Signer},
		sendOpts{bodyText: jsonText(stale.body, len(sgz), true), now: r.b.cfg.NowFunc().Add(-staleBy)})
	r.add(result(staleName, staleTitle, staleProtects, judgeRefused(x, "a signature made 10 minutes ago"), x))
}

// checkMalformed sends bodies that are not events, correctly signed.
func (r *run) checkMalformed(ctx context.Context, t wire.EventType) {
	ev := r.newEvent(t)
	notJSON := []byte(`{"customerId":"` + r.customer + `","eventType":"` + string(t) + `", this is not JSON`)
	x := r.send(ctx, "malformed-json", &wire.Request{EventID: ev.id, Attempt: 1, Body: notJSON, Signer: r.t.Signer},
		sendOpts{bodyText: string(notJSON)})
	r.add(result("malformed-json", "A body that is not JSON gets a 400, not a 500",
		"A 5xx makes Herald retry a message that can never succeed, until it dies, and the person waiting sees an error instead of a message.",
		judgeMalformed(x, "a body that is not JSON"), x))

	ev = r.newEvent(t)
	gz := wire.Gzip(ev.body)
	cut := gz[:len(gz)/2]
	x = r.send(ctx, "malformed-gzip", &wire.Request{EventID: ev.id, Attempt: 1, Body: cut, Gzip: true, Signer: r.t.Signer},
		sendOpts{bodyText: fmt.Sprintf("[the first %d of %d bytes of a gzip'd event: the stream is cut short]", len(cut), len(gz))})
	r.add(result("malformed-gzip", "A gzip body cut short gets a 400, not a 500",
		"A decompressor error that escapes as a 500 (or a panic) makes Herald retry a body that can never be read.",
		judgeMalformed(x, "a truncated gzip body"), x))
}

// checkRedirects looks at every reply for a redirect other than 303.
func (r *run) checkRedirects() {
	const name, title = "no-redirect", "No reply is a redirect other than 303"
	const protects = "Herald never follows redirects (a 301, 302, 307 or 308 is recorded as a failure and retried): an endpoint that moved, or that sends http to https, never gets its events."
	var seen []string
	for _, x := range r.all {
		if x.replied() && x.status >= 300 && x.status < 400 && x.status != http.StatusSeeOther {
			seen = append(seen, fmt.Sprintf("%s: %d %s to %q", x.check, x.status, http.StatusText(x.status), x.location))
		}
	}
	res := herald.CheckResult{Name: name, Title: title, Protects: protects, Status: herald.CheckStatusPass,
		Sent: fmt.Sprintf("the %d requests above", len(r.all)), Got: "no redirect other than 303"}
	if len(seen) > 0 {
		res.Status = herald.CheckStatusFail
		res.Got = strings.Join(seen, "\n")
		res.Fix = "Configure the URL the endpoint redirects to (its https address, its new path) as the endpoint URL, or stop redirecting POSTs. Only a 303 with a Location is a result."
	}
	r.add(res)
}

// checkLatency judges how long the valid events' replies took.
func (r *run) checkLatency() {
	const name, title = "latency", "Replies come within the interactive deadline"
	protects := fmt.Sprintf("A person waits for the reply to an interactive event (a candidate for the assessment link). Above %s they notice; above the deadline (%s) they see a timeout and Herald retries.", r.b.cfg.SlowAfter, r.b.cfg.Deadline)
	res := herald.CheckResult{Name: name, Title: title, Protects: protects, Status: herald.CheckStatusPass}
	var slowest *exchange
	var lat []time.Duration
	for _, x := range r.valid {
		if x.notSent != "" {
			continue
		}
		lat = append(lat, x.latency)
		if slowest == nil || x.latency > slowest.latency {
			slowest = x
		}
	}
	if slowest == nil {
		res.Status, res.Got = herald.CheckStatusSkip, "no valid event was sent"
		r.add(res)
		return
	}
	slices.Sort(lat)
	res.Sent = fmt.Sprintf("%d valid events", len(lat))
	res.Got = fmt.Sprintf("median %s, slowest %s (%s)", roundDuration(lat[len(lat)/2]), roundDuration(slowest.latency), slowest.check)
	switch {
	case slowest.timedOut:
		res.Status = herald.CheckStatusFail
		res.Got = fmt.Sprintf("%s got no reply within the deadline (%s)", slowest.check, r.b.cfg.Deadline)
		res.Fix = "Reply within 5 s: acknowledge the event, and do slow work (fetching the links, preparing the page) after replying or in the background."
	case slowest.latency > r.b.cfg.SlowAfter:
		res.Status = herald.CheckStatusWarn
		res.Fix = fmt.Sprintf("Reply within %s: a person is waiting. Do slow work after replying, or in the background.", r.b.cfg.SlowAfter)
	}
	r.add(res)
}
