package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// progress is the JSON of the replay progress route.
type progress struct {
	State    string   `json:"state"`
	Finished bool     `json:"finished"`
	Total    int      `json:"total"`
	Done     int      `json:"done"`
	Replayed int      `json:"replayed"`
	Skipped  int      `json:"skipped"`
	Errors   []string `json:"errors"`
}

// waitReplay polls the job's progress route, as the job page does, until
// the replay runner finishes the job. The runner works in the background
// and signals nothing a test could wait on, so polling is the way here.
func waitReplay(t *testing.T, b *browser, jobPath string) progress {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		code, body := b.get(jobPath + "/progress")
		if code != http.StatusOK {
			t.Fatalf("progress: %d %s", code, body)
		}
		var p progress
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			t.Fatalf("progress %q: %v", body, err)
		}
		if p.Finished {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("replay job not finished: %+v", p)
		}
		<-tick.C
	}
}

func TestReplay(t *testing.T) {
	t.Parallel()
	n := newTestNode(t)
	n.seedCustomers(t)
	partner := newPartner(t)
	ctx := t.Context()
	mine := &herald.Endpoint{CustomerID: "6269", URL: partner.URL + "/hook", EventTypes: []wire.EventType{wire.EventTypeAssessment},
		Auth: herald.Auth{Type: herald.AuthTypeNone}, Enabled: true}
	other := &herald.Endpoint{CustomerID: "2187", URL: partner.URL + "/hook", EventTypes: []wire.EventType{wire.EventTypeAssessment},
		Auth: herald.Auth{Type: herald.AuthTypeNone}, Enabled: true}
	for _, e := range []*herald.Endpoint{mine, other} {
		if err := n.store.EndpointCreate(ctx, e); err != nil {
			t.Fatal(err)
		}
	}

	b := n.browser(t)
	b.signIn("admin-6269", "correct-horse-battery")
	b.get("/ui/customers/6269")
	for range 2 {
		if code, _, body := b.post("/ui/customers/6269/test-events", url.Values{"eventType": {"AssessmentEvent"}}); code != http.StatusOK {
			t.Fatalf("test event: %d %s", code, body)
		}
	}

	// The explorer offers to replay everything its filter matches.
	code, body := b.get("/ui/customers/6269/deliveries?state=delivered&endpoint=" + mine.ID)
	if code != http.StatusOK || !strings.Contains(body, "Replay 2 deliveries") || !strings.Contains(body, "2 delivered") {
		t.Fatalf("explorer: %d, no replay offer for 2\n%s", code, body)
	}
	if _, body := b.get("/ui/customers/6269/deliveries?state=dead"); strings.Contains(body, "replay-submit") {
		t.Error("explorer offers to replay nothing")
	}
	// The form asks first, saying how many go out again; nothing starts.
	code, _, body = b.post("/ui/customers/6269/replays", url.Values{"state": {"delivered"}, "endpoint": {mine.ID}, "type": {"AssessmentEvent"}})
	if code != http.StatusOK || !strings.Contains(body, "This sends 2 deliveries again") || !strings.Contains(body, `name="confirm" value="yes"`) {
		t.Fatalf("replay confirmation: %d\n%s", code, body)
	}
	if jobs, _ := n.store.ReplayJobList(t.Context(), "6269", 0); len(jobs) != 0 {
		t.Fatalf("%d replay jobs before the confirmation", len(jobs))
	}
	code, h, body := b.post("/ui/customers/6269/replays", url.Values{"state": {"delivered"}, "endpoint": {mine.ID}, "type": {"AssessmentEvent"}, "confirm": {"yes"}})
	jobPath := h.Get("Location")
	if code != http.StatusSeeOther || !strings.HasPrefix(jobPath, "/ui/customers/6269/replays/rpl_") {
		t.Fatalf("create replay: %d to %q\n%s", code, jobPath, body)
	}
	p := waitReplay(t, b, jobPath)
	if p.State != "completed" || p.Total != 2 || p.Done != 2 || p.Replayed != 2 || p.Skipped != 0 || len(p.Errors) != 0 {
		t.Fatalf("finished job %+v", p)
	}
	code, body = b.get(jobPath)
	for _, want := range []string{"completed", `data-field="done">2<`, `data-field="total">2<`, wire.EventTypeAssessment.PageName() + " events, state delivered, to " + mine.URL} {
		if !strings.Contains(body, want) {
			t.Errorf("job page lacks %q", want)
		}
	}
	if code != http.StatusOK || strings.Contains(body, "data-progress-url") || strings.Contains(body, "http-equiv") {
		t.Errorf("finished job page: %d, still refreshing", code)
	}
	jobID := jobPath[strings.LastIndex(jobPath, "/")+1:]
	if _, body := b.get("/ui/customers/6269/replays"); !strings.Contains(body, jobID) || !strings.Contains(body, "2 of 2") {
		t.Errorf("replay list lacks the job")
	}
	// The dispatcher sent both again: each delivery has a second attempt.
	res, err := n.store.DeliveryList(ctx, &herald.DeliveryListParams{CustomerID: "6269"})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range res.Deliveries {
		waitAttempts(t, n, d.ID, 2)
	}

	// A bad filter is refused.
	if code, _, _ := b.post("/ui/customers/6269/replays", url.Values{"state": {"bogus"}}); code != http.StatusBadRequest {
		t.Errorf("bad filter: %d, want 400", code)
	}

	// Another customer's administrator sees neither the job nor the
	// endpoint.
	o := n.browser(t)
	o.signIn("admin-2187", "correct-horse-battery")
	o.get("/ui/customers/2187")
	for _, path := range []string{jobPath, jobPath + "/progress", "/ui/customers/2187/replays/" + jobID,
		"/ui/customers/2187/replays/" + jobID + "/progress", "/ui/customers/6269/replays"} {
		if code, body := o.get(path); code != http.StatusNotFound || strings.Contains(body, mine.ID) {
			t.Errorf("GET %s: %d, want 404", path, code)
		}
	}
	if _, body := o.get("/ui/customers/2187/replays"); strings.Contains(body, jobID) || !strings.Contains(body, "No replays yet") {
		t.Error("another customer's replay list shows the job")
	}
	for _, path := range []string{"/ui/customers/6269/replays", "/ui/customers/2187/replays"} {
		if code, _, _ := o.post(path, url.Values{"endpoint": {mine.ID}}); code != http.StatusNotFound {
			t.Errorf("POST %s for another customer's endpoint: %d, want 404", path, code)
		}
	}
}

// waitAttempts waits until delivery id has at least n attempts recorded.
func waitAttempts(t *testing.T, n *testNode, id string, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, err := n.store.DeliveryGet(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if d.Attempts >= want && d.State != herald.DeliveryStatePending {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery %s: %d attempts (%s), want %d", id, d.Attempts, d.State, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestNotificationsHealth(t *testing.T) {
	t.Parallel()
	n := newTestNode(t)
	n.seedCustomers(t)
	partner := newPartner(t)
	ctx := t.Context()
	ok := &herald.Endpoint{CustomerID: "6269", URL: partner.URL + "/hook", EventTypes: []wire.EventType{wire.EventTypeAssessment},
		Auth: herald.Auth{Type: herald.AuthTypeNone}, Enabled: true}
	// One retryable failure opens this endpoint's circuit.
	failing := &herald.Endpoint{CustomerID: "6269", URL: partner.URL + "/fail", EventTypes: []wire.EventType{wire.EventTypeAssessment},
		Auth: herald.Auth{Type: herald.AuthTypeNone}, Enabled: true, CircuitThreshold: 1, CircuitCooldown: time.Hour}
	off := &herald.Endpoint{CustomerID: "6269", URL: partner.URL + "/gone", EventTypes: []wire.EventType{wire.EventTypeAssessment},
		Auth: herald.Auth{Type: herald.AuthTypeNone}, Enabled: false, DisabledReason: "the partner answered 410 Gone"}
	for _, e := range []*herald.Endpoint{ok, failing, off} {
		if err := n.store.EndpointCreate(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	b := n.browser(t)
	b.signIn("admin-6269", "correct-horse-battery")
	b.get("/ui/customers/6269")
	if code, _, body := b.post("/ui/customers/6269/test-events", url.Values{"eventType": {"AssessmentEvent"}}); code != http.StatusOK {
		t.Fatalf("test event: %d %s", code, body)
	}
	code, body := b.get("/ui/customers/6269")
	if code != http.StatusOK {
		t.Fatalf("notifications: %d", code)
	}
	rows := strings.Split(body, "<tr>")
	row := func(e *herald.Endpoint) string {
		for _, r := range rows {
			if strings.Contains(r, `aria-label="Open endpoint `+e.URL+`"`) {
				return r
			}
		}
		t.Fatalf("no row for %s", e.URL)
		return ""
	}
	for _, c := range []struct {
		name string
		e    *herald.Endpoint
		want []string
	}{
		{"healthy", ok, []string{">Closed<", "<strong>100%</strong>", "of 1 attempts", "median", `<span class="ok-text">Delivered</span>`, "lowest 100%, latest 100%"}},
		{"failing", failing, []string{">Open<", "<strong>0%</strong>", "1 failed", "503 Service Unavailable", "Failing for", "lowest 0%, latest 0%"}},
		{"disabled", off, []string{">Disabled<", "the partner answered 410 Gone", "no attempt yet", "No attempts in the last 24h"}},
	} {
		r := row(c.e)
		for _, w := range c.want {
			if !strings.Contains(r, w) {
				t.Errorf("%s row lacks %q:\n%s", c.name, w, r)
			}
		}
	}
}
