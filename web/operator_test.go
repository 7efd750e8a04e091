package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// publishPending publishes n Assessment events for the customer, to an
// endpoint that answers 500: their deliveries stay pending (retried).
func (n *testNode) publishPending(t testing.TB, customerID, partnerURL string, count int) {
	t.Helper()
	ctx := t.Context()
	e := &herald.Endpoint{CustomerID: customerID, URL: partnerURL + "/fail", EventTypes: []wire.EventType{wire.EventTypeAssessment},
		Auth: herald.Auth{Type: herald.AuthTypeNone}, Enabled: true}
	if err := n.store.EndpointCreate(ctx, e); err != nil {
		t.Fatal(err)
	}
	for range count {
		body, _, err := wire.BuildEvent("https://api.example.com", customerID, &wire.EventParams{EventType: wire.EventTypeAssessment,
			SystemID: "13437", UserID: "9059", PersonID: "9166", JobID: "4442", ReturnURL: "https://careers.example.com/jobs/1"})
		if err != nil {
			t.Fatal(err)
		}
		ev := &herald.Event{ID: herald.NewID(herald.IDPrefixEvent, time.Now()), CustomerID: customerID, Type: wire.EventTypeAssessment,
			Body: body, BodyGzip: wire.Gzip(body), CreatedAt: time.Now().UTC()}
		res, err := n.store.EventPublish(ctx, []*herald.Event{ev})
		if err != nil || res[0].Err != nil {
			t.Fatalf("publish: %v %v", err, res[0].Err)
		}
	}
}

// TestOperatorQueueDepthChart checks the overview's queue depth chart:
// the samples of the last 24 hours, the five customers with the highest
// peaks by name and the rest as "others", with the numbers in its table.
func TestOperatorQueueDepthChart(t *testing.T) {
	t.Parallel()
	n := newTestNode(t)
	partner := newPartner(t)
	ctx := t.Context()
	b := n.browser(t)
	b.signInOperator()

	_, body := b.get("/ui/operator")
	if !strings.Contains(body, `id="queue-depth"`) || !strings.Contains(body, "No deliveries were pending") {
		t.Fatalf("overview without samples has no empty queue depth chart:\n%s", body)
	}

	// Seven customers; customer i has i+1 pending deliveries.
	for i := range 7 {
		id := fmt.Sprintf("70%02d", i)
		if err := n.store.CustomerCreate(ctx, &herald.Customer{ID: id, Name: fmt.Sprintf("Customer <%d>", i)}); err != nil {
			t.Fatal(err)
		}
		n.publishPending(t, id, partner.URL, i+1)
	}
	now := time.Now().UTC()
	for _, at := range []time.Time{now.Add(-25 * time.Hour), now.Add(-3 * time.Hour), now.Add(-time.Hour)} {
		if _, err := n.store.QueueDepthSample(ctx, at); err != nil {
			t.Fatal(err)
		}
	}

	_, body = b.get("/ui/operator")
	fig := body[strings.Index(body, `<figure class="chart" id="queue-depth">`):]
	fig = fig[:strings.Index(fig, "</figure>")]
	for _, want := range []string{
		"Customer &lt;6&gt; (7006)", "Customer &lt;2&gt; (7002)", // the top five, by name, escaped
		"2 other customers",       // 7000 and 7001
		"7 customers had some",    // the sentence of the text alternative
		"The highest stack is 28", // 1+2+...+7
		`<rect class="q0"`, `<rect class="qothers"`,
		"<td>7</td>", "<td>3</td>", // 7006's peak; the others' 1+2
	} {
		if !strings.Contains(fig, want) {
			t.Errorf("queue depth chart lacks %q:\n%s", want, fig)
		}
	}
	if strings.Contains(fig, "(7000)") || strings.Contains(fig, "<script") {
		t.Errorf("queue depth chart names a customer outside the top five, or is not escaped:\n%s", fig)
	}
	// The sample of 25 hours ago is outside the chart: two bars per layer.
	if got := strings.Count(fig, `<rect class="q0"`); got != 2 {
		t.Errorf("%d bars for the top customer, want 2 (the samples of the last 24 hours)", got)
	}

	// A customer administrator has no overview.
	n.seedCustomers(t)
	a := n.browser(t)
	a.signIn("admin-6269", "correct-horse-battery")
	if code, _ := a.get("/ui/operator"); code != 403 && code != 404 {
		t.Errorf("an administrator's overview: %d, want 403 or 404", code)
	}
}
