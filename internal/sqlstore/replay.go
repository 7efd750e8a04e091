package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/storerules"
	"github.com/heraldhq/herald/wire"
)

var _ herald.ReplayStore = (*Store)(nil)

// The statements with a /*filter*/ take the WHERE terms of a
// herald.DeliveryFilter there (deliveryFilter), numbered after their own
// parameters; both stores' files number theirs $N, which SQLite takes as
// it takes ?N.
var (
	qReplayCountByState      = query("ReplayCountByState")
	qReplayDeliveryFind      = query("ReplayDeliveryFind")
	qReplayJobGet            = query("ReplayJobGet")
	qReplayJobList           = query("ReplayJobList")
	qReplayJobListUnfinished = query("ReplayJobListUnfinished")
	qReplayCustomerExists    = query("ReplayCustomerExists")
	qReplayLastDeliveryID    = query("ReplayLastDeliveryID")
	qReplayCountDeliveries   = query("ReplayCountDeliveries")
	qReplayJobInsert         = query("ReplayJobInsert")
	qReplayJobForUpdate      = query("ReplayJobForUpdate")
	qReplayCandidatesLock    = optionalQuery("ReplayCandidatesLock")
	qReplayCandidates        = query("ReplayCandidates")
	qReplayDeliveries        = query("ReplayDeliveries")
	qReplayJobSave           = query("ReplayJobSave")
)

// deliveryFilter returns the WHERE terms (joined by AND, over deliveries'
// columns without an alias) of f, which must have been validated, with
// their parameters numbered from next, and their arguments.
func (s *Store) deliveryFilter(f *herald.DeliveryFilter, next int) (string, []any) {
	var w strings.Builder
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return s.d.Arg(next + len(args) - 1)
	}
	w.WriteString(`customer_id = ` + arg(f.CustomerID))
	if len(f.States) > 0 {
		w.WriteString(` AND ` + s.stateFilter(f.States, arg))
	}
	if f.EndpointID != "" {
		w.WriteString(` AND endpoint_id = ` + arg(f.EndpointID))
	}
	if f.EventType != "" {
		w.WriteString(` AND event_type = ` + arg(string(f.EventType)))
	}
	if !f.Since.IsZero() {
		w.WriteString(` AND created_at >= ` + arg(s.d.Time(f.Since)))
	}
	if !f.Until.IsZero() {
		w.WriteString(` AND created_at < ` + arg(s.d.Time(f.Until)))
	}
	if !f.ChangedSince.IsZero() {
		w.WriteString(` AND updated_at >= ` + arg(s.d.Time(f.ChangedSince)))
	}
	return w.String(), args
}

// filtered returns statement n with where in place of its /*filter*/.
func (s *Store) filtered(n queryName, where string) string {
	return strings.Replace(s.sql(n), "/*filter*/", where, 1)
}

// stateFilter is the condition "state is one of states", with arg adding
// its parameter. Without delivered among them it also says state <>
// 'delivered', the predicate of the partial index
// deliveries_customer_state, which SQLite uses only for a query that
// states it (a bound list proves nothing to its planner); a filter with
// delivered scans deliveries_customer_id_id instead.
func (s *Store) stateFilter(states []herald.DeliveryState, arg func(any) string) string {
	cond := s.d.InList("state", arg(s.d.Strings(stateStrings(states))))
	if !slices.Contains(states, herald.DeliveryStateDelivered) {
		cond += ` AND state <> 'delivered'`
	}
	return cond
}

func stateStrings(states []herald.DeliveryState) []string {
	out := make([]string, len(states))
	for i, st := range states {
		out[i] = string(st)
	}
	return out
}

// DeliveryCountByState implements herald.ReplayStore.
func (s *Store) DeliveryCountByState(ctx context.Context, f *herald.DeliveryFilter) (map[herald.DeliveryState]int, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	where, args := s.deliveryFilter(f, 1)
	rows, err := s.read.Query(ctx, s.filtered(qReplayCountByState, where), args...)
	type count struct {
		state string
		n     int
	}
	counts, err := collect(rows, err, func(r Row) (c count, err error) {
		err = r.Scan(&c.state, &c.n)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("count deliveries: %w", err)
	}
	out := map[herald.DeliveryState]int{}
	for _, c := range counts {
		out[herald.DeliveryState(c.state)] = c.n
	}
	return out, nil
}

// DeliveryFind implements herald.ReplayStore, paging as DeliveryList does.
func (s *Store) DeliveryFind(ctx context.Context, f *herald.DeliveryFilter, cursor string, limit int) (*herald.DeliveryListResult, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	limit, err := herald.PageLimit(limit)
	if err != nil {
		return nil, err
	}
	where, args := s.deliveryFilter(f, 2)
	if cursor != "" {
		after, err := herald.ParseCursor(cursor, herald.IDPrefixDelivery)
		if err != nil {
			return nil, err
		}
		args = append(args, after)
		where += ` AND id < ` + s.d.Arg(len(args)+1)
	}
	rows, err := s.read.Query(ctx, s.filtered(qReplayDeliveryFind, where), append([]any{limit + 1}, args...)...)
	ds, err := collect(rows, err, s.scanDelivery)
	if err != nil {
		return nil, fmt.Errorf("find deliveries: %w", err)
	}
	res := &herald.DeliveryListResult{Deliveries: ds}
	if len(ds) > limit {
		res.Deliveries = ds[:limit]
		res.NextCursor = herald.NewCursor(ds[limit-1].ID)
	}
	return res, nil
}

// filterJSON is how a job's filter is stored: its own type, so a change to
// the root type cannot silently change stored jobs. Times count units of
// the store's precision since the Unix epoch (milliseconds on SQLite,
// microseconds on PostgreSQL), 0 for none.
type filterJSON struct {
	EndpointID   string   `json:"endpointId,omitempty"`
	EventType    string   `json:"eventType,omitempty"`
	States       []string `json:"states,omitempty"`
	Since        int64    `json:"since,omitempty"`
	Until        int64    `json:"until,omitempty"`
	ChangedSince int64    `json:"changedSince,omitempty"`
}

// unixUnits is t in units of unit since the Unix epoch (rounded down, as
// time.Time.UnixMilli is), 0 for the zero time; fromUnixUnits reverses it.
func unixUnits(t time.Time, unit time.Duration) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()*int64(time.Second/unit) + int64(t.Nanosecond())/int64(unit)
}

func fromUnixUnits(n int64, unit time.Duration) time.Time {
	if n == 0 {
		return time.Time{}
	}
	perSecond := int64(time.Second / unit)
	return time.Unix(n/perSecond, n%perSecond*int64(unit)).UTC()
}

// marshalFilter returns the filter's JSON as text, which SQLite's TEXT and
// PostgreSQL's jsonb both take.
func (s *Store) marshalFilter(f *herald.DeliveryFilter) (string, error) {
	unit := s.d.Precision()
	j := filterJSON{EndpointID: f.EndpointID, EventType: string(f.EventType), States: stateStrings(f.States),
		Since: unixUnits(f.Since, unit), Until: unixUnits(f.Until, unit), ChangedSince: unixUnits(f.ChangedSince, unit)}
	b, err := json.Marshal(j)
	return string(b), err
}

func (s *Store) unmarshalFilter(customerID string, b []byte) (herald.DeliveryFilter, error) {
	var j filterJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return herald.DeliveryFilter{}, err
	}
	unit := s.d.Precision()
	f := herald.DeliveryFilter{CustomerID: customerID, EndpointID: j.EndpointID, EventType: wire.EventType(j.EventType),
		Since: fromUnixUnits(j.Since, unit), Until: fromUnixUnits(j.Until, unit), ChangedSince: fromUnixUnits(j.ChangedSince, unit)}
	for _, st := range j.States {
		f.States = append(f.States, herald.DeliveryState(st))
	}
	return f, nil
}

// scanReplayJob reads the replay_jobs columns id, customer_id, filter,
// state, total, done, replayed, skipped, errors, cursor, last_delivery_id,
// created_at, updated_at, finished_at.
func (s *Store) scanReplayJob(r Row) (*herald.ReplayJob, error) {
	var j herald.ReplayJob
	var filter []byte
	var state string
	if err := r.Scan(&j.ID, &j.CustomerID, &filter, &state, &j.Total, &j.Done, &j.Replayed, &j.Skipped,
		s.d.ScanStrings(&j.Errors), &j.Cursor, &j.LastDeliveryID,
		s.d.ScanTime(&j.CreatedAt), s.d.ScanTime(&j.UpdatedAt), s.d.ScanTime(&j.FinishedAt)); err != nil {
		return nil, err
	}
	var err error
	if j.Filter, err = s.unmarshalFilter(j.CustomerID, filter); err != nil {
		return nil, fmt.Errorf("replay job %s: filter: %w", j.ID, err)
	}
	if len(j.Errors) == 0 {
		j.Errors = nil
	}
	j.State = herald.ReplayJobState(state)
	return &j, nil
}

// ReplayJobGet implements herald.ReplayStore.
func (s *Store) ReplayJobGet(ctx context.Context, id string) (*herald.ReplayJob, error) {
	j, err := s.scanReplayJob(s.read.QueryRow(ctx, s.sql(qReplayJobGet), id))
	if err != nil {
		return nil, wrapOp("get replay job", notFound(err, "replay job", id))
	}
	return j, nil
}

// ReplayJobList implements herald.ReplayStore.
func (s *Store) ReplayJobList(ctx context.Context, customerID string, limit int) ([]*herald.ReplayJob, error) {
	limit, err := herald.PageLimit(limit)
	if err != nil {
		return nil, err
	}
	rows, err := s.read.Query(ctx, s.sql(qReplayJobList), customerID, limit)
	js, err := collect(rows, err, s.scanReplayJob)
	return js, wrapOp("list replay jobs", err)
}

// ReplayJobListUnfinished implements herald.ReplayStore.
func (s *Store) ReplayJobListUnfinished(ctx context.Context) ([]*herald.ReplayJob, error) {
	rows, err := s.read.Query(ctx, s.sql(qReplayJobListUnfinished))
	js, err := collect(rows, err, s.scanReplayJob)
	return js, wrapOp("list unfinished replay jobs", err)
}

// ReplayJobCreate implements herald.ReplayStore (storerules.Replay).
func (s *Store) ReplayJobCreate(ctx context.Context, j *herald.ReplayJob, now time.Time) error {
	return s.replayRules().ReplayJobCreate(ctx, j, now)
}

// ReplayJobStep implements herald.ReplayStore (storerules.Replay).
func (s *Store) ReplayJobStep(ctx context.Context, id string, now time.Time, batch int) (*herald.ReplayJobStepResult, error) {
	return s.replayRules().ReplayJobStep(ctx, id, now, batch)
}

func (s *Store) replayRules() storerules.Replay {
	return storerules.Replay{
		InReplayTx: func(ctx context.Context, snapshot bool, fn func(storerules.ReplayTx) error) error {
			in := s.inTx
			if snapshot && s.inSnapshot != nil {
				in = s.inSnapshot
			}
			return in(ctx, func(db DB) error { return fn(replayTx{tx{db, s}}) })
		},
		Round: s.round,
	}
}

// replayTx is storerules.ReplayTx over a write transaction.
type replayTx struct{ tx }

func (t replayTx) CustomerExists(ctx context.Context, id string) (bool, error) {
	var one int
	err := t.db.QueryRow(ctx, t.s.sql(qReplayCustomerExists), id).Scan(&one)
	if errors.Is(err, storerules.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (t replayTx) LastDeliveryID(ctx context.Context, customerID string) (string, error) {
	var last string
	err := t.db.QueryRow(ctx, t.s.sql(qReplayLastDeliveryID), customerID).Scan(&last)
	return last, err
}

func (t replayTx) CountDeliveries(ctx context.Context, f *herald.DeliveryFilter, lastID string) (int, error) {
	where, args := t.s.deliveryFilter(f, 2)
	var total int
	err := t.db.QueryRow(ctx, t.s.filtered(qReplayCountDeliveries, where), append([]any{lastID}, args...)...).Scan(&total)
	return total, err
}

func (t replayTx) ReplayJobInsert(ctx context.Context, j *herald.ReplayJob) error {
	filter, err := t.s.marshalFilter(&j.Filter)
	if err != nil {
		return err
	}
	_, err = t.db.Exec(ctx, t.s.sql(qReplayJobInsert), j.ID, j.CustomerID, filter, string(j.State), j.Total,
		j.LastDeliveryID, t.s.d.Time(j.CreatedAt), t.s.d.Time(j.UpdatedAt))
	return err
}

// ReplayJobForUpdate: the store's statement locks the row where the
// database has row locks.
func (t replayTx) ReplayJobForUpdate(ctx context.Context, id string) (*herald.ReplayJob, error) {
	return t.s.scanReplayJob(t.db.QueryRow(ctx, t.s.sql(qReplayJobForUpdate), id))
}

// ReplayCandidates first takes the locks of the batch's ordered-delivery
// subjects where the store has them (ReplayCandidatesLock, before any row
// lock: see the store's order.go), then reads the batch, locking its rows
// where the database has row locks.
func (t replayTx) ReplayCandidates(ctx context.Context, j *herald.ReplayJob, now time.Time, batch int) ([]storerules.ReplayCandidate, error) {
	if t.s.sql(qReplayCandidatesLock) != "" {
		where, args := t.s.deliveryFilter(&j.Filter, 4)
		if _, err := t.db.Exec(ctx, t.s.filtered(qReplayCandidatesLock, where),
			append([]any{j.Cursor, j.LastDeliveryID, batch}, args...)...); err != nil {
			return nil, err
		}
	}
	where, args := t.s.deliveryFilter(&j.Filter, 5)
	rows, err := t.db.Query(ctx, t.s.filtered(qReplayCandidates, where),
		append([]any{t.s.d.Time(now), j.Cursor, j.LastDeliveryID, batch}, args...)...)
	return collect(rows, err, func(r Row) (c storerules.ReplayCandidate, err error) {
		err = r.Scan(&c.ID, &c.Leased)
		return c, err
	})
}

// Replay: ordered delivery's waiting deliveries leave their chains first,
// as a retried one does (Dialect.Unchain).
func (t replayTx) Replay(ctx context.Context, ids []string, now time.Time) error {
	if err := t.s.d.Unchain(ctx, t.db, ids); err != nil {
		return err
	}
	if _, err := t.db.Exec(ctx, t.s.sql(qReplayDeliveries), t.s.d.Time(now), t.s.d.Strings(ids)); err != nil {
		return err
	}
	return t.s.d.Wake(ctx, t.db)
}

func (t replayTx) ReplayJobSave(ctx context.Context, j *herald.ReplayJob) error {
	_, err := t.db.Exec(ctx, t.s.sql(qReplayJobSave), string(j.State), j.Done, j.Replayed, j.Skipped,
		t.s.d.Strings(j.Errors), j.Cursor, t.s.d.Time(j.UpdatedAt), t.s.d.Time(j.FinishedAt), j.ID)
	return err
}
