package api_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
)

func TestNewServerConfig(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	valid := func() api.Config {
		return api.Config{Store: b.store, Publisher: &storePublisher{b.store}, AdminToken: testToken, PublicURL: testPublicURL}
	}
	tests := []struct {
		name   string
		modify func(*api.Config)
		want   string // substring of the error; "" for success
	}{
		{"valid", func(*api.Config) {}, ""},
		{"no store", func(c *api.Config) { c.Store = nil }, "Store is required"},
		{"no publisher", func(c *api.Config) { c.Publisher = nil }, "Publisher is required"},
		{"no token", func(c *api.Config) { c.AdminToken = "" }, "AdminToken is required"},
		{"short token", func(c *api.Config) { c.AdminToken = "short" }, "at least 16"},
		{"no public url", func(c *api.Config) { c.PublicURL = "" }, "PublicURL is required"},
		{"relative public url", func(c *api.Config) { c.PublicURL = "/x" }, "PublicURL must be"},
		{"public url with query", func(c *api.Config) { c.PublicURL = "https://h.example/?a=1" }, "without query"},
		{"negative body limit", func(c *api.Config) { c.MaxBodyBytes = -1 }, "MaxBodyBytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := valid()
			tt.modify(&cfg)
			_, err := api.NewServer(cfg)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("NewServer: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("NewServer error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestAuth(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)

	tests := []struct {
		name   string
		header []string // nil: no Authorization header at all
		want   int
	}{
		{"missing", []string{""}, http.StatusUnauthorized},
		{"basic scheme", []string{"Basic " + testToken}, http.StatusUnauthorized},
		{"wrong token", []string{"Bearer wrong-token-0123456789ab"}, http.StatusUnauthorized},
		{"token prefix", []string{"Bearer " + testToken[:len(testToken)-1]}, http.StatusUnauthorized},
		{"token with extra", []string{"Bearer " + testToken + "x"}, http.StatusUnauthorized},
		{"bearer only", []string{"Bearer"}, http.StatusUnauthorized},
		{"right token", []string{"Bearer " + testToken}, http.StatusOK},
		{"scheme is case-insensitive", []string{"bearer " + testToken}, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := b.rawRequest(t, http.MethodGet, "/api/v1/customers", http.Header{"Authorization": tt.header}, "")
			if r.status != tt.want {
				t.Fatalf("status = %d, want %d; body %s", r.status, tt.want, r.body)
			}
			if tt.want == http.StatusUnauthorized {
				if r.err.Error.Code != herald.EUNAUTHORIZED {
					t.Fatalf("code = %q, want unauthorized", r.err.Error.Code)
				}
				if r.header.Get("WWW-Authenticate") == "" {
					t.Fatalf("no WWW-Authenticate header")
				}
			}
		})
	}

	t.Run("unknown route is 401, not 404", func(t *testing.T) {
		t.Parallel()
		r := b.rawRequest(t, http.MethodGet, "/api/v1/secret-route", http.Header{"Authorization": {""}}, "")
		if r.status != http.StatusUnauthorized {
			t.Fatalf("status = %d, want 401", r.status)
		}
	})

	t.Run("client with wrong token", func(t *testing.T) {
		t.Parallel()
		c := api.NewClient(b.server.URL, "wrong-token-0123456789ab", b.hc)
		_, err := c.CustomerList(t.Context())
		wantCode(t, err, herald.EUNAUTHORIZED)
		var he *herald.Error
		if !errors.As(err, &he) {
			t.Fatalf("error %T is not a *herald.Error", err)
		}
	})

	if strings.Contains(b.logs.String(), testToken) || strings.Contains(b.logs.String(), "wrong-token") {
		t.Fatalf("a token was logged:\n%s", b.logs.String())
	}
}

func TestRoutesNotFound(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)

	r := b.rawRequest(t, http.MethodGet, "/api/v1/nothing", nil, "")
	if r.status != http.StatusNotFound || r.err.Error.Code != herald.ENOTFOUND {
		t.Fatalf("unknown path: status %d code %q", r.status, r.err.Error.Code)
	}
	r = b.rawRequest(t, http.MethodDelete, "/api/v1/customers", nil, "")
	if r.status != http.StatusMethodNotAllowed || r.err.Error.Code != api.ErrorCodeMethodNotAllowed {
		t.Fatalf("wrong method: status %d code %q", r.status, r.err.Error.Code)
	}
	if got := r.header.Get("Allow"); got != "GET, POST" {
		t.Fatalf("Allow = %q, want GET, POST", got)
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)

	r := b.rawRequest(t, http.MethodGet, "/api/v1/customers", nil, "")
	if id := r.header.Get(api.RequestIDHeader); len(id) != 16 {
		t.Fatalf("generated request id = %q, want 16 characters", id)
	}
	r = b.rawRequest(t, http.MethodGet, "/api/v1/customers", http.Header{api.RequestIDHeader: {"caller-id-42"}}, "")
	if id := r.header.Get(api.RequestIDHeader); id != "caller-id-42" {
		t.Fatalf("request id = %q, want the caller's", id)
	}
	r = b.rawRequest(t, http.MethodGet, "/api/v1/customers", http.Header{api.RequestIDHeader: {"bad id\"<>"}}, "")
	if id := r.header.Get(api.RequestIDHeader); id == "" || strings.ContainsAny(id, " \"<>") {
		t.Fatalf("request id = %q, want a fresh one", id)
	}
	if !strings.Contains(b.logs.String(), "request_id=caller-id-42") {
		t.Fatalf("request log lacks the request id:\n%s", b.logs.String())
	}
}

// failingStore is a store whose CustomerList fails with an internal error.
type failingStore struct {
	herald.Store
	customerListFunc func(ctx context.Context) ([]*herald.Customer, error)
}

func (s *failingStore) CustomerList(ctx context.Context) ([]*herald.Customer, error) {
	return s.customerListFunc(ctx)
}

func TestInternalError(t *testing.T) {
	t.Parallel()
	b := setup(t, &setupOpts{WrapStore: func(s herald.Store) herald.Store {
		return &failingStore{Store: s, customerListFunc: func(context.Context) ([]*herald.Customer, error) {
			return nil, errors.New("disk on fire")
		}}
	}})
	r := b.rawRequest(t, http.MethodGet, "/api/v1/customers", nil, "")
	if r.status != http.StatusInternalServerError || r.err.Error.Code != herald.EINTERNAL || r.err.Error.Message != "Internal error." {
		t.Fatalf("status %d, error %+v", r.status, r.err.Error)
	}
	if strings.Contains(string(r.body), "disk on fire") {
		t.Fatalf("internal detail leaked: %s", r.body)
	}
	if !strings.Contains(b.logs.String(), "disk on fire") {
		t.Fatalf("internal error not logged:\n%s", b.logs.String())
	}
}

// TestClientNonJSONError checks the client's reading of an error reply that
// did not come from Herald (a proxy's HTML page).
func TestClientNonJSONError(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "<html>bad gateway</html>", http.StatusBadGateway)
	}))
	t.Cleanup(srv.Close)
	c := api.NewClient(srv.URL+"/", testToken, srv.Client())
	_, err := c.CustomerList(t.Context())
	wantCode(t, err, herald.EUNAVAILABLE)
}
