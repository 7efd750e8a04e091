package platform

import (
	"log/slog"
	"net/http"

	"github.com/heraldhq/herald"
)

// Messages shown when no partner said anything the person can act on.
const (
	msgTimedOut  = "The partner did not answer in time. Please try again in a moment."
	msgNotTried  = "The partner could not be reached just now. We will keep trying; please try again later."
	msgNoPartner = "" // no endpoint wants the event: nothing to tell the person
)

// replyAction delivers an action's event at once when a person waits for it
// (interactive), and writes the ActionResponse. The action has committed
// before this runs, so whatever happens here, the change and its event
// stand and the dispatcher sends what was not delivered.
func (s *Server) replyAction(w http.ResponseWriter, r *http.Request, status int, res *herald.ActionResult,
	interactive bool, url string, id string, resource any,
) error {
	out := &ActionResponse{
		ID: id, URL: url, EventID: res.Event.ID, EventType: string(res.Event.Type),
		Deliveries: make([]DeliveryOutcome, 0, len(res.Deliveries)), Resource: resource,
	}
	ids := make([]string, 0, len(res.Deliveries))
	byID := map[string]int{}
	for i, d := range res.Deliveries {
		out.Deliveries = append(out.Deliveries, DeliveryOutcome{ID: d.ID, EndpointID: d.EndpointID, State: string(d.State)})
		ids = append(ids, d.ID)
		byID[d.ID] = i
	}
	if interactive && s.cfg.Deliverer != nil && len(ids) > 0 {
		outcomes, err := s.cfg.Deliverer.DeliverNow(r.Context(), ids, s.cfg.InteractiveDeadline)
		if err != nil {
			// The deliveries are queued; the dispatcher retries them.
			s.cfg.Logger.WarnContext(r.Context(), "interactive delivery", slog.String("event_id", res.Event.ID), slog.Any("error", err))
			out.Message = msgNotTried
		}
		timedOut := false
		for _, o := range outcomes {
			i, ok := byID[o.DeliveryID]
			if !ok {
				continue
			}
			out.Deliveries[i] = DeliveryOutcome{ID: o.DeliveryID, EndpointID: o.EndpointID, State: string(o.State),
				StatusCode: o.StatusCode, Location: o.Location, UserMessage: herald.ReplaceFieldPlaceholders(o.UserMessage),
				TimedOut: o.TimedOut}
			timedOut = timedOut || o.TimedOut
		}
		out.RedirectURL, out.Message = nextStep(out.Deliveries, timedOut, out.Message)
	}
	if len(ids) > 0 {
		s.cfg.WakeFunc()
	}
	if status == http.StatusCreated {
		w.Header().Set("Location", url)
	}
	return writeJSON(w, status, out)
}

// nextStep picks what the waiting person sees: the first partner link (a
// 303's Location), else the first partner message, else a plain message
// when a partner did not answer in time.
func nextStep(ds []DeliveryOutcome, timedOut bool, fallback string) (redirect, message string) {
	for _, d := range ds {
		if d.Location != "" && d.State == string(herald.DeliveryStateDelivered) {
			return d.Location, ""
		}
	}
	for _, d := range ds {
		if d.UserMessage != "" {
			return "", d.UserMessage
		}
	}
	if timedOut && fallback == msgNoPartner {
		return "", msgTimedOut
	}
	return "", fallback
}

// handleApplicationComplete serves POST /customers/{customerId}/applicantworkflows:
// a candidate finished the application. 201 with the workflow's Location;
// delivered at once (AssessmentEvent), the reply says where to send the
// candidate.
func (s *Server) handleApplicationComplete(w http.ResponseWriter, r *http.Request) error {
	var in applicationInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := required("personid", in.PersonID, "jobid", in.JobID); err != nil {
		return err
	}
	cid := r.PathValue("customerId")
	res, err := s.cfg.Store.ApplicationComplete(r.Context(), &herald.ApplicationCompleteParams{
		CustomerID: cid, PersonID: in.PersonID, JobID: in.JobID, PublicURL: s.cfg.PublicURL, LinkKey: s.assessmentKey})
	if err != nil {
		return err
	}
	wf := res.ApplicantWorkflow
	return s.replyAction(w, r, http.StatusCreated, res, true,
		s.resourceURL(cid, "applicantworkflows", wf.ID), wf.ID, toApplicantWorkflowJSON(wf))
}

// handleWorkflowStatusChange serves PATCH /customers/{customerId}/applicantworkflows/{id}:
// a recruiter moves the workflow to a status. Delivered at once only when
// the body says "wait": true.
func (s *Server) handleWorkflowStatusChange(w http.ResponseWriter, r *http.Request) error {
	var in statusChangeInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := required("status", string(in.Status), "userid", in.UserID); err != nil {
		return err
	}
	cid, id := r.PathValue("customerId"), r.PathValue("id")
	res, err := s.cfg.Store.WorkflowStatusChange(r.Context(), &herald.WorkflowStatusChangeParams{
		CustomerID: cid, WorkflowID: id, NewStatus: string(in.Status), UserID: in.UserID, PublicURL: s.cfg.PublicURL})
	if err != nil {
		return err
	}
	return s.replyAction(w, r, http.StatusOK, res, in.Wait,
		s.resourceURL(cid, "applicantworkflows", id), id, toApplicantWorkflowJSON(res.ApplicantWorkflow))
}

// jobAction serves the three job actions: POST .../jobs/{id}/post, /edit
// and /unpost.
func (s *Server) jobAction(w http.ResponseWriter, r *http.Request, edit bool,
	act func(*herald.JobActionParams) (*herald.ActionResult, error),
) error {
	var in jobEditInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := required("userid", in.UserID); err != nil {
		return err
	}
	cid, id := r.PathValue("customerId"), r.PathValue("id")
	p := &herald.JobActionParams{CustomerID: cid, JobID: id, UserID: in.UserID, PublicURL: s.cfg.PublicURL}
	if in.PortalID != nil {
		return herald.Errorf(herald.EINVALID, "portalid is changed with PATCH jobs/{id} while the job is not posted")
	}
	changes := &herald.JobChanges{JobTitle: in.JobTitle, JobLocation: in.JobLocation, JobDescription: in.JobDescription,
		AssessmentType: in.AssessmentType, BGCPackageType: in.BGCPackageType}
	if *changes != (herald.JobChanges{}) {
		if !edit {
			return herald.Errorf(herald.EINVALID, "only userid is accepted here; edit a posted job with POST jobs/{id}/edit")
		}
		p.Changes = changes
	}
	res, err := act(p)
	if err != nil {
		return err
	}
	out, err := s.jobJSONOf(r, res.Job)
	if err != nil {
		return err
	}
	interactive := res.Event.Type.Interactive()
	return s.replyAction(w, r, http.StatusOK, res, interactive, s.resourceURL(cid, "jobs", id), id, out)
}

// handleJobPost serves POST /customers/{customerId}/jobs/{id}/post (JobPostToWebEvent).
func (s *Server) handleJobPost(w http.ResponseWriter, r *http.Request) error {
	return s.jobAction(w, r, false, func(p *herald.JobActionParams) (*herald.ActionResult, error) {
		return s.cfg.Store.JobPost(r.Context(), p)
	})
}

// handleJobEdit serves POST /customers/{customerId}/jobs/{id}/edit (ViewJobWebPostEvent).
func (s *Server) handleJobEdit(w http.ResponseWriter, r *http.Request) error {
	return s.jobAction(w, r, true, func(p *herald.JobActionParams) (*herald.ActionResult, error) {
		return s.cfg.Store.JobEdit(r.Context(), p)
	})
}

// handleJobUnpost serves POST /customers/{customerId}/jobs/{id}/unpost
// (JobUnpostToWebEvent; nobody waits for it).
func (s *Server) handleJobUnpost(w http.ResponseWriter, r *http.Request) error {
	return s.jobAction(w, r, false, func(p *herald.JobActionParams) (*herald.ActionResult, error) {
		return s.cfg.Store.JobUnpost(r.Context(), p)
	})
}

// handleOnboardTaskStart serves POST
// /customers/{customerId}/onboardworkflows/{id}/tasks/{taskId}/start: a new
// hire begins a task; the reply says where to send them.
func (s *Server) handleOnboardTaskStart(w http.ResponseWriter, r *http.Request) error {
	cid, id := r.PathValue("customerId"), r.PathValue("id")
	res, err := s.cfg.Store.OnboardTaskStart(r.Context(), &herald.OnboardTaskStartParams{
		CustomerID: cid, WorkflowID: id, TaskID: r.PathValue("taskId"), PublicURL: s.cfg.PublicURL})
	if err != nil {
		return err
	}
	return s.replyAction(w, r, http.StatusOK, res, true,
		s.resourceURL(cid, "onboardworkflows", id), id, toOnboardWorkflowJSON(res.OnboardWorkflow))
}

// handleRemoteLogin serves POST /customers/{customerId}/people/{id}/remotelogin:
// a platform user opened a partner's integration link; the reply says
// where to send them.
func (s *Server) handleRemoteLogin(w http.ResponseWriter, r *http.Request) error {
	var in remoteLoginInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	cid, id := r.PathValue("customerId"), r.PathValue("id")
	if in.ReturnURL == "" {
		// Back to where the user came from: the platform's record of them.
		in.ReturnURL = s.resourceURL(cid, "people", id)
	}
	res, err := s.cfg.Store.RemoteLogin(r.Context(), &herald.RemoteLoginParams{
		CustomerID: cid, UserID: id, ReturnURL: in.ReturnURL, PublicURL: s.cfg.PublicURL})
	if err != nil {
		return err
	}
	return s.replyAction(w, r, http.StatusOK, res, true, s.resourceURL(cid, "people", id), id, toPersonJSON(res.Person))
}

// required returns EINVALID naming the first empty field of name, value pairs.
func required(kv ...string) error {
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == "" {
			return herald.Errorf(herald.EINVALID, "%s is required", kv[i])
		}
	}
	return nil
}
