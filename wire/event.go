package wire

import (
	"net/url"
	"strings"
	"unicode/utf8"
)

// EventParams is what a publisher supplies for one event. Its JSON is the
// management API's (camelCase, as the partner contract). Which fields a type
// requires, allows and refuses is listed at BuildEvent.
type EventParams struct {
	EventType     EventType `json:"eventType"`
	SystemID      string    `json:"systemId"`
	UserID        string    `json:"userId"`
	PersonID      string    `json:"personId,omitempty"`
	JobID         string    `json:"jobId,omitempty"`
	OldStatus     string    `json:"oldStatus,omitempty"`
	NewStatus     string    `json:"newStatus,omitempty"`
	ReturnURL     string    `json:"returnUrl,omitempty"`
	IncompleteURL string    `json:"incompleteUrl,omitempty"`
	PortalURL     string    `json:"portalUrl,omitempty"`
}

// FieldError is a problem with one field of an event's input. Field is the
// JSON name (camelCase); Message says what is wrong and is safe to show the
// user who sent it.
type FieldError struct {
	Field   string
	Message string
}

// Error implements error: "field: message".
func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// Link relations and titles of the contract (spec section 4).
const (
	RelApplicantWorkflow = "applicantWorkflow"
	RelJob               = "job"
	RelPerson            = "person"
	RelUser              = "user"

	TitleApplicantWorkflow = "Applicant Workflow"
	TitleJob               = "Job Profile"
	TitlePerson            = "Person Profile"
	TitleUser              = "Posting User" // the acting user, whatever the event
)

// Limits of event input.
const (
	// MaxIDLength bounds every id (customer, system, user, person, job).
	MaxIDLength = 64
	// MaxStatusLength bounds oldStatus and newStatus.
	MaxStatusLength = 64
	// MaxURLLength bounds returnUrl, incompleteUrl and portalUrl.
	MaxURLLength = 2048
)

// Input fields, as a bit set, so each type's rules fit on a line.
type field uint16

const (
	fSystemID field = 1 << iota
	fUserID
	fPersonID
	fJobID
	fOldStatus
	fNewStatus
	fReturnURL
	fIncompleteURL
	fPortalURL
)

var fieldOrder = []struct {
	f    field
	name string
	get  func(p *EventParams) string
}{
	{fSystemID, "systemId", func(p *EventParams) string { return p.SystemID }},
	{fUserID, "userId", func(p *EventParams) string { return p.UserID }},
	{fPersonID, "personId", func(p *EventParams) string { return p.PersonID }},
	{fJobID, "jobId", func(p *EventParams) string { return p.JobID }},
	{fOldStatus, "oldStatus", func(p *EventParams) string { return p.OldStatus }},
	{fNewStatus, "newStatus", func(p *EventParams) string { return p.NewStatus }},
	{fReturnURL, "returnUrl", func(p *EventParams) string { return p.ReturnURL }},
	{fIncompleteURL, "incompleteUrl", func(p *EventParams) string { return p.IncompleteURL }},
	{fPortalURL, "portalUrl", func(p *EventParams) string { return p.PortalURL }},
}

// eventRule is one type's contract: the fields it needs, the optional ones,
// and the keys of its body in the order real captures show them.
type eventRule struct {
	required, optional field
	bodyKeys           []string
}

var eventRules = map[EventType]eventRule{
	EventTypeAssessment: {
		required: fSystemID | fUserID | fJobID | fReturnURL,
		optional: fPersonID,
		bodyKeys: []string{"systemId", "userId", "customerId", "returnUrl", "eventType", "links"},
	},
	EventTypeWorkFlowStatusChange: {
		required: fSystemID | fUserID | fPersonID | fJobID | fOldStatus | fNewStatus,
		bodyKeys: []string{"systemId", "eventType", "links", "personId", "userId", "jobId", "customerId", "oldStatus", "newStatus"},
	},
	EventTypeOnboardPortalTask: {
		required: fSystemID | fUserID | fReturnURL | fIncompleteURL,
		// No capture exists; this follows Application Complete's order.
		bodyKeys: []string{"systemId", "userId", "customerId", "returnUrl", "incompleteUrl", "eventType", "links"},
	},
	EventTypeJobPostToWeb: {
		required: fSystemID | fUserID | fPortalURL,
		bodyKeys: []string{"systemId", "userId", "customerId", "eventType", "portalUrl"},
	},
	EventTypeViewJobWebPost: {
		required: fSystemID | fUserID,
		bodyKeys: []string{"systemId", "userId", "customerId", "eventType"},
	},
	EventTypeJobUnpostToWeb: {
		required: fSystemID | fUserID,
		bodyKeys: []string{"systemId", "userId", "customerId", "eventType"},
	},
	EventTypeRemoteLogin: {
		required: fSystemID | fUserID | fReturnURL,
		bodyKeys: []string{"systemId", "customerId", "links", "eventType", "returnUrl", "userId"},
	},
}

// BuildEvent validates p for its event type and returns the compact JSON
// body exactly as the contract shows it (spec section 4: camelCase keys in
// the captured order, every id a JSON string) and the links for the Link
// header. Link URLs are <publicURL>/customers/<customerID>/<collection>/<id>.
//
// Per type (all ids: 1 to MaxIDLength letters, digits, '-', '_' or '.';
// URLs: absolute http or https):
//
//   - AssessmentEvent (ApplicationCompletedEvent is accepted and sent as
//     AssessmentEvent): systemId (applicant workflow), userId (candidate),
//     jobId and returnUrl required; personId defaults to userId. Links
//     applicantWorkflow, job, person, user, in the body and the header.
//   - WorkFlowStatusChangeEvent: systemId, userId (recruiter), personId,
//     jobId, oldStatus, newStatus required. The same four links.
//   - OnboardPortalTaskEvent: systemId and userId (the new hire), returnUrl
//     and incompleteUrl required. Links person (systemId) and user.
//   - JobPostToWebEvent: systemId (the job), userId and portalUrl required.
//     No links in the body; job and user links in the header only.
//   - ViewJobWebPostEvent, JobUnpostToWebEvent: systemId and userId.
//     Header links as for JobPostToWebEvent.
//   - RemoteLoginEvent: systemId, userId and returnUrl required. Link user.
//
// A field the type does not use is refused rather than dropped, so a caller's
// mistake is not silently lost. Ids starting with TestIDPrefix are refused:
// they are reserved for test events (BuildTestEvent), so a partner can never
// mistake a real record for a test one. Every input error is a *FieldError.
func BuildEvent(publicURL, customerID string, p *EventParams) (body []byte, links []Link, err error) {
	return buildEvent(publicURL, customerID, p, false)
}

func buildEvent(publicURL, customerID string, p *EventParams, test bool) (body []byte, links []Link, err error) {
	if p == nil {
		return nil, nil, &FieldError{"eventType", "is required"}
	}
	typ := p.EventType.Canonical()
	rule, ok := eventRules[typ]
	switch {
	case p.EventType == "":
		return nil, nil, &FieldError{"eventType", "is required"}
	case !ok:
		return nil, nil, &FieldError{"eventType", "must be one of AssessmentEvent, WorkFlowStatusChangeEvent, OnboardPortalTaskEvent, JobPostToWebEvent, ViewJobWebPostEvent, JobUnpostToWebEvent, RemoteLoginEvent"}
	}
	base, err := checkPublicURL(publicURL)
	if err != nil {
		return nil, nil, err
	}
	if err := checkID("customerId", customerID); err != nil {
		return nil, nil, err
	}
	for _, fo := range fieldOrder {
		v := fo.get(p)
		switch {
		case v == "" && rule.required&fo.f != 0:
			return nil, nil, &FieldError{fo.name, "is required for " + string(typ)}
		case v == "":
			continue
		case (rule.required|rule.optional)&fo.f == 0:
			return nil, nil, &FieldError{fo.name, "is not used by " + string(typ) + "; leave it out"}
		}
		var err error
		switch fo.f {
		case fOldStatus, fNewStatus:
			err = checkStatus(fo.name, v)
		case fReturnURL, fIncompleteURL, fPortalURL:
			err = checkURL(fo.name, v)
		default:
			err = checkID(fo.name, v)
			if err == nil && !test && IsTestID(v) {
				err = &FieldError{fo.name, "cannot start with " + TestIDPrefix + ": those ids are reserved for test events"}
			}
		}
		if err != nil {
			return nil, nil, err
		}
	}
	if test && !IsTestID(p.SystemID) {
		return nil, nil, &FieldError{"systemId", "must start with " + TestIDPrefix + " in a test event"}
	}

	personID := bodyPersonID(typ, p)
	prefix := base + "/customers/" + customerID + "/"
	mk := func(rel, title, collection, id string) Link {
		return Link{Rel: rel, Title: title, URL: prefix + collection + "/" + id}
	}
	switch typ {
	case EventTypeAssessment, EventTypeWorkFlowStatusChange:
		links = []Link{
			mk(RelApplicantWorkflow, TitleApplicantWorkflow, "applicantworkflows", p.SystemID),
			mk(RelJob, TitleJob, "jobs", p.JobID),
			mk(RelPerson, TitlePerson, "people", personID),
			mk(RelUser, TitleUser, "people", p.UserID),
		}
	case EventTypeOnboardPortalTask:
		links = []Link{
			mk(RelPerson, TitlePerson, "people", p.SystemID),
			mk(RelUser, TitleUser, "people", p.UserID),
		}
	case EventTypeJobPostToWeb, EventTypeViewJobWebPost, EventTypeJobUnpostToWeb:
		links = []Link{
			mk(RelJob, TitleJob, "jobs", p.SystemID),
			mk(RelUser, TitleUser, "people", p.UserID),
		}
	case EventTypeRemoteLogin:
		links = []Link{mk(RelUser, TitleUser, "people", p.UserID)}
	}

	values := map[string]string{
		"systemId": p.SystemID, "userId": p.UserID, "personId": personID, "jobId": p.JobID,
		"customerId": customerID, "eventType": string(typ),
		"oldStatus": p.OldStatus, "newStatus": p.NewStatus,
		"returnUrl": p.ReturnURL, "incompleteUrl": p.IncompleteURL, "portalUrl": p.PortalURL,
	}
	// Written by hand rather than with encoding/json: the key order must
	// follow the captures, Status Flow Update's links put "url" first (as
	// captured), and encoding/json would escape '&' in URLs as \u0026.
	b := make([]byte, 0, 256+len(links)*128)
	b = append(b, '{')
	for i, k := range rule.bodyKeys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		if k != "links" {
			b = appendJSONString(b, values[k])
			continue
		}
		b = append(b, '[')
		for j, l := range links {
			if j > 0 {
				b = append(b, ',')
			}
			if typ == EventTypeWorkFlowStatusChange {
				b = appendJSONFields(b, "url", l.URL, "rel", l.Rel, "title", l.Title)
			} else {
				b = appendJSONFields(b, "rel", l.Rel, "title", l.Title, "url", l.URL)
			}
		}
		b = append(b, ']')
	}
	b = append(b, '}')
	return b, links, nil
}

// bodyPersonID is the person an event of type typ built from p is about:
// its personId, which an Assessment defaults to its userId.
func bodyPersonID(typ EventType, p *EventParams) string {
	if typ == EventTypeAssessment && p.PersonID == "" {
		return p.UserID
	}
	return p.PersonID
}

// BodyIDs returns the systemId, personId and userId that the body
// BuildEvent makes from p holds, "" for a key its event type's body leaves
// out, without building it. p must be valid (BuildEvent accepted it).
func BodyIDs(p *EventParams) (systemID, personID, userID string) {
	typ := p.EventType.Canonical()
	for _, k := range eventRules[typ].bodyKeys {
		switch k {
		case "systemId":
			systemID = p.SystemID
		case "personId":
			personID = bodyPersonID(typ, p)
		case "userId":
			userID = p.UserID
		}
	}
	return systemID, personID, userID
}

func appendJSONFields(b []byte, kv ...string) []byte {
	b = append(b, '{')
	for i := 0; i < len(kv); i += 2 {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, kv[i])
		b = append(b, ':')
		b = appendJSONString(b, kv[i+1])
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string. Input is valid UTF-8 (the
// checks above ensure it); only '"', '\\' and control characters need escapes.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// ValidID reports whether s can be an id in the contract: 1 to MaxIDLength
// letters, digits, '-', '_' or '.', so it needs no escaping in a URL path.
func ValidID(s string) bool {
	if s == "" || len(s) > MaxIDLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	// "." and ".." would change the meaning of the link's path.
	return s != "." && s != ".."
}

func checkID(name, v string) error {
	switch {
	case v == "":
		return &FieldError{name, "is required"}
	case len(v) > MaxIDLength:
		return &FieldError{name, "cannot be longer than 64 characters"}
	case !ValidID(v):
		return &FieldError{name, "may contain only letters, digits, '-', '_' and '.'"}
	}
	return nil
}

func checkStatus(name, v string) error {
	switch {
	case len(v) > MaxStatusLength:
		return &FieldError{name, "cannot be longer than 64 characters"}
	case !utf8.ValidString(v) || strings.IndexFunc(v, isControl) >= 0:
		return &FieldError{name, "must be printable text"}
	}
	return nil
}

func checkURL(name, v string) error {
	if len(v) > MaxURLLength {
		return &FieldError{name, "cannot be longer than 2048 characters"}
	}
	if !utf8.ValidString(v) || strings.ContainsFunc(v, func(r rune) bool { return isControl(r) || r == ' ' }) {
		return &FieldError{name, "must be an absolute http or https URL without spaces"}
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &FieldError{name, "must be an absolute http or https URL"}
	}
	return nil
}

func checkPublicURL(v string) (string, error) {
	if err := checkURL("publicUrl", v); err != nil {
		return "", err
	}
	u, _ := url.Parse(v)
	if u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(v, ",; ") {
		// Each would break the links in bodies or the Link header.
		return "", &FieldError{"publicUrl", "must be a base URL without query, fragment, ',', ';' or spaces"}
	}
	return strings.TrimRight(v, "/"), nil
}

// CheckPublicURL reports whether v can be the base of the links Herald
// builds into event bodies and Link headers (and of the pages they lead
// to): an absolute http or https URL without query, fragment, ',', ';' or
// spaces. It is the one rule: every server's Config checks its PublicURL
// with it, and BuildEvent refuses what it refuses. It returns nil or the
// problem (a *FieldError, so callers word it for their own field).
func CheckPublicURL(v string) *FieldError {
	if _, err := checkPublicURL(v); err != nil {
		return err.(*FieldError) // checkPublicURL's only error
	}
	return nil
}
