package sqlite

import (
	"database/sql"
	"flag"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// BenchmarkEventInsertLogPages measures what storing an event writes to
// the log with the explorer's search keys in event_search (fts, migration
// 020) and in the two B-tree indexes it replaced (btree): events of 1,000
// customers with random systemIds and persons, as a platform's are,
// committed 10 at a time into a table that holds 100,000 already (or
// -event-search-table). It reports the log's pages per event (frames,
// exact: the benchmark's connection never checkpoints) beside the time.
//
//	go test -run '^$' -bench EventInsertLogPages -benchtime 20000x ./sqlite/
//	go test -run '^$' -bench EventInsertLogPages -benchtime 20000x ./sqlite/ -args -event-search-table 1000000
//
// The second fills a million events first (about two minutes each).
func BenchmarkEventInsertLogPages(b *testing.B) {
	for _, index := range []string{"fts", "btree"} {
		b.Run(index, func(b *testing.B) { benchmarkEventInsertLogPages(b, index) })
	}
}

func benchmarkEventInsertLogPages(b *testing.B, index string) {
	ctx := b.Context()
	path := filepath.Join(b.TempDir(), "herald.db")
	s, err := Open(ctx, &Config{Path: path})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	db, err := sql.Open("sqlite", path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)&_pragma=wal_autocheckpoint(0)&_pragma=cache_size(-32768)")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	exec := func(q string, args ...any) {
		b.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	if index == "btree" {
		for _, stmt := range undoEventSearch {
			exec(stmt)
		}
	}
	const customers = 1000
	for c := range customers {
		exec(`INSERT INTO customers (id, name, created_at) VALUES (?, ?, 0)`, customerName(c), "c")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	body := make([]byte, 280)
	n := 0
	commit := func(events int) {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		st, err := tx.PrepareContext(ctx, insertEvent)
		if err != nil {
			b.Fatal(err)
		}
		for range events {
			n++
			if _, err := st.ExecContext(ctx, fmt.Sprintf("evt_%016d", n), customerName(rng.IntN(customers)),
				"WorkFlowStatusChangeEvent", "", body, "", time.Now().UnixMilli(),
				strconv.Itoa(rng.IntN(1<<30)), strconv.Itoa(rng.IntN(1<<24)), ""); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	for range *eventSearchTable / 1000 {
		commit(1000)
	}
	exec(`PRAGMA wal_checkpoint(TRUNCATE)`)

	b.ResetTimer()
	for done := 0; done < b.N; done += 10 {
		commit(min(10, b.N-done))
	}
	b.StopTimer()
	var busy, frames, copied int
	if err := db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(frames)/float64(b.N), "log-pages/event")
}

// eventSearchTable is how many events the table holds before
// BenchmarkEventInsertLogPages measures.
var eventSearchTable = flag.Int("event-search-table", 100000, "events stored before BenchmarkEventInsertLogPages measures")

func customerName(i int) string { return "cus_" + strconv.Itoa(i) }
