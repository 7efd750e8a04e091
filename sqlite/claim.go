package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/heraldhq/herald"
)

// defaultClaimSlack is how many due deliveries of excluded endpoints a
// claim may pass over in due order before it picks endpoint by endpoint
// instead. The walk costs about 0.2 µs an entry, so this bounds it to a
// fraction of a millisecond. See Store.DeliveryClaimDue.
const defaultClaimSlack = 1024

// claimWalkBackoff is how many claims skip the walk after one failed to
// settle a claim. Both ways pick the same deliveries; this only chooses the
// cheaper one for a queue whose shape changes slowly.
const claimWalkBackoff = 32

// capSQL is an endpoint's concurrency cap (herald.Endpoint.Concurrency)
// from endpoints aliased e; a deleted endpoint (no row) gets the default,
// so its deliveries are claimed, at the default pace, and failed by the
// dispatcher.
var capSQL = `COALESCE(NULLIF(e.max_concurrency, 0), ` + strconv.Itoa(herald.DefaultEndpointConcurrency) + `)`

// leasesSQL counts the unexpired leases of the endpoint named by the SQL
// expression endpointID, through the small deliveries_leased index. ?1 is
// now. A lease is unexpired while next_attempt_at (its end) is after now.
func leasesSQL(endpointID string) string {
	return `(SELECT count(*) FROM deliveries
		WHERE state = 'pending' AND lease_token <> '' AND endpoint_id = ` + endpointID + ` AND next_attempt_at > ?1)`
}

// claimWalkSQL walks deliveries_due in due order, as claims did before the
// cap, and returns the first ?3 due deliveries of endpoints not excluded
// among its first ?4 entries, in the order (due time, endpoint, rowid) of
// the index. The LIMIT ?4 subquery bounds what an excluded endpoint's
// backlog at the head costs.
const claimWalkSQL = `SELECT rid, endpoint_id, at FROM (
		SELECT rowid AS rid, endpoint_id, next_attempt_at AS at FROM deliveries
		WHERE state = 'pending' AND next_attempt_at <= ?1
		ORDER BY next_attempt_at, endpoint_id, rowid
		LIMIT ?4)
	WHERE endpoint_id NOT IN (SELECT value FROM json_each(?2))
	ORDER BY at, endpoint_id, rid
	LIMIT ?3`

// claimSeenSQL counts the entries of claimWalkSQL's window (?2 at most),
// to tell whether it saw every due delivery.
const claimSeenSQL = `SELECT count(*) FROM (
		SELECT 1 FROM deliveries WHERE state = 'pending' AND next_attempt_at <= ?1 LIMIT ?2)`

// claimFreeSQL returns the free slots (cap minus unexpired leases) of the
// endpoints in the JSON array ?2.
var claimFreeSQL = `SELECT j.value, ` + capSQL + ` - ` + leasesSQL("j.value") + `
	FROM json_each(?2) j LEFT JOIN endpoints e ON e.id = j.value`

// claimByEndpointSQL picks the deliveries a claim leases (see
// DeliveryClaimDue) without walking the due order, so without passing over
// a capped endpoint's backlog:
//
//  1. eps steps through the distinct endpoint ids of pending deliveries
//     in deliveries_endpoint_due, one seek each (a loose index scan;
//     SQLite has no skip scan for this);
//  2. heads takes each one's oldest pending row, one seek each, and keeps
//     the endpoints that are due, not excluded and below their cap;
//  3. the ?3 endpoints with the oldest heads are the only ones that can
//     hold one of the ?3 oldest claimable rows (each has at least its
//     head to give); of each, its first ?4 due rows (?4 is at least its
//     free slots), ranked, cut at its free slots;
//  4. the oldest ?3 of those, in the order of claimWalkSQL.
//
// It costs two seeks per endpoint with pending deliveries, whatever their
// backlogs, plus the rows it returns.
var claimByEndpointSQL = `WITH RECURSIVE eps(id) AS (
		SELECT (SELECT min(endpoint_id) FROM deliveries WHERE state = 'pending')
		UNION ALL
		SELECT (SELECT min(endpoint_id) FROM deliveries WHERE state = 'pending' AND endpoint_id > eps.id)
		FROM eps WHERE eps.id IS NOT NULL
	),
	heads AS MATERIALIZED (
		SELECT id, (SELECT min(next_attempt_at) FROM deliveries WHERE state = 'pending' AND endpoint_id = eps.id) AS head
		FROM eps
		WHERE id IS NOT NULL AND id NOT IN (SELECT value FROM json_each(?2))
	),
	top AS (
		SELECT h.id, h.head, ` + capSQL + ` - ` + leasesSQL("h.id") + ` AS free
		FROM heads h LEFT JOIN endpoints e ON e.id = h.id
		WHERE h.head <= ?1 AND free > 0
		ORDER BY h.head, h.id
		LIMIT ?3
	),
	ranked AS (
		SELECT d.rowid AS rid, d.endpoint_id, d.next_attempt_at AS at, top.free,
			row_number() OVER (PARTITION BY d.endpoint_id ORDER BY d.next_attempt_at, d.rowid) AS rn
		FROM top JOIN deliveries d ON d.rowid IN (
			SELECT rowid FROM deliveries
			WHERE state = 'pending' AND endpoint_id = top.id AND next_attempt_at <= ?1
			ORDER BY next_attempt_at, rowid
			LIMIT ?4)
	)
	SELECT rid, at FROM ranked
	WHERE rn <= free
	ORDER BY at, endpoint_id, rid
	LIMIT ?3`

// claimLeaseSQL leases the picked rowids (the JSON array ?4).
const claimLeaseSQL = `UPDATE deliveries
	SET next_attempt_at = ?1, lease_owner = ?2, lease_token = ?3
	WHERE rowid IN (SELECT value FROM json_each(?4))
	RETURNING rowid, ` + deliveryColumns

// claimAnyDueSQL is 1 if any delivery is due at ?1, else 0: one seek in
// deliveries_due.
const claimAnyDueSQL = `SELECT EXISTS (SELECT 1 FROM deliveries WHERE state = 'pending' AND next_attempt_at <= ?1)`

// claimBodiesSQL reads the bodies of the events in the JSON array ?1.
const claimBodiesSQL = `SELECT id, body_gzip, link_header, trace_context FROM events
	WHERE id IN (SELECT value FROM json_each(?1))`

// claimPick is a due delivery a claim has chosen: its rowid and due time.
type claimPick struct {
	rowid int64
	dueAt int64
}

// DeliveryClaimDue implements herald.Store. It picks the deliveries to
// lease, then leases them with one UPDATE by rowid that moves
// next_attempt_at to the lease's end, so a leased delivery drops out of the
// due range, and comes back into it by itself if the lease expires. It all
// runs on the single writer connection, so two claims can neither take the
// same delivery nor both count an endpoint's free slots before either
// takes them: the cap needs no lock of its own here (compare the postgres
// store's advisory locks). It is a write of a shared hot transaction
// (hottx.go) and returns once that has committed, so no delivery is sent
// on a lease, or for a publish, that could still be rolled back.
//
// What it picks: of each endpoint not excluded, its first free-slots due
// rows (its cap minus its unexpired leases), and of those the Limit
// oldest, in the order (due time, endpoint, rowid). Two ways of finding
// them give that same answer at different costs:
//
//   - the walk (claimWalkSQL) takes the oldest due rows from
//     deliveries_due, as claims did before the cap, and checks them
//     against their endpoints' free slots. It costs the entries it passes
//     and is the fastest when the head of the queue is claimable, as it
//     is unless an endpoint with a backlog is at or near its cap;
//   - the endpoint-by-endpoint pick (claimByEndpointSQL) costs two seeks
//     per endpoint with pending deliveries and nothing per backlog row.
//
// A claim walks first, over at most Limit plus claimSlack entries. If the
// Limit rows it found are all within their endpoints' free slots, or it
// found fewer, all within, having seen every due delivery, that is the
// answer. Otherwise a backlog it may not take is in the way, and it picks
// endpoint by endpoint. So a capped or excluded endpoint's backlog,
// however long, costs a claim at most claimSlack index entries, and a claim
// never returns short while another endpoint has due rows and free slots.
func (s *Store) DeliveryClaimDue(ctx context.Context, p *herald.DeliveryClaimParams) ([]*herald.ClaimedDelivery, error) {
	if err := herald.ValidateClaim(p.Limit, p.Now, p.LeaseUntil); err != nil {
		return nil, err
	}
	// Most wakes find nothing due once publishes hand their deliveries
	// off (dispatch's handoff), and a record wakes a claim in case an
	// endpoint's backlog waits for the slot it freed: ask the read pool
	// first, and take the writer only when something is due.
	var due int
	if err := (readHot{s}).QueryRowContext(ctx, claimAnyDueSQL, toMillis(p.Now)).Scan(&due); err != nil {
		return nil, fmt.Errorf("claim due deliveries: %w", err)
	}
	if due == 0 {
		return nil, nil
	}
	token := newLeaseToken()
	leaseUntil := fromMillis(p.LeaseUntil.UnixMilli())

	var ds []*herald.Delivery
	err := s.hotWrites.run(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		ds, err = s.claimDue(ctx, tx, p, leaseUntil, token)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim due deliveries: %w", err)
	}
	out, err := s.claimedDeliveries(ctx, ds, token, leaseUntil)
	if err != nil {
		return nil, fmt.Errorf("claim due deliveries: %w", err)
	}
	return out, nil
}

// claimedDeliveries hands out the deliveries ds, leased with token until
// leaseUntil, in their order, with what they carry of their events: read
// once per event (deliveries of one event share it) from the read pool,
// after the claim's commit, off the writer. Events do not change, and the
// claim's transaction committed no earlier than the publish of each one.
// An event can only be missing if its customer was deleted since, with its
// deliveries: those are not handed out.
func (s *Store) claimedDeliveries(ctx context.Context, ds []*herald.Delivery, token string, leaseUntil time.Time) ([]*herald.ClaimedDelivery, error) {
	events := map[string]*eventData{}
	var eventIDs []string
	for _, d := range ds {
		if _, ok := events[d.EventID]; !ok {
			events[d.EventID] = nil
			eventIDs = append(eventIDs, d.EventID)
		}
	}
	if len(eventIDs) > 0 {
		rows, err := readHot{s}.QueryContext(ctx, claimBodiesSQL, jsonArray(eventIDs))
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var e eventData
			if err := rows.Scan(&id, &e.bodyGzip, &e.linkHeader, &e.traceContext); err != nil {
				return nil, err
			}
			events[id] = &e
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	out := make([]*herald.ClaimedDelivery, 0, len(ds))
	for _, d := range ds {
		if e := events[d.EventID]; e != nil {
			out = append(out, &herald.ClaimedDelivery{
				Delivery:   *d,
				Lease:      herald.DeliveryLease{DeliveryID: d.ID, Token: token},
				LeaseUntil: leaseUntil,
				BodyGzip:   e.bodyGzip, LinkHeader: e.linkHeader, TraceContext: e.traceContext,
			})
		}
	}
	return out, nil
}

// eventData is what a claimed delivery carries of its event.
type eventData struct {
	bodyGzip     []byte
	linkHeader   string
	traceContext string
}

// claimDue picks and leases due deliveries in tx (see DeliveryClaimDue).
func (s *Store) claimDue(ctx context.Context, tx *sql.Tx, p *herald.DeliveryClaimParams, leaseUntil time.Time, token string) ([]*herald.Delivery, error) {
	picks, err := s.claimPicks(ctx, tx, p)
	if err != nil {
		return nil, err
	}
	if len(picks) == 0 {
		return nil, nil
	}
	// Hand them out in the order picked (oldest due first); RETURNING
	// gives rows in no set order.
	order := make(map[int64]int, len(picks))
	rowids := make([]int64, len(picks))
	for i, pk := range picks {
		order[pk.rowid] = i
		rowids[i] = pk.rowid
	}
	rows, err := s.txQuery(ctx, tx, claimLeaseSQL, toMillis(leaseUntil), p.Owner, token, jsonInts(rowids))
	if err != nil {
		return nil, err
	}
	ds := make([]*herald.Delivery, len(picks))
	err = func() error {
		defer rows.Close()
		for rows.Next() {
			var rowid int64
			d, err := scanDelivery(extraColumnFirst{rows, &rowid})
			if err != nil {
				return err
			}
			ds[order[rowid]] = d
		}
		return rows.Err()
	}()
	if err != nil {
		return nil, err
	}
	if slices.Contains(ds, nil) {
		// Cannot happen: the rows were picked in this transaction.
		return nil, errors.New("a picked delivery was not leased")
	}

	return ds, nil
}

// claimPicks chooses the deliveries a claim leases, oldest due first: by
// walking the due order when that settles it, else endpoint by endpoint
// (see DeliveryClaimDue).
func (s *Store) claimPicks(ctx context.Context, tx *sql.Tx, p *herald.DeliveryClaimParams) ([]claimPick, error) {
	now, exclude := toMillis(p.Now), jsonArray(p.ExcludeEndpointIDs)
	window := p.Limit + s.claimSlack
	var picks []claimPick
	ok := false
	if s.skipWalks.Load() > 0 {
		// A recent walk failed: pick by endpoint, which always gives
		// the right answer, and try walking again in a while.
		s.skipWalks.Add(-1)
	} else {
		var err error
		picks, ok, err = s.walkPicks(ctx, tx, now, exclude, p.Limit, window)
		if err != nil {
			return nil, fmt.Errorf("pick from due order: %w", err)
		}
		if !ok {
			s.skipWalks.Store(claimWalkBackoff)
		}
	}
	if ok && len(picks) < p.Limit && len(p.ExcludeEndpointIDs) > 0 {
		// Short, and excluded entries may have filled the window: if
		// so, due rows beyond it were not seen.
		var seen int
		if err := s.txQueryRow(ctx, tx, claimSeenSQL, now, window).Scan(&seen); err != nil {
			return nil, fmt.Errorf("pick from due order: %w", err)
		}
		ok = seen < window
	}
	if ok {
		return picks, nil
	}
	// No endpoint takes more than its cap, which is at most
	// MaxEndpointConcurrency, so that many rows of each suffice.
	perEndpoint := min(p.Limit, herald.MaxEndpointConcurrency)
	rows, err := s.txQuery(ctx, tx, claimByEndpointSQL, now, exclude, p.Limit, perEndpoint)
	if err != nil {
		return nil, fmt.Errorf("pick by endpoint: %w", err)
	}
	defer rows.Close()
	picks = picks[:0]
	for rows.Next() {
		var pk claimPick
		if err := rows.Scan(&pk.rowid, &pk.dueAt); err != nil {
			return nil, fmt.Errorf("pick by endpoint: %w", err)
		}
		picks = append(picks, pk)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pick by endpoint: %w", err)
	}
	return picks, nil
}

// walkPicks runs claimWalkSQL and reports whether every row it found is
// within its endpoint's free slots. When it is not, the rows are not what
// the claim picks. (Were the window short of Limit rows because excluded
// entries filled it, ok is true but the caller must check.)
func (s *Store) walkPicks(ctx context.Context, tx *sql.Tx, now int64, exclude string, limit, window int) (picks []claimPick, ok bool, err error) {
	rows, err := s.txQuery(ctx, tx, claimWalkSQL, now, exclude, limit, window)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	taken := map[string]int{}
	var endpoints []string
	for rows.Next() {
		var pk claimPick
		var endpoint string
		if err := rows.Scan(&pk.rowid, &endpoint, &pk.dueAt); err != nil {
			return nil, false, err
		}
		if taken[endpoint] == 0 {
			endpoints = append(endpoints, endpoint)
		}
		taken[endpoint]++
		picks = append(picks, pk)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, false, err
	}
	if len(picks) == 0 {
		return picks, true, nil
	}

	rows, err = s.txQuery(ctx, tx, claimFreeSQL, now, jsonArray(endpoints))
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	ok = true
	for rows.Next() {
		var endpoint string
		var free int
		if err := rows.Scan(&endpoint, &free); err != nil {
			return nil, false, err
		}
		if taken[endpoint] > free {
			ok = false
		}
	}
	return picks, ok, rows.Err()
}

// extraColumnFirst scans one more column before the ones a scan function
// asks for.
type extraColumnFirst struct {
	rowScanner
	dest any
}

func (r extraColumnFirst) Scan(dest ...any) error {
	return r.rowScanner.Scan(append([]any{r.dest}, dest...)...)
}

// jsonInts encodes rowids for a `IN (SELECT value FROM json_each(?))` term.
func jsonInts(v []int64) string {
	b := make([]byte, 0, 8*len(v)+2)
	b = append(b, '[')
	for i, n := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, n, 10)
	}
	return string(append(b, ']'))
}
