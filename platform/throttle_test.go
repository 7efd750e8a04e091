package platform

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestClientAuthThrottle proves failed client authentications are
// throttled per client id at POST /oauth/token and with Basic on the API:
// after ClientAuthFailures wrong secrets the right one is refused too
// (429, Retry-After, the OAuth error form), until the window has passed.
func TestClientAuthThrottle(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	var mu sync.Mutex
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv := httptest.NewServer(nil)
	t.Cleanup(srv.Close)
	s, err := NewServer(Config{Store: tb.store, AdminToken: adminToken, PublicURL: srv.URL, NowFunc: clock, ClientAuthFailures: 5})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	s.Register(mux)
	srv.Config.Handler = mux

	token := func(secret string) (int, http.Header, map[string]any) {
		t.Helper()
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {tb.clientID}, "client_secret": {secret}}
		req, _ := http.NewRequestWithContext(t.Context(), "POST", srv.URL+"/oauth/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, resp.Header, out
	}
	// A success forgets earlier failures.
	for range 4 {
		if code, _, _ := token("hcsk_wrong"); code != http.StatusUnauthorized {
			t.Fatalf("wrong secret: %d, want 401", code)
		}
	}
	if code, _, _ := token(tb.secret); code != http.StatusOK {
		t.Fatalf("right secret after 4 failures: %d, want 200", code)
	}
	for range 5 {
		token("hcsk_wrong")
	}
	code, h, out := token(tb.secret)
	if code != http.StatusTooManyRequests || out["error"] != "temporarily_unavailable" {
		t.Fatalf("right secret after 5 failures: %d %v, want 429 temporarily_unavailable", code, out)
	}
	if ra, err := strconv.Atoi(h.Get("Retry-After")); err != nil || ra < 1 || ra > int(DefaultClientAuthWindow.Seconds()) {
		t.Fatalf("Retry-After %q", h.Get("Retry-After"))
	}
	// Basic on the API shares the limit.
	req, _ := http.NewRequestWithContext(t.Context(), "GET", srv.URL+"/customers/"+tb.a.Customer.ID+"/people/"+tb.a.Candidate.ID, nil)
	req.SetBasicAuth(tb.clientID, tb.secret)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("Basic while throttled: %d, Retry-After %q; want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	mu.Lock()
	now = now.Add(DefaultClientAuthWindow)
	mu.Unlock()
	if code, _, out := token(tb.secret); code != http.StatusOK {
		t.Fatalf("after the window: %d %v, want 200", code, out)
	}
}
