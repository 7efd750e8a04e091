package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/throttle"
)

// Messages shown when no partner said anything the person can act on.
const (
	msgTimedOut = "The partner did not answer in time. Please try again in a moment."
	msgQueued   = "The partner could not be reached just now. We will keep trying; please check back later."
)

// Defaults of the portal's submission limit (Config.PortalSubmissionsPerAddress).
const (
	// DefaultPortalSubmissionsPerAddress is how many portal forms one
	// client address may send in a row.
	DefaultPortalSubmissionsPerAddress = 10
	// DefaultPortalWindow is how long they take to refill: one more a
	// minute after a burst of 10.
	DefaultPortalWindow = 10 * time.Minute
)

// limitPortal wraps the portal's anonymous forms: each takes a token of
// the client address's bucket (bounded memory, see internal/throttle), so
// nobody can create candidates or start deliveries without bound. A
// refusal is a 429 page with Retry-After.
func (s *Server) limitPortal(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		now := s.now()
		if wait, ok := s.portalLimit.Take(throttle.ClientAddr(r), now); !ok {
			s.cfg.Logger.InfoContext(r.Context(), "portal submission throttled", slog.String("path", r.URL.Path))
			setRetryAfter(w, wait)
			s.render(w, r, http.StatusTooManyRequests, "error", "Error", map[string]any{"Status": http.StatusTooManyRequests,
				"StatusText": http.StatusText(http.StatusTooManyRequests),
				"Message":    "We received many forms from your network in a short time. Please try again in " + humanWait(wait) + "."})
			return nil
		}
		return h(w, r)
	}
}

// portalBase is the URL a customer's career portal must have for Herald to
// serve it: <PublicURL>/portal/<customer>. The returnUrl and incompleteUrl
// of events (herald.AssessmentReturnURL, herald.OnboardTaskURLs) are built
// from the portal's URL, so they lead back to these pages only then.
func (s *Server) portalBase(customerID string) string {
	return s.cfg.PublicURL + "/portal/" + url.PathEscape(customerID)
}

// requirePlatform returns ENOTFOUND when the server has no PlatformStore.
func (s *Server) requirePlatform() error {
	if s.cfg.Platform == nil {
		return herald.Errorf(herald.ENOTFOUND, "page not found")
	}
	return nil
}

// nextStep picks what the waiting person sees: the first partner link (a
// 303's Location, if it is an http(s) URL), else the first partner message,
// else a plain message when a partner did not answer in time or nothing
// could be attempted.
func nextStep(outcomes []*herald.DeliveryOutcome, queued bool) (location, message string) {
	for _, o := range outcomes {
		if o.State == herald.DeliveryStateDelivered && o.Location != "" {
			if u, err := url.Parse(o.Location); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
				return o.Location, ""
			}
		}
	}
	timedOut := false
	for _, o := range outcomes {
		if o.UserMessage != "" {
			return "", o.UserMessage
		}
		timedOut = timedOut || o.TimedOut
	}
	switch {
	case timedOut:
		return "", msgTimedOut
	case queued:
		return "", msgQueued
	}
	return "", ""
}

type jobPageData struct {
	CustomerID string
	Job        *herald.Job
	FirstName  string
	LastName   string
	Email      string
	Errors     map[string]string
	Message    string // the partner's message after applying
	Applied    bool
	// PartnerDown: no partner answered (timed out, or queued): the
	// candidate reads that the step will come later, not partner jargon.
	PartnerDown bool
}

// postedJob loads a job posted on a portal that this server hosts.
func (s *Server) postedJob(r *http.Request) (*herald.Job, error) {
	if err := s.requirePlatform(); err != nil {
		return nil, err
	}
	cid, id := r.PathValue("customerId"), r.PathValue("jobId")
	j, err := s.cfg.Platform.JobGet(r.Context(), cid, id)
	if herald.ErrorCode(err) == herald.ENOTFOUND || (err == nil && (j.PostingState != herald.JobPostingStatePosted ||
		!strings.HasPrefix(j.PortalURL, s.portalBase(cid)+"/"))) {
		return nil, herald.Errorf(herald.ENOTFOUND, "This job is not open for applications.")
	}
	if err != nil {
		return nil, fmt.Errorf("get job: %w", err)
	}
	return j, nil
}

// handlePortalJob serves GET /portal/{customerId}/jobs/{jobId}/{slug}: a
// posted job and its application form.
func (s *Server) handlePortalJob(w http.ResponseWriter, r *http.Request) error {
	j, err := s.postedJob(r)
	if err != nil {
		return err
	}
	if path, other := s.canonicalJobPath(r, j); other {
		// A link with an old or mistyped slug: the job's one address.
		http.Redirect(w, r, path, http.StatusMovedPermanently)
		return nil
	}
	s.render(w, r, http.StatusOK, "portal_job", j.JobTitle, &jobPageData{CustomerID: j.CustomerID, Job: j, Errors: map[string]string{}})
	return nil
}

// handlePortalApply serves POST /portal/{customerId}/jobs/{jobId}/{slug}/apply:
// the candidate completes the application. Herald commits the workflow and
// its AssessmentEvent, delivers it while the candidate waits, and sends the
// browser to the partner's 303 Location, or shows the partner's message.
func (s *Server) handlePortalApply(w http.ResponseWriter, r *http.Request) error {
	j, err := s.postedJob(r)
	if err != nil {
		return err
	}
	d := &jobPageData{CustomerID: j.CustomerID, Job: j, Errors: map[string]string{},
		FirstName: strings.TrimSpace(r.PostFormValue("firstname")), LastName: strings.TrimSpace(r.PostFormValue("lastname")),
		Email: strings.TrimSpace(r.PostFormValue("email"))}
	p := &herald.Person{CustomerID: j.CustomerID, Type: herald.PersonTypeCandidate, FirstName: d.FirstName, LastName: d.LastName, Email: d.Email}
	if err := p.Validate(); err != nil {
		msg := herald.ErrorMessage(err)
		field := strings.SplitN(msg, " ", 2)[0]
		d.Errors[field] = msg
		s.render(w, r, http.StatusBadRequest, "portal_job", j.JobTitle, d)
		return nil
	}
	// Applying again with the same email is the same candidate.
	if known, err := s.cfg.Platform.PersonFindByEmail(r.Context(), j.CustomerID, herald.PersonTypeCandidate, p.Email); err == nil {
		p = known
	} else if herald.ErrorCode(err) != herald.ENOTFOUND {
		return fmt.Errorf("find candidate: %w", err)
	} else if err := s.cfg.Platform.PersonCreate(r.Context(), p); err != nil {
		return fmt.Errorf("create candidate: %w", err)
	}
	res, err := s.cfg.Platform.ApplicationComplete(r.Context(), &herald.ApplicationCompleteParams{
		CustomerID: j.CustomerID, PersonID: p.ID, JobID: j.ID, PublicURL: s.cfg.PublicURL, LinkKey: s.assessmentKey})
	if herald.ErrorCode(err) == herald.ECONFLICT {
		d.Errors["email"] = "You have applied for this job with this email already. The recruiting team has your application."
		s.render(w, r, http.StatusConflict, "portal_job", j.JobTitle, d)
		return nil
	} else if err != nil {
		return fmt.Errorf("complete application: %w", err)
	}
	loc, msg := nextStep(s.deliverNow(r, res.Deliveries))
	if loc != "" {
		http.Redirect(w, r, loc, http.StatusSeeOther)
		return nil
	}
	if len(res.Deliveries) == 0 {
		msg = "" // no partner receives the event: nothing was queued
	}
	if msg == "" {
		// No partner asked for anything: the application is done.
		return redirect(w, r, herald.AssessmentReturnURL(strings.TrimPrefix(j.PortalURL, s.cfg.PublicURL),
			j.CustomerID, res.ApplicantWorkflow.ID, s.assessmentKey))
	}
	d.Applied, d.Message = true, msg
	d.PartnerDown = msg == msgTimedOut || msg == msgQueued
	s.render(w, r, http.StatusOK, "portal_job", j.JobTitle, d)
	return nil
}

type thanksData struct {
	Job    *herald.Job
	Person *herald.Person
}

// handlePortalThanks serves GET
// /portal/{customerId}/jobs/{jobId}/{slug}/assessment?i=<workflow>&t=<token>:
// the AssessmentEvent's returnUrl, where the partner sends the candidate
// back. It names the candidate, and workflow ids are sequential, so the
// link is signed (herald.AssessmentReturnURL): without the workflow's
// token the application does not exist, as far as the caller can tell.
func (s *Server) handlePortalThanks(w http.ResponseWriter, r *http.Request) error {
	j, err := s.postedJob(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if !herald.ValidPortalLinkToken(s.assessmentKey, q.Get(herald.PortalLinkParam), j.CustomerID, q.Get("i")) {
		return herald.Errorf(herald.ENOTFOUND, "We could not find that application.")
	}
	wf, err := s.cfg.Platform.ApplicantWorkflowGet(r.Context(), j.CustomerID, q.Get("i"))
	if herald.ErrorCode(err) == herald.ENOTFOUND || (err == nil && wf.JobID != j.ID) {
		return herald.Errorf(herald.ENOTFOUND, "We could not find that application.")
	}
	if err != nil {
		return fmt.Errorf("get applicant workflow: %w", err)
	}
	p, err := s.cfg.Platform.PersonGet(r.Context(), j.CustomerID, wf.PersonID)
	if err != nil {
		return fmt.Errorf("get candidate: %w", err)
	}
	s.render(w, r, http.StatusOK, "portal_thanks", "Thank you", &thanksData{Job: j, Person: p})
	return nil
}

type onboardData struct {
	CustomerID string
	Workflow   *herald.OnboardWorkflow
	Person     *herald.Person
	Task       *herald.OnboardTask // the task a return URL names
	Result     string              // "complete" or "incomplete" on return
	Message    string              // the partner's message after starting a task
}

// onboardWorkflow loads a workflow whose portal this server hosts, and its
// new hire, for a request that carries the workflow's cookie.
func (s *Server) onboardWorkflow(r *http.Request) (*onboardData, error) {
	cid, id := r.PathValue("customerId"), r.PathValue("workflowId")
	// The cookie that a signed link set (handlePortalOnboard) is the
	// credential; without it the workflow does not exist, as far as the
	// caller can tell.
	if !s.portalCookieOK(r, cid, id) {
		return nil, errOnboardNotFound(id)
	}
	return s.hostedOnboard(r.Context(), cid, id)
}

// hostedOnboard loads a workflow whose portal this server hosts, and its
// new hire. It checks no credential: callers do.
func (s *Server) hostedOnboard(ctx context.Context, cid, id string) (*onboardData, error) {
	if err := s.requirePlatform(); err != nil {
		return nil, err
	}
	wf, err := s.cfg.Platform.OnboardWorkflowGet(ctx, cid, id)
	if herald.ErrorCode(err) == herald.ENOTFOUND {
		return nil, errOnboardNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("get onboarding: %w", err)
	}
	portal, err := s.cfg.Platform.CareerPortalGet(ctx, cid, wf.PortalID)
	if err != nil {
		return nil, fmt.Errorf("get portal: %w", err)
	}
	if strings.TrimRight(portal.URL, "/") != s.portalBase(cid) {
		return nil, errOnboardNotFound(id)
	}
	p, err := s.cfg.Platform.PersonGet(ctx, cid, wf.PersonID)
	if err != nil {
		return nil, fmt.Errorf("get new hire: %w", err)
	}
	return &onboardData{CustomerID: cid, Workflow: wf, Person: p}, nil
}

// handlePortalOnboard serves GET /portal/{customerId}/onboard/{workflowId}:
// a new hire's tasks. The signed link (?t=<token>, see portallink.go) sets
// the workflow's cookie and redirects to the same page without the token,
// so it leaves the address bar and the history; later visits, the start
// form and the partner's return URLs are authorized by the cookie.
func (s *Server) handlePortalOnboard(w http.ResponseWriter, r *http.Request) error {
	if q := r.URL.Query(); q.Has(portalTokenParam) {
		cid, id := r.PathValue("customerId"), r.PathValue("workflowId")
		tok := q.Get(portalTokenParam)
		if !s.validPortalToken(tok, cid, id) {
			return errOnboardNotFound(id)
		}
		s.setPortalCookie(w, cid, id, tok)
		q.Del(portalTokenParam)
		u := *r.URL
		u.RawQuery = q.Encode()
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
		return nil
	}
	d, err := s.onboardWorkflow(r)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "portal_onboard", "Onboarding", d)
	return nil
}

// handlePortalTaskStart serves POST
// /portal/{customerId}/onboard/{workflowId}/tasks/{taskId}/start: the new
// hire begins a task; the browser goes to the partner's page, or the page
// shows the partner's message.
func (s *Server) handlePortalTaskStart(w http.ResponseWriter, r *http.Request) error {
	d, err := s.onboardWorkflow(r)
	if err != nil {
		return err
	}
	res, err := s.cfg.Platform.OnboardTaskStart(r.Context(), &herald.OnboardTaskStartParams{
		CustomerID: d.CustomerID, WorkflowID: d.Workflow.ID, TaskID: r.PathValue("taskId"), PublicURL: s.cfg.PublicURL})
	if err != nil {
		return fmt.Errorf("start onboarding task: %w", err)
	}
	loc, msg := nextStep(s.deliverNow(r, res.Deliveries))
	if loc != "" {
		http.Redirect(w, r, loc, http.StatusSeeOther)
		return nil
	}
	d.Workflow = res.OnboardWorkflow
	d.Message = msg
	if msg == "" {
		d.Message = "No partner handles this task yet. Your employer has been told you started it."
	}
	s.render(w, r, http.StatusOK, "portal_onboard", "Onboarding", d)
	return nil
}

// handlePortalTaskReturn serves GET
// /portal/{customerId}/onboard/{workflowId}/tasks/{taskId}?result=...: the
// event's returnUrl (result=complete) and incompleteUrl
// (result=incomplete), where the partner sends the new hire back.
func (s *Server) handlePortalTaskReturn(w http.ResponseWriter, r *http.Request) error {
	d, err := s.onboardWorkflow(r)
	if err != nil {
		return err
	}
	t, ok := d.Workflow.Task(r.PathValue("taskId"))
	if !ok {
		return herald.Errorf(herald.ENOTFOUND, "task not found")
	}
	d.Task = t
	d.Result = "incomplete"
	if r.URL.Query().Get("result") == "complete" {
		d.Result = "complete"
	}
	s.render(w, r, http.StatusOK, "portal_onboard", "Onboarding", d)
	return nil
}
