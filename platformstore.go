package herald

import (
	"context"
	"regexp"
	"strings"
	"time"
)

// PlatformStore keeps the talent platform's own records (people, jobs,
// portals, applicant and onboarding workflows, job-board posts, assessment
// results) and the partners' API credentials. It is separate from Store so
// that stores and fakes that only deliver events need not implement it; the
// sqlite and postgres stores implement both, on the same database.
//
// Each method is one transaction. The actions (ApplicationComplete,
// WorkflowStatusChange, JobPost, JobEdit, JobUnpost, OnboardTaskStart,
// RemoteLogin) commit their change AND its event, with one pending delivery
// for every endpoint of the customer that wants it, together: there is no
// change without its event and no event without its change, even across a
// crash. Their params carry PublicURL, the base of the event's links.
//
// Records are per customer: every method takes the customer's id, and a
// record of another customer is ENOTFOUND. Ids are numeric-looking strings
// ("1042") from one sequence per customer, as in iCIMS. Methods return
// *Error values with the codes listed; any other error is internal.
type PlatformStore interface {
	// PersonCreate stores a new person, setting ID, CreatedAt, UpdatedAt.
	// Returns EINVALID, or ENOTFOUND if the customer does not exist.
	PersonCreate(ctx context.Context, p *Person) error
	// PersonGet returns ENOTFOUND if there is no such person.
	PersonGet(ctx context.Context, customerID, id string) (*Person, error)
	// PersonFindByEmail returns the customer's oldest person of type typ
	// whose email is email, compared without case. Returns ENOTFOUND if
	// there is none or email is empty.
	PersonFindByEmail(ctx context.Context, customerID string, typ PersonType, email string) (*Person, error)
	// PersonUpdate replaces every field of the person but Type, setting
	// UpdatedAt. Returns EINVALID or ENOTFOUND.
	PersonUpdate(ctx context.Context, p *Person) error
	// PersonOperatorGet returns the customer's operator user: the
	// platform user (type user, OperatorPersonFirstName
	// OperatorPersonLastName) that stands for Herald's operators, who sign
	// in with the admin token and have no person of their own. It is
	// created on the first call, once per customer, so an operator's
	// action (a status change from the UI) records a userId whose user
	// link resolves. Returns ENOTFOUND if the customer does not exist.
	PersonOperatorGet(ctx context.Context, customerID string) (*Person, error)

	// CareerPortalCreate stores a new portal, setting ID and CreatedAt.
	// Returns EINVALID, or ENOTFOUND if the customer does not exist.
	CareerPortalCreate(ctx context.Context, p *CareerPortal) error
	// CareerPortalGet returns ENOTFOUND if there is no such portal.
	CareerPortalGet(ctx context.Context, customerID, id string) (*CareerPortal, error)

	// JobCreate stores a new job, not posted, setting ID, PostingState,
	// CreatedAt and UpdatedAt. Returns EINVALID, or ENOTFOUND if the
	// customer or the portal does not exist.
	JobCreate(ctx context.Context, j *Job) error
	// JobGet returns ENOTFOUND if there is no such job.
	JobGet(ctx context.Context, customerID, id string) (*Job, error)
	// JobList returns a customer's jobs, oldest first, at most
	// MaxJobList.
	JobList(ctx context.Context, customerID string) ([]*Job, error)
	// JobUpdate replaces the job's descriptive fields (title, location,
	// description, assessment and background-check types, portal) without an event,
	// setting UpdatedAt; posting fields are kept. Returns EINVALID or
	// ENOTFOUND. Editing a posted job externally is JobEdit.
	JobUpdate(ctx context.Context, j *Job) error
	// JobBoardPostList returns a job's board posts, by distributor and board.
	JobBoardPostList(ctx context.Context, customerID, jobID string) ([]*JobBoardPost, error)
	// JobBoardPostUpsert stores the posts, all of one job, replacing any
	// of the same distributor and board, and sets UpdatedAt. Returns
	// EINVALID, or ENOTFOUND if the job does not exist.
	JobBoardPostUpsert(ctx context.Context, posts []*JobBoardPost) error

	// ApplicantWorkflowGet returns a workflow with its StatusHistory and
	// AssessmentResults. Returns ENOTFOUND if there is none.
	ApplicantWorkflowGet(ctx context.Context, customerID, id string) (*ApplicantWorkflow, error)
	// ApplicantWorkflowList returns a job's workflows, oldest first,
	// without history or results.
	ApplicantWorkflowList(ctx context.Context, customerID, jobID string) ([]*ApplicantWorkflow, error)
	// AssessmentResultCreate adds a row to a workflow, setting ID,
	// CreatedAt and UpdatedAt. Returns EINVALID, or ENOTFOUND if the
	// workflow does not exist.
	AssessmentResultCreate(ctx context.Context, a *AssessmentResult) error
	// AssessmentResultGet returns ENOTFOUND unless the row exists on that
	// workflow.
	AssessmentResultGet(ctx context.Context, customerID, workflowID, id string) (*AssessmentResult, error)
	// AssessmentResultUpdate replaces a row's fields, setting UpdatedAt.
	// Returns EINVALID, or ENOTFOUND unless it exists on that workflow.
	AssessmentResultUpdate(ctx context.Context, a *AssessmentResult) error

	// OnboardWorkflowCreate stores a new onboarding workflow and its
	// tasks (not started), setting their IDs and the times. Returns
	// EINVALID, or ENOTFOUND if the customer, person, job or portal does
	// not exist.
	OnboardWorkflowCreate(ctx context.Context, w *OnboardWorkflow) error
	// OnboardWorkflowGet returns a workflow with its tasks, in order.
	// Returns ENOTFOUND if there is none.
	OnboardWorkflowGet(ctx context.Context, customerID, id string) (*OnboardWorkflow, error)

	// ApplicationComplete creates the applicant workflow of a candidate
	// for a posted job, with status ApplicantWorkflowStatusApplied, and
	// publishes its AssessmentEvent (returnUrl: AssessmentReturnURL).
	// Returns ENOTFOUND if the person or job does not exist, ECONFLICT if
	// the job is not posted or the person applied already.
	ApplicationComplete(ctx context.Context, p *ApplicationCompleteParams) (*ActionResult, error)
	// WorkflowStatusChange moves an applicant workflow to NewStatus,
	// records the move in its history and publishes its
	// WorkFlowStatusChangeEvent with the recruiter as userId. Returns
	// EINVALID for a bad status, ENOTFOUND if the workflow or user does
	// not exist, ECONFLICT if the workflow has that status already.
	WorkflowStatusChange(ctx context.Context, p *WorkflowStatusChangeParams) (*ActionResult, error)
	// JobPost posts a job on its portal (PortalURL: JobPortalURL) and
	// publishes its JobPostToWebEvent. Returns ENOTFOUND if the job or
	// user does not exist, ECONFLICT if it is posted already.
	JobPost(ctx context.Context, p *JobActionParams) (*ActionResult, error)
	// JobEdit applies the changes to a posted job and publishes its
	// ViewJobWebPostEvent. Returns EINVALID, ENOTFOUND, or ECONFLICT if
	// the job is not posted.
	JobEdit(ctx context.Context, p *JobActionParams) (*ActionResult, error)
	// JobUnpost takes a posted job down and publishes its
	// JobUnpostToWebEvent. Returns ENOTFOUND, or ECONFLICT if the job is
	// not posted.
	JobUnpost(ctx context.Context, p *JobActionParams) (*ActionResult, error)
	// OnboardTaskStart marks a task of an onboarding workflow in progress
	// (StartedAt set the first time) and publishes its
	// OnboardPortalTaskEvent (returnUrl and incompleteUrl:
	// OnboardTaskURLs). Returns ENOTFOUND if the workflow or task does not
	// exist, ECONFLICT if the task is complete.
	OnboardTaskStart(ctx context.Context, p *OnboardTaskStartParams) (*ActionResult, error)
	// RemoteLogin publishes the RemoteLoginEvent of a platform user who
	// opened a partner's integration link. Returns ENOTFOUND if the user
	// does not exist, EINVALID if they are not a platform user.
	RemoteLogin(ctx context.Context, p *RemoteLoginParams) (*ActionResult, error)

	// PartnerCreate stores a partner credential, setting ID (if empty)
	// and CreatedAt. Returns EINVALID, ENOTFOUND if the customer does not
	// exist, ECONFLICT if the client id is taken.
	PartnerCreate(ctx context.Context, p *Partner) error
	// PartnerGet returns ENOTFOUND unless the partner exists for that customer.
	PartnerGet(ctx context.Context, customerID, id string) (*Partner, error)
	// PartnerGetByClientID returns the partner with that client id,
	// whatever its customer. Returns ENOTFOUND if there is none.
	PartnerGetByClientID(ctx context.Context, clientID string) (*Partner, error)
	// PartnerList returns a customer's partners, oldest first.
	PartnerList(ctx context.Context, customerID string) ([]*Partner, error)
	// PartnerDelete removes a partner and every token issued to it.
	// Returns ENOTFOUND unless it exists for that customer.
	PartnerDelete(ctx context.Context, customerID, id string) error
	// PartnerTokenCreate stores an access token's hash. Returns ENOTFOUND
	// if the partner does not exist.
	PartnerTokenCreate(ctx context.Context, t *PartnerToken) error
	// PartnerTokenGet returns the token with that hash if it has not
	// expired at now. Returns ENOTFOUND otherwise.
	PartnerTokenGet(ctx context.Context, tokenHash []byte, now time.Time) (*PartnerToken, error)
	PartnerTokenPurger
}

// PartnerTokenPurger deletes expired partner access tokens: the retention
// job (retention.Purger) needs only this of a PlatformStore.
type PartnerTokenPurger interface {
	// PartnerTokenPurge deletes every access token that has expired at
	// now (ExpiresAt not after now), in short transactions, and returns how
	// many it deleted. When ctx ends it stops between transactions and
	// returns the count so far with ctx's error.
	PartnerTokenPurge(ctx context.Context, now time.Time) (int, error)
}

// ApplicationCompleteParams are the arguments of ApplicationComplete.
type ApplicationCompleteParams struct {
	CustomerID string
	PersonID   string // the candidate: the event's userId and person link
	JobID      string
	PublicURL  string // base of the event's links
	// LinkKey signs the event's returnUrl (AssessmentReturnURL):
	// PortalLinkKey(adminToken, PortalLinkAssessment). Nil: the returnUrl
	// is not signed, and the portal's page refuses it.
	LinkKey []byte
}

// WorkflowStatusChangeParams are the arguments of WorkflowStatusChange.
type WorkflowStatusChangeParams struct {
	CustomerID string
	WorkflowID string
	NewStatus  string
	UserID     string // the recruiter who moved it: the event's userId
	PublicURL  string
}

// JobActionParams are the arguments of JobPost, JobEdit and JobUnpost.
type JobActionParams struct {
	CustomerID string
	JobID      string
	UserID     string // who posts, edits or unposts: the event's userId
	// Changes are applied by JobEdit (nil: none); JobPost and JobUnpost
	// refuse them. Only the descriptive fields are used.
	Changes   *JobChanges
	PublicURL string
}

// JobChanges are the fields JobEdit may change; nil fields stay as they are.
type JobChanges struct {
	JobTitle       *string
	JobLocation    *string
	JobDescription *string
	AssessmentType *string
	BGCPackageType *string
}

// Apply sets the non-nil changes on j.
func (c *JobChanges) Apply(j *Job) {
	if c == nil {
		return
	}
	for _, f := range []struct {
		dst *string
		v   *string
	}{{&j.JobTitle, c.JobTitle}, {&j.JobLocation, c.JobLocation}, {&j.JobDescription, c.JobDescription}, {&j.AssessmentType, c.AssessmentType}, {&j.BGCPackageType, c.BGCPackageType}} {
		if f.v != nil {
			*f.dst = *f.v
		}
	}
}

// OnboardTaskStartParams are the arguments of OnboardTaskStart.
type OnboardTaskStartParams struct {
	CustomerID string
	WorkflowID string
	TaskID     string
	PublicURL  string
}

// RemoteLoginParams are the arguments of RemoteLogin.
type RemoteLoginParams struct {
	CustomerID string
	UserID     string // the platform user: systemId and userId
	ReturnURL  string // where the partner sends the user back
	PublicURL  string
}

// ActionResult is what an action committed: the record it changed (one of
// the record fields is set), and the event with its pending deliveries,
// which the caller may deliver at once (Deliverer) while the person waits.
type ActionResult struct {
	ApplicantWorkflow *ApplicantWorkflow
	Job               *Job
	OnboardWorkflow   *OnboardWorkflow
	Person            *Person
	Event             *Event
	Deliveries        []*Delivery
}

// FieldLabels are the labels of the platform's fields, by
// "profileType.field", as a customer's forms show them. Partner messages
// name fields with {{profileType.field}} placeholders (spec section 6).
var FieldLabels = map[string]string{
	"person.firstname":         "First Name",
	"person.lastname":          "Last Name",
	"person.email":             "Email",
	"person.phones":            "Phone Numbers",
	"person.addresses":         "Addresses",
	"person.usssn":             "US SSN",
	"person.birthdate":         "Date of Birth",
	"job.jobtitle":             "Job Title",
	"job.joblocation":          "Job Location",
	"job.assessmenttype":       "Assessment Type",
	"job.bgcpackagetype":       "Background Check Package",
	"applicantworkflow.status": "Status",
}

var placeholder = regexp.MustCompile(`\{\{\s*([A-Za-z]+)\.([A-Za-z0-9_]+)\s*\}\}`)

// ReplaceFieldPlaceholders replaces each {{profileType.field}} in a partner's
// userMessage with the field's label, so the person reads "US SSN", not
// "{{person.usssn}}". An unknown field shows as its field id.
func ReplaceFieldPlaceholders(msg string) string {
	return placeholder.ReplaceAllStringFunc(msg, func(m string) string {
		sub := placeholder.FindStringSubmatch(m)
		if l, ok := FieldLabels[strings.ToLower(sub[1]+"."+sub[2])]; ok {
			return l
		}
		return sub[2]
	})
}

// MaxJobList bounds PlatformStore.JobList: a career portal's jobs fit.
const MaxJobList = 500
