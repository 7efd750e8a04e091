package platform

import (
	"context"
	"fmt"
	"strings"

	"github.com/heraldhq/herald"
)

// DemoStore is what LoadDemo writes to: the platform's records and the
// customer they belong to.
type DemoStore interface {
	herald.PlatformStore
	CustomerCreate(ctx context.Context, c *herald.Customer) error
}

// DemoResult names what LoadDemo made, so a tour can fire every event type.
type DemoResult struct {
	CustomerID string
	Portal     *herald.CareerPortal
	Recruiter  *herald.Person
	// Posted is a posted job with applicants; Draft is not posted yet
	// (post it to fire JobPostToWebEvent, then edit and unpost it).
	Posted, Draft *herald.Job
	// Candidate has not applied yet: apply for Posted to fire
	// AssessmentEvent.
	Candidate *herald.Person
	// Applicants are at several statuses; move one to fire
	// WorkFlowStatusChangeEvent.
	Applicants []*herald.ApplicantWorkflow
	NewHire    *herald.Person
	Onboard    *herald.OnboardWorkflow
}

// LoadDemo creates a realistic demo customer (a career portal, a recruiter,
// a posted job with candidates at several statuses, a job not posted yet, a
// candidate ready to apply, and a new hire with onboarding tasks), so a new
// user can fire every event type within minutes (DemoResult.Tour). It
// creates the customer, and fails with ECONFLICT if it exists. The actions
// it takes to get there (posting the job, the applications, the status
// moves) publish their events like any other; an endpoint added afterwards
// receives only the events that follow.
func LoadDemo(ctx context.Context, store DemoStore, customerID, publicURL string) (*DemoResult, error) {
	if err := store.CustomerCreate(ctx, &herald.Customer{ID: customerID, Name: "Demo Talent Co"}); err != nil {
		return nil, fmt.Errorf("demo customer: %w", err)
	}
	d := &DemoResult{CustomerID: customerID}
	// The portal lives in Herald's own web UI, so the returnUrl and
	// incompleteUrl in events lead back to real pages (web/ serves them).
	d.Portal = &herald.CareerPortal{CustomerID: customerID, Name: "Demo Careers", URL: strings.TrimRight(publicURL, "/") + "/portal/" + customerID}
	if err := store.CareerPortalCreate(ctx, d.Portal); err != nil {
		return nil, fmt.Errorf("demo portal: %w", err)
	}
	person := func(typ herald.PersonType, first, last string) (*herald.Person, error) {
		p := &herald.Person{CustomerID: customerID, Type: typ, FirstName: first, LastName: last,
			Email:     fmt.Sprintf("%s.%s@example.com", first, last),
			Phones:    []herald.Phone{{Type: "Mobile", Number: "+1 732 555 0100"}},
			Addresses: []herald.Address{{Type: "Home", Street1: "101 Crawfords Corner Rd", City: "Holmdel", State: "NJ", Zip: "07733", Country: "US"}}}
		if err := store.PersonCreate(ctx, p); err != nil {
			return nil, fmt.Errorf("demo person %s %s: %w", first, last, err)
		}
		return p, nil
	}
	var err error
	if d.Recruiter, err = person(herald.PersonTypeUser, "Rita", "Recruiter"); err != nil {
		return nil, err
	}
	job := func(title, location, description, assessment, bgc string) (*herald.Job, error) {
		j := &herald.Job{CustomerID: customerID, JobTitle: title, JobLocation: location, JobDescription: description,
			AssessmentType: assessment, BGCPackageType: bgc, PortalID: d.Portal.ID}
		if err := store.JobCreate(ctx, j); err != nil {
			return nil, fmt.Errorf("demo job: %w", err)
		}
		return j, nil
	}
	if d.Posted, err = job("Front Line Associate", "Holmdel, NJ",
		"Welcome customers at the front desk, answer the phone and keep the store running smoothly.\n\n"+
			"Day and evening shifts, some weekends. No experience needed: we train you.", "Cognitive Ability", "Standard Criminal"); err != nil {
		return nil, err
	}
	if d.Draft, err = job("Warehouse Shift Lead", "Newark, NJ", "", "Situational Judgement", "Criminal + MVR"); err != nil {
		return nil, err
	}
	res, err := store.JobPost(ctx, &herald.JobActionParams{CustomerID: customerID, JobID: d.Posted.ID, UserID: d.Recruiter.ID, PublicURL: publicURL})
	if err != nil {
		return nil, fmt.Errorf("demo post job: %w", err)
	}
	d.Posted = res.Job

	// Applicants at several statuses.
	for _, a := range []struct{ first, last, status string }{
		{"Ava", "Applied", ""}, {"Sam", "Screened", "D10102"}, {"Ivy", "Interview", "D10103"}, {"Olly", "Offer", "D10105"},
	} {
		p, err := person(herald.PersonTypeCandidate, a.first, a.last)
		if err != nil {
			return nil, err
		}
		res, err := store.ApplicationComplete(ctx, &herald.ApplicationCompleteParams{CustomerID: customerID, PersonID: p.ID, JobID: d.Posted.ID, PublicURL: publicURL})
		if err != nil {
			return nil, fmt.Errorf("demo application: %w", err)
		}
		w := res.ApplicantWorkflow
		if a.status != "" {
			res, err := store.WorkflowStatusChange(ctx, &herald.WorkflowStatusChangeParams{CustomerID: customerID,
				WorkflowID: w.ID, NewStatus: a.status, UserID: d.Recruiter.ID, PublicURL: publicURL})
			if err != nil {
				return nil, fmt.Errorf("demo status change: %w", err)
			}
			w = res.ApplicantWorkflow
		}
		d.Applicants = append(d.Applicants, w)
	}
	if d.Candidate, err = person(herald.PersonTypeCandidate, "Carl", "Candidate"); err != nil {
		return nil, err
	}
	if d.NewHire, err = person(herald.PersonTypeNewHire, "Nina", "Newhire"); err != nil {
		return nil, err
	}
	d.Onboard = &herald.OnboardWorkflow{CustomerID: customerID, PersonID: d.NewHire.ID, JobID: d.Posted.ID, PortalID: d.Portal.ID,
		Tasks: []*herald.OnboardTask{{Name: "E-Verify", Type: "everify"}, {Name: "Form I-9", Type: "i9"}}}
	if err := store.OnboardWorkflowCreate(ctx, d.Onboard); err != nil {
		return nil, fmt.Errorf("demo onboarding: %w", err)
	}
	return d, nil
}

// Tour returns one curl command per event type, in an order that works
// (post the draft job before editing and unposting it), against the
// platform at publicURL with the admin token in $HERALD_ADMIN_TOKEN.
func (d *DemoResult) Tour(publicURL string) []string {
	c := publicURL + "/customers/" + d.CustomerID
	cmd := func(method, path, body string) string {
		s := `curl -s -X ` + method + ` -H "Authorization: Bearer $HERALD_ADMIN_TOKEN" -H 'Content-Type: application/json' ` + c + path
		if body != "" {
			s += ` -d '` + body + `'`
		}
		return s
	}
	rec := `{"userid":"` + d.Recruiter.ID + `"}`
	return []string{
		"# Application Complete (AssessmentEvent)",
		cmd("POST", "/applicantworkflows", `{"personid":"`+d.Candidate.ID+`","jobid":"`+d.Posted.ID+`"}`),
		"# Status Flow Update (WorkFlowStatusChangeEvent): move to Background Check",
		cmd("PATCH", "/applicantworkflows/"+d.Applicants[2].ID, `{"status":"D10104","userid":"`+d.Recruiter.ID+`"}`),
		"# Job Posting, Job Edit, Job Unposting",
		cmd("POST", "/jobs/"+d.Draft.ID+"/post", rec),
		cmd("POST", "/jobs/"+d.Draft.ID+"/edit", `{"userid":"`+d.Recruiter.ID+`","jobtitle":"Warehouse Night Shift Lead"}`),
		cmd("POST", "/jobs/"+d.Draft.ID+"/unpost", rec),
		"# Onboard Portal Task (OnboardPortalTaskEvent)",
		cmd("POST", "/onboardworkflows/"+d.Onboard.ID+"/tasks/"+d.Onboard.Tasks[0].ID+"/start", ""),
		"# Remote Login (RemoteLoginEvent)",
		cmd("POST", "/people/"+d.Recruiter.ID+"/remotelogin", `{"returnurl":"https://customer.example.com"}`),
	}
}
