package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/storerules"
)

// EventPublish implements herald.Store. The rules are storerules.Publish's,
// applied in two steps so that the single writer, the store's bottleneck,
// runs only the inserts:
//
//  1. off the writer, the rules run over a read connection's view
//     (plannedBatch): each customer's endpoints come from the endpoint
//     cache (storerules.EndpointCache), at the version of endpoints_version
//     it holds, and the events, their search keys and their deliveries
//     are made;
//  2. one write of a shared hot transaction (hottx.go) checks that the
//     version has not moved (else the batch plans again, reading it
//     first), and inserts them with statements prepared once, placing
//     each delivery of an ordered endpoint in its subject's queue as it
//     goes. So an endpoint edit committed before the insert applies to
//     the batch.
//
// An event whose id turns out taken when it is inserted, or whose customer
// was deleted in between, is refused then, as one met in step 1 would be.
// The batch is made durable by the group fsync of walSyncer rather than
// while holding the writer.
func (s *Store) EventPublish(ctx context.Context, events []*herald.Event) ([]*herald.EventPublishResult, error) {
	results, _, err := s.publish(ctx, events, nil)
	return results, err
}

// EventPublishLeased implements herald.PublishLeaser: EventPublish, with
// the deliveries lease.Take takes leased as they are inserted. It needs no
// lock to keep each endpoint's cap: the insert runs on the single writer,
// as every claim does, so it counts the endpoint's unexpired leases in the
// same order as they are taken.
func (s *Store) EventPublishLeased(ctx context.Context, events []*herald.Event, lease *herald.PublishLease) ([]*herald.EventPublishResult, []*herald.ClaimedDelivery, error) {
	if err := lease.Validate(); err != nil {
		return nil, nil, err
	}
	return s.publish(ctx, events, lease)
}

// publish is EventPublish and, with a lease, EventPublishLeased.
func (s *Store) publish(ctx context.Context, events []*herald.Event, lease *herald.PublishLease) (_ []*herald.EventPublishResult, _ []*herald.ClaimedDelivery, err error) {
	defer func() { err = busyAsUnavailable(err) }()
	if len(events) == 0 {
		return []*herald.EventPublishResult{}, nil, nil
	}
	// The first plan trusts the cached endpoints, and its insert checks
	// they are current; a second, if that check fails, reads the version
	// before any endpoint, and its insert trusts that (EndpointCache).
	// Offering the deliveries again is safe: the node's reservations are
	// counted, and what is not leased gives its room back.
	var (
		plan    *plannedBatch
		results []*herald.EventPublishResult
		refused map[string]error
		seq     int64
	)
	for _, readVersion := range []bool{false, true} {
		plan = &plannedBatch{s: s, seen: map[string]bool{}, readVersion: readVersion}
		if err = plan.prime(ctx, events); err != nil {
			return nil, nil, fmt.Errorf("publish events: %w", err)
		}
		results, err = storerules.Publish(ctx, plan, events, atMillis)
		if err != nil {
			return nil, nil, fmt.Errorf("publish events: %w", err)
		}
		if len(plan.events) == 0 {
			return results, nil, nil
		}
		if lease != nil {
			plan.lease, plan.token, plan.taken = lease, newLeaseToken(), lease.Offer(results)
		}
		seq, err = s.hotWrites.runNumbered(ctx, func(ctx context.Context, tx *sql.Tx) error {
			var err error
			refused, err = plan.insert(ctx, tx)
			return err
		})
		if !errors.Is(err, errStalePlan) {
			break
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("publish events: %w", err)
	}
	for i, r := range results {
		if r.Err == nil && refused[r.Event.ID] != nil {
			results[i] = &herald.EventPublishResult{Err: refused[r.Event.ID]}
		}
	}
	// Durable before anyone hears so (a 202 promises it); the writer is
	// free for the next batch meanwhile.
	if err := s.wal.waitFor(ctx, seq); err != nil {
		return nil, nil, fmt.Errorf("publish events: sync the log: %w", err)
	}
	return results, plan.claimed(), nil
}

// plannedBatch is storerules.PublishTx for EventPublish's first step: it
// reads endpoints through the read pool and collects the rows that insert
// then writes.
type plannedBatch struct {
	s *Store
	// version is the endpoints_version the batch plans with, once it has
	// one (versionRead): the cache's (EndpointCache.Stamp), which insert
	// checks (checkVersion), or with readVersion, or while the cache has
	// none, as the batch first read it on the read pool.
	version      int64
	versionRead  bool
	readVersion  bool
	checkVersion bool
	// seen are the ids of the batch so far: the same id twice in one batch
	// is refused here, as a stored one is when inserted.
	seen   map[string]bool
	events []plannedEvent
	// caps are the concurrency caps of the endpoints the batch met.
	caps map[string]int

	// The lease of EventPublishLeased, if any, and its token:
	lease *herald.PublishLease
	token string
	// taken are the deliveries lease.Take took (PublishLease.Offer), before
	// the writer runs insert: Take reserves room in the node, once per
	// delivery, so it must not run again when insert does.
	taken map[*herald.Delivery]bool
	// leased are the deliveries the last run of insert leased, with their
	// events, in insert order.
	leased []leasedDelivery
}

// leasedDelivery is a delivery a publish leased, with its event.
type leasedDelivery struct {
	d  *herald.Delivery
	ev *herald.Event
}

// plannedEvent is an event to insert, with its search keys and deliveries.
type plannedEvent struct {
	ev                 *herald.Event
	systemID, personID string
	deliveries         []*herald.Delivery
}

// planVersion settles the version the batch plans with, once.
func (b *plannedBatch) planVersion(ctx context.Context) error {
	if b.versionRead {
		return nil
	}
	v, ok := b.s.endpoints.Stamp()
	if !ok || b.readVersion {
		var err error
		if v, err = b.s.currentEndpointsVersion(ctx); err != nil {
			return err
		}
	}
	b.version, b.versionRead, b.checkVersion = v, true, ok && !b.readVersion
	return nil
}

// prime reads the endpoints of the batch's customers that the cache lacks
// at the batch's version, all in two statements, before the rules ask for
// them one customer at a time (CustomerEndpoints, two statements each).
// A node new to a platform with thousands of customers meets a new
// customer in nearly every event for its first minutes: herald bench
// --customers 10000 read two statements per event.
func (b *plannedBatch) prime(ctx context.Context, events []*herald.Event) error {
	if err := b.planVersion(ctx); err != nil {
		return err
	}
	var missing []string
	seen := make(map[string]bool, len(events))
	for _, ev := range events {
		if ev == nil || seen[ev.CustomerID] {
			continue // a nil event is refused by the rules
		}
		seen[ev.CustomerID] = true
		if _, ok := b.s.endpoints.Get(b.version, ev.CustomerID); !ok {
			missing = append(missing, ev.CustomerID)
		}
	}
	if len(missing) < 2 {
		return nil // CustomerEndpoints reads one as cheaply
	}
	known, eps, err := customersEndpoints(ctx, readHot{b.s}, missing)
	if err != nil {
		return err
	}
	for id := range known {
		b.s.endpoints.Put(b.version, id, eps[id])
	}
	return nil
}

func (b *plannedBatch) CustomerEndpoints(ctx context.Context, customerID string) ([]*herald.Endpoint, error) {
	if err := b.planVersion(ctx); err != nil {
		return nil, err
	}
	eps, ok := b.s.endpoints.Get(b.version, customerID)
	if !ok {
		var err error
		if eps, err = customerEndpoints(ctx, readHot{b.s}, customerID); err != nil {
			return nil, err
		}
		b.s.endpoints.Put(b.version, customerID, eps)
	}
	if b.caps == nil {
		b.caps = map[string]int{}
	}
	for _, ep := range eps {
		b.caps[ep.ID] = ep.Concurrency()
	}
	return eps, nil
}

// claimed returns what insert leased as claimed deliveries, their
// NextAttemptAt the lease's end, as stored.
func (b *plannedBatch) claimed() []*herald.ClaimedDelivery {
	if len(b.leased) == 0 {
		return nil
	}
	until := fromMillis(b.lease.LeaseUntil.UnixMilli())
	out := make([]*herald.ClaimedDelivery, len(b.leased))
	for i, l := range b.leased {
		l.d.NextAttemptAt = until
		out[i] = &herald.ClaimedDelivery{
			Delivery:   *l.d,
			Lease:      herald.DeliveryLease{DeliveryID: l.d.ID, Token: b.token},
			LeaseUntil: until,
			BodyGzip:   l.ev.BodyGzip, LinkHeader: l.ev.LinkHeader, TraceContext: l.ev.TraceContext,
		}
	}
	return out
}

func (b *plannedBatch) EventInsert(_ context.Context, ev *herald.Event, systemID, personID string) error {
	if b.seen[ev.ID] {
		return storerules.ErrDuplicate
	}
	b.seen[ev.ID] = true
	b.events = append(b.events, plannedEvent{ev: ev, systemID: systemID, personID: personID})
	return nil
}

func (b *plannedBatch) DeliveriesInsert(_ context.Context, ds []*herald.Delivery) error {
	last := &b.events[len(b.events)-1]
	last.deliveries = append(last.deliveries, ds...)
	return nil
}

// errStalePlan is insert's refusal of a batch planned with endpoints that
// changed before it took the writer; publish plans it again.
var errStalePlan = fmt.Errorf("the endpoints changed since the batch was planned (%w)", errWroteNothing)

// insert writes the planned events and their deliveries in tx and returns
// the events it refused, by id: a taken id (INSERT OR IGNORE: a failing
// statement would be an error for the whole batch) or a customer deleted
// since step 1 (the foreign key). If the batch planned with the cache's
// version, it first checks that endpoints_version still has it, and
// returns errStalePlan, having written nothing, if not. With a lease, it
// leases each taken delivery that may be (leaseRun.take) and lists it in
// b.leased. Like every write of a shared hot transaction it may run again,
// so it sets what it returns and b.leased anew each time.
func (b *plannedBatch) insert(ctx context.Context, tx *sql.Tx) (map[string]error, error) {
	if b.checkVersion {
		var v int64
		if err := b.s.txQueryRow(ctx, tx, endpointsVersionSQL).Scan(&v); err != nil {
			return nil, err
		}
		if v != b.version {
			return nil, errStalePlan
		}
	}
	leases := b.newLeaseRun(tx)
	insEvent, err := b.s.stmt(ctx, tx, insertEvent)
	if err != nil {
		return nil, err
	}
	defer insEvent.Close()
	insDelivery, err := b.s.stmt(ctx, tx, insertDelivery)
	if err != nil {
		return nil, err
	}
	defer insDelivery.Close()
	queues := newSubjectQueues(tx)
	var refused map[string]error
	refuse := func(id string, err error) {
		if refused == nil {
			refused = map[string]error{}
		}
		refused[id] = err
	}
	for _, p := range b.events {
		ev := p.ev
		res, err := insEvent.ExecContext(ctx, ev.ID, ev.CustomerID, string(ev.Type),
			ev.NewStatus, ev.BodyGzip, ev.LinkHeader, toMillis(ev.CreatedAt), p.systemID, p.personID, ev.TraceContext)
		if isForeignKeyViolation(err) {
			refuse(ev.ID, herald.NotFound("customer", ev.CustomerID))
			continue
		}
		if err != nil {
			return nil, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, err
		} else if n == 0 {
			refuse(ev.ID, herald.Exists("event", ev.ID))
			continue
		}
		for _, d := range p.deliveries {
			if err := queues.place(ctx, d); err != nil {
				return nil, err
			}
			leased, err := leases.take(ctx, d)
			if err != nil {
				return nil, err
			}
			if leased {
				err = leases.insert(ctx, d)
				b.leased = append(b.leased, leasedDelivery{d: d, ev: ev})
			} else {
				_, err = insDelivery.ExecContext(ctx, deliveryArgs(d)...)
			}
			if err != nil {
				return nil, err
			}
		}
	}
	return refused, nil
}

// insertDeliveries places each of ds in its subject's queue and stores it
// with ins (insertDelivery as a statement of the transaction).
func insertDeliveries(ctx context.Context, queues *subjectQueues, ins *sql.Stmt, ds []*herald.Delivery) error {
	for _, d := range ds {
		if err := queues.place(ctx, d); err != nil {
			return err
		}
		if _, err := ins.ExecContext(ctx, deliveryArgs(d)...); err != nil {
			return err
		}
	}
	return nil
}

// leaseRun is what one run of plannedBatch.insert knows of the leases it
// makes: each endpoint's free slots, counted at its first taken delivery
// and kept up to date as the run leases more.
type leaseRun struct {
	b    *plannedBatch
	tx   *sql.Tx
	free map[string]int
}

func (b *plannedBatch) newLeaseRun(tx *sql.Tx) *leaseRun {
	b.leased = b.leased[:0]
	return &leaseRun{b: b, tx: tx}
}

// take reports whether d, placed in its subject's queue, is to be inserted
// leased: it was taken, it waits for no earlier delivery of its subject,
// and its endpoint is below its cap. A true answer uses one free slot.
func (r *leaseRun) take(ctx context.Context, d *herald.Delivery) (bool, error) {
	if !r.b.taken[d] || d.WaitingFor != "" {
		return false, nil
	}
	free, ok := r.free[d.EndpointID]
	if !ok {
		var leases int
		if err := r.b.s.txQueryRow(ctx, r.tx, endpointLeasesSQL, toMillis(r.b.lease.Now), d.EndpointID).Scan(&leases); err != nil {
			return false, err
		}
		free = r.b.caps[d.EndpointID] - leases
		if r.free == nil {
			r.free = map[string]int{}
		}
	}
	if free <= 0 {
		r.free[d.EndpointID] = 0
		return false, nil
	}
	r.free[d.EndpointID] = free - 1
	return true, nil
}

// insert stores d leased (insertLeasedDelivery).
func (r *leaseRun) insert(ctx context.Context, d *herald.Delivery) error {
	args := deliveryArgs(d)
	args[deliveryArgsNextAttemptAt] = toMillis(r.b.lease.LeaseUntil)
	args = append(args, r.b.lease.Owner, r.b.token)
	st, err := r.b.s.stmt(ctx, r.tx, insertLeasedDelivery)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(ctx, args...)
	return err
}

// endpointLeasesSQL counts an endpoint's unexpired leases: ?1 is now, ?2
// the endpoint.
var endpointLeasesSQL = `SELECT ` + leasesSQL("?2")

// insertEvent stores an event; INSERT OR IGNORE: see EventPublish.
const insertEvent = `INSERT OR IGNORE INTO events
	(id, customer_id, type, new_status, body_gzip, link_header, created_at, system_id, person_id, trace_context)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// insertDelivery stores a delivery that herald.NewDelivery made, with the
// arguments deliveryArgs gives. EventPublish (eventBatch) and the platform
// actions (actionPublish) both use it.
const insertDelivery = `INSERT INTO deliveries
	(id, event_id, endpoint_id, customer_id, event_type, state, last_error, next_attempt_at, created_at, updated_at,
	 subject, subject_seq, waiting_for)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// insertLeasedDelivery stores a delivery as insertDelivery does, leased:
// deliveryArgs with the lease's end in place of next_attempt_at, then the
// lease's owner and token.
const insertLeasedDelivery = `INSERT INTO deliveries
	(id, event_id, endpoint_id, customer_id, event_type, state, last_error, next_attempt_at, created_at, updated_at,
	 subject, subject_seq, waiting_for, lease_owner, lease_token)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// deliveryArgsNextAttemptAt is where deliveryArgs puts next_attempt_at.
const deliveryArgsNextAttemptAt = 7

// deliveryArgs are the arguments of insertDelivery for d.
func deliveryArgs(d *herald.Delivery) []any {
	return []any{d.ID, d.EventID, d.EndpointID, d.CustomerID, string(d.EventType), string(d.State), d.LastError,
		toMillis(d.NextAttemptAt), toMillis(d.CreatedAt), toMillis(d.UpdatedAt),
		d.Subject, d.SubjectSeq, d.WaitingFor}
}

// customerEndpoints returns the customer's endpoints, or
// storerules.ErrNotFound if there is no such customer. Their Auth is left
// empty (scanEndpoint): publishing needs only what they want.
func customerEndpoints(ctx context.Context, q rowQuerier, customerID string) ([]*herald.Endpoint, error) {
	var one int
	err := q.QueryRowContext(ctx, customerExistsSQL, customerID).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, storerules.ErrNotFound
	case err != nil:
		return nil, err
	}
	return listEndpoints(ctx, q, customerID)
}

const customerExistsSQL = `SELECT 1 FROM customers WHERE id = ?`

// customersEndpoints returns which of the customers exist and their
// endpoints, each customer's in creation order (as listEndpoints), an
// empty list for one with none.
func customersEndpoints(ctx context.Context, q querier, customerIDs []string) (map[string]bool, map[string][]*herald.Endpoint, error) {
	ids := jsonArray(customerIDs)
	known := map[string]bool{}
	eps := map[string][]*herald.Endpoint{}
	rows, err := q.QueryContext(ctx, knownCustomersSQL, ids)
	if err != nil {
		return nil, nil, err
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, nil, err
		}
		known[id], eps[id] = true, []*herald.Endpoint{}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if rows, err = q.QueryContext(ctx, customersEndpointsSQL, ids); err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEndpoint(rows)
		if err != nil {
			return nil, nil, err
		}
		eps[e.CustomerID] = append(eps[e.CustomerID], e)
	}
	return known, eps, rows.Err()
}

const (
	knownCustomersSQL     = `SELECT id FROM customers WHERE id IN (SELECT value FROM json_each(?))`
	customersEndpointsSQL = `SELECT ` + endpointColumns + ` FROM endpoints
	WHERE customer_id IN (SELECT value FROM json_each(?)) ORDER BY customer_id, created_at, rowid`
)

// rowQuerier is what customerEndpoints reads through: a *sql.Tx, or
// readHot.
type rowQuerier interface {
	querier
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// readHot runs queries on the read pool through its prepared statements
// (readStmts), for the shared helpers that take a querier.
type readHot struct{ s *Store }

func (r readHot) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := r.s.readStmts.get(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return r.s.read.QueryContext(ctx, query, args...)
}

func (r readHot) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := r.s.readStmts.get(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return r.s.read.QueryRowContext(ctx, query, args...)
}
