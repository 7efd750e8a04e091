package postgres

import (
	"context"
	"github.com/jackc/pgx/v5"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// actionFunc makes an action's change inside tx and returns the record it
// changed and the params of the event that announces it.
type actionFunc func(tx pgx.Tx, now time.Time) (*herald.ActionResult, *wire.EventParams, error)

// action runs fn and publishes its event in one transaction: the
// change, the event and its deliveries commit together or not at all.
func (s *Store) action(ctx context.Context, op, customerID, publicURL string, fn actionFunc) (*herald.ActionResult, error) {
	now := s.nowUTC()
	var res *herald.ActionResult
	err := s.inTx(ctx, op, func(tx pgx.Tx) error {
		r, params, err := fn(tx, now)
		if err != nil {
			return err
		}
		ev, err := herald.NewPlatformEvent(publicURL, customerID, params, now)
		if err != nil {
			return err
		}
		// The action's request's trace, so the event's attempts join it.
		ev.TraceContext = herald.TraceContextFromContext(ctx)
		if r.Deliveries, err = publishInTx(ctx, tx, ev); err != nil {
			return err
		}
		r.Event, res = ev, r
		return nil
	})
	return res, err
}

// getUser returns the person with that id if they are a platform user.
func getUser(ctx context.Context, q dbtx, customerID, id string) (*herald.Person, error) {
	u, err := getPerson(ctx, q, customerID, id)
	if err != nil {
		return nil, err
	}
	if u.Type != herald.PersonTypeUser {
		return nil, herald.Errorf(herald.EINVALID, "userid %q is not a platform user", id)
	}
	return u, nil
}

// ApplicationComplete implements herald.PlatformStore.
func (s *Store) ApplicationComplete(ctx context.Context, p *herald.ApplicationCompleteParams) (*herald.ActionResult, error) {
	return s.action(ctx, "complete application", p.CustomerID, p.PublicURL, func(tx pgx.Tx, now time.Time) (*herald.ActionResult, *wire.EventParams, error) {
		if _, err := getPerson(ctx, tx, p.CustomerID, p.PersonID); err != nil {
			return nil, nil, err
		}
		job, err := getJob(ctx, tx, p.CustomerID, p.JobID)
		if err != nil {
			return nil, nil, err
		}
		if job.PostingState != herald.JobPostingStatePosted {
			return nil, nil, herald.Errorf(herald.ECONFLICT, "job %q is not posted", job.ID)
		}
		id, err := nextPlatformID(ctx, tx, p.CustomerID)
		if err != nil {
			return nil, nil, err
		}
		_, err = tx.Exec(ctx, `INSERT INTO applicant_workflows (customer_id, id, person_id, job_id, status,
			created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			p.CustomerID, id, p.PersonID, p.JobID, herald.ApplicantWorkflowStatusApplied, now, now)
		if isUniqueViolation(err) {
			return nil, nil, herald.Errorf(herald.ECONFLICT, "person %q has applied to job %q already", p.PersonID, p.JobID)
		} else if err != nil {
			return nil, nil, err
		}
		if err := insertStatusChange(ctx, tx, p.CustomerID, id, "", herald.ApplicantWorkflowStatusApplied, p.PersonID, now); err != nil {
			return nil, nil, err
		}
		w, err := getApplicantWorkflow(ctx, tx, p.CustomerID, id, true)
		if err != nil {
			return nil, nil, err
		}
		return &herald.ActionResult{ApplicantWorkflow: w}, &wire.EventParams{
			EventType: wire.EventTypeAssessment,
			SystemID:  id,
			UserID:    p.PersonID,
			PersonID:  p.PersonID,
			JobID:     p.JobID,
			ReturnURL: herald.AssessmentReturnURL(job.PortalURL, p.CustomerID, id, p.LinkKey),
		}, nil
	})
}

func insertStatusChange(ctx context.Context, tx pgx.Tx, customerID, workflowID, oldStatus, newStatus, userID string, now time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO applicant_workflow_status_changes (customer_id, workflow_id,
		old_status, new_status, user_id, at) VALUES ($1, $2, $3, $4, $5, $6)`,
		customerID, workflowID, oldStatus, newStatus, userID, now)
	return err
}

// WorkflowStatusChange implements herald.PlatformStore.
func (s *Store) WorkflowStatusChange(ctx context.Context, p *herald.WorkflowStatusChangeParams) (*herald.ActionResult, error) {
	if err := herald.ValidateWorkflowStatus("status", p.NewStatus); err != nil {
		return nil, err
	}
	return s.action(ctx, "change workflow status", p.CustomerID, p.PublicURL, func(tx pgx.Tx, now time.Time) (*herald.ActionResult, *wire.EventParams, error) {
		w, err := getApplicantWorkflow(ctx, tx, p.CustomerID, p.WorkflowID, false)
		if err != nil {
			return nil, nil, err
		}
		if _, err := getUser(ctx, tx, p.CustomerID, p.UserID); err != nil {
			return nil, nil, err
		}
		if w.Status == p.NewStatus {
			return nil, nil, herald.Errorf(herald.ECONFLICT, "applicant workflow %q has status %q already", w.ID, p.NewStatus)
		}
		if _, err := tx.Exec(ctx, `UPDATE applicant_workflows SET status = $1, updated_at = $2
			WHERE customer_id = $3 AND id = $4`, p.NewStatus, now, p.CustomerID, w.ID); err != nil {
			return nil, nil, err
		}
		if err := insertStatusChange(ctx, tx, p.CustomerID, w.ID, w.Status, p.NewStatus, p.UserID, now); err != nil {
			return nil, nil, err
		}
		updated, err := getApplicantWorkflow(ctx, tx, p.CustomerID, w.ID, true)
		if err != nil {
			return nil, nil, err
		}
		return &herald.ActionResult{ApplicantWorkflow: updated}, &wire.EventParams{
			EventType: wire.EventTypeWorkFlowStatusChange,
			SystemID:  w.ID,
			UserID:    p.UserID,
			PersonID:  w.PersonID,
			JobID:     w.JobID,
			OldStatus: w.Status,
			NewStatus: p.NewStatus,
		}, nil
	})
}

// jobAction loads the job and the acting user of a job action and checks
// the job's posting state.
func jobAction(ctx context.Context, tx pgx.Tx, p *herald.JobActionParams, wantPosted bool) (*herald.Job, error) {
	job, err := getJob(ctx, tx, p.CustomerID, p.JobID)
	if err != nil {
		return nil, err
	}
	if _, err := getUser(ctx, tx, p.CustomerID, p.UserID); err != nil {
		return nil, err
	}
	posted := job.PostingState == herald.JobPostingStatePosted
	switch {
	case wantPosted && !posted:
		return nil, herald.Errorf(herald.ECONFLICT, "job %q is not posted", job.ID)
	case !wantPosted && posted:
		return nil, herald.Errorf(herald.ECONFLICT, "job %q is posted already", job.ID)
	}
	return job, nil
}

func setJobPosting(ctx context.Context, tx pgx.Tx, job *herald.Job, state herald.JobPostingState, portalURL string, now time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE jobs SET posting_state = $1, portal_url = $2, updated_at = $3
		WHERE customer_id = $4 AND id = $5`, string(state), portalURL, now, job.CustomerID, job.ID)
	job.PostingState, job.PortalURL, job.UpdatedAt = state, portalURL, now
	return err
}

// JobPost implements herald.PlatformStore.
func (s *Store) JobPost(ctx context.Context, p *herald.JobActionParams) (*herald.ActionResult, error) {
	if p.Changes != nil {
		return nil, herald.Errorf(herald.EINVALID, "a job is edited by JobEdit, not while it is posted")
	}
	return s.action(ctx, "post job", p.CustomerID, p.PublicURL, func(tx pgx.Tx, now time.Time) (*herald.ActionResult, *wire.EventParams, error) {
		job, err := jobAction(ctx, tx, p, false)
		if err != nil {
			return nil, nil, err
		}
		portal, err := getPortal(ctx, tx, p.CustomerID, job.PortalID)
		if err != nil {
			return nil, nil, err
		}
		portalURL := herald.JobPortalURL(portal.URL, job.ID, job.JobTitle)
		if err := setJobPosting(ctx, tx, job, herald.JobPostingStatePosted, portalURL, now); err != nil {
			return nil, nil, err
		}
		return &herald.ActionResult{Job: job}, &wire.EventParams{
			EventType: wire.EventTypeJobPostToWeb, SystemID: job.ID, UserID: p.UserID, PortalURL: portalURL,
		}, nil
	})
}

// JobEdit implements herald.PlatformStore.
func (s *Store) JobEdit(ctx context.Context, p *herald.JobActionParams) (*herald.ActionResult, error) {
	return s.action(ctx, "edit job", p.CustomerID, p.PublicURL, func(tx pgx.Tx, now time.Time) (*herald.ActionResult, *wire.EventParams, error) {
		job, err := jobAction(ctx, tx, p, true)
		if err != nil {
			return nil, nil, err
		}
		if p.Changes != nil {
			p.Changes.Apply(job)
			if err := job.Validate(); err != nil {
				return nil, nil, err
			}
		}
		if err := updateJob(ctx, tx, job, now); err != nil {
			return nil, nil, err
		}
		return &herald.ActionResult{Job: job}, &wire.EventParams{
			EventType: wire.EventTypeViewJobWebPost, SystemID: job.ID, UserID: p.UserID,
		}, nil
	})
}

// JobUnpost implements herald.PlatformStore.
func (s *Store) JobUnpost(ctx context.Context, p *herald.JobActionParams) (*herald.ActionResult, error) {
	if p.Changes != nil {
		return nil, herald.Errorf(herald.EINVALID, "a job is edited by JobEdit, not while it is unposted")
	}
	return s.action(ctx, "unpost job", p.CustomerID, p.PublicURL, func(tx pgx.Tx, now time.Time) (*herald.ActionResult, *wire.EventParams, error) {
		job, err := jobAction(ctx, tx, p, true)
		if err != nil {
			return nil, nil, err
		}
		if err := setJobPosting(ctx, tx, job, herald.JobPostingStateUnposted, "", now); err != nil {
			return nil, nil, err
		}
		return &herald.ActionResult{Job: job}, &wire.EventParams{
			EventType: wire.EventTypeJobUnpostToWeb, SystemID: job.ID, UserID: p.UserID,
		}, nil
	})
}

// OnboardTaskStart implements herald.PlatformStore.
func (s *Store) OnboardTaskStart(ctx context.Context, p *herald.OnboardTaskStartParams) (*herald.ActionResult, error) {
	return s.action(ctx, "start onboard task", p.CustomerID, p.PublicURL, func(tx pgx.Tx, now time.Time) (*herald.ActionResult, *wire.EventParams, error) {
		w, err := getOnboardWorkflow(ctx, tx, p.CustomerID, p.WorkflowID)
		if err != nil {
			return nil, nil, err
		}
		task, ok := w.Task(p.TaskID)
		if !ok {
			return nil, nil, herald.Errorf(herald.ENOTFOUND, "task %q not found in onboard workflow %q", p.TaskID, w.ID)
		}
		if task.Status == herald.OnboardTaskStatusComplete {
			return nil, nil, herald.Errorf(herald.ECONFLICT, "task %q is complete", task.ID)
		}
		portal, err := getPortal(ctx, tx, p.CustomerID, w.PortalID)
		if err != nil {
			return nil, nil, err
		}
		if task.StartedAt.IsZero() {
			task.StartedAt = now
		}
		task.Status = herald.OnboardTaskStatusInProgress
		if _, err := tx.Exec(ctx, `UPDATE onboard_tasks SET status = $1, started_at = $2
			WHERE customer_id = $3 AND id = $4`, string(task.Status), platformNullTime(task.StartedAt), p.CustomerID, task.ID); err != nil {
			return nil, nil, err
		}
		if _, err := tx.Exec(ctx, `UPDATE onboard_workflows SET updated_at = $1 WHERE customer_id = $2 AND id = $3`,
			now, p.CustomerID, w.ID); err != nil {
			return nil, nil, err
		}
		w.UpdatedAt = now
		returnURL, incompleteURL := herald.OnboardTaskURLs(portal.URL, w.ID, task.ID)
		return &herald.ActionResult{OnboardWorkflow: w}, &wire.EventParams{
			EventType:     wire.EventTypeOnboardPortalTask,
			SystemID:      w.PersonID,
			UserID:        w.PersonID,
			ReturnURL:     returnURL,
			IncompleteURL: incompleteURL,
		}, nil
	})
}

// RemoteLogin implements herald.PlatformStore.
func (s *Store) RemoteLogin(ctx context.Context, p *herald.RemoteLoginParams) (*herald.ActionResult, error) {
	return s.action(ctx, "remote login", p.CustomerID, p.PublicURL, func(tx pgx.Tx, _ time.Time) (*herald.ActionResult, *wire.EventParams, error) {
		u, err := getUser(ctx, tx, p.CustomerID, p.UserID)
		if err != nil {
			return nil, nil, err
		}
		return &herald.ActionResult{Person: u}, &wire.EventParams{
			EventType: wire.EventTypeRemoteLogin, SystemID: u.ID, UserID: u.ID, ReturnURL: p.ReturnURL,
		}, nil
	})
}
