package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/heraldhq/herald/receiver"
	"github.com/heraldhq/herald/wire"
)

const triggerTestSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// triggerTestPartner is a listen-like partner: package receiver behind a
// real server, keeping the events it got.
type triggerTestPartner struct {
	*httptest.Server
	mu     sync.Mutex
	events []*receiver.Event
}

func newTriggerTestPartner(t *testing.T, v receiver.Verifier, reply receiver.Reply) *triggerTestPartner {
	t.Helper()
	p := &triggerTestPartner{}
	p.Server = httptest.NewServer(receiver.NewHandler(receiver.Config{Verifier: v},
		receiver.HandlerFunc(func(_ context.Context, e *receiver.Event) receiver.Reply {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.events = append(p.events, e)
			return reply
		})))
	t.Cleanup(p.Close)
	return p
}

func (p *triggerTestPartner) only(t *testing.T) *receiver.Event {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.events) != 1 {
		t.Fatalf("partner got %d events, want 1", len(p.events))
	}
	return p.events[0]
}

func TestTriggerEveryTypeAndAuth(t *testing.T) {
	t.Parallel()
	tokenServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, _ := r.BasicAuth(); u != "cid" || p != "csecret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{"access_token":"tok-9","token_type":"Bearer","expires_in":3600}`)
	}))
	t.Cleanup(tokenServer.Close)
	auths := []struct {
		name     string
		args     []string
		verifier receiver.Verifier
	}{
		{"none", nil, receiver.NoAuth()},
		{"basic", []string{"--auth", "basic", "--username", "u", "--password", "p"}, receiver.Basic("u", "p")},
		{"hmac", []string{"--auth", "hmac", "--username", "herald", "--secret", "k3y"}, receiver.HMAC("herald", []byte("k3y"))},
		{"bearer", []string{"--auth", "bearer", "--token", "t0k"}, receiver.Bearer(receiver.BearerToken("t0k"))},
		{"oauth2", []string{"--auth", "oauth2", "--token-url", tokenServer.URL, "--client-id", "cid", "--client-secret", "csecret"}, receiver.Bearer(receiver.BearerToken("tok-9"))},
		{"standard-webhooks", []string{"--auth", "standard-webhooks", "--secret", triggerTestSecret}, receiver.StandardWebhooks(triggerTestSecret)},
	}
	for i, typ := range wire.EventTypes {
		a := auths[i%len(auths)]
		for _, gz := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s %s gzip=%v", typ, a.name, gz), func(t *testing.T) {
				t.Parallel()
				partner := newTriggerTestPartner(t, a.verifier, receiver.SeeOther("https://partner.example.com/next"))
				args := append([]string{string(typ), "--url", partner.URL + "/hook", "--customer", "2187"}, a.args...)
				if !gz {
					args = append(args, "--no-gzip")
				}
				var out bytes.Buffer
				if err := runTrigger(t.Context(), args, nil, &out, io.Discard); err != nil {
					t.Fatalf("trigger: %v\n%s", err, out.String())
				}
				e := partner.only(t)
				if e.Type != typ || e.CustomerID != "2187" || !strings.HasPrefix(e.ID, "evt_") || e.Attempt != 1 ||
					(e.Header.Get("Content-Encoding") == "gzip") != gz {
					t.Fatalf("partner got %+v", e)
				}
				if !strings.Contains(out.String(), "303 See Other") || !strings.Contains(out.String(), "Location: https://partner.example.com/next") {
					t.Fatalf("output:\n%s", out.String())
				}
				for _, secret := range []string{"k3y", "csecret", "t0k", triggerTestSecret} {
					if strings.Contains(out.String(), secret) {
						t.Fatalf("output shows a secret:\n%s", out.String())
					}
				}
			})
		}
	}
}

func TestTriggerErrorReply(t *testing.T) {
	t.Parallel()
	partner := newTriggerTestPartner(t, receiver.NoAuth(),
		receiver.BadRequest("Please provide a valid US SSN before requesting Background Check.", "US SSN missing"))
	var out bytes.Buffer
	err := runTrigger(t.Context(), []string{"--url", partner.URL, "WorkFlowStatusChangeEvent"}, nil, &out, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "400") {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"400 Bad Request", "userMessage: Please provide a valid US SSN before requesting Background Check.", "debugErrorMessage: US SSN missing"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestTriggerGzipReplyAndNoRedirect(t *testing.T) {
	t.Parallel()
	var hits int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits++
		mu.Unlock()
		if r.URL.Path == "/next" {
			w.WriteHeader(http.StatusTeapot)
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Location", "/next")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write(wire.Gzip([]byte(`{"error":{"userMessage":"Down for maintenance."}}`)))
	}))
	t.Cleanup(srv.Close)
	var out bytes.Buffer
	err := runTrigger(t.Context(), []string{"RemoteLoginEvent", "--url", srv.URL}, nil, &out, io.Discard)
	if err == nil || !strings.Contains(out.String(), "userMessage: Down for maintenance.") {
		t.Fatalf("err = %v, output:\n%s", err, out.String())
	}
	mu.Lock()
	defer mu.Unlock()
	if hits != 1 {
		t.Fatalf("%d requests: trigger followed a redirect", hits)
	}
}

func TestTriggerUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{},
		{"--url", "http://127.0.0.1:1/"},
		{"NopeEvent", "--url", "http://127.0.0.1:1/"},
		{"AssessmentEvent"},
		{"AssessmentEvent", "--url", "ftp://x"},
		{"AssessmentEvent", "--url", "http://127.0.0.1:1/", "--customer", "a/b"},
		{"AssessmentEvent", "--url", "http://127.0.0.1:1/", "--auth", "oauth2", "--token-url", "http://127.0.0.1:1/"},
		{"AssessmentEvent", "--url", "http://127.0.0.1:1/", "--auth", "hmac", "--username", "a b", "--secret", "s"},
		{"AssessmentEvent", "extra", "--url", "http://127.0.0.1:1/"},
	} {
		err := runTrigger(t.Context(), args, nil, io.Discard, io.Discard)
		var ue *usageError
		if !errors.As(err, &ue) {
			t.Errorf("%v: err = %v, want a usage error", args, err)
		}
	}
}

// TestTriggerToListen runs both partner tools against each other.
func TestTriggerToListen(t *testing.T) {
	t.Parallel()
	url, out := startListen(t, "--auth", "standard-webhooks", "--secret", triggerTestSecret, "--reply", "303 https://partner.example.com/x")
	var tout bytes.Buffer
	err := runTrigger(t.Context(), []string{"assessmentevent", "--url", url, "--auth", "standard-webhooks", "--secret", triggerTestSecret, "--event-id", "evt_fixed"}, nil, &tout, io.Discard)
	if err != nil {
		t.Fatalf("trigger: %v\n%s", err, tout.String())
	}
	out.waitFor(t, regexp.MustCompile(`event id    evt_fixed \(attempt 1\)`))
	if !strings.Contains(out.String(), "verified    standard-webhooks (1 secrets)") {
		t.Fatalf("listen output:\n%s", out.String())
	}
}
