package postgres

import (
	"context"
	"fmt"
	"regexp"
	"strconv"

	"github.com/jackc/pgx/v5"
)

// warmStatements are the statements a node runs for every event it
// publishes and every attempt it records. A connection runs each of them
// once before it serves (warmConn), so the first events after a node
// starts, or after the pool opens a connection under load, do not pay
// what a new server process pays for its first run of a statement: the
// parse and the description pgx asks for (its statement cache), the
// catalog lookups of every table, index, type and function it reaches,
// and the compilation of the PL/pgSQL triggers it fires. On herald bench's
// 2-core machine those were 10-50 ms per statement and connection, all
// at once when the traffic starts, which held the first events of a run
// at 1,500 events/s for 150-250 ms.
var warmStatements = []string{
	endpointsVersionSQL,
	knownCustomersSQL,
	customersEndpointsSQL,
	lockQueuesSQL,
	publishInsertSQL,
	recordAttemptsSQL,
	recordDeliveriesSQL,
}

// placeholder matches a statement's parameters ($1, $2...).
var placeholder = regexp.MustCompile(`\$([0-9]+)`)

// paramCount is the highest $N in sql.
func paramCount(sql string) int {
	n := 0
	for _, m := range placeholder.FindAllStringSubmatch(sql, -1) {
		if v, err := strconv.Atoi(m[1]); err == nil && v > n {
			n = v
		}
	}
	return n
}

// warmRuns is how many times warmConn runs each statement: one more than
// the custom plans PostgreSQL makes of a prepared statement before it
// weighs a generic one (plancache.c's choose_custom_plan plans each of the
// first five executions anew). So each connection has made that choice
// before it serves, instead of planning each hot statement four more times
// under the first traffic. herald bench --store postgres --rate 1500, four
// alternated 3 s runs: the worst p99 of the first half second's 100 ms
// slices was 68, 164, 105 and 66 ms with one run, 55, 85, 58 and 53 ms
// with six; the 10 s row's p99 was lower in 8 of 10 alternated pairs
// (docs/performance.md, session 26).
const warmRuns = 6

// warmConn runs each of warmStatements warmRuns times on conn, every parameter NULL,
// in a transaction it rolls back. NULL arrays unnest to no rows and match
// no row, so nothing is written or locked beyond the statements' table
// locks for their moment, and the rollback leaves no trace (pg_notify
// included: notifications are sent at commit). The statements still go
// through pgx's statement cache, the planner and their statement-level
// triggers, which is what warms the connection. A statement that is
// cached already costs a zero-row execution.
func warmConn(ctx context.Context, conn *pgx.Conn) (err error) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("warm connection: %w", err)
	}
	defer func() {
		if rbErr := tx.Rollback(ctx); err == nil && rbErr != nil {
			err = fmt.Errorf("warm connection: %w", rbErr)
		}
	}()
	// One pipeline: a pgx.Batch prepares each statement into the
	// connection's cache, even one without parameters, which Exec would
	// send unprepared.
	b := &pgx.Batch{}
	for range warmRuns {
		for _, sql := range warmStatements {
			b.Queue(sql, make([]any, paramCount(sql))...)
		}
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("warm connection: %w", err)
	}
	return nil
}
