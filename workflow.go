package herald

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/wire"
)

// WorkflowStatus is one status of the customer's applicant workflow: an
// opaque list id (the value events carry as oldStatus and newStatus) and the
// label people see.
type WorkflowStatus struct {
	ID    string
	Label string
}

// ApplicantWorkflowStatusApplied is the status ApplicationComplete gives a
// new applicant workflow.
const ApplicantWorkflowStatusApplied = "D10100"

// ApplicantWorkflowStatuses is the status list every customer starts with.
// Any other valid id is accepted too (customers configure their own); it is
// shown with its id as its label.
var ApplicantWorkflowStatuses = []WorkflowStatus{
	{ApplicantWorkflowStatusApplied, "Applied"},
	{"D10101", "Reviewed"},
	{"D10102", "Phone Screen"},
	{"D10103", "Interview"},
	{"D10104", "Background Check"},
	{"D10105", "Offer"},
	{"D10106", "Hired"},
	{"D10107", "Not Selected"},
}

// WorkflowStatusLabel returns the label of a status id: the catalogue's, or
// the id itself when it is not in the catalogue.
func WorkflowStatusLabel(id string) string {
	for _, s := range ApplicantWorkflowStatuses {
		if s.ID == id {
			return s.Label
		}
	}
	return id
}

// ValidateWorkflowStatus returns EINVALID unless id can be a status: a
// contract id (letters, digits, '-', '_', '.'; at most 64).
func ValidateWorkflowStatus(field, id string) error {
	if !wire.ValidID(id) {
		return Errorf(EINVALID, "%s must be a status id of 1 to 64 letters, digits, '-', '_' or '.'", field)
	}
	return nil
}

// ApplicantWorkflow links a person to a job they applied to: iCIMS's
// "applicantworkflows/{id}". Its status moves along the customer's workflow,
// each move recorded in StatusHistory.
type ApplicantWorkflow struct {
	ID         string // per customer, numeric-looking
	CustomerID string
	PersonID   string
	JobID      string
	Status     string
	// StatusHistory lists every status the workflow has had, oldest first;
	// the first entry is the status it was created with (OldStatus empty).
	StatusHistory []*StatusChange
	// AssessmentResults are the rows partners wrote back, oldest first.
	AssessmentResults []*AssessmentResult
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// StatusChange is one move of a workflow's status, and who made it.
type StatusChange struct {
	OldStatus string
	NewStatus string
	UserID    string // the recruiter, or the candidate for the first status
	At        time.Time
}

// AssessmentResult is one row of an applicant workflow's assessmentresults
// field, written by an assessment partner (spec section 8).
type AssessmentResult struct {
	ID         string // per customer, numeric-looking; names the row in Location
	CustomerID string
	WorkflowID string
	Name       string   // assessmentname
	Score      *float64 // assessmentscore; nil when not given
	Result     string   // assessmentresult, "Pass"
	Status     string   // assessmentstatus, "Complete"
	Date       string   // assessmentdate as the partner sent it, "2019-08-26 09:24 PM"
	URL        string   // assessmenturl: the partner's report
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Validate returns an EINVALID error naming the first field that breaks a rule.
func (a *AssessmentResult) Validate() error {
	for _, f := range []struct{ name, v string }{
		{"assessmentname", a.Name}, {"assessmentresult", a.Result},
		{"assessmentstatus", a.Status}, {"assessmentdate", a.Date},
	} {
		if err := checkText(f.name, f.v); err != nil {
			return err
		}
	}
	if a.Name == "" && a.Result == "" && a.Status == "" && a.Score == nil {
		return Errorf(EINVALID, "assessmentname, assessmentscore, assessmentresult or assessmentstatus is required")
	}
	if a.URL != "" {
		if err := validateHTTPURL("assessmenturl", a.URL); err != nil {
			return err
		}
	}
	return nil
}

// OnboardTaskStatus is where a new hire is with one onboarding task.
type OnboardTaskStatus string

// Onboarding task statuses.
const (
	OnboardTaskStatusNotStarted OnboardTaskStatus = "notstarted"
	OnboardTaskStatusInProgress OnboardTaskStatus = "inprogress"
	OnboardTaskStatusComplete   OnboardTaskStatus = "complete"
)

// MaxOnboardTasks bounds the tasks of one onboarding workflow.
const MaxOnboardTasks = 50

// OnboardWorkflow is a new hire's onboarding: iCIMS's
// "onboardworkflows/{id}", with the tasks the new hire does on the portal.
type OnboardWorkflow struct {
	ID         string // per customer, numeric-looking
	CustomerID string
	PersonID   string // the new hire
	JobID      string // optional: the job they were hired for
	PortalID   string // the portal the new hire works on; base of the return URLs
	Tasks      []*OnboardTask
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// OnboardTask is one task of an onboarding workflow (E-Verify, I-9).
type OnboardTask struct {
	ID        string // per customer, numeric-looking
	Name      string // "E-Verify"
	Type      string // "everify", "i9": which partner handles it
	Status    OnboardTaskStatus
	StartedAt time.Time // zero until first started
}

// Validate returns an EINVALID error naming the first field that breaks a rule.
func (w *OnboardWorkflow) Validate() error {
	if w.PersonID == "" {
		return Errorf(EINVALID, "personid is required")
	}
	if w.PortalID == "" {
		return Errorf(EINVALID, "portalid is required")
	}
	if len(w.Tasks) == 0 || len(w.Tasks) > MaxOnboardTasks {
		return Errorf(EINVALID, "tasks must have 1 to %d entries", MaxOnboardTasks)
	}
	for i, t := range w.Tasks {
		if t == nil {
			return Errorf(EINVALID, "tasks[%d] is required", i)
		}
		if err := requireText("tasks["+strconv.Itoa(i)+"].name", t.Name); err != nil {
			return err
		}
		if err := checkText("tasks["+strconv.Itoa(i)+"].type", t.Type); err != nil {
			return err
		}
	}
	return nil
}

// Task returns the workflow's task with that id.
func (w *OnboardWorkflow) Task(id string) (*OnboardTask, bool) {
	for _, t := range w.Tasks {
		if t.ID == id {
			return t, true
		}
	}
	return nil, false
}

// AssessmentReturnURL is the returnUrl of an Application Complete event:
// the job's portal page, where the assessment partner sends the candidate
// back (the spec's example: <portalurl>/assessment?i=1). The page names
// the candidate, so the URL is signed: its t parameter is the workflow's
// PortalLinkToken under key (PortalLinkKey with PortalLinkAssessment). An
// empty key leaves the token out, and the portal refuses the page.
func AssessmentReturnURL(jobPortalURL, customerID, workflowID string, key []byte) string {
	u := jobPortalURL + "/assessment?i=" + url.QueryEscape(workflowID)
	if tok := PortalLinkToken(key, customerID, workflowID); tok != "" {
		u += "&" + PortalLinkParam + "=" + tok
	}
	return u
}

// OnboardTaskURLs are the returnUrl (task complete) and incompleteUrl (back
// without completing) of an Onboard Portal Task event, on the portal.
func OnboardTaskURLs(portalURL, workflowID, taskID string) (returnURL, incompleteURL string) {
	base := strings.TrimRight(portalURL, "/") + "/onboard/" + url.PathEscape(workflowID) + "/tasks/" + url.PathEscape(taskID)
	return base + "?result=complete", base + "?result=incomplete"
}
