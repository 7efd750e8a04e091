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

// The platform's records are created and edited by storerules' rules
// (records.go); these are their statements.

func (t platformTx) PersonInsert(ctx context.Context, p *herald.Person) error {
	phones, addresses, err := marshalContacts(p)
	if err != nil {
		return err
	}
	_, err = t.tx.ExecContext(ctx, `INSERT INTO people
		(customer_id, id, type, first_name, last_name, email, phones, addresses, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.CustomerID, p.ID, string(p.Type), p.FirstName, p.LastName, p.Email, phones, addresses,
		toMillis(p.CreatedAt), toMillis(p.UpdatedAt))
	return err
}

func (t platformTx) PersonUpdate(ctx context.Context, p *herald.Person) error {
	phones, addresses, err := marshalContacts(p)
	if err != nil {
		return err
	}
	_, err = t.tx.ExecContext(ctx, `UPDATE people SET first_name = ?, last_name = ?, email = ?,
		phones = ?, addresses = ?, updated_at = ? WHERE customer_id = ? AND id = ?`,
		p.FirstName, p.LastName, p.Email, phones, addresses, toMillis(p.UpdatedAt), p.CustomerID, p.ID)
	return err
}

func (t platformTx) PortalInsert(ctx context.Context, p *herald.CareerPortal) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO career_portals (customer_id, id, name, url, created_at)
		VALUES (?, ?, ?, ?, ?)`, p.CustomerID, p.ID, p.Name, p.URL, toMillis(p.CreatedAt))
	return err
}

func (t platformTx) JobInsert(ctx context.Context, j *herald.Job) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO jobs (customer_id, id, job_title, job_location, job_description,
		assessment_type, bgc_package_type, portal_id, posting_state, portal_url, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		j.CustomerID, j.ID, j.JobTitle, j.JobLocation, j.JobDescription, j.AssessmentType, j.BGCPackageType, j.PortalID,
		string(j.PostingState), j.PortalURL, toMillis(j.CreatedAt), toMillis(j.UpdatedAt))
	return err
}

func (t platformTx) AssessmentResultInsert(ctx context.Context, a *herald.AssessmentResult) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO assessment_results (customer_id, `+assessmentResultColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.CustomerID, a.ID, a.WorkflowID, a.Name, nullScore(a.Score), a.Result, a.Status, a.Date, a.URL,
		toMillis(a.CreatedAt), toMillis(a.UpdatedAt))
	return err
}

func (t platformTx) AssessmentResultUpdate(ctx context.Context, a *herald.AssessmentResult) (time.Time, error) {
	var created int64
	err := t.tx.QueryRowContext(ctx, `UPDATE assessment_results SET name = ?, score = ?, result = ?, status = ?,
		date = ?, url = ?, updated_at = ? WHERE customer_id = ? AND workflow_id = ? AND id = ?
		RETURNING created_at`,
		a.Name, nullScore(a.Score), a.Result, a.Status, a.Date, a.URL, toMillis(a.UpdatedAt),
		a.CustomerID, a.WorkflowID, a.ID).Scan(&created)
	if err != nil {
		return time.Time{}, notFound(err, "assessment result", a.ID)
	}
	return fromMillis(created), nil
}

func (t platformTx) OnboardWorkflowInsert(ctx context.Context, w *herald.OnboardWorkflow) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO onboard_workflows (customer_id, id, person_id, job_id, portal_id,
		created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		w.CustomerID, w.ID, w.PersonID, w.JobID, w.PortalID, toMillis(w.CreatedAt), toMillis(w.UpdatedAt))
	return err
}

func (t platformTx) OnboardTaskInsert(ctx context.Context, customerID, workflowID string, position int, task *herald.OnboardTask) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO onboard_tasks (customer_id, id, workflow_id, position,
		name, type, status) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		customerID, task.ID, workflowID, position, task.Name, task.Type, string(task.Status))
	return err
}
