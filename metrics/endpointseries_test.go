package metrics_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/heraldhq/herald/metrics"
	"github.com/heraldhq/herald/wire"
)

// endpointCounts reads herald_endpoint_attempt_duration_seconds' count per
// endpoint_id from the registry.
func endpointCounts(t *testing.T, m *metrics.Metrics) map[string]uint64 {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint64{}
	for _, mf := range mfs {
		if mf.GetName() != "herald_endpoint_attempt_duration_seconds" {
			continue
		}
		for _, mt := range mf.GetMetric() {
			out[mt.GetLabel()[0].GetValue()] = mt.GetHistogram().GetSampleCount()
		}
	}
	return out
}

// TestEndpointSeriesAreBounded: past the limit, attempts of endpoints
// without a series are observed under the overflow series, not lost; a
// series with no attempt for ten minutes goes, and its room serves a new
// endpoint.
func TestEndpointSeriesAreBounded(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	m := metrics.New(metrics.Config{MaxEndpointSeries: 3, NowFunc: func() time.Time { return now }})
	attempt := func(ids ...string) {
		for _, id := range ids {
			m.Attempt(t.Context(), id, wire.EventTypeAssessment, 200, 20*time.Millisecond)
		}
	}
	attempt("ep_1", "ep_2", "ep_3", "ep_4", "ep_5", "ep_1", "ep_5")
	want := map[string]uint64{"ep_1": 2, "ep_2": 1, "ep_3": 1, metrics.OverflowEndpoint: 3}
	if got := endpointCounts(t, m); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("at the limit: series %v, want %v", got, want)
	}

	// ep_1 keeps going; the others fall idle for ten minutes.
	for range 10 {
		now = now.Add(time.Minute)
		attempt("ep_1")
	}
	attempt("ep_5", "ep_6")
	got := endpointCounts(t, m)
	ids := make([]string, 0, len(got))
	for id := range got {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"ep_1", "ep_5", "ep_6"}) || got["ep_1"] != 12 || got["ep_5"] != 1 {
		t.Fatalf("after ten idle minutes: series %v, want ep_1 (12), ep_5 (1) and ep_6 (1) only", got)
	}
}
