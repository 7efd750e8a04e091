package conformance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/conformance"
	"github.com/heraldhq/herald/dispatch"
	"github.com/heraldhq/herald/receiver"
	"github.com/heraldhq/herald/wire"
)

const (
	testUser   = "herald"
	testSecret = "partner-shared-secret"
	testWhsec  = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
)

var hmacSigner = wire.HMACAuth{Username: testUser, Secret: []byte(testSecret)}

// goodEvents answers every event type as the contract asks: 303 to a page
// named after the subject for the types whose success is a link (so a
// redelivery gets the same Location), 200 for the others.
func goodEvents() receiver.EventHandler {
	return receiver.HandlerFunc(func(_ context.Context, e *receiver.Event) receiver.Reply {
		switch e.Type {
		case wire.EventTypeWorkFlowStatusChange, wire.EventTypeJobUnpostToWeb:
			return receiver.OK()
		}
		return receiver.SeeOther("https://partner.example.com/start/" + e.SystemID)
	})
}

// goodPartner is a partner built on package receiver with verifier.
func goodPartner(v receiver.Verifier) http.Handler {
	return receiver.NewHandler(receiver.Config{Verifier: v}, goodEvents())
}

// verifyFirst authenticates with HMAC as a real partner would, refusing
// with 401, and only then hands the request (body restored) to next: the
// broken partners below break after authentication, not before.
func verifyFirst(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "read", http.StatusBadRequest)
			return
		}
		if _, err := wire.VerifyHMAC(r, body, func(u string) ([]byte, bool) { return []byte(testSecret), u == testUser }, time.Now(), 5*time.Minute); err != nil {
			receiver.Reply{Status: http.StatusUnauthorized, UserMessage: "Not authenticated."}.Write(w)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next(w, r)
	})
}

// decode reads the event body as a strict partner would: gunzip when told,
// then JSON.
func decode(r *http.Request) (map[string]any, error) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if r.Header.Get("Content-Encoding") == "gzip" {
		var err error
		if body, err = wire.Gunzip(body, 1<<20); err != nil {
			return nil, err
		}
	}
	var m map[string]any
	return m, json.Unmarshal(body, &m)
}

// check runs the battery against h with signer, for types.
func check(t *testing.T, h http.Handler, signer wire.Signer, cfg conformance.Config, types ...wire.EventType) *herald.CheckReport {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	b, err := conformance.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := b.Run(t.Context(), &conformance.Target{URL: srv.URL + "/events", Signer: signer, EventTypes: types})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// names returns the names of the results with status s, sorted.
func names(rep *herald.CheckReport, s herald.CheckStatus) []string {
	var out []string
	for _, r := range rep.Results {
		if r.Status == s {
			out = append(out, r.Name)
		}
	}
	slices.Sort(out)
	return out
}

func sorted(s ...string) []string {
	slices.Sort(s)
	if len(s) == 0 {
		return nil
	}
	return s
}

func TestGoodPartnerPassesEveryCheck(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		verifier receiver.Verifier
		signer   wire.Signer
		skipped  []string
	}{
		{"hmac", receiver.HMAC(testUser, []byte(testSecret)), hmacSigner, nil},
		{"standard-webhooks", receiver.StandardWebhooks(testWhsec), wire.StandardWebhooks{Secrets: []string{testWhsec}}, nil},
		{"basic", receiver.Basic(testUser, testSecret), wire.BasicAuth{Username: testUser, Password: testSecret},
			[]string{"auth-stale", "signature-body"}},
		{"none", receiver.NoAuth(), nil, []string{"auth-missing", "auth-stale", "auth-wrong", "signature-body"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var types []wire.EventType
			if tc.name != "hmac" {
				types = []wire.EventType{wire.EventTypeAssessment} // all seven once is enough
			}
			rep := check(t, goodPartner(tc.verifier), tc.signer, conformance.Config{}, types...)
			if !rep.Passed || rep.Counts.Warn != 0 {
				var buf bytes.Buffer
				_ = conformance.WriteText(&buf, rep, false)
				t.Fatalf("good partner did not pass cleanly:\n%s", buf.String())
			}
			if got, want := names(rep, herald.CheckStatusSkip), sorted(tc.skipped...); !slices.Equal(got, want) {
				t.Errorf("skipped %v, want %v", got, want)
			}
			for _, r := range rep.Results {
				if strings.Contains(r.Sent, "v1,") || strings.Contains(r.Sent, testSecret) {
					t.Errorf("%s: the report shows a signature or secret:\n%s", r.Name, r.Sent)
				}
			}
			if tc.name == "hmac" && len(rep.Results) != 7*5+8 {
				t.Errorf("%d results for all seven types, want %d", len(rep.Results), 7*5+8)
			}
		})
	}
}

// TestBrokenPartners runs the battery against partners that each get one
// thing wrong, and asserts exactly which checks fail (and warn).
func TestBrokenPartners(t *testing.T) {
	t.Parallel()
	assess := wire.EventTypeAssessment
	hmacVerifier := receiver.HMAC(testUser, []byte(testSecret))
	good := goodPartner(hmacVerifier)
	eventChecks := func(typ wire.EventType) []string {
		return []string{"event-gzip/" + string(typ), "event-plain/" + string(typ), "unknown-fields/" + string(typ), "link-extra/" + string(typ)}
	}

	var seenMu sync.Mutex
	seen := map[string]bool{}

	for _, tc := range []struct {
		name    string
		handler http.Handler
		cfg     conformance.Config
		types   []wire.EventType
		fails   []string
		warns   []string
	}{
		{
			name:    "accepts unsigned",
			handler: goodPartner(receiver.NoAuth()),
			fails:   []string{"auth-missing", "auth-wrong", "signature-body", "auth-stale"},
		},
		{
			name: "500 on gzip",
			handler: verifyFirst(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Content-Encoding") == "gzip" {
					http.Error(w, "unexpected EOF", http.StatusInternalServerError)
					return
				}
				good.ServeHTTP(w, r)
			}),
			fails: []string{"event-gzip/AssessmentEvent", "unknown-fields/AssessmentEvent", "link-extra/AssessmentEvent", "malformed-gzip"},
		},
		{
			name: "500 on unknown field",
			handler: receiver.NewHandler(receiver.Config{Verifier: hmacVerifier}, receiver.HandlerFunc(func(ctx context.Context, e *receiver.Event) receiver.Reply {
				if len(e.Body.Extra) > 0 {
					return receiver.ServerError("", "json: unknown field")
				}
				return goodEvents().ServeEvent(ctx, e)
			})),
			fails: []string{"unknown-fields/AssessmentEvent"},
		},
		{
			name: "relative Location",
			handler: verifyFirst(func(w http.ResponseWriter, r *http.Request) {
				if _, err := decode(r); err != nil {
					receiver.BadRequest("Unreadable.", err.Error()).Write(w)
					return
				}
				w.Header().Set("Location", "/start/1")
				w.WriteHeader(http.StatusSeeOther)
			}),
			fails: eventChecks(assess),
		},
		{
			name: "plain http Location from a plain http endpoint is a warning",
			handler: verifyFirst(func(w http.ResponseWriter, r *http.Request) {
				if _, err := decode(r); err != nil {
					receiver.BadRequest("Unreadable.", err.Error()).Write(w)
					return
				}
				w.Header().Set("Location", "http://partner.example.com/start/1")
				w.WriteHeader(http.StatusSeeOther)
			}),
			warns: eventChecks(assess),
		},
		{
			name: "400 without an Error Reporting body",
			handler: verifyFirst(func(w http.ResponseWriter, r *http.Request) {
				if _, err := decode(r); err != nil {
					http.Error(w, "bad", http.StatusBadRequest)
					return
				}
				http.Error(w, "Bad Request", http.StatusBadRequest)
			}),
			fails: eventChecks(assess),
		},
		{
			name: "400 with an HTML userMessage",
			handler: verifyFirst(func(w http.ResponseWriter, r *http.Request) {
				receiver.BadRequest("<html><body>Error</body></html>", "").Write(w)
			}),
			fails: eventChecks(assess),
		},
		{
			name: "slow",
			handler: verifyFirst(func(w http.ResponseWriter, r *http.Request) {
				time.Sleep(150 * time.Millisecond)
				good.ServeHTTP(w, r)
			}),
			cfg:   conformance.Config{SlowAfter: 50 * time.Millisecond},
			warns: []string{"latency"},
		},
		{
			name: "slower than the deadline",
			handler: verifyFirst(func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-time.After(10 * time.Second):
				}
			}),
			cfg:   conformance.Config{Deadline: 300 * time.Millisecond},
			fails: []string{"event-gzip/AssessmentEvent", "latency"},
		},
		{
			name: "redirects with 302",
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "https://partner.example.com/new/events", http.StatusFound)
			}),
			fails: append(eventChecks(assess), "auth-missing", "auth-wrong", "signature-body", "auth-stale",
				"malformed-json", "malformed-gzip", "no-redirect"),
		},
		{
			name: "not idempotent",
			handler: receiver.NewHandler(receiver.Config{Verifier: hmacVerifier}, receiver.HandlerFunc(func(ctx context.Context, e *receiver.Event) receiver.Reply {
				seenMu.Lock()
				dup := seen[e.ID]
				seen[e.ID] = true
				seenMu.Unlock()
				if dup {
					return receiver.BadRequest("This assessment was already started.", "duplicate event "+e.ID)
				}
				return goodEvents().ServeEvent(ctx, e)
			})),
			fails: []string{"redelivery/AssessmentEvent"},
		},
		{
			name: "500 on malformed",
			handler: verifyFirst(func(w http.ResponseWriter, r *http.Request) {
				if _, err := decode(r); err != nil {
					http.Error(w, "panic: "+err.Error(), http.StatusInternalServerError)
					return
				}
				good.ServeHTTP(w, r)
			}),
			fails: []string{"malformed-json", "malformed-gzip"},
		},
		{
			name:    "200 where a link is expected",
			handler: goodPartnerWith(hmacVerifier, receiver.OK()),
			types:   []wire.EventType{wire.EventTypeRemoteLogin, wire.EventTypeWorkFlowStatusChange},
			warns:   eventChecks(wire.EventTypeRemoteLogin),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			types := tc.types
			if types == nil {
				types = []wire.EventType{assess}
			}
			rep := check(t, tc.handler, hmacSigner, tc.cfg, types...)
			if got, want := names(rep, herald.CheckStatusFail), sorted(tc.fails...); !slices.Equal(got, want) {
				var buf bytes.Buffer
				_ = conformance.WriteText(&buf, rep, false)
				t.Errorf("failed checks %v, want %v\n%s", got, want, buf.String())
			}
			if got, want := names(rep, herald.CheckStatusWarn), sorted(tc.warns...); !slices.Equal(got, want) {
				t.Errorf("warnings %v, want %v", got, want)
			}
			if rep.Passed != (len(tc.fails) == 0) {
				t.Errorf("Passed = %v with %d failures", rep.Passed, len(tc.fails))
			}
			for _, r := range rep.Results {
				if r.Status == herald.CheckStatusFail && r.Fix == "" {
					t.Errorf("%s failed without a fix", r.Name)
				}
			}
		})
	}
}

// goodPartnerWith answers every event with reply.
func goodPartnerWith(v receiver.Verifier, reply receiver.Reply) http.Handler {
	return receiver.NewHandler(receiver.Config{Verifier: v}, receiver.HandlerFunc(func(context.Context, *receiver.Event) receiver.Reply {
		return reply
	}))
}

// TestTestEventsAreMarked checks what a partner sees: every request says
// Herald-Test: true, and every body's ids are test ids.
func TestTestEventsAreMarked(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var events []*receiver.Event
	var headers []http.Header
	inner := receiver.NewHandler(receiver.Config{Verifier: receiver.HMAC(testUser, []byte(testSecret))},
		receiver.HandlerFunc(func(ctx context.Context, e *receiver.Event) receiver.Reply {
			mu.Lock()
			events = append(events, e)
			mu.Unlock()
			return goodEvents().ServeEvent(ctx, e)
		}))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		headers = append(headers, r.Header.Clone())
		mu.Unlock()
		inner.ServeHTTP(w, r)
	})
	rep := check(t, h, hmacSigner, conformance.Config{CustomerID: "6269"})
	if !rep.Passed {
		var buf bytes.Buffer
		_ = conformance.WriteText(&buf, rep, false)
		t.Fatalf("good partner failed:\n%s", buf.String())
	}
	mu.Lock()
	defer mu.Unlock()
	for _, hd := range headers {
		if !wire.IsTestEvent(hd) {
			t.Errorf("a request without Herald-Test: true: %v", hd)
		}
	}
	if len(events) < 7*5 {
		t.Fatalf("%d events reached the handler", len(events))
	}
	for _, e := range events {
		if !e.Test || !wire.IsTestID(e.SystemID) || !wire.IsTestID(e.UserID) || e.CustomerID != "6269" {
			t.Errorf("event %s: test %v, systemId %q, userId %q, customer %q", e.Type, e.Test, e.SystemID, e.UserID, e.CustomerID)
		}
		for _, l := range e.Links {
			if !strings.HasPrefix(l.URL, conformance.DefaultPublicURL+"/customers/6269/") {
				t.Errorf("link %q not under the public URL", l.URL)
			}
		}
	}
}

func TestReportFormats(t *testing.T) {
	t.Parallel()
	rep := check(t, goodPartner(receiver.NoAuth()), hmacSigner, conformance.Config{}, wire.EventTypeAssessment)
	for _, f := range []string{conformance.FormatText, conformance.FormatJSON, conformance.FormatJUnit} {
		var buf bytes.Buffer
		if err := conformance.WriteReport(&buf, rep, f, false); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out := buf.String()
		switch f {
		case conformance.FormatText:
			for _, want := range []string{"FAIL  auth-missing", "PASS  event-gzip/AssessmentEvent", "sent  POST ", "Authorization: x-icims-v1-hmac-sha256 REDACTED", "fix   ", "FAIL: "} {
				if !strings.Contains(out, want) {
					t.Errorf("text report lacks %q:\n%s", want, out)
				}
			}
		case conformance.FormatJSON:
			var back herald.CheckReport
			if err := json.Unmarshal(buf.Bytes(), &back); err != nil || back.Passed || len(back.Results) != len(rep.Results) {
				t.Errorf("json report does not round-trip: %v", err)
			}
		case conformance.FormatJUnit:
			if !strings.Contains(out, `<testsuite name="herald check `) || !strings.Contains(out, `failures="4"`) || !strings.Contains(out, `<failure message=`) {
				t.Errorf("junit report:\n%s", out)
			}
			var suite struct {
				Cases []struct {
					Name string `xml:"name,attr"`
				} `xml:"testcase"`
			}
			if err := xml.Unmarshal(buf.Bytes(), &suite); err != nil || len(suite.Cases) != len(rep.Results) {
				t.Errorf("junit report is not well-formed XML with one testcase per check: %v", err)
			}
		}
		if strings.Contains(out, testSecret) {
			t.Errorf("%s report shows the secret", f)
		}
	}
	if err := conformance.WriteReport(io.Discard, rep, "yaml", false); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestCheckEndpoint(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(goodPartner(receiver.HMAC(testUser, []byte(testSecret))))
	t.Cleanup(srv.Close)
	b, err := conformance.New(conformance.Config{})
	if err != nil {
		t.Fatal(err)
	}
	e := &herald.Endpoint{ID: "end_1", CustomerID: "6269", URL: srv.URL, EventTypes: []wire.EventType{wire.EventTypeJobPostToWeb},
		Auth: herald.Auth{Type: herald.AuthTypeHMAC, Username: testUser, Secret: testSecret}}
	rep, err := b.CheckEndpoint(t.Context(), e)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Passed || rep.Auth != herald.AuthTypeHMAC || !slices.Equal(rep.EventTypes, e.EventTypes) {
		t.Errorf("report: passed %v, auth %s, types %v", rep.Passed, rep.Auth, rep.EventTypes)
	}
	if _, err := b.Run(t.Context(), &conformance.Target{URL: "ftp://x"}); herald.ErrorCode(err) != herald.EINVALID {
		t.Errorf("bad URL: %v", err)
	}
}

// TestBudget: once the run's budget is spent no request starts; the checks
// say why they were skipped.
func TestBudget(t *testing.T) {
	t.Parallel()
	rep := check(t, goodPartner(receiver.HMAC(testUser, []byte(testSecret))), hmacSigner,
		conformance.Config{Budget: time.Nanosecond}, wire.EventTypeAssessment)
	if got := names(rep, herald.CheckStatusPass); !slices.Equal(got, []string{"no-redirect"}) {
		t.Errorf("passed %v, want only no-redirect", got)
	}
	for _, r := range rep.Results {
		if r.Status == herald.CheckStatusSkip && r.Name != "latency" && !strings.Contains(r.Got, "time budget") {
			t.Errorf("%s skipped with %q, want the budget named", r.Name, r.Got)
		}
	}
}

// TestDestinationGuard: with Herald's policy-guarded client (as the API and
// UI use), a check reaches only what a delivery may: loopback is refused
// unless allowed, and the report says so.
func TestDestinationGuard(t *testing.T) {
	t.Parallel()
	guarded := dispatch.NewHTTPClient(dispatch.ClientConfig{Timeout: 5 * time.Second})
	rep := check(t, goodPartner(receiver.NoAuth()), nil, conformance.Config{Client: guarded}, wire.EventTypeAssessment)
	if rep.Passed {
		t.Fatal("a check reached a loopback partner through the guarded client")
	}
	for _, r := range rep.Results {
		if strings.HasPrefix(r.Name, "event-") && (r.Status != herald.CheckStatusFail || !strings.Contains(r.Got, "destination not allowed")) {
			t.Errorf("%s: %s %q, want a failure naming the refused destination", r.Name, r.Status, r.Got)
		}
	}
}

// TestPlainHTTPLocationFromHTTPS: an https endpoint that sends the person to
// a plain http page fails; only a plain http endpoint (development) gets a
// warning for it.
func TestPlainHTTPLocationFromHTTPS(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(goodPartnerWith(receiver.HMAC(testUser, []byte(testSecret)), receiver.SeeOther("http://partner.example.com/start")))
	t.Cleanup(srv.Close)
	b, err := conformance.New(conformance.Config{Client: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := b.Run(t.Context(), &conformance.Target{URL: srv.URL + "/events", Signer: hmacSigner, EventTypes: []wire.EventType{wire.EventTypeRemoteLogin}})
	if err != nil {
		t.Fatal(err)
	}
	want := sorted("event-gzip/RemoteLoginEvent", "event-plain/RemoteLoginEvent", "unknown-fields/RemoteLoginEvent", "link-extra/RemoteLoginEvent")
	if got := names(rep, herald.CheckStatusFail); !slices.Equal(got, want) {
		t.Errorf("failed %v, want %v", got, want)
	}
}
