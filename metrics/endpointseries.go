package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// OverflowEndpoint is the endpoint_id under which
// herald_endpoint_attempt_duration_seconds observes the attempts of
// endpoints past Config.MaxEndpointSeries.
const OverflowEndpoint = "_overflow"

// DefaultMaxEndpointSeries is Config.MaxEndpointSeries's default: the
// OpenTelemetry SDK's default cardinality limit per metric.
const DefaultMaxEndpointSeries = 2000

// endpointSeriesIdle is how long an endpoint's series stays without an
// attempt: as long as the dispatcher keeps the endpoint's other state
// (dispatch's endpointIdleAfter).
const endpointSeriesIdle = 10 * time.Minute

// endpointSeries bounds the per-endpoint latency histogram. A platform
// with 10,000 endpoints would otherwise export 120,000 series from each
// node (ten buckets, a count and a sum per endpoint), more than many
// Prometheus setups accept from one target, and keep 10 MB of them in
// the node for good. So an endpoint's series goes once it has had no
// attempt for endpointSeriesIdle, and at most limit endpoints have one at
// a time; the attempts of the others are observed under
// OverflowEndpoint, as the OpenTelemetry SDK folds what is past its
// cardinality limit into one overflow series. The histogram by event type
// still counts every attempt.
type endpointSeries struct {
	vec   *prometheus.HistogramVec
	limit int
	now   func() time.Time

	mu    sync.Mutex
	last  map[string]time.Time // endpoints with a series: their last attempt
	swept time.Time
	// overflowed is the last attempt observed under OverflowEndpoint;
	// zero when that series does not exist.
	overflowed time.Time
}

func newEndpointSeries(vec *prometheus.HistogramVec, limit int, now func() time.Time) *endpointSeries {
	return &endpointSeries{vec: vec, limit: limit, now: now, last: map[string]time.Time{}, swept: now()}
}

// observer returns the series an attempt of endpointID is observed on.
func (s *endpointSeries) observer(endpointID string) prometheus.Observer {
	now := s.now()
	s.mu.Lock()
	if now.Sub(s.swept) >= endpointSeriesIdle/10 {
		s.sweepLocked(now)
	}
	_, ok := s.last[endpointID]
	if !ok && len(s.last) >= s.limit {
		s.overflowed = now
		s.mu.Unlock()
		return s.vec.WithLabelValues(OverflowEndpoint)
	}
	s.last[endpointID] = now
	s.mu.Unlock()
	return s.vec.WithLabelValues(endpointID)
}

// sweepLocked drops the series, the overflow's too, that have had no
// attempt for endpointSeriesIdle. s.mu is held.
func (s *endpointSeries) sweepLocked(now time.Time) {
	s.swept = now
	for id, t := range s.last {
		if now.Sub(t) >= endpointSeriesIdle {
			delete(s.last, id)
			s.vec.DeleteLabelValues(id)
		}
	}
	if !s.overflowed.IsZero() && now.Sub(s.overflowed) >= endpointSeriesIdle {
		s.vec.DeleteLabelValues(OverflowEndpoint)
		s.overflowed = time.Time{}
	}
}
