// Package metrics exposes Herald's Prometheus metrics: what the dispatcher
// reports through dispatch.Observer (deliveries by outcome and event type,
// attempt latency by event type and by endpoint, with trace-id exemplars,
// attempts in flight, claim and record batch sizes and the last claim's
// time, circuit changes), what Publisher counts (publishes and publish
// errors), and what it polls from the store every few seconds (queue
// depth, age of the oldest due delivery, disabled endpoints) and from the
// dispatcher (open circuits). deploy/ holds a dashboard and alerts built
// on them; its tests check they name only metrics registered here.
//
// Its Sampler records the queue depth per customer once a minute in the
// store (herald.QueueDepthStore), for the operator overview's chart: a
// history for those who run no Prometheus.
//
// It imports the root package and Prometheus, never dispatch or a store:
// its methods have the shapes of dispatch.Observer's funcs and cmd/herald
// connects them. It uses a registry of its own, not Prometheus's global
// one, so two nodes in one test process do not collide.
package metrics

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/trace"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// Config configures New.
type Config struct {
	// QueueStats is polled for the queue gauges. Nil: no queue gauges.
	QueueStats herald.QueueStatsStore
	// OpenCircuitsFunc returns how many endpoints' circuits are open on
	// this node (dispatch.Dispatcher.OpenCircuits). Nil: no gauge.
	OpenCircuitsFunc func() int
	// WriterFunc reports what a store's single writer has done so far
	// (the SQLite store's WriterStats). Nil: no writer counters.
	WriterFunc func() WriterCounts
	// PollInterval is how often Run reads QueueStats, at most: a slow
	// read makes the next wait longer (Run). Default: 5s. The query
	// reads every pending delivery's index entry, which is why it is
	// polled rather than run on each scrape.
	PollInterval time.Duration
	// Logger receives polling errors. Default: discard.
	Logger *slog.Logger
	// NowFunc returns the time. Default: time.Now.
	NowFunc func() time.Time
	// MaxEndpointSeries is the most endpoints with a series of their own
	// in herald_endpoint_attempt_duration_seconds at a time; the attempts
	// of others are observed under endpoint_id OverflowEndpoint. An
	// endpoint's series goes after 10 minutes without an attempt.
	// Default: DefaultMaxEndpointSeries.
	MaxEndpointSeries int
}

// Metrics holds Herald's collectors and their registry.
type Metrics struct {
	cfg Config
	reg *prometheus.Registry

	deliveries      *prometheus.CounterVec
	attemptSeconds  *prometheus.HistogramVec
	endpointSeconds *endpointSeries
	lastClaim       prometheus.Gauge
	published       *prometheus.CounterVec
	publishErrors   *prometheus.CounterVec
	inFlight        prometheus.Gauge
	claimBatch      prometheus.Histogram
	handedOff       prometheus.Counter
	recordBatch     prometheus.Histogram
	circuitChanges  *prometheus.CounterVec

	queuePending      prometheus.Gauge
	queueDue          prometheus.Gauge
	oldestDueSeconds  prometheus.Gauge
	disabledEndpoints prometheus.Gauge
	pollErrors        prometheus.Counter
}

// New registers Herald's collectors, and the Go runtime and process ones,
// on a new registry.
func New(cfg Config) *Metrics {
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.NowFunc == nil {
		cfg.NowFunc = time.Now
	}
	if cfg.MaxEndpointSeries <= 0 {
		cfg.MaxEndpointSeries = DefaultMaxEndpointSeries
	}
	m := &Metrics{cfg: cfg, reg: prometheus.NewRegistry()}
	batchBuckets := []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512}
	m.deliveries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "herald_deliveries_total",
		Help: "Deliveries settled by the dispatcher, by event type, outcome (delivered, delivered_with_link, rejected, gone, retry, deferred) and the delivery's new state.",
	}, []string{"event_type", "outcome", "state"})
	m.attemptSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "herald_attempt_duration_seconds",
		Help:    "Time from sending an attempt's request to reading the partner's reply, by event type and status class (2xx, 3xx, 4xx, 5xx, none).",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"event_type", "code"})
	// Per endpoint, for the dashboard's latency by partner: one label
	// only, fewer buckets, and a bounded number of series
	// (endpointSeries), since endpoints are many.
	endpointSeconds := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "herald_endpoint_attempt_duration_seconds",
		Help:    "Time from sending an attempt's request to reading the partner's reply, by endpoint; endpoint_id \"" + OverflowEndpoint + "\" holds the attempts of endpoints past the node's limit of series.",
		Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"endpoint_id"})
	m.endpointSeconds = newEndpointSeries(endpointSeconds, cfg.MaxEndpointSeries, cfg.NowFunc)
	m.lastClaim = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "herald_last_claim_timestamp_seconds",
		Help: "When this node last claimed due deliveries (Unix time); its start time until it has.",
	})
	m.lastClaim.Set(float64(cfg.NowFunc().UnixNano()) / 1e9)
	m.published = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "herald_events_published_total",
		Help: "Events committed through the publish API and the UI's test events, by event type.",
	}, []string{"event_type"})
	m.publishErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "herald_publish_errors_total",
		Help: "Publishes that were not committed, by error code: internal and unavailable are Herald's failures; invalid, not_found and conflict the caller's.",
	}, []string{"code"})
	m.inFlight = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "herald_attempts_in_flight",
		Help: "Attempts whose request is in flight on this node.",
	})
	m.claimBatch = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "herald_claim_batch_size", Help: "Deliveries taken by each non-empty claim.", Buckets: batchBuckets,
	})
	m.handedOff = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "herald_deliveries_handed_off_total",
		Help: "Deliveries a publish leased to this node and handed to its dispatcher without a claim.",
	})
	m.recordBatch = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "herald_record_batch_size", Help: "Attempt records committed per transaction.", Buckets: batchBuckets,
	})
	m.circuitChanges = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "herald_circuit_transitions_total",
		Help: "Changes of endpoints' circuit breakers on this node, by new state.",
	}, []string{"to"})
	m.queuePending = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "herald_queue_pending", Help: "Pending deliveries, leased included (all nodes).",
	})
	m.queueDue = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "herald_queue_due", Help: "Pending deliveries due now and not leased: the backlog (all nodes).",
	})
	m.oldestDueSeconds = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "herald_queue_oldest_due_age_seconds", Help: "How long the longest-waiting due delivery has been due; 0 when none is.",
	})
	m.disabledEndpoints = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "herald_endpoints_disabled", Help: "Endpoints turned off, by an operator or by Herald.",
	})
	m.pollErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "herald_queue_stats_errors_total", Help: "Failed reads of the queue gauges.",
	})
	m.reg.MustRegister(m.deliveries, m.attemptSeconds, endpointSeconds, m.lastClaim, m.published, m.publishErrors,
		m.inFlight, m.claimBatch, m.handedOff, m.recordBatch, m.circuitChanges,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if cfg.QueueStats != nil {
		m.reg.MustRegister(m.queuePending, m.queueDue, m.oldestDueSeconds, m.disabledEndpoints, m.pollErrors)
	}
	if f := cfg.OpenCircuitsFunc; f != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "herald_circuits_open", Help: "Endpoints whose circuit is open or half-open on this node.",
		}, func() float64 { return float64(f()) }))
	}
	if f := cfg.WriterFunc; f != nil {
		// The SQLite store's writer is its bottleneck under load: its busy
		// share of wall time (rate of the busy counter) tells whether a
		// node is limited by it or by its CPUs.
		m.reg.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "herald_sqlite_writer_busy_seconds_total",
				Help: "Time the SQLite store's hot paths (publish batches, claims, attempt records) held its single writer.",
			}, func() float64 { return f().Busy.Seconds() }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "herald_sqlite_writer_writes_total",
				Help: "Hot-path writes (publish batches, claims, attempt record batches) run by the SQLite store's writer.",
			}, func() float64 { return float64(f().Writes) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "herald_sqlite_writer_transactions_total",
				Help: "Shared transactions that carried the SQLite store's hot-path writes (writes per transaction: the ratio of the two counters).",
			}, func() float64 { return float64(f().Transactions) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "herald_sqlite_log_syncs_total",
				Help: "fsyncs of the SQLite store's write-ahead log that made its hot-path transactions durable (one serves every transaction committed before it began).",
			}, func() float64 { return float64(f().LogSyncs) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "herald_sqlite_log_sync_seconds_total",
				Help: "Time the fsyncs of the SQLite store's write-ahead log took; a publish waits for one after its commit.",
			}, func() float64 { return f().LogSyncTime.Seconds() }),
		)
	}
	return m
}

// WriterCounts are a single-writer store's counts since it opened.
type WriterCounts struct {
	// Busy is the time the hot paths held the writer.
	Busy time.Duration
	// Writes are the hot paths' writes, and Transactions the shared
	// transactions that carried them.
	Writes, Transactions int64
	// LogSyncs are the fsyncs of the log that made them durable, and
	// LogSyncTime the time those took.
	LogSyncs    int64
	LogSyncTime time.Duration
}

// Registry returns the registry, to add collectors or gather in tests.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics; mount it at GET /metrics. It speaks the
// Prometheus text format, and OpenMetrics to a scraper that asks for it
// (Accept: application/openmetrics-text), which is the format that
// carries the latency histograms' exemplars (trace ids).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, EnableOpenMetrics: true})
}

// Outcome counts a settled delivery (dispatch.Observer.OutcomeFunc).
func (m *Metrics) Outcome(eventType wire.EventType, outcome string, state herald.DeliveryState) {
	m.deliveries.WithLabelValues(string(eventType), outcome, string(state)).Inc()
}

// Attempt observes an attempt's latency (dispatch.Observer.AttemptFunc).
// When ctx carries a sampled span (the attempt's), its trace id is the
// observation's exemplar, so a slow bucket on the dashboard leads to a
// trace of one attempt that fell in it.
func (m *Metrics) Attempt(ctx context.Context, endpointID string, eventType wire.EventType, statusCode int, latency time.Duration) {
	s := latency.Seconds()
	observe(ctx, m.attemptSeconds.WithLabelValues(string(eventType), statusClass(statusCode)), s)
	observe(ctx, m.endpointSeconds.observer(endpointID), s)
}

// observe records v on o, with the trace id of ctx's span as the exemplar
// when the span is sampled (an unsampled trace id leads nowhere).
func observe(ctx context.Context, o prometheus.Observer, v float64) {
	if sc := trace.SpanContextFromContext(ctx); sc.IsSampled() {
		if eo, ok := o.(prometheus.ExemplarObserver); ok {
			eo.ObserveWithExemplar(v, prometheus.Labels{"trace_id": sc.TraceID().String()})
			return
		}
	}
	o.Observe(v)
}

// Published counts a publish (a herald.Publisher's result): committed, by
// event type, or failed, by error code. Publisher calls it.
func (m *Metrics) Published(e *herald.Event, err error) {
	if err != nil {
		m.publishErrors.WithLabelValues(herald.ErrorCode(err)).Inc()
		return
	}
	m.published.WithLabelValues(string(e.Type)).Inc()
}

// InFlight moves the in-flight gauge (dispatch.Observer.InFlightFunc).
func (m *Metrics) InFlight(delta int) { m.inFlight.Add(float64(delta)) }

// ClaimBatch observes a claim's size (dispatch.Observer.ClaimBatchFunc)
// and notes when it was made: a backlog that no node's last claim is
// recent for means no node is claiming.
func (m *Metrics) ClaimBatch(n int) {
	m.claimBatch.Observe(float64(n))
	m.lastClaim.Set(float64(m.cfg.NowFunc().UnixNano()) / 1e9)
}

// Handoff counts deliveries handed to the dispatcher at publish
// (dispatch.Observer.HandoffFunc).
func (m *Metrics) Handoff(n int) { m.handedOff.Add(float64(n)) }

// RecordBatch observes a record batch's size
// (dispatch.Observer.RecordBatchFunc).
func (m *Metrics) RecordBatch(n int) { m.recordBatch.Observe(float64(n)) }

// Circuit counts a circuit's change of state
// (dispatch.Observer.CircuitFunc). The endpoint is not a label: endpoints
// are unbounded, and the logs name it.
func (m *Metrics) Circuit(_, _, to string) { m.circuitChanges.WithLabelValues(to).Inc() }

func statusClass(code int) string {
	if code < 100 || code > 599 {
		return "none"
	}
	return strconv.Itoa(code/100) + "xx"
}

// Run polls the queue gauges every PollInterval until ctx ends. Without
// QueueStats it only waits for ctx.
//
// The poll counts the pending deliveries, so its cost grows with the
// backlog: at a million pending on PostgreSQL it took 0.2-1 s, which every
// 5 s is a tenth or more of a core taken from delivery. After a poll that
// took d, the next waits at least pollCostFactor times d, so the gauges
// never take more than about 1/pollCostFactor of one core, whatever the
// backlog; they are only less fresh while it is large.
func (m *Metrics) Run(ctx context.Context) error {
	if m.cfg.QueueStats == nil {
		<-ctx.Done()
		return nil
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		start := time.Now()
		m.Poll(ctx)
		t.Reset(nextPoll(m.cfg.PollInterval, time.Since(start)))
	}
}

// pollCostFactor bounds the queue poll's share of time (Run): 50 keeps it
// under 2 %.
const pollCostFactor = 50

// nextPoll is how long Run waits after a poll that took took.
func nextPoll(interval, took time.Duration) time.Duration {
	return max(interval, pollCostFactor*took)
}

// Poll reads the queue gauges once.
func (m *Metrics) Poll(ctx context.Context) {
	if m.cfg.QueueStats == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, m.cfg.PollInterval)
	defer cancel()
	now := m.cfg.NowFunc().UTC()
	st, err := m.cfg.QueueStats.DeliveryQueueStats(ctx, now)
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			m.pollErrors.Inc()
			m.cfg.Logger.WarnContext(ctx, "read queue stats", slog.Any("error", err))
		}
		return
	}
	m.queuePending.Set(float64(st.Pending))
	m.queueDue.Set(float64(st.Due))
	m.disabledEndpoints.Set(float64(st.DisabledEndpoints))
	age := 0.0
	if !st.OldestDueAt.IsZero() {
		age = max(0, now.Sub(st.OldestDueAt).Seconds())
	}
	m.oldestDueSeconds.Set(age)
}
