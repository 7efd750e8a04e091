package sqlstore

import (
	"context"
	"errors"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/storecodec"
	"github.com/heraldhq/herald/internal/storerules"
)

// The talent platform's records. The getters take a DB, so a read runs on
// the read pool and the same getter runs inside an action's transaction
// (platformTx).

var (
	qPersonGet                  = query("PersonGet")
	qPersonInsert               = query("PersonInsert")
	qPersonUpdate               = query("PersonUpdate")
	qPersonOperatorGet          = query("PersonOperatorGet")
	qPersonOperatorInsertPerson = query("PersonOperatorInsertPerson")
	qPersonOperatorInsert       = query("PersonOperatorInsert")
	qPortalGet                  = query("PortalGet")
	qPortalInsert               = query("PortalInsert")
	qJobGet                     = query("JobGet")
	qJobInsert                  = query("JobInsert")
	qJobUpdate                  = query("JobUpdate")
	qJobBoardPostList           = query("JobBoardPostList")
	qJobBoardPostUpsert         = query("JobBoardPostUpsert")
	qApplicantWorkflowGet       = query("ApplicantWorkflowGet")
	qApplicantWorkflowList      = query("ApplicantWorkflowList")
	qStatusChangeList           = query("StatusChangeList")
	qAssessmentResultGet        = query("AssessmentResultGet")
	qAssessmentResultList       = query("AssessmentResultList")
	qAssessmentResultInsert     = query("AssessmentResultInsert")
	qAssessmentResultUpdate     = query("AssessmentResultUpdate")
	qOnboardWorkflowGet         = query("OnboardWorkflowGet")
	qOnboardWorkflowInsert      = query("OnboardWorkflowInsert")
	qOnboardTaskList            = query("OnboardTaskList")
	qOnboardTaskInsert          = query("OnboardTaskInsert")
)

// marshalContacts stores a person's phones and addresses as the documents
// both stores share (internal/storecodec), as text: SQLite's STRICT TEXT
// column refuses a BLOB.
func marshalContacts(p *herald.Person) (phones, addresses string, err error) {
	ph, ad, err := storecodec.MarshalContacts(p)
	return string(ph), string(ad), err
}

// PersonGet implements herald.PlatformStore.
func (s *Store) PersonGet(ctx context.Context, customerID, id string) (*herald.Person, error) {
	p, err := s.personGet(ctx, s.read, customerID, id)
	if err != nil {
		return nil, wrapOp("get person", err)
	}
	return p, nil
}

func (s *Store) personGet(ctx context.Context, db DB, customerID, id string) (*herald.Person, error) {
	p := &herald.Person{CustomerID: customerID}
	var typ, phones, addresses string
	err := db.QueryRow(ctx, s.sql(qPersonGet), customerID, id).
		Scan(&p.ID, &typ, &p.FirstName, &p.LastName, &p.Email, &phones, &addresses,
			s.d.ScanTime(&p.CreatedAt), s.d.ScanTime(&p.UpdatedAt))
	if err != nil {
		return nil, notFound(err, "person", id)
	}
	p.Type = herald.PersonType(typ)
	if err := storecodec.UnmarshalContacts(p, []byte(phones), []byte(addresses)); err != nil {
		return nil, err
	}
	return p, nil
}

// CareerPortalGet implements herald.PlatformStore.
func (s *Store) CareerPortalGet(ctx context.Context, customerID, id string) (*herald.CareerPortal, error) {
	p, err := s.portalGet(ctx, s.read, customerID, id)
	if err != nil {
		return nil, wrapOp("get career portal", err)
	}
	return p, nil
}

func (s *Store) portalGet(ctx context.Context, db DB, customerID, id string) (*herald.CareerPortal, error) {
	p := &herald.CareerPortal{CustomerID: customerID}
	err := db.QueryRow(ctx, s.sql(qPortalGet), customerID, id).Scan(&p.ID, &p.Name, &p.URL, s.d.ScanTime(&p.CreatedAt))
	if err != nil {
		return nil, notFound(err, "career portal", id)
	}
	return p, nil
}

// JobGet implements herald.PlatformStore.
func (s *Store) JobGet(ctx context.Context, customerID, id string) (*herald.Job, error) {
	j, err := s.jobGet(ctx, s.read, customerID, id)
	if err != nil {
		return nil, wrapOp("get job", err)
	}
	return j, nil
}

func (s *Store) jobGet(ctx context.Context, db DB, customerID, id string) (*herald.Job, error) {
	j := &herald.Job{CustomerID: customerID}
	var state string
	err := db.QueryRow(ctx, s.sql(qJobGet), customerID, id).
		Scan(&j.ID, &j.JobTitle, &j.JobLocation, &j.JobDescription, &j.AssessmentType, &j.BGCPackageType,
			&j.PortalID, &state, &j.PortalURL, s.d.ScanTime(&j.CreatedAt), s.d.ScanTime(&j.UpdatedAt))
	if err != nil {
		return nil, notFound(err, "job", id)
	}
	j.PostingState = herald.JobPostingState(state)
	return j, nil
}

// JobBoardPostList implements herald.PlatformStore.
func (s *Store) JobBoardPostList(ctx context.Context, customerID, jobID string) ([]*herald.JobBoardPost, error) {
	rows, err := s.read.Query(ctx, s.sql(qJobBoardPostList), customerID, jobID)
	out, err := collect(rows, err, func(r Row) (*herald.JobBoardPost, error) {
		p := &herald.JobBoardPost{CustomerID: customerID, JobID: jobID}
		var status string
		err := r.Scan(&p.DistributorID, &p.JobBoard, &p.ExternalID, &status, &p.StartDate, &p.EndDate,
			s.d.ScanTime(&p.UpdatedAt))
		p.Status = herald.JobBoardPostStatus(status)
		return p, err
	})
	if err != nil {
		return nil, wrapOp("list job board posts", err)
	}
	return out, nil
}

// JobBoardPostUpsert implements herald.PlatformStore.
func (s *Store) JobBoardPostUpsert(ctx context.Context, posts []*herald.JobBoardPost) error {
	if err := herald.ValidateJobBoardPosts(posts); err != nil {
		return err
	}
	now := s.now()
	return s.tx(ctx, "upsert job board posts", func(tx DB) error {
		if _, err := s.jobGet(ctx, tx, posts[0].CustomerID, posts[0].JobID); err != nil {
			return err
		}
		for _, p := range posts {
			if _, err := tx.Exec(ctx, s.sql(qJobBoardPostUpsert),
				p.CustomerID, p.JobID, p.DistributorID, p.JobBoard, p.ExternalID, string(p.Status),
				p.StartDate, p.EndDate, s.d.Time(now)); err != nil {
				return err
			}
			p.UpdatedAt = now
		}
		return nil
	})
}

// ApplicantWorkflowGet implements herald.PlatformStore.
func (s *Store) ApplicantWorkflowGet(ctx context.Context, customerID, id string) (*herald.ApplicantWorkflow, error) {
	w, err := s.applicantWorkflowGet(ctx, s.read, customerID, id, true)
	if err != nil {
		return nil, wrapOp("get applicant workflow", err)
	}
	return w, nil
}

// scanApplicantWorkflow reads the columns every applicant workflow
// statement reads, in this order: id, person_id, job_id, status,
// created_at, updated_at.
func (s *Store) scanApplicantWorkflow(r Row, customerID string) (*herald.ApplicantWorkflow, error) {
	w := &herald.ApplicantWorkflow{CustomerID: customerID}
	err := r.Scan(&w.ID, &w.PersonID, &w.JobID, &w.Status, s.d.ScanTime(&w.CreatedAt), s.d.ScanTime(&w.UpdatedAt))
	return w, err
}

// applicantWorkflowGet reads a workflow, and its history and results if full.
func (s *Store) applicantWorkflowGet(ctx context.Context, db DB, customerID, id string, full bool) (*herald.ApplicantWorkflow, error) {
	w, err := s.scanApplicantWorkflow(db.QueryRow(ctx, s.sql(qApplicantWorkflowGet), customerID, id), customerID)
	if err != nil {
		return nil, notFound(err, "applicant workflow", id)
	}
	if !full {
		return w, nil
	}
	rows, err := db.Query(ctx, s.sql(qStatusChangeList), customerID, id)
	w.StatusHistory, err = collect(rows, err, func(r Row) (*herald.StatusChange, error) {
		c := &herald.StatusChange{}
		err := r.Scan(&c.OldStatus, &c.NewStatus, &c.UserID, s.d.ScanTime(&c.At))
		return c, err
	})
	if err != nil {
		return nil, err
	}
	w.AssessmentResults, err = s.assessmentResultList(ctx, db, customerID, id)
	return w, err
}

// ApplicantWorkflowList implements herald.PlatformStore.
func (s *Store) ApplicantWorkflowList(ctx context.Context, customerID, jobID string) ([]*herald.ApplicantWorkflow, error) {
	rows, err := s.read.Query(ctx, s.sql(qApplicantWorkflowList), customerID, jobID)
	out, err := collect(rows, err, func(r Row) (*herald.ApplicantWorkflow, error) {
		return s.scanApplicantWorkflow(r, customerID)
	})
	if err != nil {
		return nil, wrapOp("list applicant workflows", err)
	}
	return out, nil
}

// scanAssessmentResult reads the columns every assessment result statement
// reads, in this order: id, workflow_id, name, score (NULL for none),
// result, status, date, url, created_at, updated_at.
func (s *Store) scanAssessmentResult(r Row, customerID string) (*herald.AssessmentResult, error) {
	a := &herald.AssessmentResult{CustomerID: customerID}
	err := r.Scan(&a.ID, &a.WorkflowID, &a.Name, &a.Score, &a.Result, &a.Status, &a.Date, &a.URL,
		s.d.ScanTime(&a.CreatedAt), s.d.ScanTime(&a.UpdatedAt))
	return a, err
}

func (s *Store) assessmentResultList(ctx context.Context, db DB, customerID, workflowID string) ([]*herald.AssessmentResult, error) {
	rows, err := db.Query(ctx, s.sql(qAssessmentResultList), customerID, workflowID)
	return collect(rows, err, func(r Row) (*herald.AssessmentResult, error) {
		return s.scanAssessmentResult(r, customerID)
	})
}

// nullScore is a score as its nullable column takes it.
func nullScore(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// AssessmentResultGet implements herald.PlatformStore.
func (s *Store) AssessmentResultGet(ctx context.Context, customerID, workflowID, id string) (*herald.AssessmentResult, error) {
	a, err := s.scanAssessmentResult(s.read.QueryRow(ctx, s.sql(qAssessmentResultGet), customerID, workflowID, id), customerID)
	if err != nil {
		return nil, wrapOp("get assessment result", notFound(err, "assessment result", id))
	}
	return a, nil
}

// OnboardWorkflowGet implements herald.PlatformStore.
func (s *Store) OnboardWorkflowGet(ctx context.Context, customerID, id string) (*herald.OnboardWorkflow, error) {
	w, err := s.onboardWorkflowGet(ctx, s.read, customerID, id)
	if err != nil {
		return nil, wrapOp("get onboard workflow", err)
	}
	return w, nil
}

func (s *Store) onboardWorkflowGet(ctx context.Context, db DB, customerID, id string) (*herald.OnboardWorkflow, error) {
	w := &herald.OnboardWorkflow{CustomerID: customerID}
	err := db.QueryRow(ctx, s.sql(qOnboardWorkflowGet), customerID, id).
		Scan(&w.ID, &w.PersonID, &w.JobID, &w.PortalID, s.d.ScanTime(&w.CreatedAt), s.d.ScanTime(&w.UpdatedAt))
	if err != nil {
		return nil, notFound(err, "onboard workflow", id)
	}
	rows, err := db.Query(ctx, s.sql(qOnboardTaskList), customerID, id)
	tasks, err := collect(rows, err, func(r Row) (*herald.OnboardTask, error) {
		t := &herald.OnboardTask{}
		var status string
		err := r.Scan(&t.ID, &t.Name, &t.Type, &status, s.d.ScanTime(&t.StartedAt))
		t.Status = herald.OnboardTaskStatus(status)
		return t, err
	})
	if err != nil {
		return nil, err
	}
	// Tasks stays nil for a workflow without any, as the stores have
	// always returned it (collect gives an empty slice).
	if len(tasks) > 0 {
		w.Tasks = tasks
	}
	return w, nil
}

// PersonOperatorGet implements herald.PlatformStore.
func (s *Store) PersonOperatorGet(ctx context.Context, customerID string) (*herald.Person, error) {
	var p *herald.Person
	now := s.now()
	lookup := func(tx DB) (string, error) {
		var id string
		err := tx.QueryRow(ctx, s.sql(qPersonOperatorGet), customerID).Scan(&id)
		if errors.Is(err, storerules.ErrNotFound) {
			return "", nil
		}
		return id, err
	}
	err := s.tx(ctx, "get operator person", func(tx DB) error {
		id, err := lookup(tx)
		if err != nil {
			return err
		}
		if id == "" {
			// nextPlatformID holds the customer's sequence row until
			// commit, so two PostgreSQL nodes creating the operator person
			// at once queue here; the second then finds the first's. (On
			// SQLite's one writer the second look-up finds none.)
			newID, err := s.nextPlatformID(ctx, tx, customerID)
			if err != nil {
				return err
			}
			if id, err = lookup(tx); err != nil {
				return err
			}
			if id == "" {
				id = newID
				if _, err := tx.Exec(ctx, s.sql(qPersonOperatorInsertPerson),
					customerID, id, string(herald.PersonTypeUser), herald.OperatorPersonFirstName, herald.OperatorPersonLastName,
					s.d.Time(now), s.d.Time(now)); err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, s.sql(qPersonOperatorInsert), customerID, id); err != nil {
					return err
				}
			}
		}
		p, err = s.personGet(ctx, tx, customerID, id)
		return err
	})
	return p, err
}

// The platform's records are created and edited by storerules' rules
// (records.go); these are their statements.

func (t platformTx) PersonInsert(ctx context.Context, p *herald.Person) error {
	phones, addresses, err := marshalContacts(p)
	if err != nil {
		return err
	}
	_, err = t.db.Exec(ctx, t.s.sql(qPersonInsert),
		p.CustomerID, p.ID, string(p.Type), p.FirstName, p.LastName, p.Email, phones, addresses,
		t.s.d.Time(p.CreatedAt), t.s.d.Time(p.UpdatedAt))
	return err
}

func (t platformTx) PersonUpdate(ctx context.Context, p *herald.Person) error {
	phones, addresses, err := marshalContacts(p)
	if err != nil {
		return err
	}
	_, err = t.db.Exec(ctx, t.s.sql(qPersonUpdate),
		p.FirstName, p.LastName, p.Email, phones, addresses, t.s.d.Time(p.UpdatedAt), p.CustomerID, p.ID)
	return err
}

func (t platformTx) PortalInsert(ctx context.Context, p *herald.CareerPortal) error {
	_, err := t.db.Exec(ctx, t.s.sql(qPortalInsert), p.CustomerID, p.ID, p.Name, p.URL, t.s.d.Time(p.CreatedAt))
	return err
}

func (t platformTx) JobInsert(ctx context.Context, j *herald.Job) error {
	_, err := t.db.Exec(ctx, t.s.sql(qJobInsert),
		j.CustomerID, j.ID, j.JobTitle, j.JobLocation, j.JobDescription, j.AssessmentType, j.BGCPackageType, j.PortalID,
		string(j.PostingState), j.PortalURL, t.s.d.Time(j.CreatedAt), t.s.d.Time(j.UpdatedAt))
	return err
}

// JobUpdate writes job's descriptive fields and sets its UpdatedAt.
func (t platformTx) JobUpdate(ctx context.Context, j *herald.Job, now time.Time) error {
	_, err := t.db.Exec(ctx, t.s.sql(qJobUpdate),
		j.JobTitle, j.JobLocation, j.JobDescription, j.AssessmentType, j.BGCPackageType, j.PortalID, t.s.d.Time(now),
		j.CustomerID, j.ID)
	j.UpdatedAt = now
	return err
}

func (t platformTx) AssessmentResultInsert(ctx context.Context, a *herald.AssessmentResult) error {
	_, err := t.db.Exec(ctx, t.s.sql(qAssessmentResultInsert),
		a.CustomerID, a.ID, a.WorkflowID, a.Name, nullScore(a.Score), a.Result, a.Status, a.Date, a.URL,
		t.s.d.Time(a.CreatedAt), t.s.d.Time(a.UpdatedAt))
	return err
}

func (t platformTx) AssessmentResultUpdate(ctx context.Context, a *herald.AssessmentResult) (time.Time, error) {
	var created time.Time
	err := t.db.QueryRow(ctx, t.s.sql(qAssessmentResultUpdate),
		a.Name, nullScore(a.Score), a.Result, a.Status, a.Date, a.URL, t.s.d.Time(a.UpdatedAt),
		a.CustomerID, a.WorkflowID, a.ID).Scan(t.s.d.ScanTime(&created))
	if err != nil {
		return time.Time{}, notFound(err, "assessment result", a.ID)
	}
	return created, nil
}

func (t platformTx) OnboardWorkflowInsert(ctx context.Context, w *herald.OnboardWorkflow) error {
	_, err := t.db.Exec(ctx, t.s.sql(qOnboardWorkflowInsert),
		w.CustomerID, w.ID, w.PersonID, w.JobID, w.PortalID, t.s.d.Time(w.CreatedAt), t.s.d.Time(w.UpdatedAt))
	return err
}

func (t platformTx) OnboardTaskInsert(ctx context.Context, customerID, workflowID string, position int, task *herald.OnboardTask) error {
	_, err := t.db.Exec(ctx, t.s.sql(qOnboardTaskInsert),
		customerID, task.ID, workflowID, position, task.Name, task.Type, string(task.Status))
	return err
}
