package receiver

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/wire"
)

const (
	testSecret   = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	testSecret2  = "whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"
	testPublic   = "https://api.example.com"
	testCustomer = "6269"
)

var testNow = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// recorder is an EventHandler that keeps what it got and answers reply.
type recorder struct {
	mu     sync.Mutex
	events []*Event
	reply  Reply
}

func (rec *recorder) ServeEvent(_ context.Context, e *Event) Reply {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.events = append(rec.events, e)
	return rec.reply
}

func (rec *recorder) last(t testing.TB) *Event {
	t.Helper()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.events) == 0 {
		t.Fatal("handler not called")
	}
	return rec.events[len(rec.events)-1]
}

func (rec *recorder) count() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return len(rec.events)
}

func buildEvent(t testing.TB, p *wire.EventParams) ([]byte, []wire.Link) {
	t.Helper()
	body, links, err := wire.BuildEvent(testPublic, testCustomer, p)
	if err != nil {
		t.Fatal(err)
	}
	return body, links
}

func assessmentParams() *wire.EventParams {
	return &wire.EventParams{EventType: wire.EventTypeAssessment, SystemID: "12391385", UserID: "1239", JobID: "1385",
		ReturnURL: "https://careers.example.com/return?i=1"}
}

// newServer starts a real server on 127.0.0.1 with cfg and rec.
func newServer(t testing.TB, cfg Config, next EventHandler) *httptest.Server {
	t.Helper()
	if cfg.NowFunc == nil {
		cfg.NowFunc = func() time.Time { return testNow.Add(time.Minute) }
	}
	srv := httptest.NewServer(NewHandler(cfg, next))
	t.Cleanup(srv.Close)
	return srv
}

// noRedirects is how Herald's client behaves: a 303 is a result.
var noRedirects = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       10 * time.Second,
}

// send posts an event the way Herald does and returns the reply and body.
func send(t testing.TB, url string, body []byte, links []wire.Link, gz bool, signer wire.Signer, id string) (*http.Response, []byte) {
	t.Helper()
	sent := body
	if gz {
		sent = wire.Gzip(body)
	}
	req, err := wire.NewRequest(t.Context(), &wire.Request{
		URL: url, EventID: id, Attempt: 1, Body: sent, Gzip: gz, LinkHeader: wire.FormatLinkHeader(links), Signer: signer,
	}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

func do(t testing.TB, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func TestSignersVerify(t *testing.T) {
	t.Parallel()
	modes := []struct {
		name       string
		signer     wire.Signer
		verifier   Verifier
		wantSender string
	}{
		{"none", nil, NoAuth(), ""},
		{"basic", wire.BasicAuth{Username: "herald", Password: "pa:ss"}, Basic("herald", "pa:ss"), "herald"},
		{"hmac", wire.HMACAuth{Username: "herald", Secret: []byte("k3y")}, HMAC("herald", []byte("k3y")), "herald"},
		{"bearer", wire.BearerToken("tok-1"), Bearer(BearerToken("tok-1")), ""},
		{"standard webhooks", wire.StandardWebhooks{Secrets: []string{testSecret}}, StandardWebhooks(testSecret2, testSecret), ""},
		{"standard webhooks rotation", wire.StandardWebhooks{Secrets: []string{testSecret2, testSecret}}, StandardWebhooks(testSecret), ""},
	}
	for _, m := range modes {
		for _, gz := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s gzip=%v", m.name, gz), func(t *testing.T) {
				t.Parallel()
				rec := &recorder{reply: SeeOther("https://partner.example.com/assess/1")}
				srv := newServer(t, Config{Verifier: m.verifier}, rec)
				body, links := buildEvent(t, assessmentParams())
				resp, rbody := send(t, srv.URL+"/hooks?x=1", body, links, gz, m.signer, "evt_1")
				if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://partner.example.com/assess/1" || len(rbody) != 0 {
					t.Fatalf("reply %d %q %q", resp.StatusCode, resp.Header.Get("Location"), rbody)
				}
				e := rec.last(t)
				if e.Sender != m.wantSender || e.ID != "evt_1" || e.Attempt != 1 || e.Type != wire.EventTypeAssessment ||
					e.CustomerID != testCustomer || !bytes.Equal(e.JSON, body) {
					t.Fatalf("event = %+v", e)
				}
				a := e.Assessment()
				want := Assessment{ApplicantWorkflowID: "12391385", CandidateID: "1239", PersonID: "1239", JobID: "1385", ReturnURL: "https://careers.example.com/return?i=1"}
				if a == nil || *a != want {
					t.Fatalf("Assessment() = %+v, want %+v", a, want)
				}
				if len(e.Links) != 4 {
					t.Fatalf("links = %+v (header links must not duplicate body links)", e.Links)
				}
			})
		}
	}
}

func TestAuthFailures(t *testing.T) {
	t.Parallel()
	body, _ := buildEvent(t, assessmentParams())
	tests := []struct {
		name     string
		signer   wire.Signer
		verifier Verifier
		now      time.Time
		want     error
	}{
		{"no credentials", nil, Basic("u", "p"), testNow, wire.ErrMissingAuth},
		{"wrong password", wire.BasicAuth{Username: "u", Password: "x"}, Basic("u", "p"), testNow, wire.ErrWrongCredentials},
		{"wrong hmac secret", wire.HMACAuth{Username: "u", Secret: []byte("x")}, HMAC("u", []byte("y")), testNow, wire.ErrSignatureMismatch},
		{"hmac too old", wire.HMACAuth{Username: "u", Secret: []byte("x")}, HMAC("u", []byte("x")), testNow.Add(6 * time.Minute), wire.ErrTimestampTooOld},
		{"hmac tolerance", wire.HMACAuth{Username: "u", Secret: []byte("x")}, &HMACVerifier{SecretFunc: func(string) ([]byte, bool) { return []byte("x"), true }, Tolerance: time.Second}, testNow.Add(2 * time.Second), wire.ErrTimestampTooOld},
		{"wrong bearer", wire.BearerToken("a"), Bearer(BearerToken("b")), testNow, wire.ErrWrongCredentials},
		{"bearer missing", wire.BasicAuth{Username: "u", Password: "p"}, Bearer(BearerToken("b")), testNow, wire.ErrMissingAuth},
		{"wrong webhook secret", wire.StandardWebhooks{Secrets: []string{testSecret2}}, StandardWebhooks(testSecret), testNow, wire.ErrSignatureMismatch},
		{"webhook too new", wire.StandardWebhooks{Secrets: []string{testSecret}}, StandardWebhooks(testSecret), testNow.Add(-6 * time.Minute), wire.ErrTimestampTooNew},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{reply: OK()}
			var got error
			var mu sync.Mutex
			srv := newServer(t, Config{Verifier: tt.verifier, NowFunc: func() time.Time { return tt.now },
				ErrorFunc: func(_ *http.Request, err error) { mu.Lock(); got = err; mu.Unlock() }}, rec)
			resp, rbody := send(t, srv.URL, body, nil, true, tt.signer, "evt_1")
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status = %d, want 401", resp.StatusCode)
			}
			if d, ok := wire.ParseErrorReport(rbody); !ok || d.UserMessage == "" || d.DebugErrorMessage != "" {
				t.Fatalf("error body = %s (the reason must not be sent)", rbody)
			}
			mu.Lock()
			defer mu.Unlock()
			if !errors.Is(got, tt.want) {
				t.Fatalf("ErrorFunc got %v, want %v", got, tt.want)
			}
			if rec.count() != 0 {
				t.Fatal("handler called")
			}
		})
	}
}

func post(t testing.TB, url string, body []byte, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return do(t, req)
}

func TestReadErrors(t *testing.T) {
	t.Parallel()
	body, _ := buildEvent(t, assessmentParams())
	tests := []struct {
		name   string
		body   []byte
		header map[string]string
		want   int
	}{
		{"too large", bytes.Repeat([]byte(" "), 2000), nil, http.StatusRequestEntityTooLarge},
		{"gzip bomb", wire.Gzip(bytes.Repeat([]byte(" "), 1<<20)), map[string]string{"Content-Encoding": "gzip"}, http.StatusRequestEntityTooLarge},
		{"gzip bomb without header", wire.Gzip(bytes.Repeat([]byte(" "), 1<<20)), nil, http.StatusRequestEntityTooLarge},
		{"broken gzip", wire.Gzip(body)[:20], map[string]string{"Content-Encoding": "gzip"}, http.StatusBadRequest},
		{"plain body labelled gzip", body, map[string]string{"Content-Encoding": "gzip"}, http.StatusBadRequest},
		{"brotli", body, map[string]string{"Content-Encoding": "br"}, http.StatusUnsupportedMediaType},
		{"not json", []byte("hello"), nil, http.StatusBadRequest},
		{"no customer", []byte(`{"eventType":"AssessmentEvent","systemId":"1"}`), nil, http.StatusBadRequest},
		{"no type", []byte(`{"customerId":"1","systemId":"1"}`), nil, http.StatusBadRequest},
		{"no system id", []byte(`{"customerId":"1","eventType":"AssessmentEvent"}`), nil, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{reply: OK()}
			srv := newServer(t, Config{Verifier: NoAuth(), MaxBodyBytes: 1000}, rec)
			resp, rbody := post(t, srv.URL, tt.body, tt.header)
			if resp.StatusCode != tt.want {
				t.Fatalf("status = %d, want %d (%s)", resp.StatusCode, tt.want, rbody)
			}
			if _, ok := wire.ParseErrorReport(rbody); !ok {
				t.Fatalf("no error report: %s", rbody)
			}
			if rec.count() != 0 {
				t.Fatal("handler called")
			}
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	srv := newServer(t, Config{Verifier: NoAuth()}, &recorder{reply: OK()})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
	resp, _ := do(t, req)
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
		t.Fatalf("status = %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

func TestGzipByMagicBytes(t *testing.T) {
	t.Parallel()
	rec := &recorder{reply: OK()}
	srv := newServer(t, Config{Verifier: NoAuth()}, rec)
	body, _ := buildEvent(t, assessmentParams())
	resp, _ := post(t, srv.URL, wire.Gzip(body), nil) // no Content-Encoding
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d", resp.StatusCode)
	}
	if !bytes.Equal(rec.last(t).JSON, body) {
		t.Fatal("body not decompressed")
	}
}

func TestEventTypes(t *testing.T) {
	t.Parallel()
	rec := &recorder{reply: OK()}
	srv := newServer(t, Config{Verifier: NoAuth()}, rec)
	tests := []struct {
		params *wire.EventParams
		check  func(t *testing.T, e *Event)
	}{
		{&wire.EventParams{EventType: wire.EventTypeWorkFlowStatusChange, SystemID: "13437", PersonID: "9166", UserID: "9059", JobID: "4442", OldStatus: "1753", NewStatus: "D10100"},
			func(t *testing.T, e *Event) {
				want := StatusChange{ApplicantWorkflowID: "13437", PersonID: "9166", JobID: "4442", RecruiterID: "9059", OldStatus: "1753", NewStatus: "D10100"}
				if s := e.StatusChange(); s == nil || *s != want {
					t.Fatalf("StatusChange() = %+v", s)
				}
			}},
		{&wire.EventParams{EventType: wire.EventTypeOnboardPortalTask, SystemID: "55", UserID: "55", ReturnURL: "https://x.example.com/r", IncompleteURL: "https://x.example.com/i"},
			func(t *testing.T, e *Event) {
				want := OnboardPortalTask{NewHireID: "55", UserID: "55", ReturnURL: "https://x.example.com/r", IncompleteURL: "https://x.example.com/i"}
				if o := e.OnboardPortalTask(); o == nil || *o != want {
					t.Fatalf("OnboardPortalTask() = %+v", o)
				}
			}},
		{&wire.EventParams{EventType: wire.EventTypeJobPostToWeb, SystemID: "1181", UserID: "1930", PortalURL: "https://jobs.example.com/1181"},
			func(t *testing.T, e *Event) {
				if j := e.JobPosting(); j == nil || *j != (JobPosting{JobID: "1181", UserID: "1930", PortalURL: "https://jobs.example.com/1181"}) {
					t.Fatalf("JobPosting() = %+v", j)
				}
				// Job events carry their links in the Link header only.
				if l, ok := e.Link(wire.RelJob); !ok || l.URL != testPublic+"/customers/6269/jobs/1181" {
					t.Fatalf("links = %+v", e.Links)
				}
				if e.LinkedID(wire.RelUser) != "1930" {
					t.Fatalf("LinkedID(user) = %q", e.LinkedID(wire.RelUser))
				}
			}},
		{&wire.EventParams{EventType: wire.EventTypeViewJobWebPost, SystemID: "1181", UserID: "1930"},
			func(t *testing.T, e *Event) {
				if j := e.JobPosting(); j == nil || j.JobID != "1181" {
					t.Fatalf("JobPosting() = %+v", j)
				}
			}},
		{&wire.EventParams{EventType: wire.EventTypeJobUnpostToWeb, SystemID: "1181", UserID: "1930"},
			func(t *testing.T, e *Event) {
				if j := e.JobPosting(); j == nil || j.JobID != "1181" || e.Assessment() != nil {
					t.Fatalf("JobPosting() = %+v", j)
				}
			}},
		{&wire.EventParams{EventType: wire.EventTypeRemoteLogin, SystemID: "244", UserID: "244", ReturnURL: "https://customer.example.com"},
			func(t *testing.T, e *Event) {
				if r := e.RemoteLogin(); r == nil || *r != (RemoteLogin{UserID: "244", ReturnURL: "https://customer.example.com"}) {
					t.Fatalf("RemoteLogin() = %+v", r)
				}
				if e.JobPosting() != nil || e.StatusChange() != nil || e.OnboardPortalTask() != nil {
					t.Fatal("accessor of another type returned non-nil")
				}
			}},
	}
	for _, tt := range tests {
		body, links := buildEvent(t, tt.params)
		resp, _ := send(t, srv.URL, body, links, true, nil, "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", tt.params.EventType, resp.StatusCode)
		}
		e := rec.last(t)
		if e.Type != tt.params.EventType || e.ID != "" {
			t.Fatalf("Type = %s, ID %q", e.Type, e.ID)
		}
		t.Run(string(tt.params.EventType), func(t *testing.T) { tt.check(t, e) })
	}
}

func TestLegacyTypeAndUnknownFields(t *testing.T) {
	t.Parallel()
	rec := &recorder{reply: OK()}
	srv := newServer(t, Config{Verifier: NoAuth()}, rec)
	in := `{"systemId":12391385,"userId":"1239","customerId":"6269","returnUrl":"https://x.example.com","eventType":"ApplicationCompletedEvent","newThing":{"a":[1]},` +
		`"links":[{"rel":"job","title":"Job Profile","url":"https://api.example.com/customers/6269/jobs/77"}]}`
	link := `https://api.example.com/customers/6269/people/1239;rel="person";title="Person Profile",https://api.example.com/customers/6269/jobs/77;rel="job";title="Job Profile",`
	resp, _ := post(t, srv.URL, []byte(in), map[string]string{"Link": link})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d", resp.StatusCode)
	}
	e := rec.last(t)
	a := e.Assessment()
	if e.Type != wire.EventTypeAssessment || e.Body.EventType != wire.EventTypeApplicationCompleted || a == nil ||
		a.ApplicantWorkflowID != "12391385" || a.JobID != "77" || a.PersonID != "1239" {
		t.Fatalf("event = %+v, assessment %+v", e, a)
	}
	if string(e.Body.Extra["newThing"]) != `{"a":[1]}` {
		t.Fatalf("Extra = %v", e.Body.Extra)
	}
	if len(e.Links) != 2 {
		t.Fatalf("merged links = %+v", e.Links)
	}
}

func TestPanicRecovered(t *testing.T) {
	t.Parallel()
	var got error
	var mu sync.Mutex
	srv := newServer(t, Config{Verifier: NoAuth(), ErrorFunc: func(_ *http.Request, err error) { mu.Lock(); got = err; mu.Unlock() }},
		HandlerFunc(func(context.Context, *Event) Reply { panic("boom") }))
	body, _ := buildEvent(t, assessmentParams())
	resp, rbody := post(t, srv.URL, body, nil)
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status = %d", resp.StatusCode)
	}
	if d, _ := wire.ParseErrorReport(rbody); strings.Contains(d.DebugErrorMessage, "boom") {
		t.Fatalf("panic value sent to the client: %s", rbody)
	}
	mu.Lock()
	defer mu.Unlock()
	if got == nil || !strings.Contains(got.Error(), "boom") {
		t.Fatalf("ErrorFunc got %v", got)
	}
}

func TestNewHandlerPanics(t *testing.T) {
	t.Parallel()
	for name, f := range map[string]func(){
		"no verifier": func() { NewHandler(Config{}, &recorder{}) },
		"no handler":  func() { NewHandler(Config{Verifier: NoAuth()}, nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func TestReadEventDirect(t *testing.T) {
	t.Parallel()
	h := NewHandler(Config{Verifier: Basic("u", "p"), NowFunc: func() time.Time { return testNow }}, &recorder{})
	body, _ := buildEvent(t, assessmentParams())
	r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("u:p")))
	r.Header.Set(wire.HeaderAttempt, "x")
	e, err := h.ReadEvent(nil, r)
	if err != nil || e.Sender != "u" || e.Attempt != 0 || !e.ReceivedAt.Equal(testNow) {
		t.Fatalf("ReadEvent = %+v, %v", e, err)
	}
}

func TestTestEvent(t *testing.T) {
	t.Parallel()
	h := NewHandler(Config{Verifier: NoAuth(), NowFunc: func() time.Time { return testNow }}, &recorder{})
	p := assessmentParams()
	p.SystemID, p.UserID, p.JobID = "herald-test-1", "herald-test-2", "herald-test-3"
	body, _, err := wire.BuildTestEvent(testPublic, testCustomer, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, test := range []bool{true, false} {
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		if test {
			r.Header.Set(wire.HeaderTest, "true")
		}
		e, err := h.ReadEvent(nil, r)
		if err != nil || e.Test != test {
			t.Fatalf("Herald-Test set %v: ReadEvent = %+v, %v", test, e, err)
		}
	}
}
