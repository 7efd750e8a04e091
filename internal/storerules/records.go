package storerules

import (
	"context"
	"time"

	"github.com/heraldhq/herald"
)

// The talent platform's records: what creating and editing one checks
// (the record is valid, the records it names exist), where its id comes
// from (the customer's platform sequence) and which fields an edit keeps.
// The stores give the one-statement inserts and updates (RecordTx).

// RecordTx is a record write's view of a store's write transaction, beside
// the getters and NextPlatformID of PlatformTx. Each method is one
// statement that stores the record as given: the rules here set its id and
// times first.
type RecordTx interface {
	PersonInsert(ctx context.Context, p *herald.Person) error
	// PersonUpdate stores p's editable fields and UpdatedAt.
	PersonUpdate(ctx context.Context, p *herald.Person) error
	PortalInsert(ctx context.Context, p *herald.CareerPortal) error
	JobInsert(ctx context.Context, j *herald.Job) error
	AssessmentResultInsert(ctx context.Context, a *herald.AssessmentResult) error
	// AssessmentResultUpdate stores a's fields and UpdatedAt and returns
	// its CreatedAt; ENOTFOUND naming the result if there is none.
	AssessmentResultUpdate(ctx context.Context, a *herald.AssessmentResult) (time.Time, error)
	// OnboardWorkflowInsert stores w without its tasks.
	OnboardWorkflowInsert(ctx context.Context, w *herald.OnboardWorkflow) error
	// OnboardTaskInsert stores t as the task at position of workflowID.
	OnboardTaskInsert(ctx context.Context, customerID, workflowID string, position int, t *herald.OnboardTask) error
}

// create stores a new record of customerID: in one transaction, check
// (nil: none) sees that the records it names exist, the record gets the
// customer's next platform id and its times (stamp), and insert stores it.
// The caller's record changes only once the insert has succeeded.
func create[T any](ctx context.Context, p Platform, op, customerID string, rec *T,
	check func(tx PlatformTx) error, stamp func(r *T, id string, now time.Time),
	insert func(tx PlatformTx, ctx context.Context, r *T) error) error {
	now := p.Now()
	return p.InTx(ctx, op, func(tx PlatformTx) error {
		if check != nil {
			if err := check(tx); err != nil {
				return err
			}
		}
		id, err := tx.NextPlatformID(ctx, customerID)
		if err != nil {
			return err
		}
		r := *rec
		stamp(&r, id, now)
		if err := insert(tx, ctx, &r); err != nil {
			return err
		}
		*rec = r
		return nil
	})
}

// PersonCreate implements herald.PlatformStore.
func (p Platform) PersonCreate(ctx context.Context, person *herald.Person) error {
	if err := person.Validate(); err != nil {
		return err
	}
	return create(ctx, p, "create person", person.CustomerID, person, nil,
		func(r *herald.Person, id string, now time.Time) { r.ID, r.CreatedAt, r.UpdatedAt = id, now, now },
		PlatformTx.PersonInsert)
}

// CareerPortalCreate implements herald.PlatformStore.
func (p Platform) CareerPortalCreate(ctx context.Context, portal *herald.CareerPortal) error {
	if err := portal.Validate(); err != nil {
		return err
	}
	return create(ctx, p, "create career portal", portal.CustomerID, portal, nil,
		func(r *herald.CareerPortal, id string, now time.Time) { r.ID, r.CreatedAt = id, now },
		PlatformTx.PortalInsert)
}

// JobCreate implements herald.PlatformStore. A job starts not posted, on a
// portal that exists.
func (p Platform) JobCreate(ctx context.Context, j *herald.Job) error {
	if err := j.Validate(); err != nil {
		return err
	}
	return create(ctx, p, "create job", j.CustomerID, j,
		func(tx PlatformTx) error {
			_, err := tx.PortalGet(ctx, j.CustomerID, j.PortalID)
			return err
		},
		func(r *herald.Job, id string, now time.Time) {
			r.ID, r.PostingState, r.PortalURL, r.CreatedAt, r.UpdatedAt = id, herald.JobPostingStateNotPosted, "", now, now
		},
		PlatformTx.JobInsert)
}

// AssessmentResultCreate implements herald.PlatformStore. A result belongs
// to an applicant workflow that exists.
func (p Platform) AssessmentResultCreate(ctx context.Context, a *herald.AssessmentResult) error {
	if err := a.Validate(); err != nil {
		return err
	}
	return create(ctx, p, "create assessment result", a.CustomerID, a,
		func(tx PlatformTx) error {
			_, err := tx.ApplicantWorkflowGet(ctx, a.CustomerID, a.WorkflowID, false)
			return err
		},
		func(r *herald.AssessmentResult, id string, now time.Time) {
			r.ID, r.CreatedAt, r.UpdatedAt = id, now, now
		},
		PlatformTx.AssessmentResultInsert)
}

// OnboardWorkflowCreate implements herald.PlatformStore. The person, the
// portal and the job (if any) must exist; each task gets an id of its own
// and starts not started.
func (p Platform) OnboardWorkflowCreate(ctx context.Context, w *herald.OnboardWorkflow) error {
	if err := w.Validate(); err != nil {
		return err
	}
	return create(ctx, p, "create onboard workflow", w.CustomerID, w,
		func(tx PlatformTx) error {
			if _, err := tx.PersonGet(ctx, w.CustomerID, w.PersonID); err != nil {
				return err
			}
			if _, err := tx.PortalGet(ctx, w.CustomerID, w.PortalID); err != nil {
				return err
			}
			if w.JobID != "" {
				if _, err := tx.JobGet(ctx, w.CustomerID, w.JobID); err != nil {
					return err
				}
			}
			return nil
		},
		func(r *herald.OnboardWorkflow, id string, now time.Time) {
			r.ID, r.CreatedAt, r.UpdatedAt = id, now, now
		},
		func(tx PlatformTx, ctx context.Context, r *herald.OnboardWorkflow) error {
			if err := tx.OnboardWorkflowInsert(ctx, r); err != nil {
				return err
			}
			for i, t := range r.Tasks {
				tid, err := tx.NextPlatformID(ctx, r.CustomerID)
				if err != nil {
					return err
				}
				t.ID, t.Status, t.StartedAt = tid, herald.OnboardTaskStatusNotStarted, time.Time{}
				if err := tx.OnboardTaskInsert(ctx, r.CustomerID, r.ID, i, t); err != nil {
					return err
				}
			}
			return nil
		})
}

// PersonUpdate implements herald.PlatformStore. A person's type never
// changes: it is what decides who may act as a user.
func (p Platform) PersonUpdate(ctx context.Context, person *herald.Person) error {
	now := p.Now()
	return p.InTx(ctx, "update person", func(tx PlatformTx) error {
		cur, err := tx.PersonGet(ctx, person.CustomerID, person.ID)
		if err != nil {
			return err
		}
		person.Type = cur.Type
		if err := person.Validate(); err != nil {
			return err
		}
		rec := *person
		rec.CreatedAt, rec.UpdatedAt = cur.CreatedAt, now
		if err := tx.PersonUpdate(ctx, &rec); err != nil {
			return err
		}
		*person = rec
		return nil
	})
}

// JobUpdate implements herald.PlatformStore. An edit changes the job's
// descriptive fields and portal (which must exist); its posting state and
// portal URL change only by the job actions (JobPost, JobUnpost).
func (p Platform) JobUpdate(ctx context.Context, j *herald.Job) error {
	if err := j.Validate(); err != nil {
		return err
	}
	now := p.Now()
	return p.InTx(ctx, "update job", func(tx PlatformTx) error {
		cur, err := tx.JobGet(ctx, j.CustomerID, j.ID)
		if err != nil {
			return err
		}
		if _, err := tx.PortalGet(ctx, j.CustomerID, j.PortalID); err != nil {
			return err
		}
		if err := tx.JobUpdate(ctx, j, now); err != nil {
			return err
		}
		j.PostingState, j.PortalURL, j.CreatedAt = cur.PostingState, cur.PortalURL, cur.CreatedAt
		return nil
	})
}

// AssessmentResultUpdate implements herald.PlatformStore.
func (p Platform) AssessmentResultUpdate(ctx context.Context, a *herald.AssessmentResult) error {
	if err := a.Validate(); err != nil {
		return err
	}
	now := p.Now()
	return p.InTx(ctx, "update assessment result", func(tx PlatformTx) error {
		rec := *a
		rec.UpdatedAt = now
		created, err := tx.AssessmentResultUpdate(ctx, &rec)
		if err != nil {
			return err
		}
		rec.CreatedAt = created
		*a = rec
		return nil
	})
}
