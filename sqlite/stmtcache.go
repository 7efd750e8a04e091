package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// The hot statements, prepared once on the writer connection when the
// store opens and reused by every transaction (Tx.StmtContext finds the
// connection's prepared copy), so SQLite parses each of them once per
// process instead of once per call: parsing was about a tenth of Herald's
// CPU under load (sqlite3LockAndPrepare). Writer statements not listed
// here are prepared per call; add one here when it turns up in a profile.
// The read pool prepares each of its statements at first use (readStmts).
//
// Every listed statement is a constant string, whatever the number of ids
// it takes (they go in as one JSON array through json_each), which is what
// makes them cacheable.
var hotStatements = []string{
	insertEvent, insertDelivery, insertLeasedDelivery, endpointLeasesSQL,
	insertAttemptSQL, recordDeliverySQL, releaseDeliverySQL,
	claimWalkSQL, claimSeenSQL, claimFreeSQL, claimByEndpointSQL, claimLeaseSQL,
	claimIDsSQL, endpointsVersionSQL,
}

// stmtCache is the writer connection's prepared hot statements, by text.
type stmtCache map[string]*sql.Stmt

func prepareHot(ctx context.Context, db *sql.DB, statements []string) (stmtCache, error) {
	c := stmtCache{}
	for _, q := range statements {
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			c.close()
			return nil, fmt.Errorf("prepare %.40q: %w", q, err)
		}
		c[q] = st
	}
	return c, nil
}

func (c stmtCache) close() {
	for _, st := range c {
		_ = st.Close()
	}
}

// stmt returns query as a statement of tx: the cached one if query is hot,
// else one prepared now (closed with tx).
func (s *Store) stmt(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	if st, ok := s.hot[query]; ok {
		return tx.StmtContext(ctx, st), nil
	}
	return tx.PrepareContext(ctx, query)
}

// txQuery runs query in tx through the statement cache.
func (s *Store) txQuery(ctx context.Context, tx *sql.Tx, query string, args ...any) (*sql.Rows, error) {
	st, err := s.stmt(ctx, tx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// txQueryRow runs query in tx through the statement cache.
func (s *Store) txQueryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	st, err := s.stmt(ctx, tx, query)
	if err != nil {
		// A Row carrying the error, as QueryRowContext would return.
		return tx.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// readStmts prepares each statement run on the read pool once, at its
// first use, and keeps it (a *sql.Stmt of a pool prepares itself on each
// connection it meets, once): the hot reads (a publish batch reads its
// customers' endpoints before it takes the writer, a claim its events'
// bodies after it has committed; readHot) and internal/sqlstore's. They
// are constants, so they are few; maxReadStmts bounds the cache all the
// same, and a statement past it is prepared per call.
//
// It matters where reads miss a cache: with 10,000 endpoints each
// delivery's endpoint and retry policy were read from the store and
// parsed again each time (sqlite3LockAndPrepare, a sixth of a node's CPU in
// herald bench --customers 10000).
type readStmts struct {
	db *sql.DB

	stmts sync.Map // query → *sql.Stmt

	mu     sync.Mutex // serializes preparing, n and closed
	n      int
	closed bool
}

const maxReadStmts = 256

func newReadStmts(db *sql.DB) *readStmts { return &readStmts{db: db} }

// get returns query prepared, or nil where the caller should run it
// unprepared: c is nil or closed, the cache is full, or preparing failed
// (the unprepared call meets the same error and reports it).
func (c *readStmts) get(ctx context.Context, query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	if st, ok := c.stmts.Load(query); ok {
		return st.(*sql.Stmt)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts.Load(query); ok {
		return st.(*sql.Stmt)
	}
	if c.closed || c.n >= maxReadStmts {
		return nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.stmts.Store(query, st)
	c.n++
	return st
}

// close closes the prepared statements; get prepares no more.
func (c *readStmts) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	c.stmts.Range(func(q, st any) bool {
		_ = st.(*sql.Stmt).Close()
		c.stmts.Delete(q)
		return true
	})
}
