package herald

import (
	"context"
	"time"

	"github.com/heraldhq/herald/wire"
)

// IDPrefixReplayJob starts the id of a ReplayJob.
const IDPrefixReplayJob = "rpl_"

// Limits of replay jobs.
const (
	// DefaultReplayBatch is how many deliveries one ReplayJobStep replays
	// in one transaction: large enough that a million-delivery job is a
	// few thousand short transactions, small enough that each holds the
	// (SQLite) writer for milliseconds only.
	DefaultReplayBatch = 500
	// MaxReplayJobErrors is how many error messages a job keeps; past it
	// only the Skipped count grows.
	MaxReplayJobErrors = 20
)

// DeliveryFilter selects deliveries for a count, a find or a replay job.
// Zero fields do not filter.
type DeliveryFilter struct {
	CustomerID string // required
	EndpointID string
	EventType  wire.EventType
	States     []DeliveryState
	Since      time.Time // created at or after
	Until      time.Time // created before
	// ChangedSince keeps deliveries last changed (attempted, failed,
	// retried) at or after it: "what failed since the endpoint was
	// disabled".
	ChangedSince time.Time
}

// Validate returns an EINVALID error naming the first bad field.
func (f *DeliveryFilter) Validate() error {
	if f.CustomerID == "" {
		return Errorf(EINVALID, "customerId is required")
	}
	for _, st := range f.States {
		if !st.Valid() {
			return Errorf(EINVALID, "states: %q is not a delivery state", st)
		}
	}
	if f.EventType != "" && !f.EventType.Valid() {
		return Errorf(EINVALID, "eventType: %q is not a known event type", f.EventType)
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return Errorf(EINVALID, "since must be before until")
	}
	return nil
}

// ReplayJobState is where a replay job is.
type ReplayJobState string

// Replay job states.
const (
	// ReplayJobStatePending: created, no batch run yet.
	ReplayJobStatePending ReplayJobState = "pending"
	// ReplayJobStateRunning: some batches done; Cursor says where it is.
	ReplayJobStateRunning ReplayJobState = "running"
	// ReplayJobStateCompleted: every matching delivery was handled.
	ReplayJobStateCompleted ReplayJobState = "completed"
)

// ReplayJob replays, in the background, every delivery a filter matched
// when the job was created: each becomes pending and due now with its retry
// schedule restarted, as Store.DeliveryRetry does. The event, and so its id
// (Herald-Event-Id), is unchanged: partners can deduplicate.
type ReplayJob struct {
	ID         string
	CustomerID string
	Filter     DeliveryFilter
	State      ReplayJobState
	// Total is how many deliveries matched when the job was created.
	Total int
	// Done counts the deliveries handled: Replayed + Skipped. It can end
	// below Total when deliveries stopped matching meanwhile (retried by
	// hand and delivered, say).
	Done     int
	Replayed int
	// Skipped counts deliveries under an unexpired lease (an attempt in
	// flight), which are left alone.
	Skipped int
	// Errors are the first MaxReplayJobErrors reasons deliveries were
	// skipped.
	Errors []string
	// Cursor is the id of the last delivery handled; the next batch starts
	// after it. LastDeliveryID is the newest delivery when the job was
	// created: later ones are not the job's.
	Cursor         string
	LastDeliveryID string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	FinishedAt     time.Time // zero until completed
}

// Finished reports whether the job has nothing left to do.
func (j *ReplayJob) Finished() bool { return j.State == ReplayJobStateCompleted }

// ReplayStore keeps replay jobs and finds deliveries by filter. Like
// HealthStore it is separate from Store; the sqlite and postgres stores
// implement it. Each method is one transaction.
type ReplayStore interface {
	// DeliveryCountByState counts the deliveries f matches, by state;
	// states with none are left out. Returns EINVALID if f does not
	// validate.
	DeliveryCountByState(ctx context.Context, f *DeliveryFilter) (map[DeliveryState]int, error)
	// DeliveryFind returns one page of the deliveries f matches, newest
	// first, without attempt logs. cursor is the previous page's
	// NextCursor (the same cursors as Store.DeliveryList); limit is 0 for
	// 50, capped at 500. Returns EINVALID for a bad filter or cursor.
	DeliveryFind(ctx context.Context, f *DeliveryFilter, cursor string, limit int) (*DeliveryListResult, error)

	// ReplayJobCreate stores a new job for j.Filter (whose CustomerID must
	// be j.CustomerID), setting ID, State (pending), Total,
	// LastDeliveryID, CreatedAt and UpdatedAt. Returns EINVALID if the
	// filter does not validate, ENOTFOUND if the customer does not exist.
	ReplayJobCreate(ctx context.Context, j *ReplayJob, now time.Time) error
	// ReplayJobGet returns ENOTFOUND if there is no such job.
	ReplayJobGet(ctx context.Context, id string) (*ReplayJob, error)
	// ReplayJobList returns a customer's jobs, newest first, at most limit
	// (0: 50, capped at 500).
	ReplayJobList(ctx context.Context, customerID string, limit int) ([]*ReplayJob, error)
	// ReplayJobListUnfinished returns every job not completed, oldest
	// first: the work of the replay runners, after a restart too.
	ReplayJobListUnfinished(ctx context.Context) ([]*ReplayJob, error)
	// ReplayJobStep handles the next batch of up to batch deliveries of a
	// job, in id order after its Cursor: each one that still matches is
	// made pending and due at now with its schedule restarted, unless an
	// unexpired lease holds it (skipped, with an error). The job's
	// progress commits with the batch, so a crash resumes after the last
	// committed batch. A batch shorter than batch completes the job.
	// Returns the job as it now is; a finished job is returned unchanged.
	// Steps of one job on several nodes run one after the other.
	// Returns ENOTFOUND if there is no such job, EINVALID if batch is not
	// positive. A replayed delivery that was waiting for an earlier one
	// of its subject is unlinked as DeliveryRetry does it.
	ReplayJobStep(ctx context.Context, id string, now time.Time, batch int) (*ReplayJobStepResult, error)
}

// ReplayJobStepResult is what one ReplayJobStep did.
type ReplayJobStepResult struct {
	Job *ReplayJob
	// Replayed is how many deliveries this step made due.
	Replayed int
}
