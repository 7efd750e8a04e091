package api

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// Endpoint health, operator events, the "not delivered" view and replay
// jobs: Herald's recovery tools (issue 3, items 4 and 5). Their routes are
// in routes.go.

func (s *Server) healthStore() herald.HealthStore { return s.cfg.Health }
func (s *Server) replayStore() herald.ReplayStore { return s.cfg.Replays }

// Limits of the health window parameter.
const (
	minHealthWindow = time.Minute
	maxHealthWindow = 30 * 24 * time.Hour
)

// strictQuery parses a query string, refusing parameters not in known and
// parameters given twice, so a misspelt filter is an error rather than a
// silently unfiltered list.
func strictQuery(raw string, known ...string) (url.Values, error) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return nil, herald.Errorf(herald.EINVALID, "malformed query string")
	}
	for key, vs := range q {
		if !slices.Contains(known, key) {
			return nil, herald.Errorf(herald.EINVALID, "unknown query parameter %q; known: %s", key, strings.Join(known, ", "))
		}
		if len(vs) > 1 {
			return nil, herald.Errorf(herald.EINVALID, "query parameter %s is given more than once", key)
		}
	}
	return q, nil
}

func queryTime(q url.Values, key string) (time.Time, error) {
	v := q.Get(key)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, herald.Errorf(herald.EINVALID, "%s must be an RFC 3339 time such as 2024-05-01T12:00:00Z", key)
	}
	return t.UTC(), nil
}

func queryLimit(q url.Values) (int, error) {
	v := q.Get("limit")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxDeliveryListLimit {
		return 0, herald.Errorf(herald.EINVALID, "limit must be an integer from 1 to %d", MaxDeliveryListLimit)
	}
	return n, nil
}

func healthWindow(q url.Values) (time.Duration, error) {
	v := q.Get("window")
	if v == "" {
		return herald.DefaultHealthWindow, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < minHealthWindow || d > maxHealthWindow {
		return 0, herald.Errorf(herald.EINVALID, "window must be a duration from 1m to 720h, such as 24h")
	}
	return d, nil
}

// handleEndpointHealthGet serves GET
// /api/v1/customers/{customerId}/endpoints/{endpointId}/health?window=24h.
func (s *Server) handleEndpointHealthGet(w http.ResponseWriter, r *http.Request) error {
	q, err := strictQuery(r.URL.RawQuery, "window")
	if err != nil {
		return err
	}
	window, err := healthWindow(q)
	if err != nil {
		return err
	}
	e, err := s.endpoint(r)
	if err != nil {
		return err
	}
	hs, err := s.healthStore().EndpointHealthList(r.Context(), &herald.EndpointHealthParams{
		CustomerID: e.CustomerID, EndpointID: e.ID, Since: s.now().Add(-window)})
	switch {
	case herald.ErrorCode(err) == herald.ENOTFOUND:
		return errEndpointNotFound(e.ID)
	case err != nil:
		return fmt.Errorf("endpoint health: %w", err)
	}
	out := endpointHealthJSON(hs[0], e, window)
	return writeJSON(w, http.StatusOK, &out)
}

// handleEndpointHealthList serves GET
// /api/v1/customers/{customerId}/endpoint-health?window=24h: every endpoint
// of the customer, oldest first.
func (s *Server) handleEndpointHealthList(w http.ResponseWriter, r *http.Request) error {
	q, err := strictQuery(r.URL.RawQuery, "window")
	if err != nil {
		return err
	}
	window, err := healthWindow(q)
	if err != nil {
		return err
	}
	c, err := s.customer(r)
	if err != nil {
		return err
	}
	eps, err := s.cfg.Store.EndpointList(r.Context(), c.ID)
	if err != nil {
		return fmt.Errorf("list endpoints: %w", err)
	}
	hs, err := s.healthStore().EndpointHealthList(r.Context(), &herald.EndpointHealthParams{CustomerID: c.ID, Since: s.now().Add(-window)})
	if err != nil {
		return fmt.Errorf("list endpoint health: %w", err)
	}
	byID := make(map[string]*herald.Endpoint, len(eps))
	for _, e := range eps {
		byID[e.ID] = e
	}
	out := EndpointHealthList{Data: make([]EndpointHealth, 0, len(hs))}
	for _, h := range hs {
		// An endpoint made between the two reads is in hs only.
		if e := byID[h.EndpointID]; e != nil {
			out.Data = append(out.Data, endpointHealthJSON(h, e, window))
		}
	}
	return writeJSON(w, http.StatusOK, &out)
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func endpointHealthJSON(h *herald.EndpointHealth, e *herald.Endpoint, window time.Duration) EndpointHealth {
	return EndpointHealth{
		EndpointID: h.EndpointID, CustomerID: h.CustomerID, Enabled: e.Enabled, DisabledReason: e.DisabledReason,
		Window: window.String(), Since: h.Since.UTC(),
		Attempts: h.Attempts, Succeeded: h.Succeeded, Rejected: h.Rejected, Failed: h.Failed,
		SuccessRate:  h.SuccessRate(),
		LatencyAvgMs: h.LatencyAvg.Milliseconds(), LatencyP50Ms: h.LatencyP50.Milliseconds(),
		LastAttemptAt: optTime(h.LastAttemptAt), LastSuccessAt: optTime(h.LastSuccessAt),
		LastFailureAt: optTime(h.LastFailureAt), LastStatusCode: h.LastStatusCode, LastError: h.LastError,
		FailingSince: optTime(h.FailingSince), DisabledAt: optTime(h.DisabledAt),
	}
}

// handleOperatorEventList serves GET
// /api/v1/operator-events?customer=&type=&since=&cursor=&limit=.
func (s *Server) handleOperatorEventList(w http.ResponseWriter, r *http.Request) error {
	q, err := strictQuery(r.URL.RawQuery, "customer", "type", "since", "cursor", "limit")
	if err != nil {
		return err
	}
	p := &herald.OperatorEventListParams{CustomerID: q.Get("customer"), Type: herald.OperatorEventType(q.Get("type")), Cursor: q.Get("cursor")}
	if p.Type != "" && !p.Type.Valid() {
		return herald.Errorf(herald.EINVALID, "type: %q is not one of endpoint.disabled, endpoint.recovered, delivery.dead", p.Type)
	}
	if p.Since, err = queryTime(q, "since"); err != nil {
		return err
	}
	if p.Limit, err = queryLimit(q); err != nil {
		return err
	}
	res, err := s.healthStore().OperatorEventList(r.Context(), p)
	if err != nil {
		return fmt.Errorf("list operator events: %w", err)
	}
	out := OperatorEventList{Data: make([]OperatorEvent, 0, len(res.Events)), NextCursor: res.NextCursor}
	for _, ev := range res.Events {
		out.Data = append(out.Data, OperatorEvent{
			ID: ev.ID, Type: ev.Type, CustomerID: ev.CustomerID, EndpointID: ev.EndpointID, DeliveryID: ev.DeliveryID,
			At: ev.At.UTC(), Detail: ev.Detail, CreatedAt: ev.CreatedAt.UTC(), SentAt: optTime(ev.SentAt),
			SendAttempts: ev.SendAttempts, LastSendError: ev.LastSendError, SendAbandoned: ev.SendAbandoned,
		})
	}
	return writeJSON(w, http.StatusOK, &out)
}

// notDeliveredStates are the final states in which a delivery did not
// reach its partner.
var notDeliveredStates = []herald.DeliveryState{herald.DeliveryStateDead, herald.DeliveryStateRejected, herald.DeliveryStateFailed}

// handleNotDelivered serves GET
// /api/v1/customers/{customerId}/not-delivered?endpoint=&eventType=&since=&until=&limit=&cursor=.
func (s *Server) handleNotDelivered(w http.ResponseWriter, r *http.Request) error {
	q, err := strictQuery(r.URL.RawQuery, "endpoint", "eventType", "since", "until", "limit", "cursor")
	if err != nil {
		return err
	}
	f := herald.DeliveryFilter{EndpointID: q.Get("endpoint"), States: notDeliveredStates}
	if v := q.Get("eventType"); v != "" {
		if f.EventType = wire.EventType(v).Canonical(); !f.EventType.Valid() {
			return herald.Errorf(herald.EINVALID, "eventType: %q is not a known event type", v)
		}
	}
	if f.Since, err = queryTime(q, "since"); err != nil {
		return err
	}
	if f.Until, err = queryTime(q, "until"); err != nil {
		return err
	}
	limit, err := queryLimit(q)
	if err != nil {
		return err
	}
	c, err := s.customer(r)
	if err != nil {
		return err
	}
	f.CustomerID = c.ID
	counts, page, err := s.findDeliveries(r, &f, q.Get("cursor"), limit)
	if err != nil {
		return err
	}
	out := NotDelivered{Counts: counts, Data: page.Data, NextCursor: page.NextCursor}
	for _, n := range counts {
		out.Total += n
	}
	out.Redrive = Redrive{
		Single: "POST /api/v1/deliveries/{deliveryId}/retry",
		Bulk:   RedriveRequest{Method: http.MethodPost, Path: customerPath(c.ID) + "/replay-jobs", Body: replayRequestJSON(&f)},
	}
	return writeJSON(w, http.StatusOK, &out)
}

// findDeliveries counts the deliveries f matches by state (every state of
// f.States present, zero or not) and returns a page of them.
func (s *Server) findDeliveries(r *http.Request, f *herald.DeliveryFilter, cursor string, limit int) (map[herald.DeliveryState]int, *DeliveryList, error) {
	counts, err := s.replayStore().DeliveryCountByState(r.Context(), f)
	if err != nil {
		return nil, nil, fmt.Errorf("count deliveries: %w", err)
	}
	for _, st := range f.States {
		counts[st] += 0
	}
	res, err := s.replayStore().DeliveryFind(r.Context(), f, cursor, limit)
	if err != nil {
		return nil, nil, fmt.Errorf("find deliveries: %w", err)
	}
	page := &DeliveryList{Data: make([]Delivery, 0, len(res.Deliveries)), NextCursor: res.NextCursor}
	for _, d := range res.Deliveries {
		page.Data = append(page.Data, deliveryJSON(d))
	}
	return counts, page, nil
}

// missedStates are what an endpoint misses while disabled: deliveries
// failed without an attempt, and deliveries whose retries ran out.
var missedStates = []herald.DeliveryState{herald.DeliveryStateFailed, herald.DeliveryStateDead}

// handleEndpointMissed serves GET
// /api/v1/customers/{customerId}/endpoints/{endpointId}/missed?since=&limit=&cursor=:
// the deliveries to the endpoint that failed or died since since (default:
// when Herald last disabled it), and the replay job body that redrives them.
func (s *Server) handleEndpointMissed(w http.ResponseWriter, r *http.Request) error {
	q, err := strictQuery(r.URL.RawQuery, "since", "limit", "cursor")
	if err != nil {
		return err
	}
	since, err := queryTime(q, "since")
	if err != nil {
		return err
	}
	limit, err := queryLimit(q)
	if err != nil {
		return err
	}
	e, err := s.endpoint(r)
	if err != nil {
		return err
	}
	if since.IsZero() {
		hs, err := s.healthStore().EndpointHealthList(r.Context(), &herald.EndpointHealthParams{
			CustomerID: e.CustomerID, EndpointID: e.ID, Since: s.now()})
		if err != nil {
			return fmt.Errorf("endpoint health: %w", err)
		}
		since = hs[0].DisabledAt
		if since.IsZero() && !e.Enabled {
			since = e.UpdatedAt // disabled by hand: since then
		}
		if since.IsZero() {
			return herald.Errorf(herald.EINVALID, "since is required: Herald has never disabled endpoint %q", e.ID)
		}
	}
	f := herald.DeliveryFilter{CustomerID: e.CustomerID, EndpointID: e.ID, States: missedStates, ChangedSince: since}
	counts, page, err := s.findDeliveries(r, &f, q.Get("cursor"), limit)
	if err != nil {
		return err
	}
	out := Missed{
		EndpointID: e.ID, Enabled: e.Enabled, Since: since.UTC(), Counts: counts, Data: page.Data, NextCursor: page.NextCursor,
		Replay: RedriveRequest{Method: http.MethodPost, Path: customerPath(e.CustomerID) + "/replay-jobs", Body: replayRequestJSON(&f)},
	}
	for _, n := range counts {
		out.Count += n
	}
	if !e.Enabled {
		out.Note = "the endpoint is disabled: enable it (PATCH with enabled true) before replaying, or the replayed deliveries fail again"
	}
	return writeJSON(w, http.StatusOK, &out)
}

func replayRequestJSON(f *herald.DeliveryFilter) ReplayJobCreateRequest {
	return ReplayJobCreateRequest{
		Endpoint: f.EndpointID, EventType: f.EventType, States: f.States,
		Since: optTime(f.Since), Until: optTime(f.Until), ChangedSince: optTime(f.ChangedSince),
	}
}

// handleReplayJobCreate serves POST /api/v1/customers/{customerId}/replay-jobs.
// The job runs in the background (package replay); the reply is 201 with
// the job, whose Location shows its progress.
func (s *Server) handleReplayJobCreate(w http.ResponseWriter, r *http.Request) error {
	var req ReplayJobCreateRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		return err
	}
	c, err := s.customer(r)
	if err != nil {
		return err
	}
	j := &herald.ReplayJob{CustomerID: c.ID, Filter: herald.DeliveryFilter{
		CustomerID: c.ID, EndpointID: req.Endpoint, EventType: req.EventType.Canonical(), States: req.States,
	}}
	if req.Since != nil {
		j.Filter.Since = req.Since.UTC()
	}
	if req.Until != nil {
		j.Filter.Until = req.Until.UTC()
	}
	if req.ChangedSince != nil {
		j.Filter.ChangedSince = req.ChangedSince.UTC()
	}
	if err := s.replayStore().ReplayJobCreate(r.Context(), j, s.now()); err != nil {
		if herald.ErrorCode(err) == herald.EINVALID {
			return err
		}
		return fmt.Errorf("create replay job: %w", err)
	}
	w.Header().Set("Location", "/api/v1/replay-jobs/"+url.PathEscape(j.ID))
	out := replayJobJSON(j)
	return writeJSON(w, http.StatusCreated, &out)
}

// handleReplayJobGet serves GET /api/v1/replay-jobs/{jobId}.
func (s *Server) handleReplayJobGet(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("jobId")
	j, err := s.replayStore().ReplayJobGet(r.Context(), id)
	switch {
	case herald.ErrorCode(err) == herald.ENOTFOUND:
		return herald.Errorf(herald.ENOTFOUND, "replay job %q not found", id)
	case err != nil:
		return fmt.Errorf("get replay job: %w", err)
	}
	out := replayJobJSON(j)
	return writeJSON(w, http.StatusOK, &out)
}

// handleReplayJobList serves GET /api/v1/customers/{customerId}/replay-jobs?limit=.
func (s *Server) handleReplayJobList(w http.ResponseWriter, r *http.Request) error {
	q, err := strictQuery(r.URL.RawQuery, "limit")
	if err != nil {
		return err
	}
	limit, err := queryLimit(q)
	if err != nil {
		return err
	}
	c, err := s.customer(r)
	if err != nil {
		return err
	}
	js, err := s.replayStore().ReplayJobList(r.Context(), c.ID, limit)
	if err != nil {
		return fmt.Errorf("list replay jobs: %w", err)
	}
	out := ReplayJobList{Data: make([]ReplayJob, 0, len(js))}
	for _, j := range js {
		out.Data = append(out.Data, replayJobJSON(j))
	}
	return writeJSON(w, http.StatusOK, &out)
}

func replayJobJSON(j *herald.ReplayJob) ReplayJob {
	out := ReplayJob{
		ID: j.ID, CustomerID: j.CustomerID, Filter: replayRequestJSON(&j.Filter), State: j.State,
		Total: j.Total, Done: j.Done, Replayed: j.Replayed, Skipped: j.Skipped, Errors: j.Errors,
		CreatedAt: j.CreatedAt.UTC(), UpdatedAt: j.UpdatedAt.UTC(), FinishedAt: optTime(j.FinishedAt),
	}
	if out.Errors == nil {
		out.Errors = []string{}
	}
	return out
}
