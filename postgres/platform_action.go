package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/storerules"
	"github.com/jackc/pgx/v5"
)

// The platform actions (ApplicationComplete, WorkflowStatusChange, JobPost,
// JobEdit, JobUnpost, OnboardTaskStart, RemoteLogin) are storerules'
// (platformRules, embedded in Store): this file gives them PostgreSQL's
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

// CustomerEndpoints, EventInsert and DeliveriesInsert store an action's
// event by storerules' publishing rules, inside the action's transaction so
// the event commits with the change that caused it, and queue the NOTIFY
// that wakes every node's dispatcher at commit if a delivery is pending.
// EventPublish sends a batch outside any transaction of ours (one
// pgx.Batch), so this repeats its INSERTs for one event against the same
// tables; the endpoint columns and scanner, placeOrdered and the NOTIFY are
// EventPublish's own. Endpoints are read inside the transaction, unlike
// EventPublish, which costs nothing here: an action is one event.

// CustomerEndpoints does not look for the customer: the event's INSERT
// does, with its foreign key (EventInsert), saving a round trip.
func (t platformTx) CustomerEndpoints(ctx context.Context, customerID string) ([]*herald.Endpoint, error) {
	rows, err := t.tx.Query(ctx, `SELECT `+endpointColumns+` FROM endpoints WHERE customer_id = $1 ORDER BY created_at, id`, customerID)
	if err != nil {
		return nil, err
	}
	return collectEndpoints(rows)
}

func (t platformTx) EventInsert(ctx context.Context, ev *herald.Event, systemID, personID string) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO events (id, customer_id, type, new_status, body_gzip, link_header, created_at, system_id, person_id, trace_context)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		ev.ID, ev.CustomerID, string(ev.Type), ev.NewStatus, ev.BodyGzip, ev.LinkHeader, ev.CreatedAt, systemID, personID, ev.TraceContext)
	switch {
	case isForeignKeyViolation(err):
		return storerules.ErrNotFound
	case err != nil:
		return fmt.Errorf("insert event: %w", err)
	}
	return nil
}

// DeliveriesInsert places the deliveries to ordered endpoints in their
// subjects' queues (order.go) first; the event INSERT has refused a taken
// id, so all of them will be inserted.
func (t platformTx) DeliveriesInsert(ctx context.Context, ds []*herald.Delivery) error {
	if err := placeOrdered(ctx, t.tx, ds, nil); err != nil {
		return err
	}
	wake := false
	for _, d := range ds {
		if _, err := t.tx.Exec(ctx, `INSERT INTO deliveries (id, event_id, endpoint_id, customer_id, event_type, state,
			last_error, next_attempt_at, created_at, updated_at, subject, subject_seq, waiting_for)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12)`,
			d.ID, d.EventID, d.EndpointID, d.CustomerID, string(d.EventType), string(d.State), d.LastError,
			d.NextAttemptAt, d.CreatedAt, d.Subject, d.SubjectSeq, d.WaitingFor); err != nil {
			return fmt.Errorf("insert delivery: %w", err)
		}
		wake = wake || d.State == herald.DeliveryStatePending
	}
	if wake {
		if err := notify(ctx, t.tx); err != nil {
			return fmt.Errorf("notify work: %w", err)
		}
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
	_, err = t.tx.Exec(ctx, `INSERT INTO people
		(customer_id, id, type, first_name, last_name, email, phones, addresses, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		p.CustomerID, p.ID, string(p.Type), p.FirstName, p.LastName, p.Email, phones, addresses,
		p.CreatedAt, p.UpdatedAt)
	return err
}

func (t platformTx) PersonUpdate(ctx context.Context, p *herald.Person) error {
	phones, addresses, err := marshalContacts(p)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(ctx, `UPDATE people SET first_name = $1, last_name = $2, email = $3,
		phones = $4, addresses = $5, updated_at = $6 WHERE customer_id = $7 AND id = $8`,
		p.FirstName, p.LastName, p.Email, phones, addresses, p.UpdatedAt, p.CustomerID, p.ID)
	return err
}

func (t platformTx) PortalInsert(ctx context.Context, p *herald.CareerPortal) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO career_portals (customer_id, id, name, url, created_at)
		VALUES ($1, $2, $3, $4, $5)`, p.CustomerID, p.ID, p.Name, p.URL, p.CreatedAt)
	return err
}

func (t platformTx) JobInsert(ctx context.Context, j *herald.Job) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO jobs (customer_id, id, job_title, job_location, job_description,
		assessment_type, bgc_package_type, portal_id, posting_state, portal_url, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		j.CustomerID, j.ID, j.JobTitle, j.JobLocation, j.JobDescription, j.AssessmentType, j.BGCPackageType, j.PortalID,
		string(j.PostingState), j.PortalURL, j.CreatedAt, j.UpdatedAt)
	return err
}

func (t platformTx) AssessmentResultInsert(ctx context.Context, a *herald.AssessmentResult) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO assessment_results (customer_id, `+assessmentResultColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		a.CustomerID, a.ID, a.WorkflowID, a.Name, nullScore(a.Score), a.Result, a.Status, a.Date, a.URL,
		a.CreatedAt, a.UpdatedAt)
	return err
}

func (t platformTx) AssessmentResultUpdate(ctx context.Context, a *herald.AssessmentResult) (time.Time, error) {
	var created time.Time
	err := t.tx.QueryRow(ctx, `UPDATE assessment_results SET name = $1, score = $2, result = $3, status = $4,
		date = $5, url = $6, updated_at = $7 WHERE customer_id = $8 AND workflow_id = $9 AND id = $10
		RETURNING created_at`,
		a.Name, nullScore(a.Score), a.Result, a.Status, a.Date, a.URL, a.UpdatedAt,
		a.CustomerID, a.WorkflowID, a.ID).Scan(&created)
	if err != nil {
		return time.Time{}, notFound(err, "assessment result", a.ID)
	}
	return created.UTC(), nil
}

func (t platformTx) OnboardWorkflowInsert(ctx context.Context, w *herald.OnboardWorkflow) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO onboard_workflows (customer_id, id, person_id, job_id, portal_id,
		created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		w.CustomerID, w.ID, w.PersonID, w.JobID, w.PortalID, w.CreatedAt, w.UpdatedAt)
	return err
}

func (t platformTx) OnboardTaskInsert(ctx context.Context, customerID, workflowID string, position int, task *herald.OnboardTask) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO onboard_tasks (customer_id, id, workflow_id, position,
		name, type, status) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		customerID, task.ID, workflowID, position, task.Name, task.Type, string(task.Status))
	return err
}
