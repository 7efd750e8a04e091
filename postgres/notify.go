package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/internal/sqlstore"
)

// workChannel is the LISTEN/NOTIFY channel that says "deliveries are due".
// A woken dispatcher claims, and the claim finds what is due. Channels are
// per database, not per schema, so the payload names the schema the work is
// in (current_schema()) and a listener ignores other schemas' work: two
// deployments (or two parallel tests) in one database do not wake each
// other.
const workChannel = "herald_work"

// notifySQL is sent inside the transaction that makes deliveries due.
// PostgreSQL delivers a notification only when (and if) its transaction
// commits, so a woken node always finds the rows committed, and folds
// identical notifications of one transaction into one.
const notifySQL = `SELECT pg_notify('` + workChannel + `', current_schema())`

func queueNotify(b *pgx.Batch) { b.Queue(notifySQL) }

// Wake implements sqlstore.Dialect.
func (dialect) Wake(ctx context.Context, tx sqlstore.DB) error {
	_, err := tx.Exec(ctx, notifySQL)
	return err
}

func notify(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, notifySQL)
	return err
}

// NotifyWork wakes every node's dispatcher (the ones in ListenWork), this
// node's included. EventPublish, DeliveryRelease and DeliveryRetry notify by
// themselves; this is for other reasons to look for work, such as a
// re-enabled endpoint.
func (s *Store) NotifyWork(ctx context.Context) error {
	if _, err := s.pool.Exec(ctx, notifySQL); err != nil {
		return fmt.Errorf("notify work: %w", err)
	}
	return nil
}

// Backoff between attempts to re-establish the LISTEN connection.
const (
	listenBackoffMin = 100 * time.Millisecond
	listenBackoffMax = 5 * time.Second
)

// ListenWork calls wake each time any node commits new due deliveries (or
// calls NotifyWork), so a dispatcher sleeping until its next poll starts
// claiming at once. wake must not block; a dispatcher typically does a
// non-blocking send on a channel of capacity one. It returns nil when ctx
// ends.
//
// It holds one connection of its own, outside the pool, for as long as it
// runs: LISTEN is a property of a session, and a pooled connection would go
// back to the pool (and to other queries) still listening. If the
// connection fails it reconnects with backoff, logging at Error while the
// database is unreachable, and calls wake once after each reconnect, since
// notifications sent while it was away are lost. Notifications are a
// latency optimisation only: the dispatcher still polls.
func (s *Store) ListenWork(ctx context.Context, wake func()) error {
	backoff := listenBackoffMin
	for reconnect := false; ; reconnect = true {
		listened, err := s.listen(ctx, wake, reconnect)
		if ctx.Err() != nil {
			return nil
		}
		if listened {
			// The session worked for a while: a new failure starts
			// the backoff over.
			backoff = listenBackoffMin
		}
		s.logger.ErrorContext(ctx, "listen for work", slog.Any("error", err), slog.Duration("retry_in", backoff))
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		backoff = min(2*backoff, listenBackoffMax)
	}
}

// listen runs one LISTEN session until it fails or ctx ends, and reports
// whether it got as far as listening. On a reconnect it wakes the caller as
// soon as it listens again.
func (s *Store) listen(ctx context.Context, wake func(), reconnect bool) (listened bool, err error) {
	// Copy the pool's connection settings: same server, user, TLS and
	// search_path, but a connection the pool does not manage.
	cfg := s.pool.Config().ConnConfig.Copy()
	// Named, so an operator can tell it from pooled connections in
	// pg_stat_activity (it is idle for hours, on purpose).
	cfg.RuntimeParams["application_name"] = "herald listen"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false, fmt.Errorf("connect: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	var schema string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return false, fmt.Errorf("current schema: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+workChannel); err != nil {
		return false, fmt.Errorf("listen: %w", err)
	}
	s.listenPID.Store(conn.PgConn().PID())
	defer s.listenPID.Store(0)
	s.logger.DebugContext(ctx, "listening for work", slog.String("channel", workChannel))
	if reconnect {
		wake()
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, fmt.Errorf("wait for notification: %w", err)
		}
		if n.Payload == schema {
			wake()
		}
	}
}
