package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/heraldhq/herald"
)

// Config configures a Dispatcher. Zero fields take the defaults documented
// on each; validate names the first bad one.
type Config struct {
	Store  herald.Store
	Logger *slog.Logger
	// Client sends every attempt. Default: NewHTTPClient with the zero
	// DestinationPolicy (global addresses only) and RequestTimeout.
	Client *http.Client
	// NodeID names this node in leases. Default: hostname-pid.
	NodeID string
	// RequestTimeout bounds one attempt, reply included. Default: 30s.
	RequestTimeout time.Duration
	// LeaseDuration is how long a claimed delivery stays this node's. It
	// must exceed RequestTimeout plus leaseMargin: an attempt starts only
	// while that much lease is left, which is what keeps another node (or
	// this one, after a restart) from sending the same attempt twice.
	// Default: 5m, which also covers waiting in a full endpoint queue.
	LeaseDuration time.Duration
	// ClaimBatch is the most deliveries claimed per query. Default: 256.
	ClaimBatch int
	// MaxOutstanding bounds deliveries claimed and not yet recorded, so a
	// backlog stays in the database, not in memory. It also bounds the
	// node's attempts in flight, and so its rate to slow partners: about
	// MaxOutstanding ÷ their reply time. Default: DefaultMaxOutstanding.
	MaxOutstanding int
	// QueuePerEndpoint bounds claimed deliveries waiting for one endpoint's
	// lane; a full lane is left out of claims. Default: eight times the
	// endpoint's concurrency, and at least 64.
	QueuePerEndpoint int
	// PollInterval is how often the store is asked for due work when
	// nothing wakes the dispatcher (retries coming due, other nodes'
	// publishes). Default: 500ms.
	PollInterval time.Duration
	// ClaimCooldown is the least time between the end of a claim that
	// found less than a full batch and the next claim, however often
	// publishes wake the dispatcher (River's FetchCooldown). Under load
	// every publish batch wakes it; claiming on each wake made many small
	// claims, each a write transaction on the store's single writer
	// (SQLite) or a query round trip (PostgreSQL). A full claim is followed
	// at once by the next. Default: 5ms; negative: claim on every wake.
	ClaimCooldown time.Duration
	// RecordLinger is the most a small batch of attempt results waits for
	// more before it is recorded, while results come in numbers (see
	// recorder.linger). Each record batch is a transaction whose fixed
	// cost (on PostgreSQL two statements, a round trip and a commit) is
	// then shared by more attempts. Nothing a partner or a publisher sees
	// waits for it: results that someone waits for (interactive delivery,
	// an ordered subject's next delivery) are recorded at once.
	// Default: 0, none.
	RecordLinger time.Duration
	// EndpointCacheTTL is how long an endpoint's configuration (and a
	// customer's retry policies) is used as read; past it, it is checked
	// against the store's change count (herald.DispatchConfigStore) or
	// read again, so edits take effect within it. Default: 2s.
	EndpointCacheTTL time.Duration
	// RetryPolicy says when failures are retried, for deliveries whose
	// customer has no policy of its own. Default:
	// herald.DefaultRetryPolicy().
	RetryPolicy *herald.RetryPolicy
	// RetryPolicies holds customers' own retry policies (per customer and
	// event type), cached as endpoints are (EndpointCacheTTL).
	// Nil: every customer has RetryPolicy.
	RetryPolicies herald.RetryPolicyStore
	// ShutdownTimeout is how long Run lets attempts in flight finish after
	// its context ends; attempts still running then are cut off and their
	// deliveries handed back unchanged. Default: 10s.
	ShutdownTimeout time.Duration
	// ReleaseOrphansOnStart hands back, at start, every lease a previous
	// process left. Only for a store this process alone uses (SQLite, which
	// cmd/herald locks); with several nodes, leases expire instead.
	ReleaseOrphansOnStart bool
	// NowFunc returns the time. Default: time.Now.
	NowFunc func() time.Time
	// Observer receives measurements (for Prometheus metrics). Default:
	// none.
	Observer Observer
	// TracerProvider makes a span for each attempt. Default: none (a
	// no-op provider); the global otel provider is not used.
	TracerProvider trace.TracerProvider
}

// DefaultMaxOutstanding is Config.MaxOutstanding's default: a few KB each
// (the event's gzip'd body, the lease), so some tens of MB at most.
const DefaultMaxOutstanding = 4096

// leaseMargin is the lease an attempt must have left beyond its timeout
// when it starts: time to record the result before the lease ends.
const leaseMargin = 15 * time.Second

// minLeaseSlack is the least time a claimed delivery may wait in its lane
// before its lease is too short to start an attempt.
const minLeaseSlack = 5 * time.Second

// maxReplyBody is how much of a reply Herald reads: enough for any Error
// Reporting body; the rest is discarded so a partner cannot make Herald
// buffer megabytes.
const maxReplyBody = 64 << 10

// maxEventBody bounds a decompressed event body. Bodies are built by Herald
// and are a few KB; this only guards against a corrupt row.
const maxEventBody = 8 << 20

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 30 * time.Second
	}
	if c.LeaseDuration <= 0 {
		c.LeaseDuration = 5 * time.Minute
	}
	if c.Client == nil {
		c.Client = NewHTTPClient(ClientConfig{Timeout: c.RequestTimeout})
	}
	if c.NodeID == "" {
		host, _ := os.Hostname()
		c.NodeID = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	if c.ClaimBatch <= 0 {
		c.ClaimBatch = 256
	}
	if c.MaxOutstanding <= 0 {
		c.MaxOutstanding = DefaultMaxOutstanding
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 500 * time.Millisecond
	}
	switch {
	case c.ClaimCooldown == 0:
		c.ClaimCooldown = 5 * time.Millisecond
	case c.ClaimCooldown < 0:
		c.ClaimCooldown = 0
	}
	if c.EndpointCacheTTL <= 0 {
		c.EndpointCacheTTL = 2 * time.Second
	}
	if c.RetryPolicy == nil {
		p := herald.DefaultRetryPolicy()
		c.RetryPolicy = &p
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 10 * time.Second
	}
	if c.NowFunc == nil {
		c.NowFunc = time.Now
	}
}

func (c *Config) validate() error {
	switch {
	case c.Store == nil:
		return errors.New("dispatch: Store is required")
	case c.LeaseDuration < c.RequestTimeout+leaseMargin+minLeaseSlack:
		// An attempt starts only while RequestTimeout+leaseMargin of lease
		// is left; a lease of exactly that would hand every delivery back
		// unsent. The slack is time to wait in a lane's queue.
		return fmt.Errorf("dispatch: LeaseDuration (%s) must be at least RequestTimeout (%s) plus %s", c.LeaseDuration, c.RequestTimeout, leaseMargin+minLeaseSlack)
	case c.ClaimBatch > c.MaxOutstanding:
		return fmt.Errorf("dispatch: ClaimBatch (%d) cannot exceed MaxOutstanding (%d)", c.ClaimBatch, c.MaxOutstanding)
	}
	return nil
}

// Dispatcher claims due deliveries and attempts them. Create it with New and
// run it with Run; Wake tells it new work is due.
type Dispatcher struct {
	cfg      Config
	log      *slog.Logger
	store    herald.Store
	signers  *signers
	eps      *endpointCache
	rec      *recorder
	ctl      *controls
	obs      *Observer
	policies *retryPolicies
	tracer   trace.Tracer
	traced   bool // tracer records spans (not a no-op provider)

	// stopping is closed when Run's context ends, to wake workers waiting
	// on an endpoint's rate limit.
	stopping chan struct{}
	// started is closed when Run first takes work (Started).
	started chan struct{}

	wake chan struct{}
	// nudge is settled's wake (see claimLoop): a freed slot may let a
	// capped endpoint's backlog through, or may not.
	nudge   chan struct{}
	waiters waiters

	mu          sync.Mutex
	lanes       map[string]*lane
	outstanding int  // claimed, handed off or reserved for a handoff; not yet recorded or released
	running     bool // Run has started: handoffs may come (handoff.go)
	draining    bool // Run's context ended: start nothing new
	workers     sync.WaitGroup

	// attemptCtx outlives Run's context by up to ShutdownTimeout, so
	// attempts in flight at shutdown can finish.
	attemptCtx    context.Context
	cancelAttempt context.CancelFunc
}

// New returns a Dispatcher for cfg.
func New(cfg Config) (*Dispatcher, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	d := &Dispatcher{
		cfg:     cfg,
		log:     cfg.Logger,
		store:   cfg.Store,
		signers: newSigners(cfg.Client),
		wake:    make(chan struct{}, 1),
		nudge:   make(chan struct{}, 1),
		lanes:   map[string]*lane{},
		ctl:     newControls(),
		obs:     &cfg.Observer,

		stopping: make(chan struct{}),
		started:  make(chan struct{}),
	}
	d.tracer, d.traced = newTracer(cfg.TracerProvider)
	version := newConfigVersion(cfg.Store, cfg.EndpointCacheTTL, cfg.NowFunc)
	d.eps = newEndpointCache(cfg.Store, version, cfg.EndpointCacheTTL, cfg.NowFunc)
	if !sameStore(cfg.RetryPolicies, cfg.Store) {
		// Policies kept elsewhere are counted elsewhere, if at all.
		version = newConfigVersion(cfg.RetryPolicies, cfg.EndpointCacheTTL, cfg.NowFunc)
	}
	d.policies = newRetryPolicies(cfg.RetryPolicies, version, cfg.EndpointCacheTTL, cfg.NowFunc, cfg.RetryPolicy, cfg.Logger)
	d.rec = newRecorder(cfg.Store, cfg.Logger, d.settled)
	d.rec.lingerFor = cfg.RecordLinger
	d.rec.committed = d.obs.recordBatch
	d.attemptCtx, d.cancelAttempt = context.WithCancel(context.Background())
	return d, nil
}

// Wake tells the dispatcher that deliveries may be due now. It never blocks.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run claims and attempts deliveries until ctx ends, then drains: it stops
// claiming, hands back deliveries not yet started, gives attempts in flight
// up to ShutdownTimeout to finish, records every result, and returns.
func (d *Dispatcher) Run(ctx context.Context) error {
	if d.cfg.ReleaseOrphansOnStart {
		n, err := d.store.DeliveryReleaseOrphans(ctx, d.now())
		if err != nil {
			return fmt.Errorf("release orphaned leases: %w", err)
		}
		if n > 0 {
			d.log.InfoContext(ctx, "released leases left by a previous process", slog.Int("deliveries", n))
		}
	}
	recDone := make(chan struct{})
	go func() { d.rec.run(); close(recDone) }()
	d.mu.Lock()
	d.running = true
	d.mu.Unlock()
	close(d.started)

	pruneDone := make(chan struct{})
	go func() { d.pruneLoop(ctx); close(pruneDone) }()

	d.claimLoop(ctx)
	<-pruneDone
	d.drain()
	d.rec.close()
	<-recDone
	return nil
}

func (d *Dispatcher) now() time.Time { return d.cfg.NowFunc().UTC() }

// claimLoop claims whenever woken or polled, and at once again after a full
// batch, until ctx ends.
//
// A record's nudge (settled) waits longer after claims that found
// nothing: ClaimCooldown doubled per empty claim in a row, up to
// maxNudgeBackoff of it. With publishes handing their deliveries straight
// to the lanes (handoff.go) most nudges find nothing, and on PostgreSQL an
// empty claim is still a fold and a transaction that locks the endpoints'
// queue rows. A wake (a publish that left deliveries for a claim, a
// replay, a lane with room again, another node's NOTIFY) and any claim
// that finds work reset it, so a capped endpoint's backlog, which claims
// keep finding, is served at ClaimCooldown.
func (d *Dispatcher) claimLoop(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	backoff := time.Duration(0)
	var shortAt time.Time // when the last claim that was not full ended
	empty := 0            // claims in a row that found nothing
	for {
		cooldown := d.cfg.ClaimCooldown
		select {
		case <-ctx.Done():
			return
		case <-d.wake:
			empty = 0
		case <-d.nudge:
			cooldown <<= min(empty, maxNudgeBackoff)
		case <-timer.C:
			cooldown = 0
		}
		// Let the wakes of the next few milliseconds' publishes
		// gather into this claim (see Config.ClaimCooldown).
		if wait := cooldown - time.Since(shortAt); wait > 0 && !shortAt.IsZero() {
			cool := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				cool.Stop()
				return
			case <-d.wake: // work for a claim: stop waiting
				cool.Stop()
				empty = 0
			case <-cool.C:
			}
		}
		n, full, err := d.claimOnce(ctx)
		if !full {
			shortAt = time.Now()
		} else {
			shortAt = time.Time{}
		}
		if n == 0 && err == nil {
			empty++
		} else {
			empty = 0
		}
		switch {
		case err != nil && ctx.Err() == nil:
			backoff = min(max(2*backoff, 100*time.Millisecond), 10*time.Second)
			d.log.ErrorContext(ctx, "claim due deliveries", slog.Any("error", err), slog.Duration("retry_in", backoff))
			timer.Reset(backoff)
			continue
		case full:
			backoff = 0
			d.Wake() // more may be due: claim again without waiting
		default:
			backoff = 0
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(d.cfg.PollInterval)
	}
}

// maxNudgeBackoff bounds the doubling of a nudge's cooldown: 8 times
// ClaimCooldown, 40 ms by default.
const maxNudgeBackoff = 3

// claimOnce claims one batch and queues it on its lanes. It reports how
// many it claimed and whether the batch was full, meaning more work is
// probably due.
func (d *Dispatcher) claimOnce(ctx context.Context) (int, bool, error) {
	d.mu.Lock()
	room := min(d.cfg.ClaimBatch, d.cfg.MaxOutstanding-d.outstanding)
	var exclude []string
	for id, l := range d.lanes {
		if l.full(d.cfg.QueuePerEndpoint) {
			exclude = append(exclude, id)
		}
	}
	d.mu.Unlock()
	if room <= 0 {
		return 0, false, nil // the recorder or a lane will wake us when there is room
	}
	now := d.now()
	// Endpoints whose circuit is open are left out too: their backlog
	// stays in the store, untouched, until a probe may go.
	exclude = append(exclude, d.ctl.blocked(now)...)
	claimed, err := d.store.DeliveryClaimDue(ctx, &herald.DeliveryClaimParams{
		Now:                now,
		Limit:              room,
		LeaseUntil:         now.Add(d.cfg.LeaseDuration),
		Owner:              d.cfg.NodeID,
		ExcludeEndpointIDs: exclude,
	})
	if err != nil {
		return 0, false, err
	}
	if len(claimed) == 0 {
		return 0, false, nil
	}
	d.obs.claimBatch(len(claimed))
	d.mu.Lock()
	d.outstanding += len(claimed)
	d.prefetchLocked(claimed)
	for _, c := range claimed {
		d.queueLocked(c)
	}
	d.mu.Unlock()
	return len(claimed), len(claimed) == room, nil
}

// queueLocked queues c, claimed or handed off and counted as outstanding,
// on its endpoint's lane, and starts the lane's workers. d.mu is held.
func (d *Dispatcher) queueLocked(c *herald.ClaimedDelivery) {
	l := d.lanes[c.EndpointID]
	if l == nil {
		l = &lane{endpointID: c.EndpointID, capacity: herald.DefaultEndpointConcurrency}
		d.lanes[c.EndpointID] = l
	}
	l.queue = append(l.queue, c)
	d.startWorkersLocked(l)
}

// startWorkersLocked starts workers on l up to its capacity, one for each
// queued delivery that no idle worker will take: a worker busy with an
// attempt (a slow partner's, say) must not hold back the next delivery
// while the endpoint's cap allows another request. d.mu is held.
func (d *Dispatcher) startWorkersLocked(l *lane) {
	for !d.draining && l.active < l.capacity && l.active-l.busy < len(l.queue) {
		l.active++
		d.workers.Add(1)
		go d.work(l)
	}
}

// work attempts l's queued deliveries one at a time until the queue is empty.
func (d *Dispatcher) work(l *lane) {
	defer d.workers.Done()
	d.mu.Lock()
	for {
		if d.draining || len(l.queue) == 0 {
			l.active--
			if l.active == 0 && len(l.queue) == 0 && !d.draining {
				delete(d.lanes, l.endpointID)
			}
			d.mu.Unlock()
			return
		}
		wasFull := l.full(d.cfg.QueuePerEndpoint)
		c := l.queue[0]
		l.queue[0] = nil
		l.queue = l.queue[1:]
		l.busy++
		d.mu.Unlock()
		if wasFull {
			d.Wake() // the lane takes claims again
		}
		d.handle(l, c)
		d.mu.Lock()
		l.busy--
	}
}

// settled is called once per claimed delivery whose result is recorded or
// which was handed back. Its lease has ended, so the store may now let this
// node (or another) claim more for that endpoint: nudge the claim loop
// (claimLoop) rather than wait for the next poll, or an endpoint at its cap
// would be served only once per PollInterval.
func (d *Dispatcher) settled(n int) {
	d.mu.Lock()
	d.outstanding -= n
	d.mu.Unlock()
	select {
	case d.nudge <- struct{}{}:
	default:
	}
}

// Started is closed once Run takes work: from then on a publish hands its
// deliveries to the dispatcher.
func (d *Dispatcher) Started() <-chan struct{} { return d.started }

// Running reports whether Run has started taking work and not begun to
// drain: a publish hands deliveries to the dispatcher only meanwhile.
func (d *Dispatcher) Running() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.running && !d.draining
}

// drain runs after Run's context ended.
func (d *Dispatcher) drain() {
	close(d.stopping)
	d.mu.Lock()
	d.draining = true
	var queued []herald.DeliveryLease
	for id, l := range d.lanes {
		for _, c := range l.queue {
			queued = append(queued, c.Lease)
		}
		l.queue = nil
		if l.active == 0 {
			delete(d.lanes, id)
		}
	}
	d.mu.Unlock()
	d.release(queued)

	done := make(chan struct{})
	go func() { d.workers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d.cfg.ShutdownTimeout):
		d.log.Warn("shutdown timeout: cutting off attempts in flight; their deliveries go back to the queue")
		d.cancelAttempt()
		<-done
	}
	d.cancelAttempt()
}

// release hands deliveries back unattempted. If the store cannot be
// reached their leases simply expire, so nothing is lost either way.
func (d *Dispatcher) release(leases []herald.DeliveryLease) {
	if len(leases) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.store.DeliveryRelease(ctx, leases, d.now()); err != nil {
		d.log.Error("release deliveries", slog.Any("error", err), slog.Int("deliveries", len(leases)))
	}
	d.settled(len(leases))
}

// lane is one endpoint's queue of claimed deliveries and its workers.
type lane struct {
	endpointID string
	queue      []*herald.ClaimedDelivery
	active     int // workers running
	busy       int // of them, those handling a delivery
	capacity   int // the endpoint's concurrency, once known
}

// full reports whether the lane holds as many waiting deliveries as it may;
// such a lane is left out of claims until it drains.
func (l *lane) full(perEndpoint int) bool {
	limit := perEndpoint
	if limit <= 0 {
		limit = max(64, 8*l.capacity)
	}
	return len(l.queue) >= limit
}
