package storerules

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
)

// ErrNotFound is what a getter of a Tx returns when the row does not
// exist; the rule that called it names the record for the user.
var ErrNotFound = errors.New("not found")

// ReplayCandidate is a delivery a replay step has reached.
type ReplayCandidate struct {
	ID string
	// Leased: an attempt is in flight (an unexpired lease on a pending
	// delivery), so replaying it now would send it twice at once.
	Leased bool
}

// ReplayTx is a bulk replay's view of a store's write transaction.
type ReplayTx interface {
	CustomerExists(ctx context.Context, id string) (bool, error)
	// LastDeliveryID is the newest delivery id of the customer, "" if none.
	LastDeliveryID(ctx context.Context, customerID string) (string, error)
	// CountDeliveries counts f's deliveries with ids up to lastID.
	CountDeliveries(ctx context.Context, f *herald.DeliveryFilter, lastID string) (int, error)
	// ReplayJobInsert stores a new job as it is.
	ReplayJobInsert(ctx context.Context, j *herald.ReplayJob) error
	// ReplayJobForUpdate returns the job, locked for this transaction
	// where the database has row locks; ErrNotFound if there is none.
	ReplayJobForUpdate(ctx context.Context, id string) (*herald.ReplayJob, error)
	// ReplayCandidates returns the next batch of j's deliveries after its
	// cursor, up to its LastDeliveryID, in id order, locked against claims
	// and ordered-delivery changes for the rest of the transaction.
	ReplayCandidates(ctx context.Context, j *herald.ReplayJob, now time.Time, batch int) ([]ReplayCandidate, error)
	// Replay makes the deliveries pending and due at now, as DeliveryRetry
	// does (out of their ordered chains, the retry schedule restarted),
	// and wakes the dispatchers.
	Replay(ctx context.Context, ids []string, now time.Time) error
	// ReplayJobSave stores the job's progress.
	ReplayJobSave(ctx context.Context, j *herald.ReplayJob) error
}

// Replay implements the replay job rules of herald.ReplayStore
// (ReplayJobCreate, ReplayJobStep) for a store that embeds it.
type Replay struct {
	// InReplayTx runs fn in one write transaction; snapshot asks for one
	// consistent view of the data for all its reads.
	InReplayTx func(ctx context.Context, snapshot bool, fn func(ReplayTx) error) error
	// Round gives t at the store's precision.
	Round func(t time.Time) time.Time
}

// ReplayJobCreate implements herald.ReplayStore: the job covers the
// deliveries that match its filter now, up to the newest one (later ones
// are not replayed), and counts them.
func (r Replay) ReplayJobCreate(ctx context.Context, j *herald.ReplayJob, now time.Time) error {
	j.Filter.CustomerID = j.CustomerID
	if err := j.Filter.Validate(); err != nil {
		return err
	}
	now = r.Round(now)
	var total int
	var last string
	id := herald.NewID(herald.IDPrefixReplayJob, now)
	err := r.InReplayTx(ctx, true, func(tx ReplayTx) error {
		ok, err := tx.CustomerExists(ctx, j.CustomerID)
		if err != nil {
			return err
		}
		if !ok {
			return herald.NotFound("customer", j.CustomerID)
		}
		if last, err = tx.LastDeliveryID(ctx, j.CustomerID); err != nil {
			return err
		}
		if total, err = tx.CountDeliveries(ctx, &j.Filter, last); err != nil {
			return err
		}
		job := *j
		job.ID, job.State, job.Total, job.LastDeliveryID = id, herald.ReplayJobStatePending, total, last
		job.Done, job.Replayed, job.Skipped, job.Errors, job.Cursor = 0, 0, 0, nil, ""
		job.CreatedAt, job.UpdatedAt, job.FinishedAt = now, now, time.Time{}
		return tx.ReplayJobInsert(ctx, &job)
	})
	if err != nil {
		return wrap("create replay job", err)
	}
	j.ID, j.State, j.Total, j.LastDeliveryID = id, herald.ReplayJobStatePending, total, last
	j.Done, j.Replayed, j.Skipped, j.Errors, j.Cursor = 0, 0, 0, nil, ""
	j.CreatedAt, j.UpdatedAt, j.FinishedAt = now, now, time.Time{}
	return nil
}

// ReplayJobStep implements herald.ReplayStore: it replays the job's next
// batch in one transaction and records its progress. A delivery with an
// attempt in flight is skipped, and the job's errors say so.
func (r Replay) ReplayJobStep(ctx context.Context, id string, now time.Time, batch int) (*herald.ReplayJobStepResult, error) {
	if batch <= 0 {
		return nil, herald.Errorf(herald.EINVALID, "batch must be positive")
	}
	now = r.Round(now)
	var res *herald.ReplayJobStepResult
	err := r.InReplayTx(ctx, false, func(tx ReplayTx) error {
		j, err := tx.ReplayJobForUpdate(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return herald.NotFound("replay job", id)
		} else if err != nil {
			return err
		}
		if j.Finished() {
			res = &herald.ReplayJobStepResult{Job: j}
			return nil
		}
		cands, err := tx.ReplayCandidates(ctx, j, now, batch)
		if err != nil {
			return err
		}
		var replay []string
		for _, c := range cands {
			j.Cursor = c.ID
			if c.Leased {
				j.Skipped++
				if len(j.Errors) < herald.MaxReplayJobErrors {
					j.Errors = append(j.Errors, c.ID+": an attempt is in flight; not replayed")
				}
				continue
			}
			replay = append(replay, c.ID)
		}
		if len(replay) > 0 {
			if err := tx.Replay(ctx, replay, now); err != nil {
				return err
			}
		}
		j.Replayed += len(replay)
		j.Done += len(cands)
		j.State = herald.ReplayJobStateRunning
		if len(cands) < batch {
			j.State, j.FinishedAt = herald.ReplayJobStateCompleted, now
		}
		j.UpdatedAt = now
		if err := tx.ReplayJobSave(ctx, j); err != nil {
			return err
		}
		res = &herald.ReplayJobStepResult{Job: j, Replayed: len(replay)}
		return nil
	})
	if err != nil {
		return nil, wrap("replay job step", err)
	}
	return res, nil
}

// wrap names op in a driver error; a *herald.Error goes through as is, so
// its code and its message for people reach the caller unchanged.
func wrap(op string, err error) error {
	var he *herald.Error
	if errors.As(err, &he) {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}
