package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/wire"
)

func TestParseConfig(t *testing.T) {
	t.Parallel()
	env := map[string]string{"ASSESS_CLIENT_ID": "cid", "ASSESS_CLIENT_SECRET": "cs", "ASSESS_AUTH_SECRET": "s"}
	getenv := func(k string) string { return env[k] }
	tests := []struct {
		name    string
		args    []string
		wantErr string // "" for success
	}{
		{"env only", nil, ""},
		{"flags override", []string{"--auth", "none", "--credentials", "basic", "--listen", "127.0.0.1:0"}, ""},
		{"unknown auth", []string{"--auth", "digest"}, "auth must be hmac, basic or none"},
		// An explicit flag wins over the environment, even when empty.
		{"hmac without secret", []string{"--auth-secret", ""}, "auth-secret is required"},
		{"bad credentials", []string{"--credentials", "apikey"}, "credentials must be oauth2 or basic"},
		{"bad herald url", []string{"--herald-url", "127.0.0.1:8080"}, "herald-url must be an absolute"},
		{"bad public url", []string{"--public-url", "/x"}, "public-url must be an absolute"},
		{"stray argument", []string{"serve"}, "unexpected argument"},
		{"unknown flag", []string{"--nope"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := parseConfig(tt.args, getenv, io.Discard)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			var ue usageError
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &ue) {
				t.Fatalf("err = %v, want a usage error containing %q", err, tt.wantErr)
			}
		})
	}
	if _, _, err := parseConfig(nil, func(string) string { return "" }, io.Discard); err == nil ||
		!strings.Contains(err.Error(), "auth-secret is required") {
		t.Fatalf("no settings: err = %v", err)
	}
}

// fakeHerald is a stand-in for Herald's platform API: tokens, one person,
// one job, and assessment results that fail while failResults is set.
type fakeHerald struct {
	*httptest.Server
	tokens      atomic.Int32
	results     atomic.Int32
	failResults atomic.Bool
	revokeOnce  atomic.Bool // refuse the next Bearer token with 401
}

func newFakeHerald(t *testing.T) *fakeHerald {
	t.Helper()
	f := &fakeHerald{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		n := f.tokens.Add(1)
		fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"Bearer","expires_in":3600}`, n)
	})
	authed := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer tok-") || f.revokeOnce.CompareAndSwap(true, false) {
				w.WriteHeader(http.StatusUnauthorized)
				io.WriteString(w, `{"errors":[{"errorMessage":"Invalid credentials.","errorCode":9}]}`)
				return
			}
			h(w, r)
		}
	}
	mux.HandleFunc("GET /customers/6269/people/1239", authed(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"id":"1239","firstname":"Carl","lastname":"Candidate","email":"carl@example.com","unknown":1}`)
	}))
	mux.HandleFunc("GET /customers/6269/jobs/1385", authed(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"id":"1385","jobtitle":"Front Line Associate","assessmenttype":"Cognitive Ability"}`)
	}))
	mux.HandleFunc("POST /customers/6269/applicantworkflows/12391385/fields/assessmentresults", authed(func(w http.ResponseWriter, r *http.Request) {
		if f.failResults.Load() {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"errors":[{"errorMessage":"Internal error.","errorCode":0}]}`)
			return
		}
		n := f.results.Add(1)
		w.Header().Set("Location", fmt.Sprintf("%s%s/%d", f.URL, r.URL.Path, n))
		w.WriteHeader(http.StatusCreated)
	}))
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func newTestPartner(t *testing.T, heraldURL string) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	publicURL := "http://" + srv.Listener.Addr().String()
	h, err := newServer(&config{PublicURL: publicURL, HeraldURL: heraldURL, AuthSecret: testHMACSecret,
		ClientID: "cid", ClientSecret: "cs", Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(srv.Close)
	return publicURL
}

// sendEvent posts an Application Complete event whose links are under
// linkBase, signed with signer, and returns the reply.
func sendEvent(t *testing.T, partnerURL, linkBase string, signer wire.Signer) (*http.Response, string) {
	t.Helper()
	body, links, err := wire.BuildEvent(linkBase, "6269", &wire.EventParams{
		EventType: wire.EventTypeAssessment, SystemID: "12391385", UserID: "1239", JobID: "1385",
		ReturnURL: "https://careers.example.com/jobs/1385/assessment?i=12391385",
	})
	if err != nil {
		t.Fatal(err)
	}
	req, err := wire.NewRequest(t.Context(), &wire.Request{URL: partnerURL + eventsPath, EventID: "evt_1", Attempt: 1,
		Body: wire.Gzip(body), Gzip: true, LinkHeader: wire.FormatLinkHeader(links), Signer: signer}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var testSigner = wire.HMACAuth{Username: "herald", Secret: []byte(testHMACSecret)}

func TestEventRefusals(t *testing.T) {
	t.Parallel()
	f := newFakeHerald(t)
	partnerURL := newTestPartner(t, f.URL)

	tests := []struct {
		name       string
		linkBase   string
		signer     wire.Signer
		wantStatus int
		wantBody   string
	}{
		{"unsigned", f.URL, nil, http.StatusUnauthorized, "could not be authenticated"},
		{"wrong secret", f.URL, wire.HMACAuth{Username: "herald", Secret: []byte("guess")}, http.StatusUnauthorized, ""},
		// Links to another host: the partner's credentials never go there.
		{"foreign links", "https://attacker.example", testSigner, http.StatusBadRequest, "cannot start an assessment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, body := sendEvent(t, partnerURL, tt.linkBase, tt.signer)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(body, tt.wantBody) {
				t.Fatalf("reply %d %s, want %d containing %q", resp.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
			if f.tokens.Load() != 0 {
				t.Fatalf("the partner asked for a token (%d) for a refused event", f.tokens.Load())
			}
		})
	}
}

func TestHeraldUnavailable(t *testing.T) {
	t.Parallel()
	f := newFakeHerald(t)
	f.Close() // Herald is down
	partnerURL := newTestPartner(t, f.URL)
	resp, body := sendEvent(t, partnerURL, f.URL, testSigner)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "try again") {
		t.Fatalf("reply %d %s, want 503 with a message", resp.StatusCode, body)
	}
}

// A refused token is replaced once; a failed write-back leaves the
// candidate on the page, and Finish again succeeds.
func TestTokenRefreshAndFinishRetry(t *testing.T) {
	t.Parallel()
	f := newFakeHerald(t)
	partnerURL := newTestPartner(t, f.URL)

	resp, body := sendEvent(t, partnerURL, f.URL, testSigner)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reply %d %s", resp.StatusCode, body)
	}
	page := resp.Header.Get("Location")
	if f.tokens.Load() != 1 {
		t.Fatalf("%d tokens fetched, want 1 (cached between the two GETs)", f.tokens.Load())
	}

	f.failResults.Store(true)
	f.revokeOnce.Store(true)
	form := []byte(url.Values{"q1": {"0"}, "q2": {"0"}, "q3": {"0"}, "q4": {"0"}}.Encode())
	var html string
	call(t, "POST", page+"/finish", "", "application/x-www-form-urlencoded", form, http.StatusBadGateway, &html)
	if !strings.Contains(html, "could not be saved") || f.tokens.Load() != 2 {
		t.Fatalf("after a failed write-back: %d tokens, page:\n%s", f.tokens.Load(), html)
	}

	f.failResults.Store(false)
	resp = call(t, "POST", page+"/finish", "", "application/x-www-form-urlencoded", form, http.StatusSeeOther, nil)
	if got := resp.Header.Get("Location"); got != "https://careers.example.com/jobs/1385/assessment?i=12391385" {
		t.Fatalf("Location %q", got)
	}
	if f.results.Load() != 1 {
		t.Fatalf("%d results posted, want 1", f.results.Load())
	}
}
