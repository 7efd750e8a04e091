// Package storerules holds the store rules that are the same whatever the
// database: what publishing an event checks and stores, what a platform
// action checks and changes, and which event it publishes, the health
// scan, replay and retention, written once against a dialect's transaction.
//
// Each store (sqlite, postgres) keeps its SQL, its migrations and its type
// encoding, and gives this package a transaction of small methods, one
// query each (PublishTx, PlatformTx, ...). The rules (which events are
// refused, which states allow an action, the user-facing errors, the event
// an action announces) live here only, so a rule changed for one database
// cannot be forgotten in the other. This is River's split between
// riverdriver's executor and the logic above it.
package storerules

import (
	"context"
	"errors"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/eventgzip"
	"github.com/heraldhq/herald/wire"
)

// ErrDuplicate is what a PlatformTx method returns when its insert breaks a
// unique constraint; the rule that called it says what that means.
var ErrDuplicate = errors.New("duplicate row")

// PlatformTx is a platform action's view of a store's write transaction.
// Every method is one statement. Getters return an ENOTFOUND *herald.Error
// naming the record when it does not exist.
type PlatformTx interface {
	PersonGet(ctx context.Context, customerID, id string) (*herald.Person, error)
	JobGet(ctx context.Context, customerID, id string) (*herald.Job, error)
	PortalGet(ctx context.Context, customerID, id string) (*herald.CareerPortal, error)
	// ApplicantWorkflowGet returns the workflow; full adds its history.
	ApplicantWorkflowGet(ctx context.Context, customerID, id string, full bool) (*herald.ApplicantWorkflow, error)
	OnboardWorkflowGet(ctx context.Context, customerID, id string) (*herald.OnboardWorkflow, error)

	// NextPlatformID returns the customer's next record id.
	NextPlatformID(ctx context.Context, customerID string) (string, error)
	// ApplicantWorkflowInsert returns ErrDuplicate if the person has a
	// workflow for the job already.
	ApplicantWorkflowInsert(ctx context.Context, customerID, id, personID, jobID, status string, now time.Time) error
	ApplicantWorkflowSetStatus(ctx context.Context, customerID, id, status string, now time.Time) error
	StatusChangeInsert(ctx context.Context, customerID, workflowID, oldStatus, newStatus, userID string, now time.Time) error
	JobSetPosting(ctx context.Context, customerID, id string, state herald.JobPostingState, portalURL string, now time.Time) error
	// JobUpdate stores job's editable fields.
	JobUpdate(ctx context.Context, job *herald.Job, now time.Time) error
	OnboardTaskSetStarted(ctx context.Context, customerID, taskID string, status herald.OnboardTaskStatus, startedAt time.Time) error
	OnboardWorkflowTouch(ctx context.Context, customerID, id string, now time.Time) error

	// PublishTx stores the action's event with its deliveries, by the
	// rules of EventPublish (publishOne), in the action's transaction.
	PublishTx
	// RecordTx stores the platform's records (records.go).
	RecordTx
}

// Platform implements the action methods of herald.PlatformStore for a
// store that embeds it. The store sets both fields when it opens.
type Platform struct {
	// InTx runs fn in one write transaction named op, committing if fn
	// returns nil; a *herald.Error from fn is returned as is.
	InTx func(ctx context.Context, op string, fn func(PlatformTx) error) error
	// Now is the time an action is stamped with, at the store's precision.
	Now func() time.Time
}

// actionFunc makes an action's change and returns the record it changed
// and the params of the event that announces it.
type actionFunc func(tx PlatformTx, now time.Time) (*herald.ActionResult, *wire.EventParams, error)

// act runs fn and publishes its event in one transaction: the change, the
// event and its deliveries commit together or not at all.
func (p Platform) act(ctx context.Context, op, customerID, publicURL string, fn actionFunc) (*herald.ActionResult, error) {
	now := p.Now()
	var res *herald.ActionResult
	err := p.InTx(ctx, op, func(tx PlatformTx) error {
		r, params, err := fn(tx, now)
		if err != nil {
			return err
		}
		ev, err := herald.NewEvent(publicURL, customerID, params, now, eventgzip.Compress)
		if err != nil {
			return err
		}
		// The action's request's trace, so the event's attempts join it.
		ev.TraceContext = herald.TraceContextFromContext(ctx)
		if r.Deliveries, err = publishOne(ctx, tx, ev); err != nil {
			return err
		}
		r.Event, res = ev, r
		return nil
	})
	return res, err
}

// user returns the person with that id if they are a platform user.
func user(ctx context.Context, tx PlatformTx, customerID, id string) (*herald.Person, error) {
	u, err := tx.PersonGet(ctx, customerID, id)
	if err != nil {
		return nil, err
	}
	if u.Type != herald.PersonTypeUser {
		return nil, herald.Errorf(herald.EINVALID, "userid %q is not a platform user", id)
	}
	return u, nil
}

// ApplicationComplete implements herald.PlatformStore.
func (p Platform) ApplicationComplete(ctx context.Context, a *herald.ApplicationCompleteParams) (*herald.ActionResult, error) {
	return p.act(ctx, "complete application", a.CustomerID, a.PublicURL, func(tx PlatformTx, now time.Time) (*herald.ActionResult, *wire.EventParams, error) {
		if _, err := tx.PersonGet(ctx, a.CustomerID, a.PersonID); err != nil {
			return nil, nil, err
		}
		job, err := tx.JobGet(ctx, a.CustomerID, a.JobID)
		if err != nil {
			return nil, nil, err
		}
		if job.PostingState != herald.JobPostingStatePosted {
			return nil, nil, herald.Errorf(herald.ECONFLICT, "job %q is not posted", job.ID)
		}
		id, err := tx.NextPlatformID(ctx, a.CustomerID)
		if err != nil {
			return nil, nil, err
		}
		err = tx.ApplicantWorkflowInsert(ctx, a.CustomerID, id, a.PersonID, a.JobID, herald.ApplicantWorkflowStatusApplied, now)
		if errors.Is(err, ErrDuplicate) {
			return nil, nil, herald.Errorf(herald.ECONFLICT, "person %q has applied to job %q already", a.PersonID, a.JobID)
		} else if err != nil {
			return nil, nil, err
		}
		if err := tx.StatusChangeInsert(ctx, a.CustomerID, id, "", herald.ApplicantWorkflowStatusApplied, a.PersonID, now); err != nil {
			return nil, nil, err
		}
		w, err := tx.ApplicantWorkflowGet(ctx, a.CustomerID, id, true)
		if err != nil {
			return nil, nil, err
		}
		return &herald.ActionResult{ApplicantWorkflow: w}, &wire.EventParams{
			EventType: wire.EventTypeAssessment,
			SystemID:  id,
			UserID:    a.PersonID,
			PersonID:  a.PersonID,
			JobID:     a.JobID,
			ReturnURL: herald.AssessmentReturnURL(job.PortalURL, a.CustomerID, id, a.LinkKey),
		}, nil
	})
}

// WorkflowStatusChange implements herald.PlatformStore.
func (p Platform) WorkflowStatusChange(ctx context.Context, a *herald.WorkflowStatusChangeParams) (*herald.ActionResult, error) {
	if err := herald.ValidateWorkflowStatus("status", a.NewStatus); err != nil {
		return nil, err
	}
	return p.act(ctx, "change workflow status", a.CustomerID, a.PublicURL, func(tx PlatformTx, now time.Time) (*herald.ActionResult, *wire.EventParams, error) {
		w, err := tx.ApplicantWorkflowGet(ctx, a.CustomerID, a.WorkflowID, false)
		if err != nil {
			return nil, nil, err
		}
		if _, err := user(ctx, tx, a.CustomerID, a.UserID); err != nil {
			return nil, nil, err
		}
		if w.Status == a.NewStatus {
			return nil, nil, herald.Errorf(herald.ECONFLICT, "applicant workflow %q has status %q already", w.ID, a.NewStatus)
		}
		if err := tx.ApplicantWorkflowSetStatus(ctx, a.CustomerID, w.ID, a.NewStatus, now); err != nil {
			return nil, nil, err
		}
		if err := tx.StatusChangeInsert(ctx, a.CustomerID, w.ID, w.Status, a.NewStatus, a.UserID, now); err != nil {
			return nil, nil, err
		}
		updated, err := tx.ApplicantWorkflowGet(ctx, a.CustomerID, w.ID, true)
		if err != nil {
			return nil, nil, err
		}
		return &herald.ActionResult{ApplicantWorkflow: updated}, &wire.EventParams{
			EventType: wire.EventTypeWorkFlowStatusChange,
			SystemID:  w.ID,
			UserID:    a.UserID,
			PersonID:  w.PersonID,
			JobID:     w.JobID,
			OldStatus: w.Status,
			NewStatus: a.NewStatus,
		}, nil
	})
}

// jobAction loads the job and the acting user of a job action and checks
// the job's posting state.
func jobAction(ctx context.Context, tx PlatformTx, a *herald.JobActionParams, wantPosted bool) (*herald.Job, error) {
	job, err := tx.JobGet(ctx, a.CustomerID, a.JobID)
	if err != nil {
		return nil, err
	}
	if _, err := user(ctx, tx, a.CustomerID, a.UserID); err != nil {
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

// setJobPosting stores and applies a job's posting state.
func setJobPosting(ctx context.Context, tx PlatformTx, job *herald.Job, state herald.JobPostingState, portalURL string, now time.Time) error {
	if err := tx.JobSetPosting(ctx, job.CustomerID, job.ID, state, portalURL, now); err != nil {
		return err
	}
	job.PostingState, job.PortalURL, job.UpdatedAt = state, portalURL, now
	return nil
}

// JobPost implements herald.PlatformStore.
func (p Platform) JobPost(ctx context.Context, a *herald.JobActionParams) (*herald.ActionResult, error) {
	if a.Changes != nil {
		return nil, herald.Errorf(herald.EINVALID, "a job is edited by JobEdit, not while it is posted")
	}
	return p.act(ctx, "post job", a.CustomerID, a.PublicURL, func(tx PlatformTx, now time.Time) (*herald.ActionResult, *wire.EventParams, error) {
		job, err := jobAction(ctx, tx, a, false)
		if err != nil {
			return nil, nil, err
		}
		portal, err := tx.PortalGet(ctx, a.CustomerID, job.PortalID)
		if err != nil {
			return nil, nil, err
		}
		portalURL := herald.JobPortalURL(portal.URL, job.ID, job.JobTitle)
		if err := setJobPosting(ctx, tx, job, herald.JobPostingStatePosted, portalURL, now); err != nil {
			return nil, nil, err
		}
		return &herald.ActionResult{Job: job}, &wire.EventParams{
			EventType: wire.EventTypeJobPostToWeb, SystemID: job.ID, UserID: a.UserID, PortalURL: portalURL,
		}, nil
	})
}

// JobEdit implements herald.PlatformStore.
func (p Platform) JobEdit(ctx context.Context, a *herald.JobActionParams) (*herald.ActionResult, error) {
	return p.act(ctx, "edit job", a.CustomerID, a.PublicURL, func(tx PlatformTx, now time.Time) (*herald.ActionResult, *wire.EventParams, error) {
		job, err := jobAction(ctx, tx, a, true)
		if err != nil {
			return nil, nil, err
		}
		if a.Changes != nil {
			a.Changes.Apply(job)
			if err := job.Validate(); err != nil {
				return nil, nil, err
			}
		}
		if err := tx.JobUpdate(ctx, job, now); err != nil {
			return nil, nil, err
		}
		return &herald.ActionResult{Job: job}, &wire.EventParams{
			EventType: wire.EventTypeViewJobWebPost, SystemID: job.ID, UserID: a.UserID,
		}, nil
	})
}

// JobUnpost implements herald.PlatformStore.
func (p Platform) JobUnpost(ctx context.Context, a *herald.JobActionParams) (*herald.ActionResult, error) {
	if a.Changes != nil {
		return nil, herald.Errorf(herald.EINVALID, "a job is edited by JobEdit, not while it is unposted")
	}
	return p.act(ctx, "unpost job", a.CustomerID, a.PublicURL, func(tx PlatformTx, now time.Time) (*herald.ActionResult, *wire.EventParams, error) {
		job, err := jobAction(ctx, tx, a, true)
		if err != nil {
			return nil, nil, err
		}
		if err := setJobPosting(ctx, tx, job, herald.JobPostingStateUnposted, "", now); err != nil {
			return nil, nil, err
		}
		return &herald.ActionResult{Job: job}, &wire.EventParams{
			EventType: wire.EventTypeJobUnpostToWeb, SystemID: job.ID, UserID: a.UserID,
		}, nil
	})
}

// OnboardTaskStart implements herald.PlatformStore.
func (p Platform) OnboardTaskStart(ctx context.Context, a *herald.OnboardTaskStartParams) (*herald.ActionResult, error) {
	return p.act(ctx, "start onboard task", a.CustomerID, a.PublicURL, func(tx PlatformTx, now time.Time) (*herald.ActionResult, *wire.EventParams, error) {
		w, err := tx.OnboardWorkflowGet(ctx, a.CustomerID, a.WorkflowID)
		if err != nil {
			return nil, nil, err
		}
		task, ok := w.Task(a.TaskID)
		if !ok {
			return nil, nil, herald.Errorf(herald.ENOTFOUND, "task %q not found in onboard workflow %q", a.TaskID, w.ID)
		}
		if task.Status == herald.OnboardTaskStatusComplete {
			return nil, nil, herald.Errorf(herald.ECONFLICT, "task %q is complete", task.ID)
		}
		portal, err := tx.PortalGet(ctx, a.CustomerID, w.PortalID)
		if err != nil {
			return nil, nil, err
		}
		if task.StartedAt.IsZero() {
			task.StartedAt = now
		}
		task.Status = herald.OnboardTaskStatusInProgress
		if err := tx.OnboardTaskSetStarted(ctx, a.CustomerID, task.ID, task.Status, task.StartedAt); err != nil {
			return nil, nil, err
		}
		if err := tx.OnboardWorkflowTouch(ctx, a.CustomerID, w.ID, now); err != nil {
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
func (p Platform) RemoteLogin(ctx context.Context, a *herald.RemoteLoginParams) (*herald.ActionResult, error) {
	return p.act(ctx, "remote login", a.CustomerID, a.PublicURL, func(tx PlatformTx, _ time.Time) (*herald.ActionResult, *wire.EventParams, error) {
		u, err := user(ctx, tx, a.CustomerID, a.UserID)
		if err != nil {
			return nil, nil, err
		}
		return &herald.ActionResult{Person: u}, &wire.EventParams{
			EventType: wire.EventTypeRemoteLogin, SystemID: u.ID, UserID: u.ID, ReturnURL: a.ReturnURL,
		}, nil
	})
}
