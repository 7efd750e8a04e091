package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
)

// beginClaim starts a write transaction whose commit is not fsync'd
// (synchronous=NORMAL for this transaction only), for claims. A claim only
// takes a lease: if the machine loses power before a later commit syncs the
// log, the lease is gone and the delivery is simply due again, which
// at-least-once delivery allows (and a restart hands leases back anyway).
// Everything a caller was told is durable (a publish, a recorded attempt)
// still commits with synchronous=FULL, and in WAL mode that fsync also
// covers the claims logged before it. Claims are the most frequent write;
// skipping their fsync shortens the interactive path by one disk flush and
// frees the single writer sooner.
//
// The returned done must be called once the transaction is committed or
// rolled back: it restores synchronous=FULL before the connection goes back
// to the pool, and if it cannot, it closes the connection so that no FULL
// caller ever runs on a NORMAL one.
func (s *Store) beginClaim(ctx context.Context) (*sql.Tx, func(), error) {
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("claim connection: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous=NORMAL"); err != nil {
		_ = conn.Close()
		return nil, nil, fmt.Errorf("claim connection: %w", err)
	}
	done := func() {
		// A fresh context: the caller's may be cancelled, and the
		// connection must be put right whatever happened.
		if _, err := conn.ExecContext(context.Background(), "PRAGMA synchronous=FULL"); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		_ = conn.Close()
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		done()
		return nil, nil, fmt.Errorf("claim begin: %w", err)
	}
	return tx, done, nil
}
