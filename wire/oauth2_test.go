package wire

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type tokenServer struct {
	*httptest.Server
	fetches atomic.Int32
}

func newTokenServer(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, n int32)) *tokenServer {
	t.Helper()
	ts := &tokenServer{}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := ts.fetches.Add(1)
		handle(w, r, n)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func TestOAuth2TokenCaches(t *testing.T) {
	t.Parallel()
	ts := newTokenServer(t, func(w http.ResponseWriter, r *http.Request, n int32) {
		user, pass, ok := r.BasicAuth()
		if !ok || user != "client%3A1" || pass != "sec" || r.FormValue("grant_type") != "client_credentials" || r.FormValue("scope") != "events" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_client"}`)
			return
		}
		fmt.Fprintf(w, `{"access_token":"tok%d","token_type":"bearer","expires_in":3600}`, n)
	})
	now := time.Unix(1000, 0)
	var mu sync.Mutex
	src := &OAuth2TokenSource{TokenURL: ts.URL, ClientID: "client:1", ClientSecret: "sec", Scope: "events",
		NowFunc: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }}
	ctx := t.Context()
	for range 3 {
		if tok, err := src.Token(ctx); err != nil || tok != "tok1" {
			t.Fatalf("Token = %q, %v", tok, err)
		}
	}
	mu.Lock()
	now = now.Add(3600*time.Second - tokenEarly - time.Second)
	mu.Unlock()
	if tok, _ := src.Token(ctx); tok != "tok1" {
		t.Fatalf("before renewal: %q", tok)
	}
	mu.Lock()
	now = now.Add(2 * time.Second)
	mu.Unlock()
	if tok, _ := src.Token(ctx); tok != "tok2" {
		t.Fatalf("after expiry: %q", tok)
	}
	src.Invalidate()
	if tok, _ := src.Token(ctx); tok != "tok3" {
		t.Fatalf("after Invalidate: %q", tok)
	}

	req, _ := http.NewRequest("POST", "http://127.0.0.1/", nil)
	if err := src.Sign(req, nil, now); err != nil || req.Header.Get("Authorization") != "Bearer tok3" {
		t.Fatalf("Sign: %v, %q", err, req.Header.Get("Authorization"))
	}
}

func TestOAuth2CredentialsInBody(t *testing.T) {
	t.Parallel()
	ts := newTokenServer(t, func(w http.ResponseWriter, r *http.Request, _ int32) {
		if _, _, ok := r.BasicAuth(); ok || r.FormValue("client_id") != "c" || r.FormValue("client_secret") != "s" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		fmt.Fprint(w, `{"access_token":"t","expires_in":"60"}`)
	})
	src := &OAuth2TokenSource{TokenURL: ts.URL, ClientID: "c", ClientSecret: "s", CredentialsInBody: true}
	if tok, err := src.Token(t.Context()); err != nil || tok != "t" {
		t.Fatalf("Token = %q, %v", tok, err)
	}
}

func TestOAuth2OneFetchAtATime(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	release := make(chan struct{})
	ts := newTokenServer(t, func(w http.ResponseWriter, _ *http.Request, n int32) {
		if n == 1 {
			close(started)
		}
		<-release
		fmt.Fprint(w, `{"access_token":"t","token_type":"Bearer","expires_in":3600}`)
	})
	src := &OAuth2TokenSource{TokenURL: ts.URL, ClientID: "c", ClientSecret: "s"}
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	wg.Go(func() {
		_, err := src.Token(t.Context())
		errs <- err
	})
	<-started
	for range 19 {
		wg.Go(func() {
			_, err := src.Token(t.Context())
			errs <- err
		})
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := ts.fetches.Load(); n != 1 {
		t.Fatalf("%d fetches, want 1", n)
	}
}

func TestOAuth2WaiterContext(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	release := make(chan struct{})
	ts := newTokenServer(t, func(w http.ResponseWriter, _ *http.Request, _ int32) {
		close(started)
		<-release
		fmt.Fprint(w, `{"access_token":"t"}`)
	})
	defer close(release)
	src := &OAuth2TokenSource{TokenURL: ts.URL, ClientID: "c", ClientSecret: "s"}
	go src.Token(context.Background())
	<-started
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := src.Token(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestOAuth2Errors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int
		body    string
		wantErr string
	}{
		{"rejected", 401, `{"error":"invalid_client","error_description":"Client authentication failed"}`, "invalid_client Client authentication failed"},
		{"server error", 500, `<html>oops topsecret</html>`, "500 Internal Server Error"},
		{"not json", 200, `tok`, "not JSON"},
		{"no token", 200, `{"token_type":"Bearer"}`, "no access_token"},
		{"not bearer", 200, `{"access_token":"x","token_type":"mac"}`, "not Bearer"},
		{"bad expiry", 200, `{"access_token":"x","expires_in":"soon"}`, "expires_in"},
		{"too big", 200, `{"access_token":"` + strings.Repeat("x", maxTokenReply) + `"}`, "longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts := newTokenServer(t, func(w http.ResponseWriter, _ *http.Request, _ int32) {
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			})
			src := &OAuth2TokenSource{TokenURL: ts.URL, ClientID: "c", ClientSecret: "topsecret"}
			_, err := src.Token(t.Context())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "topsecret") {
				t.Fatalf("error leaks the secret: %v", err)
			}
			// A failed fetch is not cached.
			if _, err := src.Token(t.Context()); err == nil {
				t.Fatal("second call succeeded")
			}
			if n := ts.fetches.Load(); n != 2 {
				t.Fatalf("%d fetches, want 2", n)
			}
		})
	}
}
