package platform

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/heraldhq/herald"
)

// The resources' JSON, in iCIMS's lowercase field names. Dates are RFC 3339
// in UTC.

// listValue is a value picked from a list, written {"value":"Mobile"} as
// iCIMS writes list fields. It also reads a plain string, as partners send
// both.
type listValue string

// MarshalJSON implements json.Marshaler.
func (v listValue) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Value string `json:"value"`
	}{string(v)})
}

// UnmarshalJSON implements json.Unmarshaler.
func (v *listValue) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*v = listValue(s)
		return nil
	}
	var o struct {
		ID    string `json:"id"`
		Value string `json:"value"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return herald.Errorf(herald.EINVALID, "a list value must be a string or {\"value\":\"...\"}")
	}
	*v = listValue(o.Value)
	if o.Value == "" {
		*v = listValue(o.ID)
	}
	return nil
}

type phoneJSON struct {
	PhoneType   listValue `json:"phonetype"`
	PhoneNumber string    `json:"phonenumber"`
}

type addressJSON struct {
	AddressType    listValue `json:"addresstype"`
	AddressStreet1 string    `json:"addressstreet1,omitempty"`
	AddressStreet2 string    `json:"addressstreet2,omitempty"`
	AddressCity    string    `json:"addresscity,omitempty"`
	AddressState   string    `json:"addressstate,omitempty"`
	AddressZip     string    `json:"addresszip,omitempty"`
	AddressCountry string    `json:"addresscountry,omitempty"`
}

// personJSON is a person as GET people/{id} shows it.
type personJSON struct {
	ID          string        `json:"id"`
	PersonType  string        `json:"persontype"`
	FirstName   string        `json:"firstname"`
	LastName    string        `json:"lastname"`
	Email       string        `json:"email"`
	Phones      []phoneJSON   `json:"phones"`
	Addresses   []addressJSON `json:"addresses"`
	CreatedDate time.Time     `json:"createddate"`
	UpdatedDate time.Time     `json:"updateddate"`
}

func toPersonJSON(p *herald.Person) *personJSON {
	out := &personJSON{ID: p.ID, PersonType: string(p.Type), FirstName: p.FirstName, LastName: p.LastName,
		Email: p.Email, Phones: []phoneJSON{}, Addresses: []addressJSON{}, CreatedDate: p.CreatedAt, UpdatedDate: p.UpdatedAt}
	for _, ph := range p.Phones {
		out.Phones = append(out.Phones, phoneJSON{PhoneType: listValue(ph.Type), PhoneNumber: ph.Number})
	}
	for _, a := range p.Addresses {
		out.Addresses = append(out.Addresses, addressJSON{AddressType: listValue(a.Type), AddressStreet1: a.Street1,
			AddressStreet2: a.Street2, AddressCity: a.City, AddressState: a.State, AddressZip: a.Zip, AddressCountry: a.Country})
	}
	return out
}

// personInput is the body of POST people and PATCH people/{id}; a field
// left out keeps its value on PATCH.
type personInput struct {
	PersonType *string        `json:"persontype"`
	FirstName  *string        `json:"firstname"`
	LastName   *string        `json:"lastname"`
	Email      *string        `json:"email"`
	Phones     *[]phoneJSON   `json:"phones"`
	Addresses  *[]addressJSON `json:"addresses"`
}

func (in *personInput) apply(p *herald.Person) {
	set(&p.FirstName, in.FirstName)
	set(&p.LastName, in.LastName)
	set(&p.Email, in.Email)
	if in.Phones != nil {
		p.Phones = nil
		for _, ph := range *in.Phones {
			p.Phones = append(p.Phones, herald.Phone{Type: string(ph.PhoneType), Number: ph.PhoneNumber})
		}
	}
	if in.Addresses != nil {
		p.Addresses = nil
		for _, a := range *in.Addresses {
			p.Addresses = append(p.Addresses, herald.Address{Type: string(a.AddressType), Street1: a.AddressStreet1,
				Street2: a.AddressStreet2, City: a.AddressCity, State: a.AddressState, Zip: a.AddressZip, Country: a.AddressCountry})
		}
	}
}

func set(dst *string, v *string) {
	if v != nil {
		*dst = *v
	}
}

type portalJSON struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	URL         string    `json:"url"`
	CreatedDate time.Time `json:"createddate"`
}

type portalInput struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

type jobBoardPostJSON struct {
	JobDistributor listValueID  `json:"jobdistributor"`
	JobBoard       jobBoardJSON `json:"jobboard"`
	Status         string       `json:"status"`
	StartDate      string       `json:"startdate,omitempty"`
	EndDate        string       `json:"enddate,omitempty"`
	UpdatedDate    time.Time    `json:"updateddate"`
}

type listValueID struct {
	ID string `json:"id"`
}

type jobBoardJSON struct {
	Value      string `json:"value"`
	ExternalID string `json:"externalid,omitempty"`
}

// jobJSON is a job as GET jobs/{id} shows it.
type jobJSON struct {
	ID             string             `json:"id"`
	JobTitle       string             `json:"jobtitle"`
	JobLocation    string             `json:"joblocation"`
	JobDescription string             `json:"jobdescription"`
	AssessmentType string             `json:"assessmenttype"`
	BGCPackageType string             `json:"bgcpackagetype"`
	PortalID       string             `json:"portalid"`
	PostingState   string             `json:"postingstate"`
	PortalURL      string             `json:"portalurl"`
	JobBoardPosts  []jobBoardPostJSON `json:"jobboardposts"`
	CreatedDate    time.Time          `json:"createddate"`
	UpdatedDate    time.Time          `json:"updateddate"`
}

func toJobJSON(j *herald.Job, posts []*herald.JobBoardPost) *jobJSON {
	out := &jobJSON{ID: j.ID, JobTitle: j.JobTitle, JobLocation: j.JobLocation, JobDescription: j.JobDescription, AssessmentType: j.AssessmentType,
		BGCPackageType: j.BGCPackageType, PortalID: j.PortalID, PostingState: string(j.PostingState),
		PortalURL: j.PortalURL, JobBoardPosts: []jobBoardPostJSON{}, CreatedDate: j.CreatedAt, UpdatedDate: j.UpdatedAt}
	for _, p := range posts {
		out.JobBoardPosts = append(out.JobBoardPosts, jobBoardPostJSON{JobDistributor: listValueID{p.DistributorID},
			JobBoard: jobBoardJSON{Value: p.JobBoard, ExternalID: p.ExternalID}, Status: string(p.Status),
			StartDate: p.StartDate, EndDate: p.EndDate, UpdatedDate: p.UpdatedAt})
	}
	return out
}

// jobInput is the body of POST jobs and PATCH jobs/{id}, and the changes
// of POST jobs/{id}/edit.
type jobInput struct {
	JobTitle       *string `json:"jobtitle"`
	JobLocation    *string `json:"joblocation"`
	JobDescription *string `json:"jobdescription"`
	AssessmentType *string `json:"assessmenttype"`
	BGCPackageType *string `json:"bgcpackagetype"`
	PortalID       *string `json:"portalid"`
}

func (in *jobInput) apply(j *herald.Job) {
	set(&j.JobTitle, in.JobTitle)
	set(&j.JobLocation, in.JobLocation)
	set(&j.JobDescription, in.JobDescription)
	set(&j.AssessmentType, in.AssessmentType)
	set(&j.BGCPackageType, in.BGCPackageType)
	set(&j.PortalID, in.PortalID)
}

type statusJSON struct {
	ID    string `json:"id"`
	Value string `json:"value"`
}

type statusChangeJSON struct {
	OldStatus string    `json:"oldstatus"`
	NewStatus string    `json:"newstatus"`
	UserID    string    `json:"userid"`
	Date      time.Time `json:"date"`
}

// assessmentResultJSON is one row of assessmentresults, as partners write
// it (spec section 8).
type assessmentResultJSON struct {
	ID               string    `json:"id"`
	AssessmentName   listValue `json:"assessmentname"`
	AssessmentScore  *float64  `json:"assessmentscore,omitempty"`
	AssessmentResult string    `json:"assessmentresult"`
	AssessmentStatus listValue `json:"assessmentstatus"`
	AssessmentDate   string    `json:"assessmentdate"`
	AssessmentURL    string    `json:"assessmenturl"`
	CreatedDate      time.Time `json:"createddate"`
	UpdatedDate      time.Time `json:"updateddate"`
}

func toAssessmentResultJSON(a *herald.AssessmentResult) *assessmentResultJSON {
	return &assessmentResultJSON{ID: a.ID, AssessmentName: listValue(a.Name), AssessmentScore: a.Score,
		AssessmentResult: a.Result, AssessmentStatus: listValue(a.Status), AssessmentDate: a.Date,
		AssessmentURL: a.URL, CreatedDate: a.CreatedAt, UpdatedDate: a.UpdatedAt}
}

// assessmentResultInput is the body of POST and PATCH assessmentresults;
// a field left out keeps its value on PATCH.
type assessmentResultInput struct {
	AssessmentName   *listValue `json:"assessmentname"`
	AssessmentScore  *float64   `json:"assessmentscore"`
	AssessmentResult *string    `json:"assessmentresult"`
	AssessmentStatus *listValue `json:"assessmentstatus"`
	AssessmentDate   *string    `json:"assessmentdate"`
	AssessmentURL    *string    `json:"assessmenturl"`
}

func (in *assessmentResultInput) apply(a *herald.AssessmentResult) {
	if in.AssessmentName != nil {
		a.Name = string(*in.AssessmentName)
	}
	if in.AssessmentScore != nil {
		a.Score = in.AssessmentScore
	}
	set(&a.Result, in.AssessmentResult)
	if in.AssessmentStatus != nil {
		a.Status = string(*in.AssessmentStatus)
	}
	set(&a.Date, in.AssessmentDate)
	set(&a.URL, in.AssessmentURL)
}

// applicantWorkflowJSON is a workflow as GET applicantworkflows/{id} shows it.
type applicantWorkflowJSON struct {
	ID                string                  `json:"id"`
	PersonID          string                  `json:"personid"`
	JobID             string                  `json:"jobid"`
	Status            statusJSON              `json:"status"`
	StatusHistory     []statusChangeJSON      `json:"statushistory"`
	AssessmentResults []*assessmentResultJSON `json:"assessmentresults"`
	CreatedDate       time.Time               `json:"createddate"`
	UpdatedDate       time.Time               `json:"updateddate"`
}

func toApplicantWorkflowJSON(w *herald.ApplicantWorkflow) *applicantWorkflowJSON {
	out := &applicantWorkflowJSON{ID: w.ID, PersonID: w.PersonID, JobID: w.JobID,
		Status:        statusJSON{ID: w.Status, Value: herald.WorkflowStatusLabel(w.Status)},
		StatusHistory: []statusChangeJSON{}, AssessmentResults: []*assessmentResultJSON{},
		CreatedDate: w.CreatedAt, UpdatedDate: w.UpdatedAt}
	for _, c := range w.StatusHistory {
		out.StatusHistory = append(out.StatusHistory, statusChangeJSON{OldStatus: c.OldStatus, NewStatus: c.NewStatus, UserID: c.UserID, Date: c.At})
	}
	for _, a := range w.AssessmentResults {
		out.AssessmentResults = append(out.AssessmentResults, toAssessmentResultJSON(a))
	}
	return out
}

type onboardTaskJSON struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Type        string     `json:"type"`
	Status      string     `json:"status"`
	StartedDate *time.Time `json:"starteddate,omitempty"`
}

// onboardWorkflowJSON is a workflow as GET onboardworkflows/{id} shows it.
type onboardWorkflowJSON struct {
	ID          string            `json:"id"`
	PersonID    string            `json:"personid"`
	JobID       string            `json:"jobid"`
	PortalID    string            `json:"portalid"`
	Tasks       []onboardTaskJSON `json:"tasks"`
	CreatedDate time.Time         `json:"createddate"`
	UpdatedDate time.Time         `json:"updateddate"`
}

func toOnboardWorkflowJSON(w *herald.OnboardWorkflow) *onboardWorkflowJSON {
	out := &onboardWorkflowJSON{ID: w.ID, PersonID: w.PersonID, JobID: w.JobID, PortalID: w.PortalID,
		Tasks: []onboardTaskJSON{}, CreatedDate: w.CreatedAt, UpdatedDate: w.UpdatedAt}
	for _, t := range w.Tasks {
		tj := onboardTaskJSON{ID: t.ID, Name: t.Name, Type: t.Type, Status: string(t.Status)}
		if !t.StartedAt.IsZero() {
			at := t.StartedAt
			tj.StartedDate = &at
		}
		out.Tasks = append(out.Tasks, tj)
	}
	return out
}

type onboardWorkflowInput struct {
	PersonID string `json:"personid"`
	JobID    string `json:"jobid"`
	PortalID string `json:"portalid"`
	Tasks    []struct {
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"tasks"`
}

// jobBoardPostsInput is the body of PATCH jobboardposts (spec section 8).
type jobBoardPostsInput struct {
	JobID          string      `json:"jobid"`
	JobDistributor listValueID `json:"jobdistributor"`
	JobBoards      []struct {
		JobBoard  jobBoardJSON `json:"jobboard"`
		Status    string       `json:"status"`
		StartDate string       `json:"startdate"`
		EndDate   string       `json:"enddate"`
	} `json:"jobboards"`
}

// Bodies of the actions. userid is the acting platform user.
type (
	applicationInput struct {
		PersonID string `json:"personid"`
		JobID    string `json:"jobid"`
	}
	statusChangeInput struct {
		Status listValue `json:"status"`
		UserID string    `json:"userid"`
		// Wait asks for the partners' replies while the recruiter waits
		// (Status Flow Update is not interactive unless asked).
		Wait bool `json:"wait"`
	}
	jobEditInput struct {
		UserID string `json:"userid"`
		jobInput
	}
	remoteLoginInput struct {
		ReturnURL string `json:"returnurl"`
	}
)

// ActionResponse is the reply to an action: the record it changed, the
// event it published with its deliveries, and, when the action was
// delivered while the person waited, what to do next: follow RedirectURL
// (a partner's 303), or show Message (the partner's userMessage with field
// labels, or a plain message when no partner answered in time).
type ActionResponse struct {
	ID          string            `json:"id"`
	URL         string            `json:"url"`
	EventID     string            `json:"eventId"`
	EventType   string            `json:"eventType"`
	Deliveries  []DeliveryOutcome `json:"deliveries"`
	RedirectURL string            `json:"redirectUrl,omitempty"`
	Message     string            `json:"message,omitempty"`
	Resource    any               `json:"resource"`
}

// DeliveryOutcome is one delivery of an action's event and, if it was
// attempted while the person waited, how it went.
type DeliveryOutcome struct {
	ID          string `json:"id"`
	EndpointID  string `json:"endpointId"`
	State       string `json:"state"`
	StatusCode  int    `json:"statusCode,omitempty"`
	Location    string `json:"location,omitempty"`
	UserMessage string `json:"userMessage,omitempty"`
	TimedOut    bool   `json:"timedOut,omitempty"`
}

// partnerJSON is a partner credential as the management endpoints show it.
// ClientSecret is the secret itself only in the reply that created it;
// afterwards it is masked.
type partnerJSON struct {
	ID           string    `json:"id"`
	CustomerID   string    `json:"customerId"`
	Name         string    `json:"name"`
	ClientID     string    `json:"clientId"`
	ClientSecret string    `json:"clientSecret"`
	CreatedAt    time.Time `json:"createdAt"`
}

type partnerInput struct {
	Name string `json:"name"`
}
