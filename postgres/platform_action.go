package postgres

import (
	"context"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/storerules"
	"github.com/jackc/pgx/v5"
)

// The platform actions (ApplicationComplete, WorkflowStatusChange, JobPost,
// JobEdit, JobUnpost, OnboardTaskStart, RemoteLogin) are storerules'
// (platformRules, embedded in Store): this file gives them SQLite's
// statements, one per method.

// platformRules is embedded in Store under an unexported name, so its
// action methods are the Store's and its fields are not.
type platformRules = storerules.Platform

func (s *Store) newPlatformRules() platformRules {
	return platformRules{
		InTx: func(ctx context.Context, op string, fn func(storerules.PlatformTx) error) error {
			return s.inTx(ctx, op, func(tx pgx.Tx) error { return fn(platformTx{tx}) })
		},
		Now: s.nowUTC,
	}
}

// platformTx is storerules.PlatformTx over a write transaction.
type platformTx struct{ tx pgx.Tx }

func (t platformTx) PersonGet(ctx context.Context, customerID, id string) (*herald.Person, error) {
	return getPerson(ctx, t.tx, customerID, id)
}

func (t platformTx) JobGet(ctx context.Context, customerID, id string) (*herald.Job, error) {
	return getJob(ctx, t.tx, customerID, id)
}

func (t platformTx) PortalGet(ctx context.Context, customerID, id string) (*herald.CareerPortal, error) {
	return getPortal(ctx, t.tx, customerID, id)
}

func (t platformTx) ApplicantWorkflowGet(ctx context.Context, customerID, id string, full bool) (*herald.ApplicantWorkflow, error) {
	return getApplicantWorkflow(ctx, t.tx, customerID, id, full)
}

func (t platformTx) OnboardWorkflowGet(ctx context.Context, customerID, id string) (*herald.OnboardWorkflow, error) {
	return getOnboardWorkflow(ctx, t.tx, customerID, id)
}

func (t platformTx) NextPlatformID(ctx context.Context, customerID string) (string, error) {
	return nextPlatformID(ctx, t.tx, customerID)
}

func (t platformTx) ApplicantWorkflowInsert(ctx context.Context, customerID, id, personID, jobID, status string, now time.Time) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO applicant_workflows (customer_id, id, person_id, job_id, status,
		created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		customerID, id, personID, jobID, status, now, now)
	if isUniqueViolation(err) {
		return storerules.ErrDuplicate
	}
	return err
}

func (t platformTx) ApplicantWorkflowSetStatus(ctx context.Context, customerID, id, status string, now time.Time) error {
	_, err := t.tx.Exec(ctx, `UPDATE applicant_workflows SET status = $1, updated_at = $2
		WHERE customer_id = $3 AND id = $4`, status, now, customerID, id)
	return err
}

func (t platformTx) StatusChangeInsert(ctx context.Context, customerID, workflowID, oldStatus, newStatus, userID string, now time.Time) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO applicant_workflow_status_changes (customer_id, workflow_id,
		old_status, new_status, user_id, at) VALUES ($1, $2, $3, $4, $5, $6)`,
		customerID, workflowID, oldStatus, newStatus, userID, now)
	return err
}

func (t platformTx) JobSetPosting(ctx context.Context, customerID, id string, state herald.JobPostingState, portalURL string, now time.Time) error {
	_, err := t.tx.Exec(ctx, `UPDATE jobs SET posting_state = $1, portal_url = $2, updated_at = $3
		WHERE customer_id = $4 AND id = $5`, string(state), portalURL, now, customerID, id)
	return err
}

func (t platformTx) JobUpdate(ctx context.Context, job *herald.Job, now time.Time) error {
	return updateJob(ctx, t.tx, job, now)
}

func (t platformTx) OnboardTaskSetStarted(ctx context.Context, customerID, taskID string, status herald.OnboardTaskStatus, startedAt time.Time) error {
	_, err := t.tx.Exec(ctx, `UPDATE onboard_tasks SET status = $1, started_at = $2
		WHERE customer_id = $3 AND id = $4`, string(status), platformNullTime(startedAt), customerID, taskID)
	return err
}

func (t platformTx) OnboardWorkflowTouch(ctx context.Context, customerID, id string, now time.Time) error {
	_, err := t.tx.Exec(ctx, `UPDATE onboard_workflows SET updated_at = $1 WHERE customer_id = $2 AND id = $3`,
		now, customerID, id)
	return err
}

func (t platformTx) Publish(ctx context.Context, ev *herald.Event) ([]*herald.Delivery, error) {
	return publishInTx(ctx, t.tx, ev)
}
