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
	limit, err := pageLimit(limit)
	if err != nil {
		return nil, err
	}
	where, args := filterSQL(f)
	if cursor != "" {
		after, err := decodeCursor(cursor)
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
		res.NextCursor = encodeCursor(ds[limit-1].ID)
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

// ReplayJobCreate implements herald.ReplayStore. The count and the newest
// delivery are read in the transaction that stores the job, so Total is
// exactly what the job will walk.
func (s *Store) ReplayJobCreate(ctx context.Context, j *herald.ReplayJob, now time.Time) error {
	j.Filter.CustomerID = j.CustomerID
	if err := j.Filter.Validate(); err != nil {
		return err
	}
	filter, err := marshalFilter(&j.Filter)
	if err != nil {
		return fmt.Errorf("create replay job: %w", err)
	}
	now = fromMillis(toMillis(now))
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("create replay job: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	var one int
	switch err := tx.QueryRowContext(ctx, `SELECT 1 FROM customers WHERE id = ?`, j.CustomerID).Scan(&one); {
	case errors.Is(err, sql.ErrNoRows):
		return herald.Errorf(herald.ENOTFOUND, "customer %q not found", j.CustomerID)
	case err != nil:
		return fmt.Errorf("create replay job: %w", err)
	}
	var last string
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), '') FROM deliveries WHERE customer_id = ?`,
		j.CustomerID).Scan(&last); err != nil {
		return fmt.Errorf("create replay job: %w", err)
	}
	where, args := filterSQL(&j.Filter)
	var total int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE `+where+` AND id <= ?`,
		append(args, last)...).Scan(&total); err != nil {
		return fmt.Errorf("create replay job: %w", err)
	}
	id := herald.NewID(herald.IDPrefixReplayJob, now)
	if _, err := tx.ExecContext(ctx, `INSERT INTO replay_jobs (id, customer_id, filter, state, total,
			last_delivery_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		id, j.CustomerID, filter, string(herald.ReplayJobStatePending), total, last, toMillis(now), toMillis(now)); err != nil {
		return fmt.Errorf("create replay job: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("create replay job: %w", err)
	}
	j.ID, j.State, j.Total, j.LastDeliveryID = id, herald.ReplayJobStatePending, total, last
	j.Done, j.Replayed, j.Skipped, j.Errors, j.Cursor = 0, 0, 0, nil, ""
	j.CreatedAt, j.UpdatedAt, j.FinishedAt = now, now, time.Time{}
	return nil
}

// ReplayJobGet implements herald.ReplayStore.
func (s *Store) ReplayJobGet(ctx context.Context, id string) (*herald.ReplayJob, error) {
	j, err := scanReplayJob(s.read.QueryRowContext(ctx, `SELECT `+replayJobColumns+` FROM replay_jobs WHERE id = ?`, id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, herald.Errorf(herald.ENOTFOUND, "replay job %q not found", id)
	case err != nil:
		return nil, fmt.Errorf("get replay job: %w", err)
	}
	return j, nil
}

// ReplayJobList implements herald.ReplayStore.
func (s *Store) ReplayJobList(ctx context.Context, customerID string, limit int) ([]*herald.ReplayJob, error) {
	limit, err := pageLimit(limit)
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

// ReplayJobStep implements herald.ReplayStore. SQLite has one writer, so
// steps of one job never overlap.
func (s *Store) ReplayJobStep(ctx context.Context, id string, now time.Time, batch int) (*herald.ReplayJobStepResult, error) {
	if batch <= 0 {
		return nil, herald.Errorf(herald.EINVALID, "batch must be positive")
	}
	ms := toMillis(now)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("replay job step: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	j, err := scanReplayJob(tx.QueryRowContext(ctx, `SELECT `+replayJobColumns+` FROM replay_jobs WHERE id = ?`, id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, herald.Errorf(herald.ENOTFOUND, "replay job %q not found", id)
	case err != nil:
		return nil, fmt.Errorf("replay job step: %w", err)
	}
	if j.Finished() {
		return &herald.ReplayJobStepResult{Job: j}, nil
	}
	where, args := filterSQL(&j.Filter)
	rows, err := tx.QueryContext(ctx, `SELECT id, (state = 'pending' AND lease_token <> '' AND next_attempt_at > ?)
		FROM deliveries WHERE `+where+` AND id > ? AND id <= ? ORDER BY id LIMIT ?`,
		append(append([]any{ms}, args...), j.Cursor, j.LastDeliveryID, batch)...)
	if err != nil {
		return nil, fmt.Errorf("replay job step: %w", err)
	}
	var replay []string
	n := 0
	for rows.Next() {
		var did string
		var leased bool
		if err := rows.Scan(&did, &leased); err != nil {
			_ = rows.Close()
			return nil, fmt.Errorf("replay job step: %w", err)
		}
		n++
		j.Cursor = did
		if leased {
			j.Skipped++
			if len(j.Errors) < herald.MaxReplayJobErrors {
				j.Errors = append(j.Errors, did+": an attempt is in flight; not replayed")
			}
			continue
		}
		replay = append(replay, did)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("replay job step: %w", err)
	}
	// What DeliveryRetry does, for the whole batch. The single writer
	// means no claim ran between the read above and this update.
	if len(replay) > 0 {
		// Ordered delivery: waiting ones leave their chains (order.go).
		if _, err := tx.ExecContext(ctx, unlinkSQL, jsonArray(replay)); err != nil {
			return nil, fmt.Errorf("replay job step: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET
				state = 'pending', schedule_attempts = 0, next_attempt_at = ?1,
				lease_owner = '', lease_token = '', updated_at = ?1, waiting_for = ''
			WHERE id IN (SELECT value FROM json_each(?2))`, ms, jsonArray(replay)); err != nil {
			return nil, fmt.Errorf("replay job step: %w", err)
		}
	}
	j.Replayed += len(replay)
	j.Done += n
	j.State = herald.ReplayJobStateRunning
	if n < batch {
		j.State, j.FinishedAt = herald.ReplayJobStateCompleted, fromMillis(ms)
	}
	j.UpdatedAt = fromMillis(ms)
	errs, err := marshalStrings(j.Errors)
	if err != nil {
		return nil, fmt.Errorf("replay job step: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE replay_jobs SET state = ?, done = ?, replayed = ?, skipped = ?,
			errors = ?, cursor = ?, updated_at = ?, finished_at = ? WHERE id = ?`,
		string(j.State), j.Done, j.Replayed, j.Skipped, errs, j.Cursor, ms, toMillis(j.FinishedAt), j.ID); err != nil {
		return nil, fmt.Errorf("replay job step: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("replay job step: %w", err)
	}
	return &herald.ReplayJobStepResult{Job: j, Replayed: len(replay)}, nil
}
