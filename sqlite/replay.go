package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/storerules"
	"github.com/heraldhq/herald/wire"
)

var _ herald.ReplayStore = (*Store)(nil)

// filterSQL returns the WHERE terms (joined by AND, over deliveries without
// an alias) and their arguments for f, which must have been validated.
func filterSQL(f *herald.DeliveryFilter) (string, []any) {
	var w strings.Builder
	args := []any{f.CustomerID}
	w.WriteString(`customer_id = ?`)
	if len(f.States) > 0 {
		w.WriteString(` AND state IN (SELECT value FROM json_each(?))`)
		args = append(args, jsonArray(f.States))
	}
	if f.EndpointID != "" {
		w.WriteString(` AND endpoint_id = ?`)
		args = append(args, f.EndpointID)
	}
	if f.EventType != "" {
		w.WriteString(` AND event_type = ?`)
		args = append(args, string(f.EventType))
	}
	if !f.Since.IsZero() {
		w.WriteString(` AND created_at >= ?`)
		args = append(args, toMillis(f.Since))
	}
	if !f.Until.IsZero() {
		w.WriteString(` AND created_at < ?`)
		args = append(args, toMillis(f.Until))
	}
	if !f.ChangedSince.IsZero() {
		w.WriteString(` AND updated_at >= ?`)
		args = append(args, toMillis(f.ChangedSince))
	}
	return w.String(), args
}

// DeliveryCountByState implements herald.ReplayStore.
func (s *Store) DeliveryCountByState(ctx context.Context, f *herald.DeliveryFilter) (map[herald.DeliveryState]int, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	where, args := filterSQL(f)
	rows, err := s.read.QueryContext(ctx, `SELECT state, count(*) FROM deliveries WHERE `+where+` GROUP BY state`, args...)
	if err != nil {
		return nil, fmt.Errorf("count deliveries: %w", err)
	}
	defer rows.Close()
	out := map[herald.DeliveryState]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("count deliveries: %w", err)
		}
		out[herald.DeliveryState(st)] = n
	}
	if err := rows.Err(); err != nil {
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
	where, args := filterSQL(f)
	if cursor != "" {
		after, err := herald.ParseCursor(cursor, herald.IDPrefixDelivery)
		if err != nil {
			return nil, err
		}
		where += ` AND id < ?`
		args = append(args, after)
	}
	rows, err := s.read.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries
		WHERE `+where+` ORDER BY id DESC LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, fmt.Errorf("find deliveries: %w", err)
	}
	ds, err := scanDeliveries(rows)
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
// the root type cannot silently change stored jobs. Times are unix ms.
type filterJSON struct {
	EndpointID   string   `json:"endpointId,omitempty"`
	EventType    string   `json:"eventType,omitempty"`
	States       []string `json:"states,omitempty"`
	Since        int64    `json:"since,omitempty"`
	Until        int64    `json:"until,omitempty"`
	ChangedSince int64    `json:"changedSince,omitempty"`
}

func marshalFilter(f *herald.DeliveryFilter) (string, error) {
	j := filterJSON{EndpointID: f.EndpointID, EventType: string(f.EventType),
		Since: toMillis(f.Since), Until: toMillis(f.Until), ChangedSince: toMillis(f.ChangedSince)}
	for _, st := range f.States {
		j.States = append(j.States, string(st))
	}
	b, err := json.Marshal(j)
	return string(b), err
}

func unmarshalFilter(customerID, s string) (herald.DeliveryFilter, error) {
	var j filterJSON
	if err := json.Unmarshal([]byte(s), &j); err != nil {
		return herald.DeliveryFilter{}, err
	}
	f := herald.DeliveryFilter{CustomerID: customerID, EndpointID: j.EndpointID, EventType: wire.EventType(j.EventType),
		Since: fromMillis(j.Since), Until: fromMillis(j.Until), ChangedSince: fromMillis(j.ChangedSince)}
	for _, st := range j.States {
		f.States = append(f.States, herald.DeliveryState(st))
	}
	return f, nil
}

// replayJobColumns are the columns scanReplayJob reads, in order.
const replayJobColumns = `id, customer_id, filter, state, total, done, replayed, skipped, errors, cursor,
	last_delivery_id, created_at, updated_at, finished_at`

func scanReplayJob(r rowScanner) (*herald.ReplayJob, error) {
	var j herald.ReplayJob
	var filter, state, errs string
	var created, updated, finished int64
	if err := r.Scan(&j.ID, &j.CustomerID, &filter, &state, &j.Total, &j.Done, &j.Replayed, &j.Skipped, &errs,
		&j.Cursor, &j.LastDeliveryID, &created, &updated, &finished); err != nil {
		return nil, err
	}
	var err error
	if j.Filter, err = unmarshalFilter(j.CustomerID, filter); err != nil {
		return nil, fmt.Errorf("replay job %s: filter: %w", j.ID, err)
	}
	if j.Errors, err = unmarshalStrings[string](errs); err != nil {
		return nil, fmt.Errorf("replay job %s: errors: %w", j.ID, err)
	}
	j.State = herald.ReplayJobState(state)
	j.CreatedAt, j.UpdatedAt, j.FinishedAt = fromMillis(created), fromMillis(updated), fromMillis(finished)
	return &j, nil
}

func scanReplayJobs(rows *sql.Rows) ([]*herald.ReplayJob, error) {
	defer rows.Close()
	out := []*herald.ReplayJob{}
	for rows.Next() {
		j, err := scanReplayJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// ReplayJobGet implements herald.ReplayStore.
func (s *Store) ReplayJobGet(ctx context.Context, id string) (*herald.ReplayJob, error) {
	j, err := scanReplayJob(s.read.QueryRowContext(ctx, `SELECT `+replayJobColumns+` FROM replay_jobs WHERE id = ?`, id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
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
	rows, err := s.read.QueryContext(ctx, `SELECT `+replayJobColumns+` FROM replay_jobs
		WHERE customer_id = ? ORDER BY id DESC LIMIT ?`, customerID, limit)
	if err != nil {
		return nil, fmt.Errorf("list replay jobs: %w", err)
	}
	js, err := scanReplayJobs(rows)
	if err != nil {
		return nil, fmt.Errorf("list replay jobs: %w", err)
	}
	return js, nil
}

// ReplayJobListUnfinished implements herald.ReplayStore.
func (s *Store) ReplayJobListUnfinished(ctx context.Context) ([]*herald.ReplayJob, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+replayJobColumns+` FROM replay_jobs
		WHERE state <> 'completed' ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list unfinished replay jobs: %w", err)
	}
	js, err := scanReplayJobs(rows)
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
		// One writer: every transaction sees one consistent state.
		InReplayTx: func(ctx context.Context, _ bool, fn func(storerules.ReplayTx) error) error {
			return s.withTx(ctx, func(tx *sql.Tx) error { return fn(replayTx{tx}) })
		},
		Round: atMillis,
	}
}

// replayTx is storerules.ReplayTx over a write transaction.
type replayTx struct{ tx *sql.Tx }

func (t replayTx) CustomerExists(ctx context.Context, id string) (bool, error) {
	var one int
	err := t.tx.QueryRowContext(ctx, customerExistsSQL, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

func (t replayTx) LastDeliveryID(ctx context.Context, customerID string) (string, error) {
	var last string
	err := t.tx.QueryRowContext(ctx, `SELECT coalesce(max(id), '') FROM deliveries WHERE customer_id = ?`,
		customerID).Scan(&last)
	return last, err
}

func (t replayTx) CountDeliveries(ctx context.Context, f *herald.DeliveryFilter, lastID string) (int, error) {
	where, args := filterSQL(f)
	var total int
	err := t.tx.QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE `+where+` AND id <= ?`,
		append(args, lastID)...).Scan(&total)
	return total, err
}

func (t replayTx) ReplayJobInsert(ctx context.Context, j *herald.ReplayJob) error {
	filter, err := marshalFilter(&j.Filter)
	if err != nil {
		return err
	}
	_, err = t.tx.ExecContext(ctx, `INSERT INTO replay_jobs (id, customer_id, filter, state, total,
			last_delivery_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		j.ID, j.CustomerID, filter, string(j.State), j.Total, j.LastDeliveryID, toMillis(j.CreatedAt), toMillis(j.UpdatedAt))
	return err
}

func (t replayTx) ReplayJobForUpdate(ctx context.Context, id string) (*herald.ReplayJob, error) {
	j, err := scanReplayJob(t.tx.QueryRowContext(ctx, `SELECT `+replayJobColumns+` FROM replay_jobs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, storerules.ErrNotFound
	}
	return j, err
}

// ReplayCandidates needs no locks: the single writer means no claim runs
// between this read and the transaction's end.
func (t replayTx) ReplayCandidates(ctx context.Context, j *herald.ReplayJob, now time.Time, batch int) ([]storerules.ReplayCandidate, error) {
	where, args := filterSQL(&j.Filter)
	rows, err := t.tx.QueryContext(ctx, `SELECT id, (state = 'pending' AND lease_token <> '' AND next_attempt_at > ?)
		FROM deliveries WHERE `+where+` AND id > ? AND id <= ? ORDER BY id LIMIT ?`,
		append(append([]any{toMillis(now)}, args...), j.Cursor, j.LastDeliveryID, batch)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storerules.ReplayCandidate
	for rows.Next() {
		var c storerules.ReplayCandidate
		if err := rows.Scan(&c.ID, &c.Leased); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (t replayTx) Replay(ctx context.Context, ids []string, now time.Time) error {
	// Ordered delivery: waiting ones leave their chains (order.go).
	if _, err := t.tx.ExecContext(ctx, unlinkSQL, jsonArray(ids)); err != nil {
		return err
	}
	_, err := t.tx.ExecContext(ctx, `UPDATE deliveries SET
			state = 'pending', schedule_attempts = 0, next_attempt_at = ?1,
			lease_owner = '', lease_token = '', updated_at = ?1, waiting_for = ''
		WHERE id IN (SELECT value FROM json_each(?2))`, toMillis(now), jsonArray(ids))
	return err
}

func (t replayTx) ReplayJobSave(ctx context.Context, j *herald.ReplayJob) error {
	errs, err := marshalStrings(j.Errors)
	if err != nil {
		return err
	}
	_, err = t.tx.ExecContext(ctx, `UPDATE replay_jobs SET state = ?, done = ?, replayed = ?, skipped = ?,
			errors = ?, cursor = ?, updated_at = ?, finished_at = ? WHERE id = ?`,
		string(j.State), j.Done, j.Replayed, j.Skipped, errs, j.Cursor, toMillis(j.UpdatedAt), toMillis(j.FinishedAt), j.ID)
	return err
}
