package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/storerules"
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
			return s.inTx(ctx, op, func(tx *sql.Tx) error { return fn(platformTx{tx}) })
		},
		Now: func() time.Time { return atMillis(s.now()) },
	}
}

// platformTx is storerules.PlatformTx over a write transaction.
type platformTx struct{ tx *sql.Tx }

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
	_, err := t.tx.ExecContext(ctx, `INSERT INTO applicant_workflows (customer_id, id, person_id, job_id, status,
		created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		customerID, id, personID, jobID, status, toMillis(now), toMillis(now))
	if isUniqueViolation(err) {
		return storerules.ErrDuplicate
	}
	return err
}

func (t platformTx) ApplicantWorkflowSetStatus(ctx context.Context, customerID, id, status string, now time.Time) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE applicant_workflows SET status = ?, updated_at = ?
		WHERE customer_id = ? AND id = ?`, status, toMillis(now), customerID, id)
	return err
}

func (t platformTx) StatusChangeInsert(ctx context.Context, customerID, workflowID, oldStatus, newStatus, userID string, now time.Time) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO applicant_workflow_status_changes (customer_id, workflow_id,
		old_status, new_status, user_id, at) VALUES (?, ?, ?, ?, ?, ?)`,
		customerID, workflowID, oldStatus, newStatus, userID, toMillis(now))
	return err
}

func (t platformTx) JobSetPosting(ctx context.Context, customerID, id string, state herald.JobPostingState, portalURL string, now time.Time) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE jobs SET posting_state = ?, portal_url = ?, updated_at = ?
		WHERE customer_id = ? AND id = ?`, string(state), portalURL, toMillis(now), customerID, id)
	return err
}

func (t platformTx) JobUpdate(ctx context.Context, job *herald.Job, now time.Time) error {
	return updateJob(ctx, t.tx, job, now)
}

func (t platformTx) OnboardTaskSetStarted(ctx context.Context, customerID, taskID string, status herald.OnboardTaskStatus, startedAt time.Time) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE onboard_tasks SET status = ?, started_at = ?
		WHERE customer_id = ? AND id = ?`, string(status), toMillis(startedAt), customerID, taskID)
	return err
}

func (t platformTx) OnboardWorkflowTouch(ctx context.Context, customerID, id string, now time.Time) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE onboard_workflows SET updated_at = ? WHERE customer_id = ? AND id = ?`,
		toMillis(now), customerID, id)
	return err
}

// CustomerEndpoints, EventInsert and DeliveriesInsert store an action's
// event by storerules' publishing rules, inside the action's transaction so
// the event commits with the change that caused it. EventPublish's
// statements are written for a batch in a transaction of its own
// (eventBatch), so the event INSERT is repeated here against the same
// table; the endpoint lookup, the queues and the delivery INSERT are
// EventPublish's own.

func (t platformTx) CustomerEndpoints(ctx context.Context, customerID string) ([]*herald.Endpoint, error) {
	return customerEndpoints(ctx, t.tx, customerID)
}

func (t platformTx) EventInsert(ctx context.Context, ev *herald.Event, systemID, personID string) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO events
		(id, customer_id, type, new_status, body_gzip, link_header, created_at, system_id, person_id, trace_context)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ev.ID, ev.CustomerID, string(ev.Type), ev.NewStatus, ev.BodyGzip, ev.LinkHeader, toMillis(ev.CreatedAt),
		systemID, personID, ev.TraceContext)
	if err != nil {
		return fmt.Errorf("insert event: %w", err)
	}
	return nil
}

func (t platformTx) DeliveriesInsert(ctx context.Context, ds []*herald.Delivery) error {
	ins, err := t.tx.PrepareContext(ctx, insertDelivery)
	if err != nil {
		return fmt.Errorf("insert delivery: %w", err)
	}
	defer ins.Close()
	if err := insertDeliveries(ctx, newSubjectQueues(t.tx), ins, ds); err != nil {
		return fmt.Errorf("insert delivery: %w", err)
	}
	return nil
}
