package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/storecodec"
)

// marshalContacts and unmarshalContacts store a person's phones and
// addresses as the documents both stores share (internal/storecodec).
func marshalContacts(p *herald.Person) (phones, addresses string, err error) {
	ph, ad, err := storecodec.MarshalContacts(p)
	return string(ph), string(ad), err
}

func unmarshalContacts(p *herald.Person, phones, addresses string) error {
	return storecodec.UnmarshalContacts(p, []byte(phones), []byte(addresses))
}

// PersonGet implements herald.PlatformStore.
func (s *Store) PersonGet(ctx context.Context, customerID, id string) (*herald.Person, error) {
	p, err := getPerson(ctx, s.read, customerID, id)
	if err != nil {
		return nil, wrapOp("get person", err)
	}
	return p, nil
}

func getPerson(ctx context.Context, q dbtx, customerID, id string) (*herald.Person, error) {
	p := &herald.Person{CustomerID: customerID}
	var typ, phones, addresses string
	var created, updated int64
	err := q.QueryRowContext(ctx, `SELECT id, type, first_name, last_name, email, phones, addresses, created_at, updated_at
		FROM people WHERE customer_id = ? AND id = ?`, customerID, id).
		Scan(&p.ID, &typ, &p.FirstName, &p.LastName, &p.Email, &phones, &addresses, &created, &updated)
	if err != nil {
		return nil, notFound(err, "person", id)
	}
	p.Type = herald.PersonType(typ)
	p.CreatedAt, p.UpdatedAt = fromMillis(created), fromMillis(updated)
	if err := unmarshalContacts(p, phones, addresses); err != nil {
		return nil, err
	}
	return p, nil
}

// CareerPortalGet implements herald.PlatformStore.
func (s *Store) CareerPortalGet(ctx context.Context, customerID, id string) (*herald.CareerPortal, error) {
	p, err := getPortal(ctx, s.read, customerID, id)
	if err != nil {
		return nil, wrapOp("get career portal", err)
	}
	return p, nil
}

func getPortal(ctx context.Context, q dbtx, customerID, id string) (*herald.CareerPortal, error) {
	p := &herald.CareerPortal{CustomerID: customerID}
	var created int64
	err := q.QueryRowContext(ctx, `SELECT id, name, url, created_at FROM career_portals
		WHERE customer_id = ? AND id = ?`, customerID, id).Scan(&p.ID, &p.Name, &p.URL, &created)
	if err != nil {
		return nil, notFound(err, "career portal", id)
	}
	p.CreatedAt = fromMillis(created)
	return p, nil
}

// JobGet implements herald.PlatformStore.
func (s *Store) JobGet(ctx context.Context, customerID, id string) (*herald.Job, error) {
	j, err := getJob(ctx, s.read, customerID, id)
	if err != nil {
		return nil, wrapOp("get job", err)
	}
	return j, nil
}

func getJob(ctx context.Context, q dbtx, customerID, id string) (*herald.Job, error) {
	j := &herald.Job{CustomerID: customerID}
	var state string
	var created, updated int64
	err := q.QueryRowContext(ctx, `SELECT id, job_title, job_location, job_description, assessment_type, bgc_package_type,
		portal_id, posting_state, portal_url, created_at, updated_at
		FROM jobs WHERE customer_id = ? AND id = ?`, customerID, id).
		Scan(&j.ID, &j.JobTitle, &j.JobLocation, &j.JobDescription, &j.AssessmentType, &j.BGCPackageType,
			&j.PortalID, &state, &j.PortalURL, &created, &updated)
	if err != nil {
		return nil, notFound(err, "job", id)
	}
	j.PostingState = herald.JobPostingState(state)
	j.CreatedAt, j.UpdatedAt = fromMillis(created), fromMillis(updated)
	return j, nil
}

// updateJob writes j's descriptive fields and sets its UpdatedAt.
func updateJob(ctx context.Context, tx *sql.Tx, j *herald.Job, now time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE jobs SET job_title = ?, job_location = ?, job_description = ?, assessment_type = ?,
		bgc_package_type = ?, portal_id = ?, updated_at = ? WHERE customer_id = ? AND id = ?`,
		j.JobTitle, j.JobLocation, j.JobDescription, j.AssessmentType, j.BGCPackageType, j.PortalID, toMillis(now), j.CustomerID, j.ID)
	j.UpdatedAt = now
	return err
}

// JobBoardPostList implements herald.PlatformStore.
func (s *Store) JobBoardPostList(ctx context.Context, customerID, jobID string) ([]*herald.JobBoardPost, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT distributor_id, job_board, external_id, status, start_date, end_date, updated_at
		FROM job_board_posts WHERE customer_id = ? AND job_id = ? ORDER BY distributor_id, job_board`, customerID, jobID)
	if err != nil {
		return nil, fmt.Errorf("list job board posts: %w", err)
	}
	defer rows.Close()
	out := []*herald.JobBoardPost{}
	for rows.Next() {
		p := &herald.JobBoardPost{CustomerID: customerID, JobID: jobID}
		var status string
		var updated int64
		if err := rows.Scan(&p.DistributorID, &p.JobBoard, &p.ExternalID, &status, &p.StartDate, &p.EndDate, &updated); err != nil {
			return nil, fmt.Errorf("list job board posts: %w", err)
		}
		p.Status, p.UpdatedAt = herald.JobBoardPostStatus(status), fromMillis(updated)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list job board posts: %w", err)
	}
	return out, nil
}

// JobBoardPostUpsert implements herald.PlatformStore.
func (s *Store) JobBoardPostUpsert(ctx context.Context, posts []*herald.JobBoardPost) error {
	if err := herald.ValidateJobBoardPosts(posts); err != nil {
		return err
	}
	now := fromMillis(s.now().UnixMilli())
	return s.inTx(ctx, "upsert job board posts", func(tx *sql.Tx) error {
		if _, err := getJob(ctx, tx, posts[0].CustomerID, posts[0].JobID); err != nil {
			return err
		}
		for _, p := range posts {
			if _, err := tx.ExecContext(ctx, `INSERT INTO job_board_posts (customer_id, job_id, distributor_id,
				job_board, external_id, status, start_date, end_date, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (customer_id, job_id, distributor_id, job_board) DO UPDATE SET
				external_id = excluded.external_id, status = excluded.status, start_date = excluded.start_date,
				end_date = excluded.end_date, updated_at = excluded.updated_at`,
				p.CustomerID, p.JobID, p.DistributorID, p.JobBoard, p.ExternalID, string(p.Status),
				p.StartDate, p.EndDate, toMillis(now)); err != nil {
				return err
			}
			p.UpdatedAt = now
		}
		return nil
	})
}

// ApplicantWorkflowGet implements herald.PlatformStore.
func (s *Store) ApplicantWorkflowGet(ctx context.Context, customerID, id string) (*herald.ApplicantWorkflow, error) {
	w, err := getApplicantWorkflow(ctx, s.read, customerID, id, true)
	if err != nil {
		return nil, wrapOp("get applicant workflow", err)
	}
	return w, nil
}

const applicantWorkflowColumns = `id, person_id, job_id, status, created_at, updated_at`

func scanApplicantWorkflow(r rowScanner, customerID string) (*herald.ApplicantWorkflow, error) {
	w := &herald.ApplicantWorkflow{CustomerID: customerID}
	var created, updated int64
	if err := r.Scan(&w.ID, &w.PersonID, &w.JobID, &w.Status, &created, &updated); err != nil {
		return nil, err
	}
	w.CreatedAt, w.UpdatedAt = fromMillis(created), fromMillis(updated)
	return w, nil
}

// getApplicantWorkflow reads a workflow, and its history and results if full.
func getApplicantWorkflow(ctx context.Context, q dbtx, customerID, id string, full bool) (*herald.ApplicantWorkflow, error) {
	w, err := scanApplicantWorkflow(q.QueryRowContext(ctx, `SELECT `+applicantWorkflowColumns+`
		FROM applicant_workflows WHERE customer_id = ? AND id = ?`, customerID, id), customerID)
	if err != nil {
		return nil, notFound(err, "applicant workflow", id)
	}
	if !full {
		return w, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT old_status, new_status, user_id, at FROM applicant_workflow_status_changes
		WHERE customer_id = ? AND workflow_id = ? ORDER BY id`, customerID, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	w.StatusHistory = []*herald.StatusChange{}
	for rows.Next() {
		c := &herald.StatusChange{}
		var at int64
		if err := rows.Scan(&c.OldStatus, &c.NewStatus, &c.UserID, &at); err != nil {
			return nil, err
		}
		c.At = fromMillis(at)
		w.StatusHistory = append(w.StatusHistory, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	w.AssessmentResults, err = listAssessmentResults(ctx, q, customerID, id)
	return w, err
}

// ApplicantWorkflowList implements herald.PlatformStore.
func (s *Store) ApplicantWorkflowList(ctx context.Context, customerID, jobID string) ([]*herald.ApplicantWorkflow, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+applicantWorkflowColumns+` FROM applicant_workflows
		WHERE customer_id = ? AND job_id = ? ORDER BY created_at, rowid`, customerID, jobID)
	if err != nil {
		return nil, fmt.Errorf("list applicant workflows: %w", err)
	}
	defer rows.Close()
	out := []*herald.ApplicantWorkflow{}
	for rows.Next() {
		w, err := scanApplicantWorkflow(rows, customerID)
		if err != nil {
			return nil, fmt.Errorf("list applicant workflows: %w", err)
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list applicant workflows: %w", err)
	}
	return out, nil
}

const assessmentResultColumns = `id, workflow_id, name, score, result, status, date, url, created_at, updated_at`

func scanAssessmentResult(r rowScanner, customerID string) (*herald.AssessmentResult, error) {
	a := &herald.AssessmentResult{CustomerID: customerID}
	var score sql.NullFloat64
	var created, updated int64
	if err := r.Scan(&a.ID, &a.WorkflowID, &a.Name, &score, &a.Result, &a.Status, &a.Date, &a.URL, &created, &updated); err != nil {
		return nil, err
	}
	if score.Valid {
		a.Score = &score.Float64
	}
	a.CreatedAt, a.UpdatedAt = fromMillis(created), fromMillis(updated)
	return a, nil
}

func listAssessmentResults(ctx context.Context, q dbtx, customerID, workflowID string) ([]*herald.AssessmentResult, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+assessmentResultColumns+` FROM assessment_results
		WHERE customer_id = ? AND workflow_id = ? ORDER BY created_at, rowid`, customerID, workflowID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*herald.AssessmentResult{}
	for rows.Next() {
		a, err := scanAssessmentResult(rows, customerID)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func nullScore(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// AssessmentResultGet implements herald.PlatformStore.
func (s *Store) AssessmentResultGet(ctx context.Context, customerID, workflowID, id string) (*herald.AssessmentResult, error) {
	a, err := scanAssessmentResult(s.read.QueryRowContext(ctx, `SELECT `+assessmentResultColumns+`
		FROM assessment_results WHERE customer_id = ? AND workflow_id = ? AND id = ?`, customerID, workflowID, id), customerID)
	if err != nil {
		return nil, wrapOp("get assessment result", notFound(err, "assessment result", id))
	}
	return a, nil
}

// OnboardWorkflowGet implements herald.PlatformStore.
func (s *Store) OnboardWorkflowGet(ctx context.Context, customerID, id string) (*herald.OnboardWorkflow, error) {
	w, err := getOnboardWorkflow(ctx, s.read, customerID, id)
	if err != nil {
		return nil, wrapOp("get onboard workflow", err)
	}
	return w, nil
}

func getOnboardWorkflow(ctx context.Context, q dbtx, customerID, id string) (*herald.OnboardWorkflow, error) {
	w := &herald.OnboardWorkflow{CustomerID: customerID}
	var created, updated int64
	err := q.QueryRowContext(ctx, `SELECT id, person_id, job_id, portal_id, created_at, updated_at
		FROM onboard_workflows WHERE customer_id = ? AND id = ?`, customerID, id).
		Scan(&w.ID, &w.PersonID, &w.JobID, &w.PortalID, &created, &updated)
	if err != nil {
		return nil, notFound(err, "onboard workflow", id)
	}
	w.CreatedAt, w.UpdatedAt = fromMillis(created), fromMillis(updated)
	rows, err := q.QueryContext(ctx, `SELECT id, name, type, status, started_at FROM onboard_tasks
		WHERE customer_id = ? AND workflow_id = ? ORDER BY position`, customerID, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		t := &herald.OnboardTask{}
		var status string
		var started int64
		if err := rows.Scan(&t.ID, &t.Name, &t.Type, &status, &started); err != nil {
			return nil, err
		}
		t.Status, t.StartedAt = herald.OnboardTaskStatus(status), fromMillis(started)
		w.Tasks = append(w.Tasks, t)
	}
	return w, rows.Err()
}

// PersonOperatorGet implements herald.PlatformStore. SQLite has one
// writer, so the look-up and the creation cannot race.
func (s *Store) PersonOperatorGet(ctx context.Context, customerID string) (*herald.Person, error) {
	var p *herald.Person
	now := fromMillis(s.now().UnixMilli())
	err := s.inTx(ctx, "get operator person", func(tx *sql.Tx) error {
		var id string
		err := tx.QueryRowContext(ctx, `SELECT person_id FROM operator_people WHERE customer_id = ?`, customerID).Scan(&id)
		if err == nil {
			p, err = getPerson(ctx, tx, customerID, id)
			return err
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if id, err = nextPlatformID(ctx, tx, customerID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO people
			(customer_id, id, type, first_name, last_name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			customerID, id, string(herald.PersonTypeUser), herald.OperatorPersonFirstName, herald.OperatorPersonLastName,
			toMillis(now), toMillis(now)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO operator_people (customer_id, person_id) VALUES (?, ?)`, customerID, id); err != nil {
			return err
		}
		p, err = getPerson(ctx, tx, customerID, id)
		return err
	})
	return p, err
}
