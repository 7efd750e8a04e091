package sqlite

import (
	"context"
	"database/sql"
	"log/slog"
	"time"
)

// checkpointInterval is how often the checkpointer copies the log into the
// database. A round copies the latest version of each page logged since the
// last, once: the hot pages (the tables' and indexes' right edges) are
// logged again by nearly every commit, so the longer the interval, the
// fewer copies. At full speed the hot paths log some 13,000 pages a second
// (4 KiB pages, session 8); at 500 ms herald bench wrote 35 KB per
// delivery, against 40 KB at 100 ms. The log then peaks near 80 MB (about
// 40 MB with 2 KiB pages; herald bench --events 30000, session 20). The
// longer the interval, the more frames the log holds, and every page the
// writer reads is looked up among them: with 2 KiB pages (sqlite.go) a
// 2 s interval made p99 at 1,500 events/s 17 ms against 13 ms at 500 ms,
// and 125 ms made it 11.7 ms (one run each, session 20).
const checkpointInterval = 500 * time.Millisecond

// writerCheckpointPages is the writer's own automatic checkpoint, a
// backstop only: it runs if the log reaches this many pages (40 MiB of
// 2 KiB pages, 80 MiB of 4 KiB ones)
// because the checkpointer fell behind or cannot run.
const writerCheckpointPages = 20000

// checkpointer copies the write-ahead log into the database from a
// connection of its own, so that the single writer, the store's
// bottleneck under load, does not. SQLite's automatic checkpoint runs in
// the commit that crosses its threshold, on the committing connection:
// here that was the writer, for about a twentieth of its time. A PASSIVE
// checkpoint takes no lock a writer or reader waits for; it copies what no
// reader still needs, and once it has copied everything the next write
// starts the log over. SQLite syncs the log before it copies and the
// database after, whichever connection checkpoints.
type checkpointer struct {
	db     *sql.DB
	logger *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}
}

// startCheckpointer opens the checkpointer's connection to the database at
// path (with the pragmas of common) and starts its rounds.
func startCheckpointer(dsn string, logger *slog.Logger, interval time.Duration) (*checkpointer, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	ctx, cancel := context.WithCancel(context.Background())
	c := &checkpointer{db: db, logger: logger, cancel: cancel, done: make(chan struct{})}
	go c.run(ctx, interval)
	return c, nil
}

func (c *checkpointer) run(ctx context.Context, interval time.Duration) {
	defer close(c.done)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if err := c.checkpoint(ctx); err != nil && ctx.Err() == nil {
			// The writer's own checkpoint (writerCheckpointPages) keeps
			// the log bounded meanwhile.
			c.logger.Warn("checkpoint the write-ahead log", slog.Any("error", err))
		}
	}
}

// checkpoint runs one PASSIVE checkpoint.
func (c *checkpointer) checkpoint(ctx context.Context) error {
	var busy, logged, copied int
	return c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logged, &copied)
}

// close stops the rounds and closes the connection, before the writer
// closes: the last connection to close checkpoints the whole log and
// removes it.
func (c *checkpointer) close() error {
	c.cancel()
	<-c.done
	return c.db.Close()
}
