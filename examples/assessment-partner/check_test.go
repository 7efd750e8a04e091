package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/heraldhq/herald/conformance"
	"github.com/heraldhq/herald/wire"
)

// TestConformance runs `herald check`'s battery against the example: it
// must pass every check, and must not act on the test events (no token
// fetched, no person or job read from Herald, no assessment started).
func TestConformance(t *testing.T) {
	t.Parallel()
	f := newFakeHerald(t)
	cfg := &config{PublicURL: "https://assess.example.com", HeraldURL: f.URL, AuthSecret: testHMACSecret,
		ClientID: "cid", ClientSecret: "cs", Logger: testLogger(t)}
	h, err := newServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	// Links under the partner's configured Herald, so they look like real
	// ones: the partner must still not follow them.
	b, err := conformance.New(conformance.Config{PublicURL: f.URL, CustomerID: "6269"})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := b.Run(t.Context(), &conformance.Target{URL: srv.URL + eventsPath, Signer: testSigner,
		EventTypes: []wire.EventType{wire.EventTypeAssessment}})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Passed || rep.Counts.Warn != 0 || rep.Counts.Skip != 0 {
		var buf bytes.Buffer
		_ = conformance.WriteText(&buf, rep, false)
		t.Fatalf("the example does not pass every check:\n%s", buf.String())
	}
	if n := f.tokens.Load(); n != 0 {
		t.Errorf("the partner fetched %d tokens for test events", n)
	}
	// The Location test events get is a page that says what happened.
	resp, err := testClient.Get(srv.URL + "/assessments/" + testSessionID)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "test event") {
		t.Errorf("test page: %d %s", resp.StatusCode, body)
	}
}
