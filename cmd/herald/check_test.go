package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/receiver"
	"github.com/heraldhq/herald/wire"
)

// checkTestPartner answers every event as the contract asks.
func checkTestPartner(t *testing.T, v receiver.Verifier) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(receiver.NewHandler(receiver.Config{Verifier: v},
		receiver.HandlerFunc(func(_ context.Context, e *receiver.Event) receiver.Reply {
			switch e.Type {
			case wire.EventTypeWorkFlowStatusChange, wire.EventTypeJobUnpostToWeb:
				return receiver.OK()
			}
			return receiver.SeeOther("https://partner.example.com/go/" + e.SystemID)
		})))
	t.Cleanup(srv.Close)
	return srv
}

func TestCheckEveryAuthMode(t *testing.T) {
	t.Parallel()
	tokenServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, _ := r.BasicAuth(); u != "cid" || p != "csecret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{"access_token":"tok-9","token_type":"Bearer","expires_in":3600}`)
	}))
	t.Cleanup(tokenServer.Close)
	for _, a := range []struct {
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
	} {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			partner := checkTestPartner(t, a.verifier)
			args := append([]string{"check", partner.URL + "/events", "--event-type", "AssessmentEvent,JobUnpostToWebEvent", "--format", "json"}, a.args...)
			var stdout, stderr bytes.Buffer
			if err := run(t.Context(), args, nil, &stdout, &stderr); err != nil {
				t.Fatalf("check = %v\n%s\n%s", err, stdout.String(), stderr.String())
			}
			var rep herald.CheckReport
			if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
				t.Fatal(err)
			}
			if !rep.Passed || len(rep.EventTypes) != 2 || rep.Counts.Warn != 0 {
				t.Errorf("report: %+v", rep.Counts)
			}
			if strings.Contains(stdout.String(), "k3y") || strings.Contains(stdout.String(), "csecret") {
				t.Error("the report shows a secret")
			}
		})
	}
}

func TestCheckFailingPartnerExitsOne(t *testing.T) {
	t.Parallel()
	// Signed requests to a partner that checks nothing.
	partner := checkTestPartner(t, receiver.NoAuth())
	for _, format := range []string{"text", "json", "junit"} {
		var stdout, stderr bytes.Buffer
		err := run(t.Context(), []string{"check", "--auth", "hmac", "--username", "herald", "--secret", "k3y",
			"--event-type", "RemoteLoginEvent", "--format", format, partner.URL}, nil, &stdout, &stderr)
		if code := exitCode(err, io.Discard); code != 1 {
			t.Fatalf("%s: exit code %d (%v), want 1", format, code, err)
		}
		out := stdout.String()
		switch format {
		case "text":
			for _, want := range []string{"FAIL  auth-missing", "PASS  event-gzip/RemoteLoginEvent", "sent  POST ", "fix   ", "Herald-Test: true"} {
				if !strings.Contains(out, want) {
					t.Errorf("text report lacks %q:\n%s", want, out)
				}
			}
		case "json":
			if !json.Valid(stdout.Bytes()) || !strings.Contains(out, `"status": "fail"`) {
				t.Errorf("json report:\n%s", out)
			}
		case "junit":
			if !strings.HasPrefix(out, "<?xml") || !strings.Contains(out, `failures="4"`) {
				t.Errorf("junit report:\n%s", out)
			}
		}
	}
}

func TestCheckUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"check"},
		{"check", "ftp://partner.example.com"},
		{"check", "http://127.0.0.1:1", "--format", "yaml"},
		{"check", "http://127.0.0.1:1", "--event-type", "NoSuchEvent"},
		{"check", "http://127.0.0.1:1", "--auth", "hmac"},
		{"check", "http://127.0.0.1:1", "--deadline", "0s"},
		{"check", "http://127.0.0.1:1", "--customer", "a b"},
		{"check", "http://127.0.0.1:1", "extra"},
	} {
		err := run(t.Context(), args, nil, io.Discard, io.Discard)
		if code := exitCode(err, io.Discard); code != 2 {
			t.Errorf("%q: exit code %d (%v), want 2", args, code, err)
		}
	}
}
