package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/storerules"
)

// EventPublish implements herald.Store. The rules are storerules.Publish's;
// this gives them PostgreSQL's batch (eventBatch), sent in one round trip
// whatever the batch size, or two when the node's endpoint cache lacks a
// customer of the batch (a pipeline reads the customers and endpoints):
// one statement inserts every event and delivery (multi-row unnest,
// publishInsertSQL), with the NOTIFY that wakes the dispatchers of every
// node once it commits if a delivery is left for them, in the implicit
// transaction of a pgx.Batch. (A batch with ordered deliveries takes one
// more, for its subjects' queues: order.go.)
//
// Endpoints come from the store's cache (storerules.EndpointCache) or a
// read before the insert, outside its transaction, and the insert checks
// that endpoints_version has not moved since they were read; if it has,
// the batch is planned again with endpoints read anew (endpointsFor). So
// an endpoint created or edited on any node before the insert applies to
// the batch, and one edited while the insert runs to the next. A customer
// deleted in between cannot take events (events.customer_id has a foreign
// key).
func (s *Store) EventPublish(ctx context.Context, events []*herald.Event) ([]*herald.EventPublishResult, error) {
	results, _, err := s.publish(ctx, events, nil)
	return results, err
}

// EventPublishLeased implements herald.PublishLeaser. Several nodes lease
// at once, so the cap is kept as claims keep it (DeliveryClaimDue): the
// publish's transaction locks the endpoint_queues rows of the endpoints it
// would lease (lockQueuesSQL), then inserts in a statement of its own
// (publishInsertSQL), whose snapshot sees every lease the lock's previous
// holder committed, leasing up to each endpoint's free slots as it counts
// them. BEGIN, the lock, the insert and COMMIT go out in one pipeline, so
// the rows stay locked for the statements' run and no round trip: another
// node's publish to the same endpoints waits that long only. (Deciding the
// leases in Go between two round trips held them across one: with three
// nodes, herald bench's p50 was a tenth higher, and Herald's CPU per
// delivery 8 %.)
//
// Unlike a claim it waits for a row another transaction holds, rather than
// skip it: with SKIP LOCKED, the claims that records keep waking held the
// rows so often that about half the deliveries fell back to claims. It
// cannot deadlock: it locks its rows in one statement, in endpoint order,
// after any advisory lock of ordered delivery and before nothing else that
// waits; claims and folds never wait for a queue row (SKIP LOCKED), and
// another publish takes its rows in the same order. Every endpoint has a
// queue row from its creation (EndpointInsert, migration 018); a delivery
// to an endpoint without one would be left to claims, whose fold makes
// the row.
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

	var customerIDs []string
	seenCustomer := map[string]bool{}
	for _, ev := range events {
		if ev != nil && !seenCustomer[ev.CustomerID] {
			seenCustomer[ev.CustomerID] = true
			customerIDs = append(customerIDs, ev.CustomerID)
		}
	}
	// As in the sqlite store: the first plan trusts the cached endpoints
	// and its insert checks they are current; a second, if that check
	// fails, reads them anew and its insert trusts that read, so
	// endpoints edited without pause cannot hold a batch back. Offering
	// the deliveries again is safe: the node's reservations are counted,
	// and what is not leased gives its room back.
	results, claimed, stale, err := s.publishPlanned(ctx, events, customerIDs, lease, false)
	if stale {
		results, claimed, _, err = s.publishPlanned(ctx, events, customerIDs, lease, true)
	}
	return results, claimed, err
}

// publishPlanned plans the batch with its customers' endpoints
// (endpointsFor: from the cache unless reread) and inserts it. Unless
// reread, the insert goes ahead only if endpoints_version is still the one
// the endpoints were read at; stale reports that it was not, and nothing
// was written.
func (s *Store) publishPlanned(ctx context.Context, events []*herald.Event, customerIDs []string, lease *herald.PublishLease, reread bool) (_ []*herald.EventPublishResult, _ []*herald.ClaimedDelivery, stale bool, err error) {
	known, endpoints, version, err := s.endpointsFor(ctx, customerIDs, reread)
	if err != nil {
		return nil, nil, false, fmt.Errorf("publish events: %w", err)
	}
	var expect any // the version the insert checks; NULL checks nothing
	if !reread {
		expect = version
	}

	b := &eventBatch{known: known, endpoints: endpoints, seen: map[string]bool{}}
	results, err := storerules.Publish(ctx, b, events, dbTime)
	if err != nil {
		return nil, nil, false, fmt.Errorf("publish events: %w", err)
	}
	if len(b.evID) == 0 {
		return results, nil, false, nil
	}
	var taken map[*herald.Delivery]bool
	if lease != nil {
		taken = lease.Offer(results)
	}

	// Deliveries to ordered endpoints join their subjects' queues under
	// the queues' locks (order.go), and a batch that leases takes its
	// endpoints' queue locks (lockQueuesSQL), so such a batch runs in a
	// transaction of ours, with the locks. Other batches keep the implicit
	// transaction: they pay nothing for either.
	var tx *pipelinedTx
	if orderedDeliveries(b.dls) || len(taken) > 0 {
		conn, err := s.pool.Acquire(ctx)
		if err != nil {
			return nil, nil, false, fmt.Errorf("publish events: %w", err)
		}
		tx = &pipelinedTx{conn: conn}
		defer tx.end(ctx)
	}
	if orderedDeliveries(b.dls) {
		if err := placeOrdered(ctx, tx, b.dls, b.evID); err != nil {
			return nil, nil, false, fmt.Errorf("publish events: %w", err)
		}
	}

	// A taken delivery that waits for no earlier one of its subject may be
	// leased; the insert decides which, up to each endpoint's free slots.
	var (
		token, owner string
		leaseUntil   time.Time
		leaseNow     time.Time
		lockIDs      []string
	)
	mayLease := make([]bool, len(b.dls))
	if len(taken) > 0 {
		token, owner = newLeaseToken(), lease.Owner
		leaseUntil, leaseNow = dbTime(lease.LeaseUntil), dbTime(lease.Now)
		seen := map[string]bool{}
		for i, d := range b.dls {
			if taken[d] && d.WaitingFor == "" {
				mayLease[i] = true
				if !seen[d.EndpointID] {
					seen[d.EndpointID] = true
					lockIDs = append(lockIDs, d.EndpointID)
				}
			}
		}
	}
	var (
		dlID, dlEvent, dlEndpoint, dlCustomer, dlType []string
		dlState, dlError                              []string
		dlCreated, dlNext                             []time.Time
		dlSubject, dlWaiting                          []string
		dlSeq                                         []int64
	)
	for _, d := range b.dls {
		dlID = append(dlID, d.ID)
		dlEvent = append(dlEvent, d.EventID)
		dlEndpoint = append(dlEndpoint, d.EndpointID)
		dlCustomer = append(dlCustomer, d.CustomerID)
		dlType = append(dlType, string(d.EventType))
		dlState = append(dlState, string(d.State))
		dlError = append(dlError, d.LastError)
		dlCreated = append(dlCreated, d.CreatedAt)
		dlNext = append(dlNext, d.NextAttemptAt)
		dlSubject = append(dlSubject, d.Subject)
		dlSeq = append(dlSeq, d.SubjectSeq)
		dlWaiting = append(dlWaiting, d.WaitingFor)
	}

	pb := &pgx.Batch{}
	if len(lockIDs) > 0 {
		// Its own statement, before the insert: the insert's snapshot,
		// taken once the locks are held, sees every lease the locks'
		// previous holders committed.
		pb.Queue(lockQueuesSQL, lockIDs)
	}
	inserted := map[string]bool{}
	leasedIDs := map[string]bool{}
	pb.Queue(publishInsertSQL,
		b.evID, b.evCustomer, b.evType, b.evStatus, b.evBody, b.evLink, b.evCreated,
		nonNil(dlID), nonNil(dlEvent), nonNil(dlEndpoint), nonNil(dlCustomer), nonNil(dlType),
		nonNil(dlState), nonNil(dlError), nonNil(dlCreated), nonNil(dlNext),
		nonNil(dlSubject), nonNil(dlSeq), nonNil(dlWaiting), b.evSystem, b.evPerson, b.evTrace,
		mayLease, owner, token, leaseUntil, leaseNow, nonNil(lockIDs), expect,
	).Query(func(rows pgx.Rows) error {
		var id, what string
		_, err := pgx.ForEachRow(rows, []any{&id, &what}, func() error {
			switch what {
			case "event":
				inserted[id] = true
			case "leased":
				leasedIDs[id] = true
			case "stale":
				stale = true
			}
			return nil
		})
		return err
	})
	if tx != nil {
		err = tx.commit(ctx, pb)
	} else {
		err = s.pool.SendBatch(ctx, pb).Close()
	}
	if err != nil {
		return nil, nil, false, fmt.Errorf("publish events: %w", err)
	}
	if stale {
		return nil, nil, true, nil
	}

	leased := map[*herald.Delivery]bool{}
	for _, d := range b.dls {
		if leasedIDs[d.ID] {
			leased[d] = true
		}
	}
	storerules.RefuseTaken(results, inserted)
	return results, b.claimed(leased, inserted, token, leaseUntil), false, nil
}

// claimed returns the leased deliveries of the events that went in, in
// batch order, as claimed, with their events' bodies; their NextAttemptAt
// is set to the lease's end, as stored.
func (b *eventBatch) claimed(leased map[*herald.Delivery]bool, inserted map[string]bool, token string, until time.Time) []*herald.ClaimedDelivery {
	if len(leased) == 0 {
		return nil
	}
	event := make(map[string]int, len(b.evID))
	for i, id := range b.evID {
		event[id] = i
	}
	var out []*herald.ClaimedDelivery
	for _, d := range b.dls {
		if !leased[d] || !inserted[d.EventID] {
			continue
		}
		d.NextAttemptAt = until
		i := event[d.EventID]
		out = append(out, &herald.ClaimedDelivery{
			Delivery:   *d,
			Lease:      herald.DeliveryLease{DeliveryID: d.ID, Token: token},
			LeaseUntil: until,
			BodyGzip:   b.evBody[i], LinkHeader: b.evLink[i], TraceContext: b.evTrace[i],
		})
	}
	return out
}

// lockQueuesSQL locks the endpoint_queues rows of the endpoints in $1, in
// endpoint order (the lock is taken above the sort), waiting for a claim or
// another publish that holds one; see EventPublishLeased.
const lockQueuesSQL = `SELECT endpoint_id FROM endpoint_queues
	WHERE endpoint_id = ANY($1)
	ORDER BY endpoint_id
	FOR UPDATE`

// publishInsertSQL inserts a batch in one statement. The events insert
// skips ids that exist already (that event is refused with a conflict, the
// rest stand, as in the sqlite store), and the deliveries insert takes only
// the rows of events that went in. With a lease, each delivery $23 marks
// as one that may be leased is, in batch order, while its endpoint (of
// those in $28, whose queue rows lockQueuesSQL locked just before) has a
// free slot: its cap minus its unexpired leases at $27, counted in this
// statement's snapshot, which sees what the locks' previous holders
// committed. A leased row gets owner $24, token $25 and $26 as its due
// time (the lease's end). If a pending delivery went in without a lease
// (no slot or room for it, an interactive event, one waiting for its
// subject's turn), it wakes the dispatchers of every node (pg_notify,
// delivered when the transaction commits, so a woken claim finds the
// rows) and returns a row 'woke'. It returns the events that went in
// ('event') and the deliveries it leased ('leased'). If $29 is not NULL
// and endpoints_version is no longer $29, it inserts nothing and returns
// one row, 'stale': the batch was planned with endpoints edited since
// (see EventPublish).
//
// It wakes each endpoint at its earliest new pending delivery
// (endpoint_queue_wakeups, which a claim folds into endpoint_queues) from
// the rows its insert returns, and own_wakes tells migration 014's trigger,
// which would do the same from a transition table at about an eighth of
// this statement's time, to stand aside (migration 021).
var publishInsertSQL = `WITH own_wakes AS MATERIALIZED (
		SELECT set_config('herald.publish_wakes', 'on', true)
	), fresh AS (
		SELECT $29::bigint IS NULL OR $29::bigint = (SELECT version FROM endpoints_version) AS ok
	), ev AS (
		INSERT INTO events (id, customer_id, type, new_status, body_gzip, link_header, created_at, system_id, person_id, trace_context)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::text[], $7::timestamptz[],
			$20::text[], $21::text[], $22::text[])
		WHERE (SELECT ok FROM fresh)
		ON CONFLICT (id) DO NOTHING
		RETURNING id
	), u AS (
		SELECT u.* FROM own_wakes, unnest($8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[],
			$15::timestamptz[], $16::timestamptz[], $17::text[], $18::bigint[], $19::text[], $23::bool[])
			WITH ORDINALITY AS u (id, event_id, endpoint_id, customer_id, event_type, state, last_error, at, next_at,
				subject, subject_seq, waiting_for, may_lease, ord)
		WHERE u.event_id IN (SELECT id FROM ev)
	), free AS (
		SELECT f.id, ` + capSQL("f.id") + ` - ` + leasesSQL("f.id", "$27") + ` AS n
		FROM endpoint_queues q JOIN unnest($28::text[]) AS f (id) ON f.id = q.endpoint_id
	), lease AS (
		SELECT r.id FROM (
			SELECT u.id, u.endpoint_id, row_number() OVER (PARTITION BY u.endpoint_id ORDER BY u.ord) AS rank
			FROM u WHERE u.may_lease) r
		JOIN free ON free.id = r.endpoint_id
		WHERE r.rank <= free.n
	), dl AS (
		INSERT INTO deliveries (id, event_id, endpoint_id, customer_id, event_type, state, last_error,
			next_attempt_at, created_at, updated_at, subject, subject_seq, waiting_for, lease_owner, lease_token)
		SELECT u.id, u.event_id, u.endpoint_id, u.customer_id, u.event_type, u.state, u.last_error,
			CASE WHEN lease.id IS NULL THEN u.next_at ELSE $26 END, u.at, u.at, u.subject, u.subject_seq, u.waiting_for,
			CASE WHEN lease.id IS NULL THEN NULL ELSE $24 END, CASE WHEN lease.id IS NULL THEN NULL ELSE $25 END
		FROM u LEFT JOIN lease ON lease.id = u.id
		RETURNING id, endpoint_id, next_attempt_at, state, lease_token IS NOT NULL AS leased,
			state = 'pending' AND lease_token IS NULL AS unleased
	), wakeups AS (
		INSERT INTO endpoint_queue_wakeups (endpoint_id, due)
		SELECT endpoint_id, min(next_attempt_at) FROM dl WHERE unleased GROUP BY endpoint_id
	), woke AS (
		SELECT pg_notify('` + workChannel + `', current_schema()) FROM (SELECT FROM dl WHERE unleased LIMIT 1) x
	)
	SELECT id, 'event' FROM ev
	UNION ALL SELECT id, 'leased' FROM dl WHERE leased
	UNION ALL SELECT '', 'stale' FROM fresh WHERE NOT ok
	UNION ALL SELECT '', 'woke' FROM woke`

// eventBatch is storerules.PublishTx for EventPublish: it reads the
// customers and endpoints read before (customerEndpoints) and collects the
// columns of the one unnest insert that EventPublish then sends.
type eventBatch struct {
	known     map[string]bool
	endpoints map[string][]*herald.Endpoint
	// seen are the ids of the batch so far. The same id twice in one
	// batch: the second is refused here, as it would be in a later batch
	// (ON CONFLICT), since one INSERT ... ON CONFLICT DO NOTHING would take
	// the first row and return the id as inserted for both.
	seen map[string]bool

	evID, evCustomer, evType, evStatus, evLink []string
	evSystem, evPerson, evTrace                []string
	evBody                                     [][]byte
	evCreated                                  []time.Time
	dls                                        []*herald.Delivery
}

func (b *eventBatch) CustomerEndpoints(_ context.Context, customerID string) ([]*herald.Endpoint, error) {
	if !b.known[customerID] {
		return nil, storerules.ErrNotFound
	}
	return b.endpoints[customerID], nil
}

// EventInsert refuses an id met earlier in the batch; one stored already is
// refused once the insert has run (storerules.RefuseTaken).
func (b *eventBatch) EventInsert(_ context.Context, ev *herald.Event, systemID, personID string) error {
	if b.seen[ev.ID] {
		return storerules.ErrDuplicate
	}
	b.seen[ev.ID] = true
	b.evID = append(b.evID, ev.ID)
	b.evCustomer = append(b.evCustomer, ev.CustomerID)
	b.evType = append(b.evType, string(ev.Type))
	b.evStatus = append(b.evStatus, ev.NewStatus)
	b.evBody = append(b.evBody, ev.BodyGzip)
	b.evLink = append(b.evLink, ev.LinkHeader)
	b.evTrace = append(b.evTrace, ev.TraceContext)
	b.evCreated = append(b.evCreated, ev.CreatedAt)
	b.evSystem, b.evPerson = append(b.evSystem, systemID), append(b.evPerson, personID)
	return nil
}

func (b *eventBatch) DeliveriesInsert(_ context.Context, ds []*herald.Delivery) error {
	b.dls = append(b.dls, ds...)
	return nil
}

// endpointsVersionSQL, knownCustomersSQL and customersEndpointsSQL are
// customerEndpoints' statements: the count of changes to customers and
// endpoints (migration 019), which customers of $1 exist, and their
// endpoints.
const (
	endpointsVersionSQL   = `SELECT version FROM endpoints_version`
	knownCustomersSQL     = `SELECT id FROM customers WHERE id = ANY($1)`
	customersEndpointsSQL = `SELECT ` + endpointColumns + ` FROM endpoints WHERE customer_id = ANY($1) ORDER BY created_at, id`
)

// endpointsFor returns which of the customers exist, their endpoints
// (oldest first) and the endpoints_version they were read at: from the
// cache if it holds every one of them at its version and reread is false,
// else read in one round trip (customerEndpoints) and kept.
func (s *Store) endpointsFor(ctx context.Context, customerIDs []string, reread bool) (map[string]bool, map[string][]*herald.Endpoint, int64, error) {
	if v, ok := s.endpoints.Stamp(); ok && !reread {
		known := make(map[string]bool, len(customerIDs))
		endpoints := make(map[string][]*herald.Endpoint, len(customerIDs))
		for _, id := range customerIDs {
			eps, hit := s.endpoints.Get(v, id)
			if !hit {
				break
			}
			known[id], endpoints[id] = true, eps
		}
		if len(known) == len(customerIDs) {
			return known, endpoints, v, nil
		}
	}
	v, known, endpoints, err := s.customerEndpoints(ctx, customerIDs)
	if err != nil {
		return nil, nil, 0, err
	}
	s.endpoints.Current(v)
	for id := range known {
		s.endpoints.Put(v, id, endpoints[id])
	}
	return known, endpoints, v, nil
}

// customerEndpoints returns endpoints_version, then which of the customers
// exist and their endpoints, oldest first, in one round trip. The version
// is read first, in a snapshot of its own, so the endpoints are never
// older than it.
func (s *Store) customerEndpoints(ctx context.Context, customerIDs []string) (int64, map[string]bool, map[string][]*herald.Endpoint, error) {
	var version int64
	known := map[string]bool{}
	endpoints := map[string][]*herald.Endpoint{}
	b := &pgx.Batch{}
	b.Queue(endpointsVersionSQL).QueryRow(func(row pgx.Row) error { return row.Scan(&version) })
	b.Queue(knownCustomersSQL, customerIDs).Query(func(rows pgx.Rows) error {
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		for _, id := range ids {
			known[id] = true
		}
		return err
	})
	b.Queue(customersEndpointsSQL, customerIDs).Query(func(rows pgx.Rows) error {
		eps, err := collectEndpoints(rows)
		for _, e := range eps {
			endpoints[e.CustomerID] = append(endpoints[e.CustomerID], e)
		}
		return err
	})
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return 0, nil, nil, err
	}
	return version, known, endpoints, nil
}

// nonNil returns v, or an empty slice for nil: pgx sends a nil slice as
// NULL, and unnest(NULL) or x = ANY(NULL) is not what an empty list means.
func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

// batchSender sends a pipeline of statements: a pgx.Tx, or a pipelinedTx.
type batchSender interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// pipelinedTx is a transaction whose BEGIN goes out with its first
// pipeline and whose COMMIT goes out with its last (commit), so that it
// costs no round trip of its own: a publish that leases or places ordered
// deliveries takes two round trips, as one in the implicit transaction of
// a pipeline does one. end rolls back a transaction that did not commit
// and puts the connection back.
type pipelinedTx struct {
	conn   *pgxpool.Conn
	begun  bool // BEGIN was sent
	closed bool // COMMIT went through, or the connection was dropped
}

// SendBatch sends b in the transaction, opening it with b's pipeline if
// this is the first.
func (t *pipelinedTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if !t.begun {
		t.begun = true
		begin := &pgx.Batch{}
		begin.Queue("BEGIN")
		begin.QueuedQueries = append(begin.QueuedQueries, b.QueuedQueries...)
		b = begin
	}
	return t.conn.SendBatch(ctx, b)
}

// commit sends b and COMMIT in one pipeline.
func (t *pipelinedTx) commit(ctx context.Context, b *pgx.Batch) error {
	b.Queue("COMMIT")
	err := t.SendBatch(ctx, b).Close()
	t.closed = err == nil
	return err
}

// end rolls back what did not commit; if it cannot, the connection is
// closed rather than put back inside a transaction.
func (t *pipelinedTx) end(ctx context.Context) {
	if t.begun && !t.closed {
		if _, err := t.conn.Exec(context.WithoutCancel(ctx), "ROLLBACK"); err != nil {
			_ = t.conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}
	t.conn.Release()
}
