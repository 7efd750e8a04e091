package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/conformance"
	"github.com/heraldhq/herald/dispatch"
	"github.com/heraldhq/herald/replay"
	"github.com/heraldhq/herald/sqlite"
	"github.com/heraldhq/herald/web"
)

const testAdminToken = "web-test-admin-token-0123456789"

// testNode is a Herald node built from the library packages, as
// cmd/herald wires them: a SQLite store, the dispatcher, the publisher and
// the web server, on 127.0.0.1.
type testNode struct {
	store *sqlite.Store
	srv   *httptest.Server
	url   string
}

// newTestNode starts a node whose public URL is its own address, so the
// portal's return URLs come back to it. Each of configure may change the
// web server's Config.
func newTestNode(t testing.TB, configure ...func(*web.Config)) *testNode {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, err := sqlite.Open(t.Context(), &sqlite.Config{Path: filepath.Join(t.TempDir(), "herald.db"), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	client := dispatch.NewHTTPClient(dispatch.ClientConfig{
		Policy:  dispatch.DestinationPolicy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}},
		Timeout: 5 * time.Second,
	})
	d, err := dispatch.New(dispatch.Config{Store: st, RetryPolicies: st, Logger: logger, Client: client, NodeID: "web-test",
		RequestTimeout: 5 * time.Second, LeaseDuration: time.Minute, ShutdownTimeout: time.Second, ReleaseOrphansOnStart: true})
	if err != nil {
		t.Fatal(err)
	}
	pub := dispatch.NewPublisher(dispatch.PublisherConfig{Store: st, WakeFunc: d.Wake, Writers: 1})
	// The replay runner works replay jobs beside the dispatcher, as in
	// serve; the web server wakes it when it creates a job.
	rr, err := replay.New(replay.Config{Store: st, Logger: logger, WakeFunc: d.Wake})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	go func() { done <- d.Run(ctx) }()
	go func() { done <- rr.Run(ctx) }()

	// The web server needs its public URL before it is built, and the
	// listener's address is known only once it listens: start the test
	// server unstarted and build the handler in between.
	mux := http.NewServeMux()
	srv := httptest.NewUnstartedServer(mux)
	srv.Start()
	// Endpoint checks through the same guarded client, as serve wires them.
	checker, err := conformance.New(conformance.Config{Client: client, PublicURL: srv.URL, Deadline: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	cfg := web.Config{
		Store: st, Platform: st, Users: st, Publisher: pub, Deliverer: d, WakeFunc: d.Wake, Checker: checker,
		Health: st, Replays: st, Queue: st, QueueDepth: st,
		ReplayWakeFunc: rr.Wake, CircuitStateFunc: func(id string) string { return d.CircuitState(id).String() },
		AdminToken: testAdminToken, PublicURL: srv.URL, Logger: logger, InteractiveDeadline: 5 * time.Second,
	}
	for _, c := range configure {
		c(&cfg)
	}
	ws, err := web.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ws.Register(mux)
	t.Cleanup(func() {
		srv.Close()
		pub.Close()
		cancel()
		<-done
		<-done
		_ = st.Close()
	})
	return &testNode{store: st, srv: srv, url: srv.URL}
}

// browser is an HTTP client with cookies that does not follow redirects,
// so tests see each 303.
type browser struct {
	t    testing.TB
	c    *http.Client
	base string
	csrf string
}

func (n *testNode) browser(t testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: n.url, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) do(method, path string, form url.Values) (int, http.Header, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		if b.csrf != "" && !form.Has("csrf") {
			form.Set("csrf", b.csrf)
		}
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(b.t.Context(), method, b.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		// What a browser sends for a form of the same site.
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if m := csrfRE.FindSubmatch(raw); m != nil {
		b.csrf = string(m[1])
	}
	return resp.StatusCode, resp.Header, string(raw)
}

func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	code, _, body := b.do(http.MethodGet, path, nil)
	return code, body
}

func (b *browser) post(path string, form url.Values) (int, http.Header, string) {
	b.t.Helper()
	return b.do(http.MethodPost, path, form)
}

// signInOperator signs the browser in with the admin token.
func (b *browser) signInOperator() {
	b.t.Helper()
	if code, _, body := b.post("/ui/login/operator", url.Values{"token": {testAdminToken}}); code != http.StatusSeeOther {
		b.t.Fatalf("operator sign-in: %d %s", code, body)
	}
	b.get("/ui/customers") // picks up the CSRF token
}

func (b *browser) signIn(username, password string) {
	b.t.Helper()
	if code, _, body := b.post("/ui/login", url.Values{"username": {username}, "password": {password}}); code != http.StatusSeeOther {
		b.t.Fatalf("sign-in: %d %s", code, body)
	}
}

// seedCustomers creates customers 6269 and 2187 with an administrator each
// (password "correct-horse-battery").
func (n *testNode) seedCustomers(t testing.TB) {
	t.Helper()
	ctx := t.Context()
	for _, c := range []*herald.Customer{{ID: "6269", Name: "Demo Talent Co"}, {ID: "2187", Name: "Acme"}} {
		if err := n.store.CustomerCreate(ctx, c); err != nil {
			t.Fatal(err)
		}
		if _, err := web.CreateUser(ctx, n.store, &herald.WebUser{CustomerID: c.ID, Username: "admin-" + c.ID}, "correct-horse-battery"); err != nil {
			t.Fatal(err)
		}
	}
}
