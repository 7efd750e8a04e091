package postgres

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// deliveryColumns are the columns scanDelivery reads, in order, from the
// deliveries table aliased d.
const deliveryColumns = `d.id, d.event_id, d.endpoint_id, d.customer_id, d.event_type, d.state,
	d.attempts, d.schedule_attempts, d.next_attempt_at, d.last_attempt_at, d.last_status_code,
	d.last_error, d.location, d.created_at, d.updated_at, d.subject, d.subject_seq, d.waiting_for`

func scanDelivery(r pgx.Row) (*herald.Delivery, error) {
	var d herald.Delivery
	var eventType, state string
	var last *time.Time
	if err := r.Scan(&d.ID, &d.EventID, &d.EndpointID, &d.CustomerID, &eventType, &state,
		&d.Attempts, &d.ScheduleAttempts, &d.NextAttemptAt, &last, &d.LastStatusCode,
		&d.LastError, &d.Location, &d.CreatedAt, &d.UpdatedAt, &d.Subject, &d.SubjectSeq, &d.WaitingFor); err != nil {
		return nil, err
	}
	d.EventType, d.State = wire.EventType(eventType), herald.DeliveryState(state)
	d.NextAttemptAt, d.LastAttemptAt = d.NextAttemptAt.UTC(), fromNullTime(last)
	d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC()
	return &d, nil
}

// extraColumns scans more columns after the ones a scan function asks for.
type extraColumns struct {
	pgx.Row
	dest []any
}

func (r extraColumns) Scan(dest ...any) error { return r.Row.Scan(append(dest, r.dest...)...) }

// newLeaseToken returns a fresh random token for one claim.
func newLeaseToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+).
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// leasesSQL counts the unexpired leases of the endpoint named by the SQL
// expression endpointID, through the small deliveries_leased index: at most
// the endpoint's cap entries (plus interactive leases), unexpired at the
// SQL expression now.
//
// The row comparison, rather than next_attempt_at > $1, is on purpose: it
// gives the planner a range of (endpoint_id, next_attempt_at) indexes only,
// so it cannot pick deliveries_due and walk every future row (retries,
// other endpoints' leases) because its statistics say few are in the future.
func leasesSQL(endpointID, now string) string {
	return `(SELECT count(*) FROM deliveries
		WHERE state = 'pending' AND lease_token IS NOT NULL AND endpoint_id = ` + endpointID + `
			AND (endpoint_id, next_attempt_at) > (` + endpointID + `, ` + now + `))`
}

// claimLockSQL picks and locks the endpoints a claim round serves: those
// whose next_due has come, oldest first, not excluded, skipping the ones
// another claim (on any node) or a trigger holds right now. It reads
// endpoint_queues_next_due: O(endpoints returned + excluded), whatever the
// number of endpoints and the backlog.
const claimLockSQL = `SELECT endpoint_id FROM endpoint_queues
	WHERE next_due <= $1 AND NOT (endpoint_id = ANY($2))
	ORDER BY next_due
	LIMIT $3
	FOR UPDATE SKIP LOCKED`

// skipQueueTriggerSQL tells the endpoint_queues triggers (migration 014)
// that this transaction only leases, so it wakes no endpoint.
const skipQueueTriggerSQL = `SET LOCAL herald.claiming = 'on'`

// capSQL is the concurrency cap of the endpoint named by the SQL expression
// endpointID (herald.Endpoint.Concurrency): a deleted endpoint (no row) gets
// the default, so its deliveries are claimed, at the default pace, and
// failed by the dispatcher. One primary key probe.
func capSQL(endpointID string) string {
	return `COALESCE((SELECT NULLIF(e.max_concurrency, 0) FROM endpoints e WHERE e.id = ` + endpointID + `), ` +
		strconv.Itoa(herald.DefaultEndpointConcurrency) + `)`
}

// claimLeaseSQL leases, for each locked endpoint of $2, its first due rows
// up to its free slots (its cap minus its unexpired leases, counted here,
// after the lock: the statement's snapshot sees every lease the lock's
// previous holder committed), one range of deliveries_endpoint_due each,
// rows locked FOR UPDATE SKIP LOCKED (an interactive claim may hold one),
// and of those the $3 oldest. The UPDATE finds them by primary key (= ANY
// of an array), never by a join the planner could turn into a scan of
// deliveries. Each row comes back with its due time before the lease and
// its event's body, so a claim needs no round trip for the bodies.
var claimLeaseSQL = `WITH free AS (
		SELECT u.id, ` + capSQL("u.id") + ` - ` + leasesSQL("u.id", "$1") + ` AS n
		FROM unnest($2::text[]) AS u (id)
	),
	picked AS (
		SELECT d.id, d.next_attempt_at FROM free u, LATERAL (
			SELECT id, next_attempt_at FROM deliveries
			WHERE state = 'pending' AND endpoint_id = u.id AND next_attempt_at <= $1
			ORDER BY next_attempt_at
			LIMIT GREATEST(u.n, 0)
			FOR UPDATE SKIP LOCKED) d
		WHERE u.n > 0
	),
	top AS MATERIALIZED (
		SELECT id, next_attempt_at FROM picked ORDER BY next_attempt_at, id LIMIT $3
	),
	leased AS (
		UPDATE deliveries d
		SET next_attempt_at = $4, lease_owner = $5, lease_token = $6
		WHERE d.id = ANY (ARRAY(SELECT id FROM top))
		RETURNING ` + deliveryColumns + `
	)
	SELECT d.*, top.next_attempt_at, ev.body_gzip, ev.link_header, ev.trace_context
	FROM leased d JOIN top ON top.id = d.id,
		LATERAL (SELECT body_gzip, link_header, trace_context FROM events WHERE id = d.event_id) ev`

// claimSettleSQL sets the locked endpoints' ($2) next_due exactly, after
// the lease (its snapshot includes this claim's leases): an endpoint now at
// its cap at its earliest unexpired lease's end (through deliveries_leased;
// $1 is now), since only a record (whose wakeup lowers next_due again) or
// an expiry frees a slot, and a dead node's lease may end long before the
// ones just taken; any other at its earliest pending delivery (a lease's
// end included, as an expired lease is due again), one seek of
// deliveries_endpoint_due; NULL if nothing is pending. It deletes the
// endpoints' wakeups it can see in the same statement: the next_due it sets
// is computed from the same snapshot, so it accounts for the changes that
// made them (a fold skipped them because this claim held the rows). Those
// committed later stay for a fold; those a fold holds are skipped, so a
// claim still never waits.
var claimSettleSQL = `WITH consumed AS (
		DELETE FROM endpoint_queue_wakeups
		WHERE id IN (SELECT id FROM endpoint_queue_wakeups WHERE endpoint_id = ANY ($2::text[]) FOR UPDATE SKIP LOCKED)
	)
	UPDATE endpoint_queues q SET next_due = CASE
		WHEN ` + capSQL("q.endpoint_id") + ` - ` + leasesSQL("q.endpoint_id", "$1") + ` <= 0
		THEN COALESCE((SELECT min(next_attempt_at) FROM deliveries
			WHERE state = 'pending' AND lease_token IS NOT NULL AND endpoint_id = q.endpoint_id
				AND (endpoint_id, next_attempt_at) > (q.endpoint_id, $1::timestamptz)), $1::timestamptz)
		ELSE (SELECT min(next_attempt_at) FROM deliveries WHERE state = 'pending' AND endpoint_id = q.endpoint_id) END
	WHERE q.endpoint_id = ANY ($2::text[])`

// claimFoldSQL moves up to $1 wakeups (migration 014) into
// endpoint_queues, lowering each endpoint's next_due to its earliest one,
// or adding the endpoint's row, and returns how many it took but left. It never waits: wakeups another fold holds
// and queue rows a claim holds (on any node) are skipped, and their
// wakeups stay for a later fold. That is safe because the claim holding
// an endpoint's row settles next_due from the deliveries as they are when
// it settles, which includes every delivery whose wakeup was committed
// before; a wakeup committed after stays to be folded. (Waiting instead,
// an upsert, made every fold queue behind the other nodes' claims: 46 ms a
// fold with three nodes.) It runs as a statement of its own, before the
// claim's transaction, so the rows it locks are held for that statement
// only. An endpoint's first row is inserted only if it had none when the
// statement began, ON CONFLICT DO NOTHING, in endpoint order: so it can
// only wait for another fold inserting that same first row (in the same
// order), never for a row another fold or a claim is updating, which with
// the updates of this fold's own locked rows could deadlock. A wakeup whose
// endpoint was neither lowered nor added stays. Every
// table is reached through = ANY of an array, so by its primary key: a
// join could make the planner scan endpoint_queues whole.
const claimFoldSQL = `WITH w AS (
		SELECT id, endpoint_id, due FROM endpoint_queue_wakeups
		ORDER BY id LIMIT $1
		FOR UPDATE SKIP LOCKED
	),
	heads AS MATERIALIZED (
		SELECT endpoint_id, min(due) AS due FROM w GROUP BY endpoint_id
	),
	locked AS (
		SELECT q.endpoint_id FROM endpoint_queues q
		WHERE q.endpoint_id = ANY (ARRAY(SELECT endpoint_id FROM heads))
		ORDER BY q.endpoint_id
		FOR UPDATE SKIP LOCKED
	),
	lowered AS (
		UPDATE endpoint_queues q SET next_due = LEAST(q.next_due, h.due)
		FROM heads h
		WHERE q.endpoint_id = ANY (ARRAY(SELECT endpoint_id FROM locked)) AND h.endpoint_id = q.endpoint_id
		RETURNING q.endpoint_id
	),
	added AS (
		INSERT INTO endpoint_queues (endpoint_id, next_due)
		SELECT endpoint_id, due FROM heads
		WHERE endpoint_id <> ALL (ARRAY(
			SELECT q.endpoint_id FROM endpoint_queues q
			WHERE q.endpoint_id = ANY (ARRAY(SELECT endpoint_id FROM heads))))
		ORDER BY endpoint_id
		ON CONFLICT (endpoint_id) DO NOTHING
		RETURNING endpoint_id
	),
	folded AS (
		DELETE FROM endpoint_queue_wakeups
		WHERE id = ANY (ARRAY(
			SELECT w.id FROM w
			WHERE w.endpoint_id IN (SELECT endpoint_id FROM lowered UNION ALL SELECT endpoint_id FROM added)))
		RETURNING 1
	)
	SELECT (SELECT count(*) FROM w) - (SELECT count(*) FROM folded)`

// A publish wakes the endpoints of the deliveries it leaves unleased, not
// of those it leases (publishInsertSQL): a leased delivery is recorded or
// released by its node, and either change wakes its endpoint if need be
// (the update trigger). Only a node that dies, or hangs past its leases,
// leaves one whose lease runs out unrecorded, and for that a claim first
// wakes, at most every leaseSweepInterval, the endpoints of expired
// leases (wakeExpiredLeasesSQL). Waking every leased delivery's endpoint
// at its lease's end instead cost a wakeup row per endpoint per publish
// and its fold: without them, herald bench --store postgres --events
// 10000 ran 1.03-1.05 times as fast, at about 0.94 of the database's CPU
// per delivery (12 alternated pairs, session 24). The sweep reads
// deliveries_leased, which holds only the leased pending rows: the
// deliveries in flight, whatever the backlog (TestClaimPlans, and
// TestClaimPlansWithOneLargeBacklog with a 100,000-delivery backlog).
const wakeExpiredLeasesSQL = `INSERT INTO endpoint_queue_wakeups (endpoint_id, due)
	SELECT DISTINCT endpoint_id, '-infinity'::timestamptz FROM deliveries
	WHERE state = 'pending' AND lease_token IS NOT NULL AND next_attempt_at <= $1`

// leaseSweepInterval is how often claims look for expired leases: a dead
// node's deliveries are claimed again within this of their lease's end.
const leaseSweepInterval = 5 * time.Second

// wakeExpiredLeases runs wakeExpiredLeasesSQL if the last sweep this store
// ran (by claim time) is leaseSweepInterval or more before now.
func (s *Store) wakeExpiredLeases(ctx context.Context, now time.Time) error {
	last, n := s.leaseSwept.Load(), now.UnixNano()
	if n >= last && n-last < int64(leaseSweepInterval) {
		return nil // swept lately (a clock that went back sweeps again)
	}
	if !s.leaseSwept.CompareAndSwap(last, n) {
		return nil // another claim of this node is sweeping
	}
	if _, err := s.pool.Exec(ctx, wakeExpiredLeasesSQL, dbTime(now)); err != nil {
		return fmt.Errorf("wake expired leases: %w", err)
	}
	return nil
}

// foldWakeups runs claimFoldSQL and returns how many wakeups it left.
func (s *Store) foldWakeups(ctx context.Context) (int64, error) {
	var left int64
	if err := s.pool.QueryRow(ctx, claimFoldSQL, claimFoldLimit).Scan(&left); err != nil {
		return 0, fmt.Errorf("fold wakeups: %w", err)
	}
	return left, nil
}

// claimFoldLimit bounds one fold; what is left waits for the next claim,
// so a burst of wakeups costs claims a bounded amount each.
const claimFoldLimit = 4096

// DeliveryClaimDue implements herald.Store. Several nodes claim at once, so
// two things must hold across them: a delivery is leased by one claim only,
// and an endpoint never has more unexpired leases than its concurrency cap.
// And a claim must cost O(batch): not grow with the backlog (a partner that
// is down with a million deliveries waiting) nor with the number of
// endpoints.
//
// The design (migration 014, docs/scaling.md): endpoint_queues holds, per
// endpoint, next_due, a lower bound on when it next has claimable work,
// lowered by the wakeups that triggers on deliveries and endpoints insert.
// A claim first folds the wakeups in (claimFoldSQL), then runs rounds of
// three statements in one transaction:
//
//  1. claimLockSQL locks the endpoints whose next_due has come, oldest
//     first, with FOR UPDATE SKIP LOCKED. The row lock serializes claims
//     per endpoint across nodes (the cap is a read then a write: two
//     claims counting at once would overshoot it), and SKIP LOCKED moves
//     on to other endpoints rather than wait, the SKIP LOCKED idea at the
//     endpoint level. It cannot deadlock: it never waits.
//  2. claimLeaseSQL counts the locked endpoints' leases with a fresh
//     snapshot (READ COMMITTED) and leases up to each one's free slots,
//     rows locked FOR UPDATE SKIP LOCKED (an interactive claim may hold
//     one), moving their next_attempt_at to the lease's end, out of the
//     due range, and returns them with their events' bodies. A deleted
//     endpoint (no row) gets the default cap: its deliveries are claimed,
//     at the default pace, and failed by the dispatcher.
//  3. claimSettleSQL sets next_due of the locked endpoints exactly, so an
//     endpoint with nothing due (or at its cap) drops out of step 1 until
//     a wakeup lowers it again. It goes in one pipeline with step 2: a
//     round is two round trips.
//
// A round can come back short while other endpoints have due rows (a
// next_due was early, or endpoints were at their cap); the next round, in
// the same transaction, sees those endpoints settled and takes the next
// ones. Up to four rounds; a round that locks nothing ends it.
func (s *Store) DeliveryClaimDue(ctx context.Context, p *herald.DeliveryClaimParams) ([]*herald.ClaimedDelivery, error) {
	if err := herald.ValidateClaim(p.Limit, p.Now, p.LeaseUntil); err != nil {
		return nil, err
	}
	now, leaseUntil := dbTime(p.Now), dbTime(p.LeaseUntil)
	token := newLeaseToken()

	if err := s.wakeExpiredLeases(ctx, p.Now); err != nil {
		return nil, fmt.Errorf("claim due deliveries: %w", err)
	}
	left, err := s.foldWakeups(ctx)
	if err != nil {
		return nil, fmt.Errorf("claim due deliveries: %w", err)
	}
	// A claim only moves next_attempt_at later, which never lowers an
	// endpoint's next_due: the triggers need not run for it (they read
	// this setting, which ends with the transaction). Sent with BEGIN, in
	// its round trip (simple protocol, so two statements are allowed).
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{BeginQuery: "BEGIN; " + skipQueueTriggerSQL})
	if err != nil {
		return nil, fmt.Errorf("claim due deliveries: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()

	const maxRounds = 4
	var cs []claimedRow
	for round := 0; round < maxRounds && len(cs) < p.Limit; round++ {
		got, locked, err := claimRound(ctx, tx, p, now, leaseUntil, token, p.Limit-len(cs))
		if err != nil {
			return nil, fmt.Errorf("claim due deliveries: %w", err)
		}
		cs = append(cs, got...)
		if locked == 0 {
			break
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("claim due deliveries: %w", err)
	}
	if left > 0 {
		// The fold left wakeups whose queue rows another claim held;
		// that claim has likely committed by now. Fold them for the
		// next claim, so that a wakeup (a record that freed a slot)
		// never waits for a poll.
		if _, err := s.foldWakeups(ctx); err != nil {
			return nil, fmt.Errorf("claim due deliveries: %w", err)
		}
	}
	// RETURNING gives rows in no set order; hand them out oldest due first,
	// by the due time they had before the claim.
	slices.SortFunc(cs, func(a, b claimedRow) int {
		return cmp.Or(a.dueAt.Compare(b.dueAt), strings.Compare(a.c.ID, b.c.ID))
	})
	out := make([]*herald.ClaimedDelivery, len(cs))
	for i, r := range cs {
		r.c.Lease = herald.DeliveryLease{DeliveryID: r.c.ID, Token: token}
		r.c.LeaseUntil = leaseUntil
		out[i] = r.c
	}
	return out, nil
}

// claimedRow is a delivery a claim round leased, with its event's body, and
// the due time it had before the lease replaced it.
type claimedRow struct {
	c     *herald.ClaimedDelivery
	dueAt time.Time
}

// claimRound runs the statements of one claim round (see DeliveryClaimDue)
// in tx, leases up to limit deliveries, and reports how many endpoints it
// locked.
func claimRound(ctx context.Context, tx pgx.Tx, p *herald.DeliveryClaimParams, now, leaseUntil time.Time, token string, limit int) ([]claimedRow, int, error) {
	rows, err := tx.Query(ctx, claimLockSQL, now, nonNil(p.ExcludeEndpointIDs), limit)
	if err != nil {
		return nil, 0, fmt.Errorf("lock due endpoints: %w", err)
	}
	locked, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, 0, fmt.Errorf("lock due endpoints: %w", err)
	}
	if len(locked) == 0 {
		return nil, 0, nil
	}
	// The lease and the settle in one pipeline: each statement still has
	// its own snapshot, so the settle sees the leases.
	b := &pgx.Batch{}
	b.Queue(claimLeaseSQL, now, locked, limit, leaseUntil, p.Owner, token)
	b.Queue(claimSettleSQL, now, locked)
	br := tx.SendBatch(ctx, b)
	rows, err = br.Query()
	if err != nil {
		_ = br.Close()
		return nil, 0, fmt.Errorf("lease: %w", err)
	}
	cs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (claimedRow, error) {
		var c claimedRow
		c.c = &herald.ClaimedDelivery{}
		d, err := scanDelivery(extraColumns{r, []any{&c.dueAt, &c.c.BodyGzip, &c.c.LinkHeader, &c.c.TraceContext}})
		if err != nil {
			return c, err
		}
		c.c.Delivery = *d
		return c, nil
	})
	if err != nil {
		_ = br.Close()
		return nil, 0, fmt.Errorf("lease: %w", err)
	}
	if _, err := br.Exec(); err != nil {
		_ = br.Close()
		return nil, 0, fmt.Errorf("settle endpoint queues: %w", err)
	}
	if err := br.Close(); err != nil {
		return nil, 0, fmt.Errorf("settle endpoint queues: %w", err)
	}
	return cs, len(locked), nil
}

// DeliveryRecordAttempts implements herald.Store in one round trip: a
// pgx.Batch of two multi-row statements (unnest over column arrays), which
// pgx sends as one pipeline that the server runs in one implicit
// transaction.
func (s *Store) DeliveryRecordAttempts(ctx context.Context, records []*herald.AttemptRecord) (err error) {
	defer func() { err = busyAsUnavailable(err) }()
	if len(records) == 0 {
		return nil
	}
	now := s.nowUTC()

	var (
		// attempts
		aDelivery, aLocation, aUserMsg, aDebugMsg, aError, aBody, aHeaders []string
		aNumber, aStatus                                                   []int32
		aAt                                                                []time.Time
		aLatency                                                           []int64
		// deliveries
		dID, dToken, dState, dError, dLocation []string
		dCounted                               []bool
		dStatus                                []int32
		dNext, dUpdated                        []time.Time
		dLast                                  []*time.Time
	)
	for _, r := range records {
		if err := r.State.Check(); err != nil {
			return err
		}
		counted, status, lastError, updated := false, int32(0), r.Error, now
		var last *time.Time
		if a := r.Attempt; a != nil {
			headers := []byte("{}")
			if len(a.RequestHeaders) > 0 {
				var err error
				if headers, err = json.Marshal(a.RequestHeaders); err != nil {
					return fmt.Errorf("record attempts: %w", err)
				}
			}
			at := dbTime(a.At)
			aDelivery = append(aDelivery, r.Lease.DeliveryID)
			aNumber = append(aNumber, int32(a.Number))
			aAt = append(aAt, at)
			aStatus = append(aStatus, int32(a.StatusCode))
			aLocation = append(aLocation, a.Location)
			aUserMsg = append(aUserMsg, a.UserMessage)
			aDebugMsg = append(aDebugMsg, a.DebugErrorMessage)
			aError = append(aError, a.Error)
			aLatency = append(aLatency, int64(a.Latency))
			aBody = append(aBody, a.ResponseBody)
			aHeaders = append(aHeaders, string(headers))

			counted, status, lastError = true, int32(a.StatusCode), a.Error
			if !at.IsZero() {
				updated = at
				last = &at
			}
		}
		next := updated
		if r.State == herald.DeliveryStatePending && !r.NextAttemptAt.IsZero() {
			next = dbTime(r.NextAttemptAt)
		}
		dID = append(dID, r.Lease.DeliveryID)
		dToken = append(dToken, r.Lease.Token)
		dState = append(dState, string(r.State))
		dCounted = append(dCounted, counted)
		dNext = append(dNext, next)
		dLast = append(dLast, last)
		dStatus = append(dStatus, status)
		dError = append(dError, lastError)
		dLocation = append(dLocation, r.Location)
		dUpdated = append(dUpdated, updated)
	}

	b := &pgx.Batch{}
	// Ordered delivery: a delivery that becomes final releases the one
	// waiting for it (a trigger; order.go). Its subject's lock, taken
	// first, keeps a publish of that subject from placing a delivery
	// behind it unseen. A record the caller says is unordered needs none:
	// skipping the statement saves its planning and a lookup per delivery
	// (about 2 % of the database's time per delivery, pg_stat_statements).
	var final []string
	for _, r := range records {
		if r.State != herald.DeliveryStatePending && !r.Unordered {
			final = append(final, r.Lease.DeliveryID)
		}
	}
	if len(final) > 0 {
		b.Queue(lockDeliveriesSQL, lockClassSubject, final)
	}
	if len(aDelivery) > 0 {
		// The attempt is logged whatever the lease: it was made, and the
		// log should say so.
		b.Queue(recordAttemptsSQL,
			aDelivery, aNumber, aAt, aStatus, aLocation, aUserMsg, aDebugMsg, aError, aLatency, aBody, aHeaders)
	}
	// The delivery changes only while the record's lease is current: the
	// token must match and the delivery still be pending.
	b.Queue(recordDeliveriesSQL,
		dID, dToken, dState, dCounted, dNext, dLast, dStatus, dError, dLocation, dUpdated)
	// A 410 turns its endpoint off in this same transaction (the batch
	// runs as one).
	var goneIDs, goneReasons []string
	for _, r := range records {
		if r.DisableEndpoint != "" {
			goneIDs, goneReasons = append(goneIDs, r.Lease.DeliveryID), append(goneReasons, r.DisableEndpoint)
		}
	}
	if len(goneIDs) > 0 {
		b.Queue(`UPDATE endpoints e SET enabled = false, disabled_reason = u.reason, updated_at = $3,
				disabled_by = $4, disabled_at = $3
			FROM (SELECT DISTINCT ON (d.endpoint_id) d.endpoint_id, g.reason
				FROM unnest($1::text[], $2::text[]) AS g (delivery_id, reason)
				JOIN deliveries d ON d.id = g.delivery_id
				ORDER BY d.endpoint_id) u
			WHERE e.id = u.endpoint_id`, goneIDs, goneReasons, now, herald.DisabledByHealthMonitor)
	}
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("record attempts: %w", err)
	}
	return nil
}

// DeliveryRelease implements herald.Store in one statement.
func (s *Store) DeliveryRelease(ctx context.Context, leases []herald.DeliveryLease, now time.Time) error {
	if len(leases) == 0 {
		return nil
	}
	ids, tokens := make([]string, len(leases)), make([]string, len(leases))
	for i, l := range leases {
		ids[i], tokens[i] = l.DeliveryID, l.Token
	}
	b := &pgx.Batch{}
	b.Queue(`UPDATE deliveries d
		SET next_attempt_at = $1, lease_owner = NULL, lease_token = NULL
		FROM unnest($2::text[], $3::text[]) AS u (id, token)
		WHERE d.id = u.id AND d.lease_token = u.token AND d.state = 'pending'`,
		dbTime(now), ids, tokens)
	// Released deliveries are due at once: any node may take them.
	queueNotify(b)
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("release deliveries: %w", err)
	}
	return nil
}

// recordAttemptsSQL logs a record batch's attempts (unnest of $1-$11) and
// updates their endpoints' health (endpoint_health), in one statement.
// The join skips an unknown delivery id rather than failing the whole
// batch on the foreign key.
//
// Health: one upsert for all the batch's endpoints, in endpoint_id order,
// so two nodes recording batches that share endpoints lock their rows in
// the same order and queue rather than deadlock. Healthy is 2xx, 303 or
// 400 (herald/health.go). Batches are not in time order, so a late record
// never moves a streak back; when the exact start of a streak is unknown
// (failures recorded around a late success), the guess is a later
// failure, never an earlier one: the monitor may disable an endpoint late,
// never early. In the proposed row (excluded), failing_since is the
// batch's first failure after its last success (all its failures if it
// has none), and the status and error are those of its last failure.
//
// Migration 005's trigger did this for every insert into attempts, at
// about half the cost of the record (migration 020); own_health tells it
// that this statement does it, for the previous release's sake.
const recordAttemptsSQL = `WITH own_health AS MATERIALIZED (
		SELECT set_config('herald.health_by_record', 'on', true)
	), a AS MATERIALIZED (
		SELECT u.*, d.endpoint_id, d.customer_id,
			(u.status_code BETWEEN 200 AND 299 OR u.status_code IN (303, 400)) AS ok
		FROM own_health, unnest($1::text[], $2::int[], $3::timestamptz[], $4::int[], $5::text[],
			$6::text[], $7::text[], $8::text[], $9::bigint[], $10::text[], $11::jsonb[])
			AS u (delivery_id, number, at, status_code, location, user_message,
				debug_error_message, error, latency_ns, response_body, request_headers)
		JOIN deliveries d ON d.id = u.delivery_id
	), logged AS (
		INSERT INTO attempts (delivery_id, number, at, status_code, location, user_message,
			debug_error_message, error, latency_ns, response_body, request_headers)
		SELECT delivery_id, number, at, status_code, location, user_message,
			debug_error_message, error, latency_ns, response_body, request_headers
		FROM a
	), b AS (
		SELECT endpoint_id, min(customer_id) AS customer_id, max(at) AS last_attempt,
			max(at) FILTER (WHERE ok) AS last_success,
			max(at) FILTER (WHERE NOT ok) AS last_failure
		FROM a GROUP BY endpoint_id
	)
	INSERT INTO endpoint_health AS h (endpoint_id, customer_id, last_attempt_at, last_success_at,
		last_failure_at, last_status_code, last_error, failing_since)
	SELECT b.endpoint_id, b.customer_id, b.last_attempt, b.last_success, b.last_failure,
		coalesce(f.status_code, 0), coalesce(f.error, ''),
		(SELECT min(a.at) FROM a WHERE a.endpoint_id = b.endpoint_id AND NOT a.ok
			AND (b.last_success IS NULL OR a.at > b.last_success))
	FROM b LEFT JOIN LATERAL (
		SELECT a.status_code, a.error FROM a WHERE a.endpoint_id = b.endpoint_id AND NOT a.ok
		ORDER BY a.at DESC LIMIT 1) f ON true
	ORDER BY b.endpoint_id
	ON CONFLICT (endpoint_id) DO UPDATE SET
		last_attempt_at = greatest(h.last_attempt_at, excluded.last_attempt_at),
		last_success_at = greatest(h.last_success_at, excluded.last_success_at),
		last_failure_at = greatest(h.last_failure_at, excluded.last_failure_at),
		last_status_code = CASE WHEN excluded.last_failure_at IS NOT NULL
			AND (h.last_failure_at IS NULL OR excluded.last_failure_at >= h.last_failure_at)
			THEN excluded.last_status_code ELSE h.last_status_code END,
		last_error = CASE WHEN excluded.last_failure_at IS NOT NULL
			AND (h.last_failure_at IS NULL OR excluded.last_failure_at >= h.last_failure_at)
			THEN excluded.last_error ELSE h.last_error END,
		-- s is the new last success, f the new last failure: no streak
		-- unless f is after s; else the earliest failure known to be
		-- after s.
		failing_since = (SELECT CASE
			WHEN v.f IS NULL OR (v.s IS NOT NULL AND v.s >= v.f) THEN NULL
			WHEN v.s IS NULL THEN least(h.failing_since, excluded.failing_since)
			ELSE least(
				CASE WHEN h.failing_since > v.s THEN h.failing_since
				     WHEN h.last_failure_at > v.s THEN h.last_failure_at END,
				CASE WHEN excluded.failing_since > v.s THEN excluded.failing_since
				     WHEN excluded.last_failure_at > v.s THEN excluded.last_failure_at END)
			END
			FROM (SELECT greatest(h.last_success_at, excluded.last_success_at) AS s,
			             greatest(h.last_failure_at, excluded.last_failure_at) AS f) v),
		recovered_from = CASE WHEN h.failing_since IS NOT NULL AND excluded.last_success_at IS NOT NULL
			AND excluded.last_success_at >= greatest(h.last_failure_at, excluded.last_failure_at)
			THEN h.failing_since ELSE h.recovered_from END,
		recovered_at = CASE WHEN h.failing_since IS NOT NULL AND excluded.last_success_at IS NOT NULL
			AND excluded.last_success_at >= greatest(h.last_failure_at, excluded.last_failure_at)
			THEN excluded.last_success_at ELSE h.recovered_at END`

// recordDeliveriesSQL applies a record batch to its deliveries (unnest of
// $1-$10), each only while the record's lease is current.
const recordDeliveriesSQL = `UPDATE deliveries d SET
	state = u.state,
	attempts = d.attempts + u.counted::int,
	schedule_attempts = d.schedule_attempts + u.counted::int,
	next_attempt_at = u.next_attempt_at,
	last_attempt_at = CASE WHEN u.counted THEN u.last_attempt_at ELSE d.last_attempt_at END,
	last_status_code = CASE WHEN u.counted THEN u.status_code ELSE d.last_status_code END,
	last_error = u.error,
	location = u.location,
	lease_owner = NULL,
	lease_token = NULL,
	updated_at = u.updated_at
FROM unnest($1::text[], $2::text[], $3::text[], $4::bool[], $5::timestamptz[], $6::timestamptz[],
		$7::int[], $8::text[], $9::text[], $10::timestamptz[])
	AS u (id, token, state, counted, next_attempt_at, last_attempt_at, status_code, error, location, updated_at)
WHERE d.id = u.id AND d.lease_token = u.token AND d.state = 'pending'`
