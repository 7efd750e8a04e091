package dispatch_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/dispatch"
)

// The client opens as many connections to one partner host as requests
// need, up to MaxConnsPerHost, across whatever endpoints share the host: a
// host that holds its replies gets every request at once while under the
// bound, and no more than the bound when over it. The bound was 64 and
// fixed, which capped a node's rate to a host with many endpoints at 64
// divided by the host's reply time.
func TestClientBoundsConnectionsToOneHost(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name            string
		bound, requests int
		wantAtOnce      int
	}{
		{"default, over the old bound of 64", 0, 100, 100},
		{"a bound of 3", 3, 6, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var inFlight, most atomic.Int64
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := inFlight.Add(1)
				defer inFlight.Add(-1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				_, _ = io.Copy(io.Discard, r.Body)
				<-release
			}))
			t.Cleanup(srv.Close)
			client := dispatch.NewHTTPClient(dispatch.ClientConfig{Policy: loopbackOnly, Timeout: 30 * time.Second, MaxConnsPerHost: tc.bound})
			t.Cleanup(client.CloseIdleConnections)

			var wg sync.WaitGroup
			var failed atomic.Int64
			for i := range tc.requests {
				wg.Go(func() {
					// Paths as different endpoints on the one host.
					resp, err := client.Post(srv.URL+"/ep"+strings.Repeat("x", i%7), "application/json", strings.NewReader("{}"))
					if err != nil {
						failed.Add(1)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				})
			}
			deadline := time.Now().Add(10 * time.Second)
			for inFlight.Load() < int64(tc.wantAtOnce) && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			// Give any request past the bound time to arrive too.
			time.Sleep(100 * time.Millisecond)
			close(release)
			wg.Wait()
			if got := most.Load(); got != int64(tc.wantAtOnce) {
				t.Errorf("%d requests to one host at once, want %d", got, tc.wantAtOnce)
			}
			if n := failed.Load(); n > 0 {
				t.Errorf("%d requests failed", n)
			}
		})
	}
}

// tlsPartner is a TLS partner that closes each connection after its reply,
// as a partner whose idle timeout has passed does, and counts the
// handshakes that resumed a session. The client returned trusts it.
func tlsPartner(t testing.TB, sessionCache bool) (*httptest.Server, *http.Client, *atomic.Int64) {
	var resumed atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS.DidResume {
			resumed.Add(1)
		}
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	srv.Config.SetKeepAlivesEnabled(false)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	client := dispatch.NewHTTPClient(dispatch.ClientConfig{Policy: loopbackOnly, Timeout: 10 * time.Second})
	transport := client.Transport.(*http.Transport)
	transport.TLSClientConfig.RootCAs = srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	if !sessionCache {
		transport.TLSClientConfig.ClientSessionCache = nil
	}
	t.Cleanup(client.CloseIdleConnections)
	return srv, client, &resumed
}

func postOK(t testing.TB, client *http.Client, url string) {
	resp, err := client.Post(url, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
}

// A new connection to a partner resumes the TLS session of an earlier one
// rather than making a full handshake again.
func TestClientResumesTLSSessions(t *testing.T) {
	t.Parallel()
	srv, client, resumed := tlsPartner(t, true)
	const requests = 5
	for range requests {
		postOK(t, client, srv.URL)
	}
	// The first handshake is full; with TLS 1.3 its ticket may come
	// after the first reply, so allow the second to be full too.
	if n := resumed.Load(); n < requests-2 {
		t.Errorf("%d of %d connections resumed a TLS session, want at least %d", n, requests, requests-2)
	}
}

// BenchmarkTLSReconnect makes one request per new TLS connection, with
// and without the client's session cache: the cost of a partner that
// closes idle connections. Every request must get its 200.
func BenchmarkTLSReconnect(b *testing.B) {
	for _, tc := range []struct {
		name  string
		cache bool
	}{{"full handshake", false}, {"resumed", true}} {
		b.Run(tc.name, func(b *testing.B) {
			srv, client, resumed := tlsPartner(b, tc.cache)
			postOK(b, client, srv.URL) // the first handshake is full either way
			resumed.Store(0)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				postOK(b, client, srv.URL)
			}
			b.StopTimer()
			b.ReportMetric(float64(resumed.Load())/float64(b.N), "resumed/op")
		})
	}
}
