package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"sync"
)

// beginUnsynced starts a write transaction whose commit is not fsync'd
// (synchronous=NORMAL for this transaction only), for the hot paths' shared
// transactions (hotWriter):
//
//   - a claim only takes a lease: if the machine loses power before a later
//     fsync of the log, the lease is gone and the delivery is simply due
//     again, which at-least-once delivery allows (and a restart hands
//     leases back anyway). Nothing waits for its fsync;
//   - a publish and an attempt record must be durable before their callers
//     hear so: they wait for s.wal (walSyncer) after the commit, off the
//     writer, so one fsync serves many commits while the writer goes on.
//
// Every other write commits with synchronous=FULL, and in WAL mode that
// fsync also covers what was logged before it.
//
// The returned done (safe to call more than once) must be called once the
// transaction is committed or rolled back: it restores synchronous=FULL before the connection goes back
// to the pool, and if it cannot, it closes the connection so that no FULL
// caller ever runs on a NORMAL one.
func (s *Store) beginUnsynced(ctx context.Context) (*sql.Tx, func(), error) {
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("unsynced connection: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous=NORMAL"); err != nil {
		_ = conn.Close()
		return nil, nil, fmt.Errorf("unsynced connection: %w", err)
	}
	done := sync.OnceFunc(func() {
		// A fresh context: the caller's may be cancelled, and the
		// connection must be put right whatever happened.
		if _, err := conn.ExecContext(context.Background(), "PRAGMA synchronous=FULL"); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		_ = conn.Close()
	})
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		done()
		return nil, nil, fmt.Errorf("unsynced begin: %w", err)
	}
	return tx, done, nil
}
