package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
	"github.com/heraldhq/herald/wire"
)

// undoEventSearch takes a database back to the search indexes it had
// before migration 020 (but for schema_migrations).
var undoEventSearch = []string{
	`DROP TRIGGER event_search_insert`, `DROP TRIGGER event_search_delete`, `DROP TABLE event_search`,
	`CREATE INDEX events_system_id ON events (customer_id, system_id) WHERE system_id <> ''`,
	`CREATE INDEX events_person_id ON events (customer_id, person_id) WHERE person_id <> ''`,
}

// publishKeyed publishes n Assessment events to e's customer, the ith with
// systemId prefix+i and userId (its person) "person-"+(i%7), in batches
// of 100.
func publishKeyed(ctx context.Context, t *testing.T, s *Store, e *herald.Endpoint, prefix string, n int) {
	t.Helper()
	var evs []*herald.Event
	flush := func() {
		if len(evs) == 0 {
			return
		}
		if _, err := s.EventPublish(ctx, evs); err != nil {
			t.Fatal(err)
		}
		evs = nil
	}
	for i := range n {
		evs = append(evs, testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: e.CustomerID, Type: wire.EventTypeAssessment,
			Body: fmt.Appendf(nil, `{"customerId":%q,"eventType":"AssessmentEvent","systemId":"%s%d","userId":"person-%d"}`,
				e.CustomerID, prefix, i, i%7)}))
		if len(evs) == 100 {
			flush()
		}
	}
	flush()
}

// searchCount returns how many deliveries of e's customer DeliveryList
// finds by the key.
func searchCount(ctx context.Context, t *testing.T, s *Store, e *herald.Endpoint, p herald.DeliveryListParams) int {
	t.Helper()
	p.CustomerID, p.Limit = e.CustomerID, herald.MaxPageLimit
	res, err := s.DeliveryList(ctx, &p)
	if err != nil {
		t.Fatal(err)
	}
	return len(res.Deliveries)
}

// tokenRows returns how many rows of event_search hold the systemId token
// of customerID and key.
func tokenRows(ctx context.Context, t *testing.T, s *Store, customerID, key string) int {
	t.Helper()
	var n int
	if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM event_search
		WHERE event_search MATCH '"s' || hex(?1) || 'x' || hex(?2) || '"'`, customerID, key).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestEventSearchMigrationIndexesEarlierEvents: migration 020 indexes the
// events stored before it, and the triggers those after.
func TestEventSearchMigrationIndexesEarlierEvents(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "herald.db")
	s, err := Open(ctx, &Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	e := testfactory.Endpoint(ctx, t, s, &testfactory.EndpointOpts{EventTypes: []wire.EventType{wire.EventTypeAssessment}})
	// Back to the schema before 020, and events published under it.
	for _, stmt := range append(undoEventSearch, `DELETE FROM schema_migrations WHERE version = 20`) {
		if _, err := s.write.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	publishKeyed(ctx, t, s, e, "before-", 30)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(ctx, &Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	publishKeyed(ctx, t, s, e, "after-", 30)
	for _, tc := range []struct {
		p    herald.DeliveryListParams
		want int
	}{
		{herald.DeliveryListParams{SystemID: "before-3"}, 1},
		{herald.DeliveryListParams{SystemID: "after-29"}, 1},
		// person-1: events 1, 8, 15, 22 and 29 of each run.
		{herald.DeliveryListParams{PersonID: "person-1"}, 10},
		{herald.DeliveryListParams{PersonID: "person-1", SystemID: "before-8"}, 1},
	} {
		if got := searchCount(ctx, t, s, e, tc.p); got != tc.want {
			t.Errorf("search by systemId %q and person %q: %d deliveries, want %d", tc.p.SystemID, tc.p.PersonID, got, tc.want)
		}
	}
}

// TestEventSearchForgetsDeletedEvents: deleting events (here with their
// customer) takes their tokens out of event_search.
func TestEventSearchForgetsDeletedEvents(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := Open(ctx, &Config{Path: filepath.Join(t.TempDir(), "herald.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	gone := testfactory.Endpoint(ctx, t, s, &testfactory.EndpointOpts{EventTypes: []wire.EventType{wire.EventTypeAssessment}})
	kept := testfactory.Endpoint(ctx, t, s, &testfactory.EndpointOpts{EventTypes: []wire.EventType{wire.EventTypeAssessment}})
	publishKeyed(ctx, t, s, gone, "k-", 10)
	publishKeyed(ctx, t, s, kept, "k-", 10)
	if n := tokenRows(ctx, t, s, gone.CustomerID, "k-4"); n != 1 {
		t.Fatalf("before the deletion: %d rows hold the token, want 1", n)
	}
	if err := s.CustomerDelete(ctx, gone.CustomerID); err != nil {
		t.Fatal(err)
	}
	if n := tokenRows(ctx, t, s, gone.CustomerID, "k-4"); n != 0 {
		t.Errorf("after the customer's deletion: %d rows hold its token, want 0", n)
	}
	if got := searchCount(ctx, t, s, kept, herald.DeliveryListParams{SystemID: "k-4"}); got != 1 {
		t.Errorf("the other customer's search: %d deliveries, want 1", got)
	}
}

// TestEventSearchPlanWithHistory: once the statistics know that a
// customer has many deliveries, a search reads the key's events and then
// their deliveries (deliveries_event_id), rather than walk every delivery
// of the customer.
func TestEventSearchPlanWithHistory(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := Open(ctx, &Config{Path: filepath.Join(t.TempDir(), "herald.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	e := testfactory.Endpoint(ctx, t, s, &testfactory.EndpointOpts{EventTypes: []wire.EventType{wire.EventTypeAssessment}})
	publishKeyed(ctx, t, s, e, "", 2000)
	if _, err := s.write.ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	query := `SELECT id FROM deliveries WHERE customer_id = ?1 AND event_id IN (` +
		strings.NewReplacer("/*customer*/", "?1", "/*key*/", "?2").Replace(mustQuery(t, "DeliveryListEventsBySystemID")) +
		`) ORDER BY id DESC LIMIT 10`
	rows, err := s.read.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, e.CustomerID, "17")
	if err != nil {
		t.Fatal(err)
	}
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	all := strings.Join(plan, "\n")
	if !strings.Contains(all, "SEARCH deliveries USING INDEX deliveries_event_id (event_id=?)") {
		t.Errorf("the search does not read deliveries by event:\n%s", all)
	}
	if got := searchCount(ctx, t, s, e, herald.DeliveryListParams{SystemID: "17"}); got != 1 {
		t.Errorf("search: %d deliveries, want 1", got)
	}
}
