package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
	"github.com/heraldhq/herald/conformance"
	"github.com/heraldhq/herald/dispatch"
	"github.com/heraldhq/herald/health"
	"github.com/heraldhq/herald/internal/secretbox"
	"github.com/heraldhq/herald/metrics"
	"github.com/heraldhq/herald/platform"
	"github.com/heraldhq/herald/postgres"
	"github.com/heraldhq/herald/replay"
	"github.com/heraldhq/herald/retention"
	"github.com/heraldhq/herald/sqlite"
	"github.com/heraldhq/herald/tracing"
	"github.com/heraldhq/herald/web"
)

// serverConfig is everything a Herald node needs, gathered from flags and
// the environment by serve (and set directly by bench and tests).
type serverConfig struct {
	Listen            string
	DataDir           string
	Database          string // "": SQLite in DataDir; postgres://...: PostgreSQL
	PublicURL         string // "": http://<bound listen address>
	AllowDestinations []netip.Prefix
	AdminToken        string // "": HERALD_ADMIN_TOKEN, else the data directory's token file
	// Secrets seals endpoint secrets at rest (HERALD_ENCRYPTION_KEY);
	// nil: plain text, with a warning at start.
	Secrets         *secretbox.Keyring
	RequestTimeout  time.Duration
	LeaseDuration   time.Duration
	ShutdownTimeout time.Duration
	// OTLPEndpoint is the OTLP/HTTP collector for traces; "": tracing off.
	OTLPEndpoint string
	// TracerProvider, if not nil, traces instead of an OTLP exporter (for
	// tests, with an in-memory recorder).
	TracerProvider trace.TracerProvider
	// OperatorWebhookURL receives operator events (endpoint.disabled,
	// endpoint.recovered, delivery.dead) as signed POSTs; empty: none.
	OperatorWebhookURL    string
	OperatorWebhookSecret string
	// DisableAfter disables an endpoint failing continuously this long.
	// Zero: herald.DefaultDisableAfter; negative: never.
	DisableAfter time.Duration
	// InteractiveDeadline is how long an interactive publish waits for
	// partners. Zero: herald.DefaultInteractiveDeadline.
	InteractiveDeadline time.Duration
	NodeID              string
	Logger              *slog.Logger
	Stdout              io.Writer // where the one-time token notice and the address go
	// Retention is how long final events are kept for customers without a
	// retention of their own. Zero: no purging at all.
	Retention time.Duration
	// MetricsEndpointSeries bounds the endpoints with a latency series of
	// their own (metrics.Config.MaxEndpointSeries). Zero: the default.
	MetricsEndpointSeries int
	// MaxConnsPerHost bounds the connections the node opens to one
	// partner host (dispatch.ClientConfig). Default:
	// dispatch.DefaultMaxConnsPerHost.
	MaxConnsPerHost int
	// MaxOutstanding bounds the deliveries the node holds claimed
	// (dispatch.Config). Default: dispatch.DefaultMaxOutstanding.
	MaxOutstanding int
}

// nodeStore is every store interface a node's components take. Both of
// Herald's stores implement all of it (checked below, at compile time), so
// the wiring hands each component what its Config names and never asks a
// store at run time what it can do.
type nodeStore interface {
	herald.Store
	herald.HealthStore
	herald.ReplayStore
	herald.RetentionStore
	herald.PartnerTokenPurger
	herald.RetryPolicyStore
	herald.PlatformStore
	herald.WebUserStore
	herald.QueueStatsStore
	herald.QueueDepthStore
}

var (
	_ nodeStore = (*sqlite.Store)(nil)
	_ nodeStore = (*postgres.Store)(nil)
)

// node is a running Herald: store, dispatcher, publisher and HTTP server.
type node struct {
	cfg   serverConfig
	log   *slog.Logger
	store nodeStore
	// listenWork, set for PostgreSQL, wakes this node's dispatcher when
	// another node publishes (LISTEN/NOTIFY). Nil on SQLite: one node.
	listenWork func(ctx context.Context, wake func()) error
	dispatcher *dispatch.Dispatcher
	publisher  *dispatch.Publisher
	metrics    *metrics.Metrics
	monitor    *health.Monitor
	notifier   *health.Notifier // nil without an operator webhook
	replayer   *replay.Runner
	purger     *retention.Purger // nil: retention is off
	sampler    *metrics.Sampler  // nil: the store keeps no queue depth
	httpServer *http.Server
	listener   net.Listener
	baseURL    string
	publicURL  string
	adminToken string
	ready      atomic.Bool
	closers    []func() error
}

// startNode opens the store, binds the listener and builds the components.
// Nothing runs until run is called; close releases what startNode took if
// run is never called.
func startNode(ctx context.Context, cfg serverConfig) (_ *node, err error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Stdout == nil {
		cfg.Stdout = io.Discard
	}
	if cfg.NodeID == "" {
		host, _ := os.Hostname()
		cfg.NodeID = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	n := &node{cfg: cfg, log: cfg.Logger}
	defer func() {
		if err != nil {
			n.close()
		}
	}()
	if err := n.openStore(ctx); err != nil {
		return nil, err
	}
	if err := n.listen(); err != nil {
		return nil, err
	}
	client := dispatch.NewHTTPClient(dispatch.ClientConfig{
		Policy:          dispatch.DestinationPolicy{Allow: cfg.AllowDestinations},
		Timeout:         cfg.RequestTimeout,
		MaxConnsPerHost: cfg.MaxConnsPerHost,
	})
	tp, traced, err := n.tracerProvider(ctx)
	if err != nil {
		return nil, err
	}
	if err := n.startEngine(client, tp); err != nil {
		return nil, err
	}
	if err := n.buildHTTPServer(client, tp, traced); err != nil {
		return nil, err
	}
	return n, nil
}

// singleNode reports whether the node runs on SQLite, alone on its data.
func (n *node) singleNode() bool {
	return n.cfg.Database == "" || strings.HasPrefix(n.cfg.Database, "sqlite:")
}

// openStore opens the database: SQLite in the data directory (locked, so
// one node runs on it) or PostgreSQL.
func (n *node) openStore(ctx context.Context) error {
	cfg := n.cfg
	// A value Herald cannot open is refused before anything is made on
	// disk, so a typo leaves no empty data directory behind.
	if !n.singleNode() && !isPostgres(cfg.Database) {
		return usagef("--database must be empty (SQLite in --data), sqlite:PATH or postgres://...")
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	if n.singleNode() {
		unlock, err := lockDataDir(cfg.DataDir)
		if err != nil {
			return err
		}
		n.closers = append(n.closers, unlock)
		path := filepath.Join(cfg.DataDir, "herald.db")
		if p, ok := strings.CutPrefix(cfg.Database, "sqlite:"); ok && p != "" {
			path = p
		}
		st, err := sqlite.Open(ctx, &sqlite.Config{Path: path, Logger: cfg.Logger, Secrets: cfg.Secrets})
		if err != nil {
			return fmt.Errorf("open sqlite store: %w", err)
		}
		n.store = st
	} else {
		st, err := postgres.Open(ctx, &postgres.Config{URL: cfg.Database, Logger: cfg.Logger, Secrets: cfg.Secrets, Warm: true})
		if err != nil {
			return fmt.Errorf("open postgres store: %w", err)
		}
		n.store, n.listenWork = st, st.ListenWork
	}
	n.closers = append(n.closers, n.store.Close)
	if cfg.Secrets == nil {
		cfg.Logger.WarnContext(ctx, plainTextWarning)
	}

	return nil
}

// listen reads the admin token and binds the listener; the public URL
// defaults to the address bound.
func (n *node) listen() error {
	cfg := n.cfg
	var err error
	n.adminToken, err = adminToken(cfg)
	if err != nil {
		return err
	}

	n.listener, err = net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	n.closers = append(n.closers, func() error {
		if err := n.listener.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			return err
		}
		return nil
	})
	n.baseURL = "http://" + n.listener.Addr().String()
	n.publicURL = cfg.PublicURL
	if n.publicURL == "" {
		n.publicURL = n.baseURL
	}

	return nil
}

// tracerProvider is the configured one, an OTLP exporter's, or a no-op;
// traced says whether HTTP instrumentation is worth installing.
func (n *node) tracerProvider(ctx context.Context) (trace.TracerProvider, bool, error) {
	cfg := n.cfg
	// Traces are off unless a collector is configured; the no-op provider
	// costs nothing on the hot path, and no HTTP instrumentation is
	// installed (traced stays false).
	var tp trace.TracerProvider = noop.NewTracerProvider()
	traced := cfg.TracerProvider != nil
	if traced {
		tp = cfg.TracerProvider
	} else if cfg.OTLPEndpoint != "" {
		traced = true
		sdkTP, err := tracing.NewProvider(ctx, tracing.Config{Endpoint: cfg.OTLPEndpoint, NodeID: cfg.NodeID})
		if err != nil {
			return nil, false, usagef("--otlp-endpoint: %v", err)
		}
		n.closers = append(n.closers, func() error {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return sdkTP.Shutdown(sctx)
		})
		tp = sdkTP
	}
	return tp, traced, nil
}

// startEngine builds the delivery engine and the jobs beside it: metrics
// and the queue depth sampler, the dispatcher, the health monitor (and its
// webhook), the replay runner, the publisher and the retention purger.
func (n *node) startEngine(client *http.Client, tp trace.TracerProvider) error {
	cfg := n.cfg
	mcfg := metrics.Config{QueueStats: n.store, Logger: cfg.Logger,
		OpenCircuitsFunc:  func() int { return n.dispatcher.OpenCircuits() },
		MaxEndpointSeries: cfg.MetricsEndpointSeries}
	if st, ok := n.store.(*sqlite.Store); ok {
		mcfg.WriterFunc = func() metrics.WriterCounts {
			w := st.WriterStats()
			return metrics.WriterCounts{Busy: w.Busy, Writes: w.Writes, Transactions: w.Transactions,
				LogSyncs: w.LogSyncs, LogSyncTime: w.LogSyncTime}
		}
	}
	n.metrics = metrics.New(mcfg)
	// Every node samples; the store keeps the first sample of a minute,
	// so the series has no gap while any node runs.
	var err error
	if n.sampler, err = metrics.NewSampler(metrics.SamplerConfig{Store: n.store, Logger: cfg.Logger}); err != nil {
		return fmt.Errorf("queue depth sampler: %w", err)
	}

	n.dispatcher, err = dispatch.New(dispatch.Config{
		Store:                 n.store,
		RetryPolicies:         n.store,
		Logger:                cfg.Logger,
		Client:                client,
		NodeID:                cfg.NodeID,
		RequestTimeout:        cfg.RequestTimeout,
		LeaseDuration:         cfg.LeaseDuration,
		ShutdownTimeout:       cfg.ShutdownTimeout,
		MaxOutstanding:        cfg.MaxOutstanding,
		ReleaseOrphansOnStart: n.singleNode(),
		// Attempt results wait up to 5 ms to be recorded with more while
		// they come in numbers, so that a record batch's fixed cost is
		// shared (dispatch.Config.RecordLinger). Measured in
		// docs/performance.md, session 26: at 1,500 deliveries/s, 0.86-0.90
		// of PostgreSQL's CPU per delivery and 0.94 of what SQLite writes;
		// no difference at full speed, where batches are large anyway.
		RecordLinger: 5 * time.Millisecond,
		Observer: dispatch.Observer{
			OutcomeFunc: n.metrics.Outcome, AttemptFunc: n.metrics.Attempt, InFlightFunc: n.metrics.InFlight,
			ClaimBatchFunc: n.metrics.ClaimBatch, HandoffFunc: n.metrics.Handoff, RecordBatchFunc: n.metrics.RecordBatch, CircuitFunc: n.metrics.Circuit,
		},
		TracerProvider: tp,
	})
	if err != nil {
		return usagef("%v", err)
	}
	// Endpoint health: auto-disable, operator events and their webhook;
	// bulk replay jobs.
	var ms health.MonitorStore = n.store
	var rs herald.ReplayStore = n.store
	var wakeNotifier func()
	if cfg.OperatorWebhookURL != "" {
		// Through the dispatcher's client: the operator's URL is an
		// outbound request like any other, under the same policy.
		n.notifier, err = health.NewNotifier(health.NotifierConfig{Store: ms, URL: cfg.OperatorWebhookURL,
			Secret: herald.Secret(cfg.OperatorWebhookSecret), Client: client, Logger: cfg.Logger})
		if err != nil {
			return usagef("--operator-webhook: %v", err)
		}
		wakeNotifier = n.notifier.Wake
	}
	n.monitor, err = health.NewMonitor(health.MonitorConfig{Store: ms, Logger: cfg.Logger,
		DisableAfter: cfg.DisableAfter, DeadSettle: cfg.LeaseDuration, EventsFunc: wakeNotifier})
	if err != nil {
		return usagef("%v", err)
	}
	n.replayer, err = replay.New(replay.Config{Store: rs, Logger: cfg.Logger, WakeFunc: n.dispatcher.Wake})
	if err != nil {
		return fmt.Errorf("replay runner: %w", err)
	}

	// Publish transactions in flight at once. SQLite has one writer: with
	// two, one batch commits while the other waits for its fsync (see
	// sqlite.walSyncer). PostgreSQL takes more, but every one is a round
	// trip and a commit whatever its size, so fewer gather publishes into
	// larger batches: two cut the database's CPU per delivery by 15-25 %
	// against four, and one beat two in each of 5 alternated pairs of
	// herald bench (p50 at 500 events/s 26-56 ms against 32-82 ms;
	// docs/performance.md).
	//
	// On PostgreSQL, while recent batches held 4 publishes or more on
	// average, a batch of fewer than 8 also waits up to 5 ms for more
	// (groupcommit.Config.Linger): each commit's fixed cost (a round
	// trip, the statement's planning and locks, the commit) is then paid
	// by more events. A trickle of publishes waits for nothing. Measured
	// in docs/performance.md, session 17: at 1,500 events/s 12 % less of
	// Herald's CPU and 18 % less of the database's per delivery. SQLite
	// keeps none here: its two writers already wait for the log's fsync,
	// which gathers the next batch, and a linger here cost CPU. Its hot
	// writer lingers instead, for the next publish, claim or record
	// (sqlite/hottx.go), so one commit serves them all.
	writers, linger := 1, 5*time.Millisecond
	if _, ok := n.store.(*sqlite.Store); ok {
		writers, linger = 2, 0
	}
	n.publisher = dispatch.NewPublisher(dispatch.PublisherConfig{Store: n.store, Handoff: n.dispatcher,
		Writers: writers, Linger: linger})
	if cfg.Retention > 0 {
		// Every node purges; on PostgreSQL their batches skip each
		// other's rows, and the jitter keeps them apart anyway.
		// Expired partner access tokens go at each purge too.
		n.purger, err = retention.New(retention.Config{Store: n.store, Tokens: n.store, DefaultRetention: cfg.Retention, Logger: cfg.Logger})
		if err != nil {
			return usagef("%v", err)
		}
	}

	return nil
}

// buildHTTPServer builds the API, the talent platform, the web UI and the
// health probes on one mux, and the server that serves it.
func (n *node) buildHTTPServer(client *http.Client, tp trace.TracerProvider, traced bool) error {
	cfg := n.cfg
	// Publishes are counted (herald_publish_errors_total), and they and
	// platform actions get a span around their commit.
	publisher := n.metrics.Publisher(n.publisher)
	if traced {
		publisher = tracing.Publisher(publisher, tp)
	}
	// Endpoint checks (herald check from the API and UI) go through the
	// dispatcher's client: a check reaches only what a delivery may. The
	// budget keeps a run against a slow partner (budget plus one deadline)
	// inside the HTTP server's 90 s write timeout.
	checker, err := conformance.New(conformance.Config{Client: client, PublicURL: n.publicURL,
		Deadline: cfg.InteractiveDeadline, Budget: 45 * time.Second, UserAgent: "herald-check/" + version})
	if err != nil {
		return fmt.Errorf("conformance: %w", err)
	}
	apiServer, err := api.NewServer(api.Config{
		Store:      n.store,
		Publisher:  publisher,
		AdminToken: herald.Secret(n.adminToken),
		PublicURL:  n.publicURL,
		Logger:     cfg.Logger,
		WakeFunc:   n.dispatcher.Wake,
		Deliverer:  n.dispatcher,
		// Interactive publishes wait this long for partners.
		InteractiveDeadline: cfg.InteractiveDeadline,
		Checker:             checker,
		Health:              n.store,
		Replays:             n.store,
		Retention:           n.store,
		RetryPolicies:       n.store,
	})
	if err != nil {
		return fmt.Errorf("api: %w", err)
	}

	// The talent platform: the REST resources event links point to, the
	// actions that emit events, and partner credentials.
	var ps herald.PlatformStore = n.store
	if traced {
		ps = tracing.PlatformStore(ps, tp)
	}
	platformServer, err := platform.NewServer(platform.Config{
		Store:      ps,
		AdminToken: herald.Secret(n.adminToken),
		PublicURL:  n.publicURL,
		Deliverer:  n.dispatcher,
		WakeFunc:   n.dispatcher.Wake,
		Logger:     cfg.Logger,

		InteractiveDeadline: cfg.InteractiveDeadline,
	})
	if err != nil {
		return fmt.Errorf("platform: %w", err)
	}

	// The web UI: Event Notifications pages, the delivery explorer, and
	// the portal pages that run the real flows.
	webServer, err := web.NewServer(web.Config{
		Store:                n.store,
		Platform:             ps,
		Users:                n.store,
		Health:               n.store,
		Replays:              n.store,
		Queue:                n.store,
		QueueDepth:           n.store,
		Publisher:            publisher,
		Deliverer:            n.dispatcher,
		WakeFunc:             n.dispatcher.Wake,
		AdminToken:           herald.Secret(n.adminToken),
		PublicURL:            n.publicURL,
		Logger:               cfg.Logger,
		InteractiveDeadline:  cfg.InteractiveDeadline,
		ReplayWakeFunc:       n.replayer.Wake,
		CircuitStateFunc:     func(id string) string { return n.dispatcher.CircuitState(id).String() },
		Checker:              checker,
		CircuitOpenUntilFunc: n.dispatcher.CircuitOpenUntil,
	})
	if err != nil {
		return fmt.Errorf("web: %w", err)
	}
	mux := n.routes(apiServer, platformServer, webServer)
	var handler http.Handler = mux
	if traced {
		// A server span per request, named after its route, whose trace
		// context the events it publishes keep.
		handler = tracing.Handler(tp, mux)
	}
	n.httpServer = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      90 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	return nil
}

// run serves until ctx ends, then shuts down in order: stop taking requests
// (in-flight publishes finish and commit), close the publisher, let the
// dispatcher drain, close the store.
func (n *node) run(ctx context.Context) error {
	defer n.close()
	dispatchCtx, stopDispatch := context.WithCancel(context.WithoutCancel(ctx))
	defer stopDispatch()
	dispatchDone := make(chan error, 1)
	go func() { dispatchDone <- n.dispatcher.Run(dispatchCtx) }()
	go func() { _ = n.metrics.Run(dispatchCtx) }()
	if n.listenWork != nil {
		// Other nodes' publishes wake this node's dispatcher at once.
		go func() { _ = n.listenWork(dispatchCtx, n.dispatcher.Wake) }()
	}
	purgeDone := make(chan struct{})
	if n.purger != nil {
		go func() { _ = n.purger.Run(dispatchCtx); close(purgeDone) }()
	} else {
		close(purgeDone)
	}

	// Background components: they stop with the dispatcher, after the
	// HTTP server stopped taking work.
	bgCtx, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBG()
	var bg sync.WaitGroup
	bg.Go(func() { _ = n.monitor.Run(bgCtx) })
	bg.Go(func() { _ = n.replayer.Run(bgCtx) })
	if n.sampler != nil {
		bg.Go(func() { _ = n.sampler.Run(bgCtx) })
	}
	if n.notifier != nil {
		bg.Go(func() { _ = n.notifier.Run(bgCtx) })
	}

	// Serve once the dispatcher takes work: a publish before that hands
	// its deliveries to no one, and they wait for a claim.
	n.awaitDispatcher(ctx, dispatchDone)
	serveDone := make(chan error, 1)
	go func() { serveDone <- n.httpServer.Serve(n.listener) }()
	n.ready.Store(true)
	n.log.InfoContext(ctx, "herald started", slog.String("address", n.baseURL), slog.String("node_id", n.cfg.NodeID))

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-serveDone:
	}
	n.ready.Store(false)
	n.log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), n.cfg.ShutdownTimeout+5*time.Second)
	defer cancel()
	if err := n.httpServer.Shutdown(shutdownCtx); err != nil {
		n.log.Warn("http shutdown", slog.Any("error", err))
	}
	n.publisher.Close()
	stopBG()
	bg.Wait()
	stopDispatch()
	if err := <-dispatchDone; err != nil {
		n.log.Error("dispatcher", slog.Any("error", err))
	}
	<-purgeDone // a purge stops between batches; the store closes after
	n.log.Info("herald stopped")
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("serve http: %w", serveErr)
	}
	return nil
}

// awaitDispatcher returns once the dispatcher runs (its Run first hands
// back a previous process's leases on SQLite, one statement), or its Run
// has ended (the error is put back for run's shutdown; /readyz then says
// not ready), or ctx has ended.
func (n *node) awaitDispatcher(ctx context.Context, dispatchDone chan error) {
	select {
	case <-n.dispatcher.Started():
	case err := <-dispatchDone:
		dispatchDone <- err
	case <-ctx.Done():
	}
}

func (n *node) close() {
	for i := len(n.closers) - 1; i >= 0; i-- {
		if err := n.closers[i](); err != nil {
			n.log.Warn("close", slog.Any("error", err))
		}
	}
	n.closers = nil
}

// adminToken returns the admin token: the configured one, or the one stored
// in the data directory, or a new one, stored there and printed once.
func adminToken(cfg serverConfig) (string, error) {
	if cfg.AdminToken != "" {
		if len(cfg.AdminToken) < 16 {
			return "", usagef("the admin token must be at least 16 characters")
		}
		return cfg.AdminToken, nil
	}
	path := filepath.Join(cfg.DataDir, "admin-token")
	if b, err := os.ReadFile(path); err == nil {
		if tok := strings.TrimSpace(string(b)); tok != "" {
			return tok, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read admin token: %w", err)
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	tok := "hrld_" + base64.RawURLEncoding.EncodeToString(raw)
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("store admin token: %w", err)
	}
	fmt.Fprintf(cfg.Stdout, "Generated an admin token (shown once; also stored in %s):\n\n    %s\n\n", path, tok)
	return tok, nil
}
