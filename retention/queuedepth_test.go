package retention_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/dbtest"
	"github.com/heraldhq/herald/internal/testfactory"
	"github.com/heraldhq/herald/retention"
	"github.com/heraldhq/herald/sqlite"
)

// TestPurgerPurgesQueueDepthSamples runs a purge on a real store: the
// operator's queue depth samples older than herald.QueueDepthRetention go,
// the recent ones stay, and the log says how many went.
func TestPurgerPurgesQueueDepthSamples(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, &sqlite.Config{Path: dbtest.NewSQLitePath(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	e := testfactory.Endpoint(ctx, t, st, nil)
	testfactory.Event(ctx, t, st, &testfactory.EventOpts{CustomerID: e.CustomerID, CreatedAt: now})
	for _, at := range []time.Time{now.Add(-9 * 24 * time.Hour), now.Add(-7 * 24 * time.Hour), now.Add(-time.Hour)} {
		if n, err := st.QueueDepthSample(ctx, at); err != nil || n != 1 {
			t.Fatalf("sample at %v: %d %v", at, n, err)
		}
	}
	var logs bytes.Buffer
	p, err := retention.New(retention.Config{Store: st, DefaultRetention: 30 * 24 * time.Hour,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)), NowFunc: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.PurgeOnce(ctx)
	if err != nil || res.QueueDepthSamples != 1 {
		t.Fatalf("purge: %+v %v; want one sample purged", res, err)
	}
	if !strings.Contains(logs.String(), "queue_depth_samples=1") {
		t.Errorf("log does not say how many samples went:\n%s", logs.String())
	}
	got, err := st.QueueDepthList(ctx, &herald.QueueDepthParams{Since: now.Add(-10 * 24 * time.Hour), Until: now, Bucket: 24 * time.Hour})
	if err != nil || len(got) != 2 {
		t.Fatalf("samples left: %+v %v; want the two of the last 8 days", got, err)
	}
}
