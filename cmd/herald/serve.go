package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/KimMachineGun/automemlimit/memlimit"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/dispatch"
	"github.com/heraldhq/herald/metrics"
	"github.com/heraldhq/herald/platform"
	"github.com/heraldhq/herald/tracing"
	"github.com/heraldhq/herald/web"
	"github.com/heraldhq/herald/wire"
)

// runServe is `herald serve`: flags, each also an environment variable.
func runServe(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", stderr)
	listen := fs.String("listen", envDefault("HERALD_LISTEN", "127.0.0.1:8080"), "address to listen on (HERALD_LISTEN)")
	dataDir := fs.String("data", envDefault("HERALD_DATA", "./herald-data"), "data directory: SQLite database, lock, admin token (HERALD_DATA)")
	database := fs.String("database", envDefault("HERALD_DATABASE", ""), "empty for SQLite in --data, or postgres://user@host/db for PostgreSQL (HERALD_DATABASE)")
	publicURL := fs.String("public-url", envDefault("HERALD_PUBLIC_URL", ""), "base of the links in event bodies (default http://<listen address>) (HERALD_PUBLIC_URL)")
	allow := fs.String("allow-destinations", envDefault("HERALD_ALLOW_DESTINATIONS", ""), "comma-separated CIDRs Herald may deliver to although they are internal, e.g. 127.0.0.0/8 (HERALD_ALLOW_DESTINATIONS)")
	logFormat := fs.String("log-format", envDefault("HERALD_LOG_FORMAT", "text"), "text or json (HERALD_LOG_FORMAT)")
	logLevel := fs.String("log-level", envDefault("HERALD_LOG_LEVEL", "info"), "debug, info, warn or error (HERALD_LOG_LEVEL)")
	demo := fs.Bool("demo", false, "load a demo customer (6269) with jobs, candidates, a new hire and a recruiter, and print a tour")
	nodeID := fs.String("node-id", envDefault("HERALD_NODE_ID", ""), "name of this node in delivery leases (default hostname-pid) (HERALD_NODE_ID)")
	reqTimeout, err := envDuration("HERALD_REQUEST_TIMEOUT", 30*time.Second)
	if err != nil {
		return err
	}
	lease, err := envDuration("HERALD_LEASE", 5*time.Minute)
	if err != nil {
		return err
	}
	shutdown, err := envDuration("HERALD_SHUTDOWN_TIMEOUT", 10*time.Second)
	if err != nil {
		return err
	}
	fs.DurationVar(&reqTimeout, "request-timeout", reqTimeout, "timeout of one delivery attempt (HERALD_REQUEST_TIMEOUT)")
	fs.DurationVar(&lease, "lease", lease, "how long a claimed delivery stays this node's; at least the request timeout + 20s (HERALD_LEASE)")
	interactive, err := envDuration("HERALD_INTERACTIVE_DEADLINE", 30*time.Second)
	if err != nil {
		return err
	}
	fs.DurationVar(&interactive, "interactive-deadline", interactive, "how long an interactive event waits for partners' replies (HERALD_INTERACTIVE_DEADLINE)")
	keep, err := envDuration("HERALD_RETENTION", herald.DefaultRetentionDays*24*time.Hour)
	if err != nil {
		return err
	}
	fs.DurationVar(&keep, "retention", keep, "how long final events, deliveries and attempt logs are kept, for customers without a retention of their own; 0 keeps everything (HERALD_RETENTION)")
	fs.DurationVar(&shutdown, "shutdown-timeout", shutdown, "how long attempts in flight may finish at shutdown (HERALD_SHUTDOWN_TIMEOUT)")
	otlp := fs.String("otlp-endpoint", envDefault("HERALD_OTLP_ENDPOINT", ""), "OTLP/HTTP collector URL for traces, e.g. http://127.0.0.1:4318; empty: tracing off (HERALD_OTLP_ENDPOINT)")
	operatorWebhook := fs.String("operator-webhook", envDefault("HERALD_OPERATOR_WEBHOOK", ""), "URL that receives operator events (endpoint.disabled, endpoint.recovered, delivery.dead) as signed POSTs (HERALD_OPERATOR_WEBHOOK)")
	operatorSecret := fs.String("operator-webhook-secret", envDefault("HERALD_OPERATOR_WEBHOOK_SECRET", ""), "Standard Webhooks secret (whsec_...) that signs the operator webhook's POSTs; prefer the variable (HERALD_OPERATOR_WEBHOOK_SECRET)")
	disableAfter, err := envDuration("HERALD_DISABLE_AFTER", herald.DefaultDisableAfter)
	if err != nil {
		return err
	}
	fs.DurationVar(&disableAfter, "disable-after", disableAfter, "disable an endpoint that has failed continuously for this long; negative: never (HERALD_DISABLE_AFTER)")
	endpointSeries, err := envInt("HERALD_METRICS_ENDPOINT_SERIES", metrics.DefaultMaxEndpointSeries)
	if err != nil {
		return err
	}
	fs.IntVar(&endpointSeries, "metrics-endpoint-series", endpointSeries, "most endpoints with a latency series of their own in /metrics; the rest share endpoint_id \"_overflow\" (HERALD_METRICS_ENDPOINT_SERIES)")
	connsPerHost, err := envInt("HERALD_MAX_CONNS_PER_HOST", dispatch.DefaultMaxConnsPerHost)
	if err != nil {
		return err
	}
	outstanding, err := envInt("HERALD_MAX_OUTSTANDING", dispatch.DefaultMaxOutstanding)
	if err != nil {
		return err
	}
	fs.IntVar(&outstanding, "max-outstanding", outstanding, "most deliveries a node holds claimed and not yet recorded, attempts in flight included; its rate to slow partners is at most about this many ÷ their reply time (HERALD_MAX_OUTSTANDING)")
	fs.IntVar(&connsPerHost, "max-conns-per-host", connsPerHost, "most connections this node opens to one partner host (host:port), across all its endpoints there; each endpoint's maxConcurrency applies within it (HERALD_MAX_CONNS_PER_HOST)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}

	if keep < 0 {
		return usagef("--retention cannot be negative")
	}
	if endpointSeries < 1 {
		return usagef("--metrics-endpoint-series must be at least 1")
	}
	if connsPerHost < 1 {
		return usagef("--max-conns-per-host must be at least 1")
	}
	if outstanding < 1 {
		return usagef("--max-outstanding must be at least 1")
	}
	setGCPercent()
	logger, err := newLogger(stderr, *logFormat, *logLevel)
	if err != nil {
		return err
	}
	setMemoryLimit(logger, memlimit.FromCgroup)
	prefixes, err := dispatch.ParseAllowDestinations(*allow)
	if err != nil {
		return usagef("%v", err)
	}
	secrets, err := encryptionKeys()
	if err != nil {
		return err
	}
	n, err := startNode(ctx, serverConfig{
		Listen:              *listen,
		DataDir:             *dataDir,
		Database:            *database,
		PublicURL:           strings.TrimRight(*publicURL, "/"),
		AllowDestinations:   prefixes,
		AdminToken:          envDefault("HERALD_ADMIN_TOKEN", ""),
		Secrets:             secrets,
		RequestTimeout:      reqTimeout,
		LeaseDuration:       lease,
		ShutdownTimeout:     shutdown,
		InteractiveDeadline: interactive,

		OTLPEndpoint:          *otlp,
		OperatorWebhookURL:    *operatorWebhook,
		OperatorWebhookSecret: *operatorSecret,
		DisableAfter:          disableAfter,
		Retention:             keep,
		MetricsEndpointSeries: endpointSeries,
		MaxConnsPerHost:       connsPerHost,
		MaxOutstanding:        outstanding,
		NodeID:                *nodeID,
		Logger:                logger,
		Stdout:                stdout,
	})
	if err != nil {
		return err
	}
	if *demo {
		if err := loadDemo(ctx, n, stdout); err != nil {
			n.close()
			return err
		}
	}
	if path := os.Getenv("HERALD_CPUPROFILE"); path != "" {
		// For `herald bench --cpuprofile`: the profile of this node
		// alone, apart from the load generator.
		stop, err := startCPUProfile(path)
		if err != nil {
			n.close()
			return err
		}
		defer stop()
	}
	if path := os.Getenv("HERALD_MEMPROFILE"); path != "" {
		// For `herald bench --memprofile`: where this node allocates.
		defer func() {
			if err := writeAllocsProfile(path); err != nil {
				fmt.Fprintln(os.Stderr, "herald:", err)
			}
		}()
	}
	fmt.Fprintf(stdout, "Herald listening on %s\n", n.baseURL)
	return n.run(ctx)
}

// newLogger builds the process logger: the one place that picks a handler.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usagef("--log-level: %q is not debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	// tracing.LogHandler adds trace_id and span_id to the lines logged
	// inside a span, so a log line leads to its trace.
	switch format {
	case "text":
		return slog.New(tracing.LogHandler(slog.NewTextHandler(w, opts))), nil
	case "json":
		return slog.New(tracing.LogHandler(slog.NewJSONHandler(w, opts))), nil
	}
	return nil, usagef("--log-format: %q is not text or json", format)
}

// demoCustomerID is the demo customer's id, the one the spec's examples use.
const demoCustomerID = "6269"

// loadDemo loads the demo customer (once: a second start finds it there)
// with an endpoint at `herald listen`'s default address, and prints a tour.
func loadDemo(ctx context.Context, n *node, stdout io.Writer) error {
	ds, ok := n.store.(platform.DemoStore)
	if !ok {
		return errors.New("demo: the store cannot hold platform data")
	}
	d, err := platform.LoadDemo(ctx, ds, demoCustomerID, n.publicURL)
	if herald.ErrorCode(err) == herald.ECONFLICT {
		fmt.Fprintf(stdout, "Demo customer %s is already loaded.\n", demoCustomerID)
		return nil
	}
	if err != nil {
		return fmt.Errorf("load demo: %w", err)
	}
	ep := &herald.Endpoint{
		CustomerID:   demoCustomerID,
		URL:          "http://127.0.0.1:9000/",
		EventTypes:   wire.EventTypes,
		Auth:         herald.Auth{Type: herald.AuthTypeNone},
		Gzip:         true,
		Enabled:      true,
		TraceContext: true,
	}
	if err := n.store.EndpointCreate(ctx, ep); err != nil {
		return fmt.Errorf("demo endpoint: %w", err)
	}
	fmt.Fprintf(stdout, "Loaded demo customer %s, with endpoint %s for every event type at %s\n", demoCustomerID, ep.ID, ep.URL)
	fmt.Fprintf(stdout, "(run `herald listen` in another terminal to see events; start serve with --allow-destinations 127.0.0.0/8)\n\nTour (export HERALD_ADMIN_TOKEN first):\n\n")
	for _, line := range d.Tour(n.publicURL) {
		fmt.Fprintln(stdout, line)
	}
	fmt.Fprintf(stdout, "# Career portal (apply as a candidate): %s/portal/%s/jobs/%s/x\n", n.publicURL, demoCustomerID, d.Posted.ID)
	fmt.Fprintf(stdout, "# New hire's onboarding page (signed link; it stops working if the admin token changes)\n%s\n",
		web.PortalOnboardLink(herald.Secret(n.adminToken), n.publicURL, demoCustomerID, d.Onboard.ID))
	fmt.Fprintln(stdout)
	return nil
}

// defaultGCPercent is the garbage collector's GOGC in herald serve unless
// the environment sets GOGC. A delivery allocates about 30 KB that are
// garbage a moment later, and the heap a node keeps is small, so with Go's
// 100 the collector ran several times a second at full speed. At 300 the
// heap may grow to four times what is live instead of twice: herald bench
// --events 20000 measured 15-18 MB more peak memory (123-128 MB against
// 108-110) for 5.7 % less CPU per delivery (four pairs; docs/performance.md,
// session 12). GOGC=100 gives the memory back; GOMEMLIMIT caps the heap
// whatever GOGC says.
const defaultGCPercent = 300

// setGCPercent applies defaultGCPercent unless GOGC is set.
func setGCPercent() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
}

// setMemoryLimit sets Go's soft memory limit to 90 % of the container's
// (the cgroup's memory limit, from provider), unless GOMEMLIMIT is set or
// AUTOMEMLIMIT=off. With GOGC at 300 the heap may grow to four times what
// is live before a collection, and a node whose partners are slow holds
// thousands of attempts: without the limit a pod under its memory limit
// (the Helm chart's is 512 MiB) would be killed where the collector could
// have run sooner. automemlimit reads cgroup v1 and v2 as the runtime does
// not.
func setMemoryLimit(logger *slog.Logger, provider memlimit.Provider) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return // the operator's, which the runtime applied
	}
	limit, err := memlimit.Set(memlimit.WithProvider(provider), memlimit.WithRatio(memoryLimitRatio))
	switch {
	case err != nil:
		logger.Debug("no container memory limit to follow", slog.Any("error", err))
	case limit > 0 && limit < math.MaxInt64:
		logger.Info("memory limit set from the container's", slog.Int64("gomemlimit_bytes", limit))
	}
}

// memoryLimitRatio is the share of the container's memory that Go's heap
// may use before the collector works harder: the rest is goroutine stacks,
// SQLite's page cache and the runtime's own.
const memoryLimitRatio = 0.9

// writeAllocsProfile writes the allocations the node made since it
// started (the allocs profile) to path.
func writeAllocsProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("allocs profile: %w", err)
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("allocs profile: %w", err)
	}
	return f.Close()
}

// startCPUProfile writes a CPU profile to path until the returned func is
// called.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
