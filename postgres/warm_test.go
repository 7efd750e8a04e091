package postgres

import (
	"context"
	"testing"

	"github.com/heraldhq/herald/internal/dbtest"
)

// TestWarmPoolPreparesTheHotStatementsOnEveryConnection: a store opened
// with Warm holds MaxConns connections, each of which has run every hot
// statement (pgx's statement cache keeps them prepared on the server,
// where pg_prepared_statements lists them) often enough for the server's
// plan cache to have chosen its plan, without writing a row. So does a
// connection the pool opens later.
func TestWarmPoolPreparesTheHotStatementsOnEveryConnection(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	const conns = 3
	s := openSchemaStore(t, &Config{MaxConns: conns, Warm: true})

	checkEveryConn := func(when string) {
		t.Helper()
		held := make([]interface{ Release() }, 0, conns)
		defer func() {
			for _, c := range held {
				c.Release()
			}
		}()
		for i := range conns {
			c, err := s.pool.Acquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, c)
			var n int
			if err := c.QueryRow(ctx, `SELECT count(DISTINCT statement) FROM pg_prepared_statements WHERE statement = ANY($1)`,
				warmStatements).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != len(warmStatements) {
				t.Errorf("%s: connection %d has %d of the %d hot statements prepared", when, i, n, len(warmStatements))
			}
			// Past the custom plans PostgreSQL makes of a statement's
			// first five executions: the first events are not planned
			// again on every connection.
			var early int
			if err := c.QueryRow(ctx, `SELECT count(*) FROM pg_prepared_statements
				WHERE statement = ANY($1) AND generic_plans + custom_plans < 6`,
				warmStatements).Scan(&early); err != nil {
				t.Fatal(err)
			}
			if early > 0 {
				t.Errorf("%s: connection %d has run %d hot statements fewer than 6 times", when, i, early)
			}
		}
	}
	if got := s.pool.Stat().TotalConns(); got != conns {
		t.Errorf("the warm pool holds %d connections, want MaxConns (%d)", got, conns)
	}
	checkEveryConn("once opened")

	// The warm-up ran the statements on empty input and rolled back.
	var rows int
	if err := s.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM deliveries)
		+ (SELECT count(*) FROM attempts) + (SELECT count(*) FROM endpoint_queue_wakeups)`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 0 {
		t.Errorf("warming the pool left %d rows behind", rows)
	}

	// Connections the pool opens later (here, after it closed them all)
	// warm themselves.
	s.pool.Reset()
	checkEveryConn("after the pool reopened its connections")
}

// TestWarmConnFailsOnAStatementTheSchemaLacks: a warm-up that cannot run
// a hot statement says so, rather than leaving the node to find out on
// its first event.
func TestWarmConnFailsOnAStatementTheSchemaLacks(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openSchemaStore(t, &Config{MaxConns: 2})
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	if _, err := c.Exec(ctx, `ALTER TABLE attempts RENAME TO attempts_gone`); err != nil {
		t.Fatal(err)
	}
	if err := warmConn(context.WithoutCancel(ctx), c.Conn()); err == nil {
		t.Fatal("warmConn succeeded without the attempts table")
	}
}

// openSchemaStore opens a store on a schema of its own (cfg's URL is set
// to it), closed when the test ends.
func openSchemaStore(t *testing.T, cfg *Config) *Store {
	t.Helper()
	cfg.URL = dbtest.NewPostgresSchema(t)
	s, err := Open(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
