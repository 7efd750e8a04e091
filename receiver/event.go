package receiver

import (
	"net/http"
	"net/url"
	"path"
	"time"

	"github.com/heraldhq/herald/wire"
)

// Event is one received event, verified and parsed.
type Event struct {
	// ID is the sender's stable event id (the Herald-Event-Id header),
	// the same on every retry; "" when the sender does not send one.
	ID string
	// Attempt is the delivery attempt (Herald-Attempt), 1 for the first;
	// 0 when the sender does not say.
	Attempt int
	// TraceParent is the sender's W3C traceparent: the trace of this
	// attempt, which the partner's spans may join; nil when the sender
	// sent none (or a malformed one, which is ignored).
	TraceParent *TraceParent
	// Test is set for a test event ("Herald-Test: true"): one a
	// conformance check (`herald check`) sends to see how the endpoint
	// behaves. Reply exactly as for a real event, but do not act on it:
	// its ids (wire.TestIDPrefix) name no real record, and its links lead
	// nowhere.
	Test bool
	// Type is the canonical event type: ApplicationCompletedEvent arrives
	// as AssessmentEvent. Body.EventType keeps the type as sent.
	Type       wire.EventType
	CustomerID string
	SystemID   string
	UserID     string
	// Links are the body's links followed by those of the Link header
	// that the body does not already have (job events carry theirs only
	// in the header).
	Links []wire.Link
	// Body is the whole parsed body, unknown keys included (Body.Extra).
	Body *wire.Body
	// JSON is the body as JSON, decompressed.
	JSON []byte
	// Header is the request's header.
	Header http.Header
	// Sender is the authenticated username (Basic, HMAC); "" for schemes
	// without one.
	Sender string
	// ReceivedAt is when the request was read.
	ReceivedAt time.Time
}

// Link returns the first link with the relation rel (wire.RelJob, ...).
func (e *Event) Link(rel string) (wire.Link, bool) {
	for _, l := range e.Links {
		if l.Rel == rel {
			return l, true
		}
	}
	return wire.Link{}, false
}

// LinkedID returns the id at the end of the rel link's URL path
// (".../people/1239" gives "1239"), or "" if there is no such link.
func (e *Event) LinkedID(rel string) string {
	l, ok := e.Link(rel)
	if !ok {
		return ""
	}
	u, err := url.Parse(l.URL)
	if err != nil || u.Path == "" {
		return ""
	}
	id := path.Base(u.Path)
	if id == "/" || id == "." {
		return ""
	}
	return id
}

// Assessment is an Application Complete event (AssessmentEvent): a candidate
// finished applying. Reply SeeOther with the assessment's URL.
type Assessment struct {
	ApplicantWorkflowID string // systemId
	CandidateID         string // userId
	PersonID            string // from the person link
	JobID               string // from the job link (or jobId)
	// ReturnURL is where to send the candidate when done.
	ReturnURL string
}

// StatusChange is a Status Flow Update event (WorkFlowStatusChangeEvent): a
// recruiter moved a candidate into a trigger status.
type StatusChange struct {
	ApplicantWorkflowID string // systemId
	PersonID            string
	JobID               string
	RecruiterID         string // userId
	OldStatus           string
	NewStatus           string
}

// OnboardPortalTask is an Onboard Portal Task event: a new hire began a
// verification task. Reply SeeOther with the task's URL.
type OnboardPortalTask struct {
	NewHireID     string // systemId
	UserID        string
	ReturnURL     string // task complete
	IncompleteURL string // back without completing
}

// JobPosting is a Job Posting, Job Edit or Job Unposting event (see
// Event.Type). Reply SeeOther for posting and edit, OK for unposting.
type JobPosting struct {
	JobID  string // systemId
	UserID string // who posted
	// PortalURL is where applicants apply (Job Posting only).
	PortalURL string
}

// RemoteLogin is a Remote Login event: a user clicked the partner's link
// inside the platform. Reply SeeOther with the page to open.
type RemoteLogin struct {
	UserID    string
	ReturnURL string
}

// Assessment returns the event's Application Complete fields, or nil if it
// is of another type.
func (e *Event) Assessment() *Assessment {
	if e.Type != wire.EventTypeAssessment {
		return nil
	}
	a := &Assessment{
		ApplicantWorkflowID: e.SystemID, CandidateID: e.UserID, ReturnURL: e.Body.ReturnURL,
		PersonID: e.Body.PersonID, JobID: e.Body.JobID,
	}
	if a.PersonID == "" {
		a.PersonID = e.LinkedID(wire.RelPerson)
	}
	if a.JobID == "" {
		a.JobID = e.LinkedID(wire.RelJob)
	}
	return a
}

// StatusChange returns the event's Status Flow Update fields, or nil if it
// is of another type.
func (e *Event) StatusChange() *StatusChange {
	if e.Type != wire.EventTypeWorkFlowStatusChange {
		return nil
	}
	s := &StatusChange{
		ApplicantWorkflowID: e.SystemID, PersonID: e.Body.PersonID, JobID: e.Body.JobID,
		RecruiterID: e.UserID, OldStatus: e.Body.OldStatus, NewStatus: e.Body.NewStatus,
	}
	if s.PersonID == "" {
		s.PersonID = e.LinkedID(wire.RelPerson)
	}
	if s.JobID == "" {
		s.JobID = e.LinkedID(wire.RelJob)
	}
	return s
}

// OnboardPortalTask returns the event's Onboard Portal Task fields, or nil
// if it is of another type.
func (e *Event) OnboardPortalTask() *OnboardPortalTask {
	if e.Type != wire.EventTypeOnboardPortalTask {
		return nil
	}
	return &OnboardPortalTask{NewHireID: e.SystemID, UserID: e.UserID, ReturnURL: e.Body.ReturnURL, IncompleteURL: e.Body.IncompleteURL}
}

// JobPosting returns the fields of a Job Posting, Job Edit or Job Unposting
// event, or nil if it is of another type.
func (e *Event) JobPosting() *JobPosting {
	switch e.Type {
	case wire.EventTypeJobPostToWeb, wire.EventTypeViewJobWebPost, wire.EventTypeJobUnpostToWeb:
		return &JobPosting{JobID: e.SystemID, UserID: e.UserID, PortalURL: e.Body.PortalURL}
	}
	return nil
}

// RemoteLogin returns the event's Remote Login fields, or nil if it is of
// another type.
func (e *Event) RemoteLogin() *RemoteLogin {
	if e.Type != wire.EventTypeRemoteLogin {
		return nil
	}
	return &RemoteLogin{UserID: e.UserID, ReturnURL: e.Body.ReturnURL}
}
