package sqlstore

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/storerules"
)

// The platform actions (ApplicationComplete, WorkflowStatusChange, JobPost,
// JobEdit, JobUnpost, OnboardTaskStart, RemoteLogin) and record writes are
// storerules' (platformRules, embedded in Store): this file gives them the
// store's statements, one per method (platformTx).

var (
	qPlatformNextID             = query("PlatformNextID")
	qApplicantWorkflowInsert    = query("ApplicantWorkflowInsert")
	qApplicantWorkflowSetStatus = query("ApplicantWorkflowSetStatus")
	qStatusChangeInsert         = query("StatusChangeInsert")
	qJobSetPosting              = query("JobSetPosting")
	qOnboardTaskSetStarted      = query("OnboardTaskSetStarted")
	qOnboardWorkflowTouch       = query("OnboardWorkflowTouch")
)

// platformRules is embedded in Store under an unexported name, so its
// action methods are the Store's (and, through Store, the sqlite and
// postgres Stores').
type platformRules = storerules.Platform

// newPlatformRules runs the platform's rules in s's write transactions;
// publish gives each transaction the store's publishing statements
// (Config.PlatformPublish).
func (s *Store) newPlatformRules(publish func(tx DB) storerules.PublishTx) platformRules {
	return platformRules{
		InTx: func(ctx context.Context, op string, fn func(storerules.PlatformTx) error) error {
			return s.tx(ctx, op, func(tx DB) error { return fn(platformTx{s: s, db: tx, PublishTx: publish(tx)}) })
		},
		Now: s.now,
	}
}

// platformTx is storerules.PlatformTx over a write transaction. Its
// PublishTx stores the action's event by storerules' publishing rules,
// inside the action's transaction, so the event commits with the change
// that caused it; it is the store's own, as publishing is each store's hot
// path.
type platformTx struct {
	s  *Store
	db DB
	storerules.PublishTx
}

// nextPlatformID hands out the customer's next record id inside tx (see
// PlatformNextID in the stores' query files).
func (s *Store) nextPlatformID(ctx context.Context, tx DB, customerID string) (string, error) {
	var id int64
	err := tx.QueryRow(ctx, s.sql(qPlatformNextID), customerID).Scan(&id)
	switch {
	case errors.Is(err, ErrForeignKey):
		return "", herald.NotFound("customer", customerID)
	case err != nil:
		return "", err
	}
	return strconv.FormatInt(id, 10), nil
}

func (t platformTx) PersonGet(ctx context.Context, customerID, id string) (*herald.Person, error) {
	return t.s.personGet(ctx, t.db, customerID, id)
}

func (t platformTx) JobGet(ctx context.Context, customerID, id string) (*herald.Job, error) {
	return t.s.jobGet(ctx, t.db, customerID, id)
}

func (t platformTx) PortalGet(ctx context.Context, customerID, id string) (*herald.CareerPortal, error) {
	return t.s.portalGet(ctx, t.db, customerID, id)
}

func (t platformTx) ApplicantWorkflowGet(ctx context.Context, customerID, id string, full bool) (*herald.ApplicantWorkflow, error) {
	return t.s.applicantWorkflowGet(ctx, t.db, customerID, id, full)
}

func (t platformTx) OnboardWorkflowGet(ctx context.Context, customerID, id string) (*herald.OnboardWorkflow, error) {
	return t.s.onboardWorkflowGet(ctx, t.db, customerID, id)
}

func (t platformTx) NextPlatformID(ctx context.Context, customerID string) (string, error) {
	return t.s.nextPlatformID(ctx, t.db, customerID)
}

func (t platformTx) ApplicantWorkflowInsert(ctx context.Context, customerID, id, personID, jobID, status string, now time.Time) error {
	_, err := t.db.Exec(ctx, t.s.sql(qApplicantWorkflowInsert),
		customerID, id, personID, jobID, status, t.s.d.Time(now), t.s.d.Time(now))
	if errors.Is(err, storerules.ErrDuplicate) {
		return storerules.ErrDuplicate
	}
	return err
}

func (t platformTx) ApplicantWorkflowSetStatus(ctx context.Context, customerID, id, status string, now time.Time) error {
	_, err := t.db.Exec(ctx, t.s.sql(qApplicantWorkflowSetStatus), status, t.s.d.Time(now), customerID, id)
	return err
}

func (t platformTx) StatusChangeInsert(ctx context.Context, customerID, workflowID, oldStatus, newStatus, userID string, now time.Time) error {
	_, err := t.db.Exec(ctx, t.s.sql(qStatusChangeInsert),
		customerID, workflowID, oldStatus, newStatus, userID, t.s.d.Time(now))
	return err
}

func (t platformTx) JobSetPosting(ctx context.Context, customerID, id string, state herald.JobPostingState, portalURL string, now time.Time) error {
	_, err := t.db.Exec(ctx, t.s.sql(qJobSetPosting), string(state), portalURL, t.s.d.Time(now), customerID, id)
	return err
}

// OnboardTaskSetStarted stores startedAt as the store keeps "no time" when
// it is zero: 0 on SQLite, NULL on PostgreSQL (Dialect.Time).
func (t platformTx) OnboardTaskSetStarted(ctx context.Context, customerID, taskID string, status herald.OnboardTaskStatus, startedAt time.Time) error {
	_, err := t.db.Exec(ctx, t.s.sql(qOnboardTaskSetStarted), string(status), t.s.d.Time(startedAt), customerID, taskID)
	return err
}

func (t platformTx) OnboardWorkflowTouch(ctx context.Context, customerID, id string, now time.Time) error {
	_, err := t.db.Exec(ctx, t.s.sql(qOnboardWorkflowTouch), t.s.d.Time(now), customerID, id)
	return err
}
