package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/storerules"
	"github.com/heraldhq/herald/wire"
)

var _ herald.ReplayStore = (*Store)(nil)

// filterSQL returns the WHERE terms (over deliveries aliased d) for f, which
// must have been validated, numbering its parameters after the first next-1.
func filterSQL(f *herald.DeliveryFilter, next int) (string, []any) {
	var w strings.Builder
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(next+len(args)-1)
	}
	w.WriteString(`d.customer_id = ` + arg(f.CustomerID))
	if len(f.States) > 0 {
		w.WriteString(` AND d.state = ANY(` + arg(toStrings(f.States)) + `)`)
	}
	if f.EndpointID != "" {
		w.WriteString(` AND d.endpoint_id = ` + arg(f.EndpointID))
	}
	if f.EventType != "" {
		w.WriteString(` AND d.event_type = ` + arg(string(f.EventType)))
	}
	if !f.Since.IsZero() {
		w.WriteString(` AND d.created_at >= ` + arg(dbTime(f.Since)))
	}
	if !f.Until.IsZero() {
		w.WriteString(` AND d.created_at < ` + arg(dbTime(f.Until)))
	}
	if !f.ChangedSince.IsZero() {
		w.WriteString(` AND d.updated_at >= ` + arg(dbTime(f.ChangedSince)))
	}
	return w.String(), args
}

// DeliveryCountByState implements herald.ReplayStore.
func (s *Store) DeliveryCountByState(ctx context.Context, f *herald.DeliveryFilter) (map[herald.DeliveryState]int, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	where, args := filterSQL(f, 1)
	rows, err := s.pool.Query(ctx, `SELECT d.state, count(*) FROM deliveries d WHERE `+where+` GROUP BY d.state`, args...)
	if err != nil {
		return nil, fmt.Errorf("count deliveries: %w", err)
	}
	out := map[herald.DeliveryState]int{}
	var st string
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&st, &n}, func() error {
		out[herald.DeliveryState(st)] = n
		return nil
	}); err != nil {
		return nil, fmt.Errorf("count deliveries: %w", err)
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
	where, args := filterSQL(f, 1)
	if cursor != "" {
		after, err := herald.ParseCursor(cursor, herald.IDPrefixDelivery)
		if err != nil {
			return nil, err
		}
		args = append(args, after)
		where += ` AND d.id < $` + strconv.Itoa(len(args))
	}
	args = append(args, limit+1)
	rows, err := s.pool.Query(ctx, `SELECT `+deliveryColumns+` FROM deliveries d
		WHERE `+where+` ORDER BY d.id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("find deliveries: %w", err)
	}
	ds, err := collectDeliveries(rows)
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

// filterJSON is how a job's filter is stored (the sqlite store's format).
type filterJSON struct {
	EndpointID   string   `json:"endpointId,omitempty"`
	EventType    string   `json:"eventType,omitempty"`
	States       []string `json:"states,omitempty"`
	Since        int64    `json:"since,omitempty"`
	Until        int64    `json:"until,omitempty"`
	ChangedSince int64    `json:"changedSince,omitempty"`
}

// Filter times are stored in microseconds, the database's precision.
func toMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

func marshalFilter(f *herald.DeliveryFilter) ([]byte, error) {
	j := filterJSON{EndpointID: f.EndpointID, EventType: string(f.EventType),
		Since: toMicros(f.Since), Until: toMicros(f.Until), ChangedSince: toMicros(f.ChangedSince), States: toStrings(f.States)}
	return json.Marshal(j)
}

func unmarshalFilter(customerID string, b []byte) (herald.DeliveryFilter, error) {
	var j filterJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return herald.DeliveryFilter{}, err
	}
	f := herald.DeliveryFilter{CustomerID: customerID, EndpointID: j.EndpointID, EventType: wire.EventType(j.EventType),
		Since: fromMicros(j.Since), Until: fromMicros(j.Until), ChangedSince: fromMicros(j.ChangedSince)}
	for _, st := range j.States {
		f.States = append(f.States, herald.DeliveryState(st))
	}
	return f, nil
}

const replayJobColumns = `id, customer_id, filter, state, total, done, replayed, skipped, errors, cursor,
	last_delivery_id, created_at, updated_at, finished_at`

func scanReplayJob(r pgx.Row) (*herald.ReplayJob, error) {
	var j herald.ReplayJob
	var filter []byte
	var state string
	var finished *time.Time
	if err := r.Scan(&j.ID, &j.CustomerID, &filter, &state, &j.Total, &j.Done, &j.Replayed, &j.Skipped, &j.Errors,
		&j.Cursor, &j.LastDeliveryID, &j.CreatedAt, &j.UpdatedAt, &finished); err != nil {
		return nil, err
	}
	var err error
	if j.Filter, err = unmarshalFilter(j.CustomerID, filter); err != nil {
		return nil, fmt.Errorf("replay job %s: filter: %w", j.ID, err)
	}
	if len(j.Errors) == 0 {
		j.Errors = nil
	}
	j.State = herald.ReplayJobState(state)
	j.CreatedAt, j.UpdatedAt, j.FinishedAt = j.CreatedAt.UTC(), j.UpdatedAt.UTC(), fromNullTime(finished)
	return &j, nil
}

func collectReplayJobs(rows pgx.Rows) ([]*herald.ReplayJob, error) {
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*herald.ReplayJob, error) { return scanReplayJob(r) })
	if out == nil {
		out = []*herald.ReplayJob{}
	}
	return out, err
}

// ReplayJobGet implements herald.ReplayStore.
func (s *Store) ReplayJobGet(ctx context.Context, id string) (*herald.ReplayJob, error) {
	j, err := scanReplayJob(s.pool.QueryRow(ctx, `SELECT `+replayJobColumns+` FROM replay_jobs WHERE id = $1`, id))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, herald.NotFound("replay job", id)
	case err != nil:
		return nil, fmt.Errorf("get replay job: %w", err)
	}
	return j, nil
}

// ReplayJobList implements herald.ReplayStore.
func (s *Store) ReplayJobList(ctx context.Context, customerID string, limit int) ([]*herald.ReplayJob, error) {
	limit, err := herald.PageLimit(limit)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+replayJobColumns+` FROM replay_jobs
		WHERE customer_id = $1 ORDER BY id DESC LIMIT $2`, customerID, limit)
	if err != nil {
		return nil, fmt.Errorf("list replay jobs: %w", err)
	}
	js, err := collectReplayJobs(rows)
	if err != nil {
		return nil, fmt.Errorf("list replay jobs: %w", err)
	}
	return js, nil
}

// ReplayJobListUnfinished implements herald.ReplayStore.
func (s *Store) ReplayJobListUnfinished(ctx context.Context) ([]*herald.ReplayJob, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+replayJobColumns+` FROM replay_jobs
		WHERE state <> 'completed' ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list unfinished replay jobs: %w", err)
	}
	js, err := collectReplayJobs(rows)
	if err != nil {
		return nil, fmt.Errorf("list unfinished replay jobs: %w", err)
	}
	return js, nil
}

// replayRules is embedded in Store under an unexported name:
// ReplayJobCreate and ReplayJobStep are storerules', over replayTx.
type replayRules = storerules.Replay

func (s *Store) newReplayRules() replayRules {
	return replayRules{
		InReplayTx: func(ctx context.Context, snapshot bool, fn func(storerules.ReplayTx) error) error {
			opts := pgx.TxOptions{}
			if snapshot {
				opts.IsoLevel = pgx.RepeatableRead
			}
			return s.withTx(ctx, opts, func(tx pgx.Tx) error { return fn(replayTx{tx}) })
		},
		Round: dbTime,
	}
}

// replayTx is storerules.ReplayTx over a transaction.
type replayTx struct{ tx pgx.Tx }

func (t replayTx) CustomerExists(ctx context.Context, id string) (bool, error) {
	var one int
	err := t.tx.QueryRow(ctx, `SELECT 1 FROM customers WHERE id = $1`, id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

func (t replayTx) LastDeliveryID(ctx context.Context, customerID string) (string, error) {
	var last string
	err := t.tx.QueryRow(ctx, `SELECT coalesce(max(id), '') FROM deliveries WHERE customer_id = $1`,
		customerID).Scan(&last)
	return last, err
}

func (t replayTx) CountDeliveries(ctx context.Context, f *herald.DeliveryFilter, lastID string) (int, error) {
	where, args := filterSQL(f, 1)
	args = append(args, lastID)
	var total int
	err := t.tx.QueryRow(ctx, `SELECT count(*) FROM deliveries d WHERE `+where+` AND d.id <= $`+strconv.Itoa(len(args)),
		args...).Scan(&total)
	return total, err
}

func (t replayTx) ReplayJobInsert(ctx context.Context, j *herald.ReplayJob) error {
	filter, err := marshalFilter(&j.Filter)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(ctx, `INSERT INTO replay_jobs (id, customer_id, filter, state, total,
			last_delivery_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		j.ID, j.CustomerID, filter, string(j.State), j.Total, j.LastDeliveryID, j.CreatedAt, j.UpdatedAt)
	return err
}

func (t replayTx) ReplayJobForUpdate(ctx context.Context, id string) (*herald.ReplayJob, error) {
	j, err := scanReplayJob(t.tx.QueryRow(ctx, `SELECT `+replayJobColumns+` FROM replay_jobs WHERE id = $1 FOR UPDATE`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, storerules.ErrNotFound
	}
	return j, err
}

// ReplayCandidates takes the batch's subjects' locks before its rows'
// (order.go). A row whose match changes between the two statements is
// replayed without its subject's lock, a race with a publish or record of
// that very subject in the same instant.
func (t replayTx) ReplayCandidates(ctx context.Context, j *herald.ReplayJob, now time.Time, batch int) ([]storerules.ReplayCandidate, error) {
	where, args := filterSQL(&j.Filter, 5)
	if _, err := t.tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, k) FROM (
			SELECT DISTINCT `+subjectKeySQL+` AS k FROM (
				SELECT d.endpoint_id, d.subject FROM deliveries d
				WHERE `+where+` AND d.id > $2 AND d.id <= $3 ORDER BY d.id LIMIT $4) b
			WHERE subject <> '' ORDER BY k OFFSET 0) s`,
		append([]any{lockClassSubject, j.Cursor, j.LastDeliveryID, batch}, args...)...); err != nil {
		return nil, err
	}
	rows, err := t.tx.Query(ctx, `SELECT d.id, (d.state = 'pending' AND d.lease_token IS NOT NULL AND d.next_attempt_at > $1)
		FROM deliveries d WHERE `+where+` AND d.id > $2 AND d.id <= $3 ORDER BY d.id LIMIT $4 FOR UPDATE`,
		append([]any{now, j.Cursor, j.LastDeliveryID, batch}, args...)...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (storerules.ReplayCandidate, error) {
		var c storerules.ReplayCandidate
		err := r.Scan(&c.ID, &c.Leased)
		return c, err
	})
}

// Replay: the rows are locked by ReplayCandidates.
func (t replayTx) Replay(ctx context.Context, ids []string, now time.Time) error {
	if _, err := t.tx.Exec(ctx, unlinkSQL, ids); err != nil {
		return err
	}
	if _, err := t.tx.Exec(ctx, `UPDATE deliveries SET
			state = 'pending', schedule_attempts = 0, next_attempt_at = $1,
			lease_owner = NULL, lease_token = NULL, updated_at = $1, waiting_for = ''
		WHERE id = ANY($2)`, now, ids); err != nil {
		return err
	}
	return notify(ctx, t.tx)
}

func (t replayTx) ReplayJobSave(ctx context.Context, j *herald.ReplayJob) error {
	errs := j.Errors
	if errs == nil {
		errs = []string{}
	}
	_, err := t.tx.Exec(ctx, `UPDATE replay_jobs SET state = $1, done = $2, replayed = $3, skipped = $4,
			errors = $5, cursor = $6, updated_at = $7, finished_at = $8 WHERE id = $9`,
		string(j.State), j.Done, j.Replayed, j.Skipped, errs, j.Cursor, j.UpdatedAt, optTime(j.FinishedAt), j.ID)
	return err
}
