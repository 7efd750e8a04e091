package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/heraldhq/herald"
)

type applicantRow struct {
	Workflow *herald.ApplicantWorkflow
	Person   *herald.Person
}

type recruiterData struct {
	Cust       *herald.Customer
	Job        *herald.Job
	Applicants []applicantRow
	Statuses   []herald.WorkflowStatus
	UserID     string // the platform user an administrator's status changes are made as
	Operator   bool   // an operator: changes are made as the operator user
	// The outcome of a status change just made.
	Changed  *herald.ApplicantWorkflow
	Link     string
	Message  string
	Queued   bool
	Outcomes []*herald.DeliveryOutcome
	Error    string
}

func (d *recruiterData) customer() *herald.Customer { return d.Cust }

// handleJobFind serves GET /ui/customers/{customerId}/jobs?job=<id>.
func (s *Server) handleJobFind(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.customerFor(r); err != nil {
		return err
	}
	id := strings.TrimSpace(r.URL.Query().Get("job"))
	if id == "" {
		return herald.Errorf(herald.EINVALID, "Enter a job id.")
	}
	return redirect(w, r, customerPath(r.PathValue("customerId"), "jobs", id))
}

// handleRecruiter serves GET /ui/customers/{customerId}/jobs/{jobId}: a
// job's applicants, each with a status to move them to.
func (s *Server) handleRecruiter(w http.ResponseWriter, r *http.Request) error {
	return s.renderRecruiter(w, r, http.StatusOK, &recruiterData{})
}

func (s *Server) renderRecruiter(w http.ResponseWriter, r *http.Request, status int, d *recruiterData) error {
	if err := s.requirePlatform(); err != nil {
		return err
	}
	c, err := s.customerFor(r)
	if err != nil {
		return err
	}
	d.Cust, d.Statuses = c, herald.ApplicantWorkflowStatuses
	j, err := s.cfg.Platform.JobGet(r.Context(), c.ID, r.PathValue("jobId"))
	if err != nil {
		if herald.ErrorCode(err) == herald.ENOTFOUND {
			return err
		}
		return fmt.Errorf("get job: %w", err)
	}
	d.Job = j
	wfs, err := s.cfg.Platform.ApplicantWorkflowList(r.Context(), c.ID, j.ID)
	if err != nil {
		return fmt.Errorf("list applicants: %w", err)
	}
	for _, wf := range wfs {
		p, err := s.cfg.Platform.PersonGet(r.Context(), c.ID, wf.PersonID)
		if err != nil {
			return fmt.Errorf("get applicant: %w", err)
		}
		d.Applicants = append(d.Applicants, applicantRow{Workflow: wf, Person: p})
	}
	if sess := sessionFromContext(r.Context()); sess.user != nil {
		d.UserID = sess.user.PersonID
	} else {
		d.Operator = true // see actingUser
	}
	s.render(w, r, status, "recruiter", j.JobTitle+" · Applicants", d)
	return nil
}

// handleStatusChange serves POST
// /ui/customers/{customerId}/jobs/{jobId}/applicants/{workflowId}/status: the
// recruiter moves a candidate; Herald commits the move and its
// WorkFlowStatusChangeEvent, delivers it while the recruiter waits, and the
// page shows the partner's link (to open) or message.
func (s *Server) handleStatusChange(w http.ResponseWriter, r *http.Request) error {
	if err := s.requirePlatform(); err != nil {
		return err
	}
	c, err := s.customerFor(r)
	if err != nil {
		return err
	}
	d := &recruiterData{}
	userID, err := s.actingUser(r, c.ID)
	if err != nil {
		if herald.ErrorCode(err) != herald.EINVALID {
			return err
		}
		d.Error = herald.ErrorMessage(err)
		return s.renderRecruiter(w, r, http.StatusBadRequest, d)
	}
	wfID := r.PathValue("workflowId")
	wf, err := s.cfg.Platform.ApplicantWorkflowGet(r.Context(), c.ID, wfID)
	if err != nil || wf.JobID != r.PathValue("jobId") {
		if err == nil || herald.ErrorCode(err) == herald.ENOTFOUND {
			return herald.Errorf(herald.ENOTFOUND, "applicant %q not found", wfID)
		}
		return fmt.Errorf("get applicant: %w", err)
	}
	res, err := s.cfg.Platform.WorkflowStatusChange(r.Context(), &herald.WorkflowStatusChangeParams{
		CustomerID: c.ID, WorkflowID: wfID, NewStatus: r.PostFormValue("status"), UserID: userID, PublicURL: s.cfg.PublicURL})
	switch herald.ErrorCode(err) {
	case "":
		d.Changed = res.ApplicantWorkflow
		d.Outcomes, d.Queued = s.deliverNow(r, res.Deliveries)
		d.Link, d.Message = nextStep(d.Outcomes, d.Queued)
		if len(res.Deliveries) == 0 {
			d.Message = ""
		}
		return s.renderRecruiter(w, r, http.StatusOK, d)
	case herald.EINVALID, herald.ENOTFOUND, herald.ECONFLICT:
		d.Error = humanMessage(herald.ErrorMessage(err))
		return s.renderRecruiter(w, r, http.StatusBadRequest, d)
	default:
		return fmt.Errorf("change status: %w", err)
	}
}

// actingUser is the platform user a status change is recorded as: the
// signed-in administrator's own (WebUser.PersonID), never a value from the
// form, so nobody can act as someone else. An operator has no person of
// their own and acts as the customer's operator user
// (PlatformStore.PersonOperatorGet), a platform user like any other, so
// the event's userId and user link resolve. Returns EINVALID for an
// administrator with no platform user.
func (s *Server) actingUser(r *http.Request, customerID string) (string, error) {
	sess := sessionFromContext(r.Context())
	if sess.user != nil {
		if sess.user.PersonID == "" {
			return "", herald.Errorf(herald.EINVALID, "Your account has no platform user to record status changes as; ask an operator to set one.")
		}
		return sess.user.PersonID, nil
	}
	p, err := s.cfg.Platform.PersonOperatorGet(r.Context(), customerID)
	if err != nil {
		return "", fmt.Errorf("get operator user: %w", err)
	}
	return p.ID, nil
}
