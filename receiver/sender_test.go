package receiver_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/dispatch"
	"github.com/heraldhq/herald/receiver"
	"github.com/heraldhq/herald/sqlite"
	"github.com/heraldhq/herald/wire"
)

// These tests prove that package receiver accepts what Herald's sender
// actually sends: not requests built by the test with wire.NewRequest
// (handler_test.go does that), but the dispatcher's own requests, signed by
// dispatch/auth.go from endpoints as stored, in every auth mode, with gzip
// on and off. This file may import dispatch and sqlite: it is a _test file
// of package receiver_test, so the package itself stays standard library
// only (go list -deps ./receiver).

const (
	senderWebhookSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	senderWebhookSecretOld = "whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"
)

// tokenServer is a partner's OAuth 2.0 token endpoint (client credentials,
// RFC 6749 section 4.4): it issues a fresh token per request and remembers
// the ones it issued, so the partner's receiver accepts exactly those.
type tokenServer struct {
	*httptest.Server
	clientID, clientSecret string

	mu     sync.Mutex
	issued map[string]bool
	calls  atomic.Int32
}

func newTokenServer(t *testing.T, clientID, clientSecret string) *tokenServer {
	t.Helper()
	ts := &tokenServer{clientID: clientID, clientSecret: clientSecret, issued: map[string]bool{}}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		// RFC 6749 section 2.3.1: each part is form-urlencoded before
		// Basic, as wire.OAuth2TokenSource sends them.
		id, errID := url.QueryUnescape(id)
		secret, errSecret := url.QueryUnescape(secret)
		ok = ok && errID == nil && errSecret == nil
		if r.Method != http.MethodPost || r.FormValue("grant_type") != "client_credentials" ||
			!ok || id != clientID || secret != clientSecret {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":"invalid_client"}`)
			return
		}
		tok := "tok-" + strconv.Itoa(int(ts.calls.Add(1)))
		ts.mu.Lock()
		ts.issued[tok] = true
		ts.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":3600}`, tok)
	}))
	t.Cleanup(ts.Close)
	return ts
}

// check is the receiver's Bearer check: a token this server issued.
func (ts *tokenServer) check(token string) bool {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.issued[token]
}

// sentRequest is what reached a partner endpoint, before package receiver
// read it.
type sentRequest struct {
	header http.Header
	body   []byte
}

// partner is one partner endpoint: it keeps the raw request, then hands it
// to a receiver.Handler with the mode's verifier.
type partner struct {
	mu     sync.Mutex
	raw    []sentRequest
	events []*receiver.Event
	errs   []error
}

func (p *partner) handler(v receiver.Verifier, location string) http.Handler {
	h := receiver.NewHandler(receiver.Config{
		Verifier:  v,
		ErrorFunc: func(_ *http.Request, err error) { p.mu.Lock(); p.errs = append(p.errs, err); p.mu.Unlock() },
	}, receiver.HandlerFunc(func(_ context.Context, e *receiver.Event) receiver.Reply {
		p.mu.Lock()
		p.events = append(p.events, e)
		p.mu.Unlock()
		return receiver.SeeOther(location)
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		p.mu.Lock()
		p.raw = append(p.raw, sentRequest{header: r.Header.Clone(), body: body})
		p.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.ServeHTTP(w, r)
	})
}

// senderBundle is a real Herald sender: SQLite store, dispatcher and
// publisher, allowed to reach loopback partners.
type senderBundle struct {
	store *sqlite.Store
	disp  *dispatch.Dispatcher
	pub   *dispatch.Publisher
}

func newSender(t *testing.T) *senderBundle {
	t.Helper()
	store, err := sqlite.Open(t.Context(), &sqlite.Config{Path: filepath.Join(t.TempDir(), "herald.db")})
	if err != nil {
		t.Fatal(err)
	}
	client := dispatch.NewHTTPClient(dispatch.ClientConfig{
		Policy:  dispatch.DestinationPolicy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}},
		Timeout: 10 * time.Second,
	})
	disp, err := dispatch.New(dispatch.Config{
		Store: store, RetryPolicies: store, Client: client, RequestTimeout: 10 * time.Second, LeaseDuration: time.Minute,
		PollInterval: 50 * time.Millisecond, ShutdownTimeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	pub := dispatch.NewPublisher(dispatch.PublisherConfig{Store: store, WakeFunc: disp.Wake})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = disp.Run(ctx); close(done) }()
	t.Cleanup(func() {
		pub.Close()
		cancel()
		<-done
		client.CloseIdleConnections()
		_ = store.Close()
	})
	return &senderBundle{store: store, disp: disp, pub: pub}
}

// TestDispatcherRequestsVerify publishes one Application Complete event to
// an endpoint per auth mode and gzip setting, lets the dispatcher deliver
// it, and checks that each partner's receiver verified and parsed it into
// exactly the bytes Herald stored, and that Herald recorded the
// receiver's 303.
func TestDispatcherRequestsVerify(t *testing.T) {
	t.Parallel()
	b := newSender(t)
	const customer = "6269"
	if err := b.store.CustomerCreate(t.Context(), &herald.Customer{ID: customer, Name: "Demo"}); err != nil {
		t.Fatal(err)
	}
	tokens := newTokenServer(t, "herald-client", "client s3cret:+&")
	hmacSecret := []byte("hmac k3y")

	modes := []struct {
		name       string
		auth       herald.Auth
		verifier   receiver.Verifier
		wantSender string
	}{
		{"none", herald.Auth{Type: herald.AuthTypeNone}, receiver.NoAuth(), ""},
		{"basic", herald.Auth{Type: herald.AuthTypeBasic, Username: "herald", Password: "pa:ss wörd"},
			receiver.Basic("herald", "pa:ss wörd"), "herald"},
		{"hmac", herald.Auth{Type: herald.AuthTypeHMAC, Username: "herald", Secret: herald.Secret(hmacSecret)},
			receiver.HMAC("herald", hmacSecret), "herald"},
		{"oauth2", herald.Auth{Type: herald.AuthTypeOAuth2, TokenURL: tokens.URL, ClientID: tokens.clientID,
			ClientSecret: herald.Secret(tokens.clientSecret)}, receiver.Bearer(tokens.check), ""},
		{"standard-webhooks", herald.Auth{Type: herald.AuthTypeStandardWebhooks,
			SigningSecrets: []herald.SigningSecret{{Secret: senderWebhookSecret}}},
			receiver.StandardWebhooks(senderWebhookSecret), ""},
		// During a rotation both secrets sign; a partner still on the old
		// one verifies.
		{"standard-webhooks rotation", herald.Auth{Type: herald.AuthTypeStandardWebhooks,
			SigningSecrets: []herald.SigningSecret{{Secret: senderWebhookSecret},
				{Secret: senderWebhookSecretOld, ExpiresAt: time.Now().Add(time.Hour)}}},
			receiver.StandardWebhooks(senderWebhookSecretOld), ""},
	}

	type target struct {
		name       string
		gzip       bool
		hmac       bool
		wantSender string
		partner    *partner
		location   string
	}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	targets := map[string]*target{} // by endpoint id
	for _, m := range modes {
		for _, gz := range []bool{false, true} {
			name := fmt.Sprintf("%s gzip=%v", m.name, gz)
			path := fmt.Sprintf("/%s/gzip-%v", m.name, gz)
			tg := &target{name: name, gzip: gz, hmac: m.auth.Type == herald.AuthTypeHMAC, wantSender: m.wantSender, partner: &partner{},
				location: "https://partner.example.com/assess" + path}
			mux.Handle("POST "+path, tg.partner.handler(m.verifier, tg.location))
			ep := &herald.Endpoint{CustomerID: customer, URL: srv.URL + path + "?via=herald",
				EventTypes: []wire.EventType{wire.EventTypeAssessment}, Auth: m.auth, Gzip: gz, Enabled: true}
			if err := b.store.EndpointCreate(t.Context(), ep); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			targets[ep.ID] = tg
		}
	}

	// Publish as the platform does: the body, its gzip'd form and the Link
	// header, built once.
	body, links, err := wire.BuildEvent("https://api.example.com", customer, &wire.EventParams{
		EventType: wire.EventTypeAssessment, SystemID: "12391385", UserID: "1239", JobID: "1385",
		ReturnURL: "https://careers.example.com/jobs/1385/assessment?i=12391385",
	})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	ev := &herald.Event{ID: herald.NewID(herald.IDPrefixEvent, now), CustomerID: customer, Type: wire.EventTypeAssessment,
		Body: body, BodyGzip: wire.Gzip(body), LinkHeader: wire.FormatLinkHeader(links), CreatedAt: now}
	res, err := b.pub.Publish(t.Context(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if len(res.Deliveries) != len(targets) {
		t.Fatalf("%d deliveries for %d endpoints", len(res.Deliveries), len(targets))
	}
	ids := make([]string, len(res.Deliveries))
	for i, d := range res.Deliveries {
		ids[i] = d.ID
	}
	outcomes, err := b.disp.DeliverNow(t.Context(), ids, 15*time.Second)
	if err != nil {
		t.Fatal(err)
	}

	for _, o := range outcomes {
		tg := targets[o.EndpointID]
		if tg == nil {
			t.Fatalf("outcome for an unknown endpoint: %+v", o)
		}
		t.Run(tg.name, func(t *testing.T) {
			p := tg.partner
			p.mu.Lock()
			defer p.mu.Unlock()
			if len(p.errs) > 0 {
				t.Fatalf("receiver refused Herald's request: %v", p.errs)
			}
			if o.State != herald.DeliveryStateDelivered || o.StatusCode != http.StatusSeeOther || o.Location != tg.location {
				d, _ := b.store.DeliveryGet(t.Context(), o.DeliveryID)
				t.Fatalf("Herald recorded %+v (last error %q), want delivered with 303 %s", o, d.LastError, tg.location)
			}
			if len(p.raw) != 1 || len(p.events) != 1 {
				t.Fatalf("%d requests, %d events; want 1 each", len(p.raw), len(p.events))
			}

			// On the wire: the bytes Herald stored, compressed once at
			// publish, or the JSON itself.
			raw := p.raw[0]
			wantSent, wantEncoding := body, ""
			if tg.gzip {
				wantSent, wantEncoding = ev.BodyGzip, "gzip"
			}
			if !bytes.Equal(raw.body, wantSent) {
				t.Fatalf("sent %d bytes, want the %d stored", len(raw.body), len(wantSent))
			}
			if got := raw.header.Get("Content-Encoding"); got != wantEncoding {
				t.Fatalf("Content-Encoding %q, want %q", got, wantEncoding)
			}
			if got := raw.header.Get("Link"); got != ev.LinkHeader {
				t.Fatalf("Link %q, want %q", got, ev.LinkHeader)
			}
			if got := raw.header.Get("Content-Type"); got != "application/json" {
				t.Fatalf("Content-Type %q", got)
			}
			if h := raw.header.Get(wire.HeaderICIMSContentSHA256); (h != "" || tg.hmac) && h != wire.ContentSHA256(wantSent) {
				t.Fatalf("x-icims-content-sha256 %q is not the hash of the bytes sent", h)
			}

			// As the partner's code sees it.
			e := p.events[0]
			if !bytes.Equal(e.JSON, body) {
				t.Fatalf("event JSON\n%s\nwant\n%s", e.JSON, body)
			}
			if e.ID != ev.ID || e.Attempt != 1 || e.Type != wire.EventTypeAssessment || e.CustomerID != customer ||
				e.Sender != tg.wantSender {
				t.Fatalf("event = %+v", e)
			}
			a := e.Assessment()
			want := receiver.Assessment{ApplicantWorkflowID: "12391385", CandidateID: "1239", PersonID: "1239", JobID: "1385",
				ReturnURL: "https://careers.example.com/jobs/1385/assessment?i=12391385"}
			if a == nil || *a != want {
				t.Fatalf("Assessment() = %+v, want %+v", a, want)
			}
			if len(e.Links) != len(links) {
				t.Fatalf("links = %+v, want %+v", e.Links, links)
			}
		})
	}
	if n := tokens.calls.Load(); n != 2 {
		// One token per OAuth 2.0 endpoint (gzip on and off), each fetched
		// once.
		t.Errorf("token endpoint called %d times, want 2", n)
	}
}

// TestOAuth2TokenSourceVerifies covers the signer the handler tests leave
// out: wire.OAuth2TokenSource, fetching a token from the partner's token
// endpoint and caching it, checked by receiver.Bearer.
func TestOAuth2TokenSourceVerifies(t *testing.T) {
	t.Parallel()
	tokens := newTokenServer(t, "herald", "s3cret")
	var got []*receiver.Event
	var mu sync.Mutex
	srv := httptest.NewServer(receiver.NewHandler(receiver.Config{Verifier: receiver.Bearer(tokens.check)},
		receiver.HandlerFunc(func(_ context.Context, e *receiver.Event) receiver.Reply {
			mu.Lock()
			got = append(got, e)
			mu.Unlock()
			return receiver.OK()
		})))
	t.Cleanup(srv.Close)
	src := &wire.OAuth2TokenSource{TokenURL: tokens.URL, ClientID: "herald", ClientSecret: "s3cret"}
	body, links, err := wire.BuildEvent("https://api.example.com", "6269", &wire.EventParams{
		EventType: wire.EventTypeRemoteLogin, SystemID: "244", UserID: "244", ReturnURL: "https://customer.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	for i, gz := range []bool{false, true} {
		sent := body
		if gz {
			sent = wire.Gzip(body)
		}
		req, err := wire.NewRequest(t.Context(), &wire.Request{URL: srv.URL, EventID: "evt_" + strconv.Itoa(i), Attempt: 1,
			Body: sent, Gzip: gz, LinkHeader: wire.FormatLinkHeader(links), Signer: src}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("gzip=%v: status %d", gz, resp.StatusCode)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || !bytes.Equal(got[0].JSON, body) || !bytes.Equal(got[1].JSON, body) {
		t.Fatalf("events = %+v", got)
	}
	if n := tokens.calls.Load(); n != 1 {
		t.Fatalf("token endpoint called %d times, want 1 (cached)", n)
	}

	// A token the partner no longer accepts is refused with 401.
	tokens.mu.Lock()
	clear(tokens.issued)
	tokens.mu.Unlock()
	req, err := wire.NewRequest(t.Context(), &wire.Request{URL: srv.URL, Body: body, Signer: src}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("revoked token: status %d, want 401", resp.StatusCode)
	}
}
