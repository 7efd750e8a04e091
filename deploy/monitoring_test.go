package deploy_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"go.yaml.in/yaml/v4"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/metrics"
	"github.com/heraldhq/herald/wire"
)

// exported returns the name of every series Herald's /metrics serves, with
// histograms' and summaries' _bucket, _sum and _count. Every observer
// method is called once, since a labelled metric has no series until then.
func exported(t *testing.T) map[string]bool {
	t.Helper()
	m := metrics.New(metrics.Config{
		QueueStats: queueStats(func(context.Context, time.Time) (*herald.QueueStats, error) {
			return &herald.QueueStats{}, nil
		}),
		OpenCircuitsFunc: func() int { return 0 },
	})
	m.Outcome(wire.EventTypeAssessment, "delivered", herald.DeliveryStateDelivered)
	m.Attempt(t.Context(), "ep_1", wire.EventTypeAssessment, 200, time.Millisecond)
	m.InFlight(0)
	m.ClaimBatch(1)
	m.RecordBatch(1)
	m.Circuit("ep_1", "closed", "open")
	m.Published(&herald.Event{Type: wire.EventTypeAssessment}, nil)
	m.Published(&herald.Event{Type: wire.EventTypeAssessment}, errors.New("down"))
	m.Poll(t.Context())
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range families {
		n := f.GetName()
		switch f.GetType() {
		case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
			names[n+"_bucket"], names[n+"_sum"], names[n+"_count"] = true, true, true
		case dto.MetricType_SUMMARY:
			names[n], names[n+"_sum"], names[n+"_count"] = true, true, true
		default:
			names[n] = true
		}
	}
	return names
}

type queueStats func(ctx context.Context, now time.Time) (*herald.QueueStats, error)

func (f queueStats) DeliveryQueueStats(ctx context.Context, now time.Time) (*herald.QueueStats, error) {
	return f(ctx, now)
}

var (
	quoted     = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`)
	identifier = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
)

// ourPrefixes are the metric name prefixes of Herald's registry: its own,
// and the Go runtime and process collectors'.
var ourPrefixes = []string{"herald_", "go_", "process_"}

// checkExpr fails t if expr names a metric of ours that Herald does not
// export, or names none at all. Label values (quoted) are skipped;
// function and label names never start with our prefixes.
func checkExpr(t *testing.T, where, expr string, names map[string]bool) {
	t.Helper()
	found := 0
	for _, id := range identifier.FindAllString(quoted.ReplaceAllString(expr, `""`), -1) {
		if !slices.ContainsFunc(ourPrefixes, func(p string) bool { return strings.HasPrefix(id, p) }) {
			continue
		}
		found++
		if !names[id] {
			t.Errorf("%s: %q names %s, which Herald does not export", where, expr, id)
		}
	}
	if found == 0 {
		t.Errorf("%s: %q names no Herald metric", where, expr)
	}
}

// dashboardPanel is what the test reads of a Grafana panel.
type dashboardPanel struct {
	Title   string                  `json:"title"`
	Type    string                  `json:"type"`
	Targets []struct{ Expr string } `json:"targets"`
	Panels  []dashboardPanel        `json:"panels"`
}

func TestDashboardQueriesNameExportedMetrics(t *testing.T) {
	t.Parallel()
	names := exported(t)
	b, err := os.ReadFile("grafana/herald.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title  string           `json:"title"`
		Panels []dashboardPanel `json:"panels"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("grafana/herald.json: %v", err)
	}
	var exprs []string
	var walk func([]dashboardPanel)
	walk = func(ps []dashboardPanel) {
		for _, p := range ps {
			if p.Type != "row" && len(p.Targets) == 0 {
				t.Errorf("panel %q has no query", p.Title)
			}
			for _, tg := range p.Targets {
				checkExpr(t, "panel "+p.Title, tg.Expr, names)
				exprs = append(exprs, tg.Expr)
			}
			walk(p.Panels)
		}
	}
	walk(dash.Panels)
	// What the dashboard is for (issue 17): each of these is on it.
	all := strings.Join(exprs, "\n")
	for _, want := range []string{
		"herald_deliveries_total", "herald_endpoint_attempt_duration_seconds_bucket", "herald_queue_due",
		"herald_queue_oldest_due_age_seconds", "herald_circuits_open", "herald_endpoints_disabled",
		"herald_publish_errors_total", "herald_last_claim_timestamp_seconds",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("the dashboard has no panel on %s", want)
		}
	}
}

// rules is what the test reads of a Prometheus rule file.
type rules struct {
	Groups []struct {
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func TestAlertsNameExportedMetricsAndHaveRunbooks(t *testing.T) {
	t.Parallel()
	names := exported(t)
	b, err := os.ReadFile("prometheus/alerts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var rs rules
	if err := yaml.Unmarshal(b, &rs); err != nil {
		t.Fatalf("prometheus/alerts.yaml: %v", err)
	}
	var alerts []string
	for _, g := range rs.Groups {
		for _, r := range g.Rules {
			alerts = append(alerts, r.Alert)
			checkExpr(t, "alert "+r.Alert, r.Expr, names)
			if r.Annotations["runbook"] == "" || r.Annotations["summary"] == "" {
				t.Errorf("alert %s lacks a summary or runbook annotation", r.Alert)
			}
		}
	}
	for _, want := range []string{"HeraldDeliveriesDead", "HeraldOldestDueDeliveryOld", "HeraldCircuitsOpenLong",
		"HeraldEndpointsDisabled", "HeraldPublishErrors", "HeraldNoNodeClaiming"} {
		if !slices.Contains(alerts, want) {
			t.Errorf("alerts.yaml has no %s", want)
		}
	}
	// The README explains every alert (section "Operating").
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range alerts {
		if !strings.Contains(string(readme), a) {
			t.Errorf("README.md does not explain %s", a)
		}
	}
}

// TestPromtool checks the rules and runs their unit tests with promtool
// (Debian's prometheus package; .ci/run installs it). Skipped where
// promtool is missing, except in CI.
func TestPromtool(t *testing.T) {
	t.Parallel()
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool is missing; CI must install it (.ci/run: apt-get install prometheus)")
		}
		t.Skip("promtool not installed (apt-get install prometheus)")
	}
	for _, args := range [][]string{
		{"check", "rules", "alerts.yaml"},
		{"test", "rules", "alerts_test.yaml"},
	} {
		cmd := exec.CommandContext(t.Context(), promtool, args...)
		cmd.Dir = "prometheus"
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
