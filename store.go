package herald

import (
	"context"
	"time"
)

// Store keeps everything Herald knows. Each method is one transaction: what
// it writes commits together or not at all. Implementations live in the
// sqlite and postgres packages and must pass internal/storetest, which is
// the contract; the two may differ in SQL but never in behaviour.
//
// Methods return *Error values with the codes listed; any other error is
// internal. Times are stored in UTC with at least millisecond precision.
type Store interface {
	// CustomerCreate stores a new customer, setting CreatedAt.
	// Returns EINVALID if it does not validate, ECONFLICT if the id is taken.
	CustomerCreate(ctx context.Context, c *Customer) error
	// CustomerGet returns ENOTFOUND if there is no such customer.
	CustomerGet(ctx context.Context, id string) (*Customer, error)
	// CustomerList returns every customer, by id.
	CustomerList(ctx context.Context) ([]*Customer, error)
	// CustomerRename sets a customer's name. Returns EINVALID if the name
	// does not validate, ENOTFOUND if there is no such customer.
	CustomerRename(ctx context.Context, id, name string) error
	// CustomerDelete removes a customer and everything that is its:
	// endpoints, events, deliveries and their attempts, replay jobs, web
	// users and sessions, platform records, every row of every table with
	// its customer_id. Returns ENOTFOUND if there is no such customer.
	CustomerDelete(ctx context.Context, id string) error

	// EndpointCreate stores a new endpoint, setting ID (if empty),
	// CreatedAt and UpdatedAt. Returns ENOTFOUND if the customer does not
	// exist, EINVALID if the endpoint does not validate.
	EndpointCreate(ctx context.Context, e *Endpoint) error
	// EndpointGet returns the endpoint with that id, whatever its customer
	// (callers acting for a customer must compare CustomerID).
	// Returns ENOTFOUND if there is none.
	EndpointGet(ctx context.Context, id string) (*Endpoint, error)
	// EndpointList returns a customer's endpoints, oldest first.
	EndpointList(ctx context.Context, customerID string) ([]*Endpoint, error)
	// EndpointUpdate replaces every configurable field of the endpoint with
	// that ID and CustomerID, setting UpdatedAt. Turning it off records
	// e.DisabledBy and the time (DisabledAt); while it stays off, both are
	// kept as they were; turning it on clears them. Returns ENOTFOUND if there
	// is none, EINVALID if it does not validate.
	EndpointUpdate(ctx context.Context, e *Endpoint) error
	// EndpointDisable turns an endpoint off with a reason (a 410 reply, say):
	// Herald's own decision, so DisabledBy becomes DisabledByHealthMonitor
	// and DisabledAt now. Returns ENOTFOUND if there is none.
	EndpointDisable(ctx context.Context, id, reason string, now time.Time) error
	// EndpointDelete removes an endpoint of a customer. Its deliveries and
	// their attempts stay for the record; pending ones fail when claimed.
	// Returns ENOTFOUND if there is none.
	EndpointDelete(ctx context.Context, customerID, id string) error

	// EventPublish stores a batch of events, each with one pending delivery,
	// due at now, for every endpoint of its customer that wants it
	// (Endpoint.Wants), all in one transaction. An endpoint that is
	// subscribed to the event (its types and status triggers) but disabled
	// gets a delivery too, stored failed with no attempt and LastError
	// "endpoint disabled: <DisabledReason>" (or just "endpoint disabled"),
	// so that what it missed is listed as failed and can be retried or
	// replayed once it is enabled again. A result's Deliveries are the
	// pending ones only, the deliveries the caller may attempt or wait for
	// (interactive delivery); DeliveryListForEvent lists all of them. The
	// platform actions (PlatformStore) store their events the same way, and
	// ActionResult.Deliveries are the pending ones too. Events must have ID,
	// CustomerID, Type, BodyGzip and CreatedAt set. One result per event, in
	// order; an event of an unknown customer gets a result with an
	// ENOTFOUND Err and stores nothing, and the rest of the batch stands.
	// So does an event whose ID is taken, by a stored event or by an
	// earlier event of the same batch, with an ECONFLICT Err. The times
	// of the results (CreatedAt, NextAttemptAt) are truncated to the
	// store's precision before they are returned, so they equal what a
	// later read of the same rows returns.
	//
	// A delivery to an ordered endpoint gets its Subject and is placed in
	// its subject's queue with Delivery.Follow, in publish order (batch
	// order within a batch): if an earlier delivery of that endpoint and
	// subject is pending, it waits for the latest of them (WaitingFor,
	// NextAttemptAt HoldUntil). Two publishes of one subject at once, on
	// any nodes, are placed one after the other, never both behind the
	// same delivery.
	EventPublish(ctx context.Context, events []*Event) ([]*EventPublishResult, error)
	// EventGet returns an event with BodyGzip (Body empty).
	// Returns ENOTFOUND if there is none.
	EventGet(ctx context.Context, id string) (*Event, error)

	// DeliveryClaimDue leases up to Limit pending deliveries that are due
	// at Now, oldest due first, skipping ExcludeEndpointIDs, and returns
	// them oldest due first. A claimed delivery is due again at LeaseUntil
	// unless an attempt is recorded or it is released first, and no other
	// claim can take it before then. LeaseUntil and NextAttemptAt come
	// back truncated to the store's precision, equal to what a later read
	// returns.
	//
	// It honours each endpoint's concurrency cap, across every node that
	// shares the store: a claim never leaves an endpoint with more
	// unexpired leases (claimed, neither recorded nor released, LeaseUntil
	// after Now) than its Concurrency(), so it may return fewer than
	// Limit while more are due. An endpoint at its cap does not keep other
	// endpoints' due deliveries from being claimed, however many of its
	// own are due before them: there is no head-of-line blocking. The
	// deliveries of a deleted endpoint are claimed at the default cap
	// (DefaultEndpointConcurrency), so that the dispatcher can fail them.
	// Returns EINVALID if Limit is not positive or LeaseUntil is not after
	// Now.
	DeliveryClaimDue(ctx context.Context, p *DeliveryClaimParams) ([]*ClaimedDelivery, error)
	// DeliveryClaimIDs leases the listed deliveries that are pending and not
	// leased (no lease, or an expired one), whether or not they are due and
	// whatever their endpoint's cap, for interactive delivery: a person is
	// waiting for them. It uses p.Now, p.LeaseUntil and p.Owner; other
	// fields of p are ignored. Ids that are unknown, not pending or under an
	// unexpired lease are left out. The result follows the order of ids.
	//
	// An id listed twice is claimed once, at its first place. The claimed
	// deliveries are what DeliveryClaimDue returns for a claim, and their
	// leases count toward their endpoints' caps for later claims as any
	// other. Returns EINVALID if LeaseUntil is not after Now or ids holds
	// more than MaxDeliveryClaimIDs. A delivery waiting for an earlier one
	// of its subject (WaitingFor) is left out too, whoever waits for it:
	// order per subject holds for interactive events as well.
	DeliveryClaimIDs(ctx context.Context, ids []string, p *DeliveryClaimParams) ([]*ClaimedDelivery, error)
	// DeliveryRecordAttempts stores a batch of outcomes: each inserts its
	// attempt (if any), counts it, and moves the delivery to its new state,
	// ending the lease. A record whose lease token is no longer the
	// delivery's keeps its attempt in the log but changes nothing else.
	// A delivery that becomes final (not pending) releases the delivery
	// waiting for it, if any, in the same transaction: WaitingFor cleared,
	// due at now.
	DeliveryRecordAttempts(ctx context.Context, records []*AttemptRecord) error
	// DeliveryRelease hands claimed deliveries back unattempted, due at
	// now. Leases that are no longer current are ignored.
	DeliveryRelease(ctx context.Context, leases []DeliveryLease, now time.Time) error
	// DeliveryReleaseOrphans makes every leased pending delivery due at now
	// and returns how many there were. Only for a store that one process
	// owns (SQLite), at start: a lease left by a process that died cannot
	// be in use.
	DeliveryReleaseOrphans(ctx context.Context, now time.Time) (int, error)
	// DeliveryRetry makes a delivery pending and due at now whatever its
	// state, restarting its retry schedule. Returns ENOTFOUND if there is
	// none, ECONFLICT if an attempt of it is in flight (leased). A
	// delivery waiting for an earlier one of its subject is sent at once,
	// out of order, as asked: it stops waiting (WaitingFor cleared), and
	// the delivery that waited for it, if any, waits for what it waited
	// for instead. Retrying a subject's head or a final delivery changes
	// no one's WaitingFor: later deliveries keep waiting for the head.
	DeliveryRetry(ctx context.Context, id string, now time.Time) (*Delivery, error)
	// DeliveryGet returns a delivery with its AttemptLog.
	// Returns ENOTFOUND if there is none.
	DeliveryGet(ctx context.Context, id string) (*Delivery, error)
	// DeliveryListForEvent returns an event's deliveries, oldest first,
	// each with its AttemptLog.
	DeliveryListForEvent(ctx context.Context, eventID string) ([]*Delivery, error)
	// DeliveryList returns one page of a customer's deliveries, newest
	// first, without attempt logs. Returns EINVALID for a bad cursor.
	DeliveryList(ctx context.Context, p *DeliveryListParams) (*DeliveryListResult, error)

	// Close releases the store's resources.
	Close() error
}

// MaxDeliveryClaimIDs is the most ids one Store.DeliveryClaimIDs call takes:
// far more deliveries than one interactive event has (one per endpoint of a
// customer), small enough to keep the call one short transaction.
const MaxDeliveryClaimIDs = 1000
