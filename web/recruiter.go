package web

import (
	"fmt"
	"net/http"
	"strconv"
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
	// JobForm is the job's details form: the stored job, or what was
	// posted when it had errors. Edited says the details were just saved
	// on a posted job, so Link, Message and Outcomes are the partners'
	// replies to its Job Edit event.
	JobForm *jobForm
	Edited  bool
}

// jobForm is the job details form of the job page.
type jobForm struct {
	Title, Location, Description string
	Errors                       map[string]string // by field name
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
	if d.JobForm == nil {
		d.JobForm = &jobForm{Title: j.JobTitle, Location: j.JobLocation, Description: j.JobDescription, Errors: map[string]string{}}
	}
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

// jobMessages rewrites the root's validation messages of a job for the
// form, by field.
var jobMessages = map[string]string{
	"jobtitle":    "Enter a title of at most 200 characters, without control characters.",
	"joblocation": "Enter a location of at most 200 characters, without control characters.",
}

// jobFieldErrors validates each field of the form on its own, so every
// field's problem shows at once; the rules are herald.Job.Validate's.
func jobFieldErrors(f *jobForm) map[string]string {
	errs := map[string]string{}
	check := func(field string, set func(*herald.Job)) {
		j := &herald.Job{JobTitle: "x", PortalID: "x"}
		set(j)
		if err := j.Validate(); err != nil {
			msg := herald.ErrorMessage(err)
			if strings.HasSuffix(msg, "is required") {
				errs[field] = "Enter a title."
			} else if field == "jobdescription" && strings.Contains(msg, "control characters") {
				errs[field] = "Remove the control characters from the description (line breaks and tabs are fine)."
			} else if field == "jobdescription" {
				errs[field] = fmt.Sprintf("Shorten the description to at most %s bytes: it has %s. A letter is a byte; accented letters and symbols take two to four.",
					thousands(herald.MaxJobDescriptionBytes), thousands(len(f.Description)))
			} else {
				errs[field] = jobMessages[field]
			}
		}
	}
	check("jobtitle", func(j *herald.Job) { j.JobTitle = f.Title })
	check("joblocation", func(j *herald.Job) { j.JobLocation = f.Location })
	check("jobdescription", func(j *herald.Job) { j.JobDescription = f.Description })
	return errs
}

// handleJobSave serves POST /ui/customers/{customerId}/jobs/{jobId}: the
// job's title, location and description. A job not posted is saved as
// it is; a posted job is edited with its Job Edit event
// (ViewJobWebPostEvent), delivered while the recruiter waits, as the
// platform's edit does. The description itself travels in no event.
func (s *Server) handleJobSave(w http.ResponseWriter, r *http.Request) error {
	if err := s.requirePlatform(); err != nil {
		return err
	}
	c, err := s.customerFor(r)
	if err != nil {
		return err
	}
	j, err := s.cfg.Platform.JobGet(r.Context(), c.ID, r.PathValue("jobId"))
	if err != nil {
		if herald.ErrorCode(err) == herald.ENOTFOUND {
			return err
		}
		return fmt.Errorf("get job: %w", err)
	}
	if err := r.ParseForm(); err != nil {
		return herald.Errorf(herald.ETOOLARGE, "The form is too large.")
	}
	f := &jobForm{Title: strings.TrimSpace(r.PostForm.Get("jobtitle")), Location: strings.TrimSpace(r.PostForm.Get("joblocation")),
		// Browsers send a textarea's line breaks as CRLF; the description
		// keeps plain LF.
		Description: strings.TrimSpace(strings.ReplaceAll(r.PostForm.Get("jobdescription"), "\r\n", "\n"))}
	d := &recruiterData{JobForm: f}
	if f.Errors = jobFieldErrors(f); len(f.Errors) > 0 {
		return s.renderRecruiter(w, r, http.StatusBadRequest, d)
	}
	if j.PostingState != herald.JobPostingStatePosted {
		j.JobTitle, j.JobLocation, j.JobDescription = f.Title, f.Location, f.Description
		switch err := s.cfg.Platform.JobUpdate(r.Context(), j); herald.ErrorCode(err) {
		case "":
			return redirect(w, r, customerPath(c.ID, "jobs", j.ID)+"?done=job-saved")
		case herald.EINVALID, herald.ENOTFOUND, herald.ECONFLICT:
			d.Error = humanMessage(herald.ErrorMessage(err))
			return s.renderRecruiter(w, r, http.StatusBadRequest, d)
		default:
			return fmt.Errorf("update job: %w", err)
		}
	}
	userID, err := s.actingUser(r, c.ID)
	if err != nil {
		if herald.ErrorCode(err) != herald.EINVALID {
			return err
		}
		d.Error = herald.ErrorMessage(err)
		return s.renderRecruiter(w, r, http.StatusBadRequest, d)
	}
	res, err := s.cfg.Platform.JobEdit(r.Context(), &herald.JobActionParams{CustomerID: c.ID, JobID: j.ID, UserID: userID,
		Changes: &herald.JobChanges{JobTitle: &f.Title, JobLocation: &f.Location, JobDescription: &f.Description}, PublicURL: s.cfg.PublicURL})
	switch herald.ErrorCode(err) {
	case "":
		d.JobForm, d.Edited = nil, true
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
		return fmt.Errorf("edit job: %w", err)
	}
}

// thousands writes n with commas between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
