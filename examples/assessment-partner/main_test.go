package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
	"github.com/heraldhq/herald/dispatch"
	"github.com/heraldhq/herald/platform"
	"github.com/heraldhq/herald/sqlite"
	"github.com/heraldhq/herald/wire"
)

const (
	testAdminToken = "partner-e2e-admin-token-0123456789"
	testCustomer   = "6269"
	testHMACSecret = "assessment-shared-secret"
)

// heraldNode is a real Herald, wired as cmd/herald/server.go wires one
// (cmd/herald is package main, so it cannot be imported): SQLite store,
// dispatcher, publisher, management API and platform API on one loopback
// listener, with the demo customer loaded.
type heraldNode struct {
	URL  string
	Demo *platform.DemoResult
}

func startHerald(t *testing.T) *heraldNode {
	t.Helper()
	ctx := t.Context()
	logger := testLogger(t)
	store, err := sqlite.Open(ctx, &sqlite.Config{Path: filepath.Join(t.TempDir(), "herald.db"), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		store.Close()
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()

	// Herald refuses internal destinations unless told: the partner
	// listens on loopback, as with `serve --allow-destinations 127.0.0.0/8`.
	client := dispatch.NewHTTPClient(dispatch.ClientConfig{
		Policy:  dispatch.DestinationPolicy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}},
		Timeout: 10 * time.Second,
	})
	disp, err := dispatch.New(dispatch.Config{
		Store: store, RetryPolicies: store, Logger: logger, Client: client, NodeID: "partner-e2e",
		RequestTimeout: 10 * time.Second, LeaseDuration: time.Minute, ShutdownTimeout: 5 * time.Second,
		PollInterval: 50 * time.Millisecond, ReleaseOrphansOnStart: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	pub := dispatch.NewPublisher(dispatch.PublisherConfig{Store: store, WakeFunc: disp.Wake, Writers: 1})
	apiServer, err := api.NewServer(api.Config{
		Store: store, Publisher: pub, AdminToken: herald.Secret(testAdminToken), PublicURL: base,
		Logger: logger, WakeFunc: disp.Wake, Deliverer: disp, InteractiveDeadline: 15 * time.Second,
		Health: store, Replays: store, Retention: store, RetryPolicies: store,
	})
	if err != nil {
		t.Fatal(err)
	}
	platformServer, err := platform.NewServer(platform.Config{
		Store: store, AdminToken: herald.Secret(testAdminToken), PublicURL: base,
		Deliverer: disp, WakeFunc: disp.Wake, Logger: logger, InteractiveDeadline: 15 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", apiServer)
	platformServer.Register(mux)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}

	runCtx, cancel := context.WithCancel(context.Background())
	dispDone := make(chan error, 1)
	go func() { dispDone <- disp.Run(runCtx) }()
	serveDone := make(chan error, 1)
	go func() { serveDone <- srv.Serve(ln) }()
	t.Cleanup(func() {
		// The order of cmd/herald's shutdown: requests, publisher,
		// dispatcher, store.
		shutdownCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		if err := srv.Shutdown(shutdownCtx); err != nil {
			t.Errorf("herald http shutdown: %v", err)
		}
		if err := <-serveDone; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("herald serve: %v", err)
		}
		pub.Close()
		cancel()
		if err := <-dispDone; err != nil {
			t.Errorf("dispatcher: %v", err)
		}
		client.CloseIdleConnections()
		if err := store.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})

	demo, err := platform.LoadDemo(ctx, store, testCustomer, base)
	if err != nil {
		t.Fatal(err)
	}
	return &heraldNode{URL: base, Demo: demo}
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// testClient never follows redirects: each 303 is checked, not followed.
// Its timeout, with Herald's interactive deadline and the partner's own
// client timeout, bounds every step of the tests.
var testClient = &http.Client{
	Timeout:       20 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// call sends a JSON (or form) request and decodes a JSON reply into out.
func call(t *testing.T, method, u, token, contentType string, body []byte, wantStatus int, out any) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != wantStatus {
		t.Fatalf("%s %s: status %d, want %d; body %s", method, u, resp.StatusCode, wantStatus, data)
	}
	switch out := out.(type) {
	case nil:
	case *string:
		*out = string(data)
	default:
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v; body %s", method, u, err, data)
		}
	}
	return resp
}

func callJSON(t *testing.T, method, u string, in any, wantStatus int, out any) *http.Response {
	t.Helper()
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			t.Fatal(err)
		}
	}
	return call(t, method, u, testAdminToken, "application/json", body, wantStatus, out)
}

// startPartner runs the example partner on loopback, configured as its
// README says, with credentials Herald issued.
func startPartner(t *testing.T, h *heraldNode, credentials string) string {
	t.Helper()
	var partner struct{ ClientID, ClientSecret string }
	callJSON(t, "POST", h.URL+"/api/v1/customers/"+testCustomer+"/partners",
		map[string]string{"name": "Acme Assessments"}, http.StatusCreated, &partner)
	if partner.ClientID == "" || partner.ClientSecret == "" {
		t.Fatalf("partner credentials: %+v", partner)
	}
	srv := httptest.NewUnstartedServer(nil)
	publicURL := "http://" + srv.Listener.Addr().String()
	handler, err := newServer(&config{
		PublicURL: publicURL, HeraldURL: h.URL,
		Auth: authHMAC, AuthUsername: "herald", AuthSecret: testHMACSecret,
		Credentials: credentials, ClientID: partner.ClientID, ClientSecret: partner.ClientSecret,
		Logger: testLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = handler
	srv.Start()
	t.Cleanup(srv.Close)
	return publicURL
}

type actionResponse struct {
	ID          string `json:"id"`
	EventID     string `json:"eventId"`
	RedirectURL string `json:"redirectUrl"`
	Message     string `json:"message"`
	Deliveries  []struct {
		State      string `json:"state"`
		StatusCode int    `json:"statusCode"`
		Location   string `json:"location"`
	} `json:"deliveries"`
}

type workflowResource struct {
	ID                string `json:"id"`
	AssessmentResults []struct {
		ID               string    `json:"id"`
		AssessmentName   listValue `json:"assessmentname"`
		AssessmentScore  float64   `json:"assessmentscore"`
		AssessmentResult string    `json:"assessmentresult"`
		AssessmentStatus listValue `json:"assessmentstatus"`
		AssessmentDate   string    `json:"assessmentdate"`
		AssessmentURL    string    `json:"assessmenturl"`
	} `json:"assessmentresults"`
}

// TestEndToEnd runs the whole Application Complete flow against a real
// Herald: the candidate applies, Herald delivers the AssessmentEvent while
// the candidate waits and hands back the partner's 303; the candidate takes
// the assessment the partner prepared from the linked person and job, and
// finishes; the result lands on the workflow in Herald and the candidate
// goes back to the career site.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	for _, credentials := range []string{credentialsOAuth2, credentialsBasic} {
		t.Run(credentials, func(t *testing.T) {
			t.Parallel()
			h := startHerald(t)
			partnerURL := startPartner(t, h, credentials)

			// The customer points an endpoint at the partner, with HMAC.
			var ep api.Endpoint
			callJSON(t, "POST", h.URL+"/api/v1/customers/"+testCustomer+"/endpoints", &api.EndpointCreateRequest{
				URL:        partnerURL + eventsPath,
				EventTypes: []wire.EventType{wire.EventTypeAssessment},
				Auth:       &api.AuthRequest{Type: herald.AuthTypeHMAC, Username: "herald", Secret: testHMACSecret},
			}, http.StatusCreated, &ep)

			// The candidate completes an application.
			var act actionResponse
			callJSON(t, "POST", h.URL+"/customers/"+testCustomer+"/applicantworkflows",
				map[string]string{"personid": h.Demo.Candidate.ID, "jobid": h.Demo.Posted.ID}, http.StatusCreated, &act)
			if len(act.Deliveries) != 1 {
				t.Fatalf("deliveries = %+v, want 1", act.Deliveries)
			}
			d := act.Deliveries[0]
			if d.State != string(herald.DeliveryStateDelivered) || d.StatusCode != http.StatusSeeOther ||
				!strings.HasPrefix(d.Location, partnerURL+"/assessments/") || act.RedirectURL != d.Location {
				t.Fatalf("interactive delivery: %+v, redirectUrl %q, message %q; want a 303 to the partner's page",
					d, act.RedirectURL, act.Message)
			}
			assessmentURL := act.RedirectURL

			// The event as Herald recorded it: its returnUrl is where the
			// candidate must land at the end.
			var ev api.Event
			callJSON(t, "GET", h.URL+"/api/v1/events/"+act.EventID, nil, http.StatusOK, &ev)
			var body wire.Body
			if err := json.Unmarshal(ev.Body, &body); err != nil {
				t.Fatal(err)
			}
			if body.ReturnURL == "" || body.SystemID != act.ID {
				t.Fatalf("event body %s", ev.Body)
			}
			// The returnUrl names the candidate's page, so it is signed
			// for this workflow; the partner must send it back unchanged.
			if ru, err := url.Parse(body.ReturnURL); err != nil || !herald.ValidPortalLinkToken(
				herald.PortalLinkKey(herald.Secret(testAdminToken), herald.PortalLinkAssessment),
				ru.Query().Get(herald.PortalLinkParam), testCustomer, act.ID) {
				t.Fatalf("returnUrl %q is not signed for workflow %s", body.ReturnURL, act.ID)
			}

			// Herald retries after a lost reply: the same event, the same
			// assessment (the receiver's dedup), not a second one.
			resend(t, partnerURL+eventsPath, &ev, assessmentURL)

			// The candidate's browser follows the 303. The page was built
			// from the person and job the partner fetched through the links.
			var page string
			call(t, "GET", assessmentURL, "", "", nil, http.StatusOK, &page)
			for _, want := range []string{
				h.Demo.Candidate.FirstName + " " + h.Demo.Candidate.LastName,
				h.Demo.Posted.JobTitle, h.Demo.Posted.AssessmentType,
				`action="/assessments/`, "Finish",
			} {
				if !strings.Contains(page, want) {
					t.Fatalf("assessment page lacks %q:\n%s", want, page)
				}
			}

			// The candidate answers three of four right and finishes.
			answers := url.Values{"q1": {"0"}, "q2": {"0"}, "q3": {"0"}, "q4": {"2"}}
			resp := call(t, "POST", assessmentURL+"/finish", "", "application/x-www-form-urlencoded",
				[]byte(answers.Encode()), http.StatusSeeOther, nil)
			if got := resp.Header.Get("Location"); got != body.ReturnURL {
				t.Fatalf("after finishing: Location %q, want returnUrl %q", got, body.ReturnURL)
			}

			// The result is on the workflow in Herald.
			var wf workflowResource
			callJSON(t, "GET", h.URL+"/customers/"+testCustomer+"/applicantworkflows/"+act.ID, nil, http.StatusOK, &wf)
			if len(wf.AssessmentResults) != 1 {
				t.Fatalf("assessment results = %+v, want 1", wf.AssessmentResults)
			}
			r := wf.AssessmentResults[0]
			if r.AssessmentName.Value != h.Demo.Posted.AssessmentType || r.AssessmentScore != 75 || r.AssessmentResult != "Pass" ||
				r.AssessmentStatus.Value != "Complete" || r.AssessmentURL != assessmentURL || r.AssessmentDate == "" {
				t.Fatalf("assessment result = %+v", r)
			}
			if _, err := time.Parse("2006-01-02 03:04 PM", r.AssessmentDate); err != nil {
				t.Fatalf("assessmentdate %q: %v", r.AssessmentDate, err)
			}

			// Finishing twice (a double click, the back button) posts nothing
			// more and still goes back to the career site.
			resp = call(t, "POST", assessmentURL+"/finish", "", "application/x-www-form-urlencoded",
				[]byte(answers.Encode()), http.StatusSeeOther, nil)
			if got := resp.Header.Get("Location"); got != body.ReturnURL {
				t.Fatalf("second finish: Location %q", got)
			}
			resp = call(t, "GET", assessmentURL, "", "", nil, http.StatusSeeOther, nil)
			if got := resp.Header.Get("Location"); got != body.ReturnURL {
				t.Fatalf("page after finishing: Location %q", got)
			}
			callJSON(t, "GET", h.URL+"/customers/"+testCustomer+"/applicantworkflows/"+act.ID, nil, http.StatusOK, &wf)
			if len(wf.AssessmentResults) != 1 {
				t.Fatalf("after a second finish: %d results, want 1", len(wf.AssessmentResults))
			}
		})
	}
}

// resend sends Herald's recorded event to the partner again, as a retry
// would (same Herald-Event-Id, next attempt), and checks that the reply
// sends the candidate to the same assessment.
func resend(t *testing.T, eventsURL string, ev *api.Event, wantLocation string) {
	t.Helper()
	req, err := wire.NewRequest(t.Context(), &wire.Request{
		URL: eventsURL, EventID: ev.ID, Attempt: 2, Body: wire.Gzip(ev.Body), Gzip: true, LinkHeader: ev.LinkHeader,
		Signer: wire.HMACAuth{Username: "herald", Secret: []byte(testHMACSecret)},
	}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := testClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != wantLocation {
		t.Fatalf("redelivery: %d %q, want 303 %q", resp.StatusCode, resp.Header.Get("Location"), wantLocation)
	}
}
