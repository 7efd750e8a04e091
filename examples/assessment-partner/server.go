package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/heraldhq/herald/receiver"
	"github.com/heraldhq/herald/wire"
)

// Auth modes (config.Auth) and credential kinds (config.Credentials).
const (
	authHMAC  = "hmac"
	authBasic = "basic"
	authNone  = "none"

	credentialsOAuth2 = "oauth2"
	credentialsBasic  = "basic"
)

// eventsPath is where Herald's endpoint must point.
const eventsPath = "/icims/events"

// config configures the partner.
type config struct {
	// PublicURL is the partner's base URL as candidates' browsers reach it;
	// the 303 Location is built on it. Required by newServer.
	PublicURL string
	// HeraldURL is the platform's base URL. The token endpoint is
	// HeraldURL/oauth/token, and the partner follows only event links
	// under it: credentials are never sent anywhere else, whatever a
	// body says. Required.
	HeraldURL string
	// Auth is how Herald authenticates its events: "hmac" (x-icims-v1,
	// the default), "basic", or "none" (local development only).
	Auth string
	// AuthUsername is the username of hmac and basic. Default: "herald".
	AuthUsername string
	// AuthSecret is the HMAC shared secret or the Basic password.
	// Required unless Auth is "none".
	AuthSecret string
	// Credentials is how the partner authenticates to Herald: "oauth2"
	// (client credentials at /oauth/token, the default) or "basic".
	Credentials string
	// ClientID and ClientSecret are the partner credentials Herald
	// issued. Required.
	ClientID     string
	ClientSecret string
	// DedupTTL is how long an event is remembered, so a repeat gets the
	// same assessment. Default: 24h.
	DedupTTL time.Duration
	// Client makes the requests to Herald. Default: a client with a 10 s
	// timeout.
	Client *http.Client
	// Logger logs refused events and failures. Default: discard.
	Logger *slog.Logger
	// NowFunc returns the current time. Default: time.Now.
	NowFunc func() time.Time
}

func (c config) withDefaults() config {
	if c.Auth == "" {
		c.Auth = authHMAC
	}
	if c.AuthUsername == "" {
		c.AuthUsername = "herald"
	}
	if c.Credentials == "" {
		c.Credentials = credentialsOAuth2
	}
	if c.DedupTTL <= 0 {
		c.DedupTTL = 24 * time.Hour
	}
	if c.Client == nil {
		c.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.NowFunc == nil {
		c.NowFunc = time.Now
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	c.HeraldURL = strings.TrimRight(c.HeraldURL, "/")
	return c
}

// validate returns the first problem, naming the setting. PublicURL may be
// empty here (run fills it in from the listener); newServer requires it.
func (c config) validate() error {
	switch c.Auth {
	case authHMAC, authBasic:
		if c.AuthSecret == "" {
			return fmt.Errorf("auth-secret is required with auth %s", c.Auth)
		}
	case authNone:
	default:
		return fmt.Errorf("auth must be hmac, basic or none, not %q", c.Auth)
	}
	if c.Credentials != credentialsOAuth2 && c.Credentials != credentialsBasic {
		return fmt.Errorf("credentials must be oauth2 or basic, not %q", c.Credentials)
	}
	if c.ClientID == "" || c.ClientSecret == "" {
		return errors.New("client-id and client-secret are required: issue them with POST /api/v1/customers/{customerId}/partners")
	}
	if !isBaseURL(c.HeraldURL) {
		return fmt.Errorf("herald-url must be an absolute http(s) URL, not %q", c.HeraldURL)
	}
	if c.PublicURL != "" && !isBaseURL(c.PublicURL) {
		return fmt.Errorf("public-url must be an absolute http(s) URL, not %q", c.PublicURL)
	}
	return nil
}

func isBaseURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.RawQuery == "" && u.Fragment == ""
}

// server is the partner: its event endpoint, its assessment pages, and its
// client of Herald's API.
type server struct {
	cfg    config
	herald *heraldClient

	mu       sync.Mutex
	sessions map[string]*session
}

// session is one candidate's assessment, made when the event arrives.
type session struct {
	ID             string
	CustomerID     string
	WorkflowID     string
	WorkflowURL    string // the applicantWorkflow link
	CandidateName  string
	CandidateEmail string
	JobTitle       string
	AssessmentName string
	ReturnURL      string

	// mu serializes finishing, so a double click posts one result.
	mu        sync.Mutex
	finished  bool
	resultURL string // Location of the assessmentresults row
}

// newServer returns the partner's http.Handler:
//
//	POST /icims/events                  Herald's events (AssessmentEvent)
//	GET  /assessments/{id}              the candidate's assessment page
//	POST /assessments/{id}/finish       the candidate's answers
func newServer(cfg *config) (http.Handler, error) {
	c := cfg.withDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	if c.PublicURL == "" {
		return nil, errors.New("public-url is required")
	}
	s := &server{cfg: c, sessions: map[string]*session{}}
	var err error
	if s.herald, err = newHeraldClient(&c); err != nil {
		return nil, err
	}

	var verifier receiver.Verifier
	switch c.Auth {
	case authHMAC:
		verifier = receiver.HMAC(c.AuthUsername, []byte(c.AuthSecret))
	case authBasic:
		verifier = receiver.Basic(c.AuthUsername, c.AuthSecret)
	default:
		verifier = receiver.NoAuth()
	}
	events := receiver.NewMux()
	// Dedup: Herald may deliver an event again (a retry after a lost
	// reply), and a candidate may submit twice. Either way the candidate
	// gets the assessment the first delivery made.
	events.Handle(wire.EventTypeAssessment,
		receiver.Dedup(receiver.HandlerFunc(s.handleAssessmentEvent), &receiver.MemoryDedupStore{NowFunc: c.NowFunc}, c.DedupTTL))

	mux := http.NewServeMux()
	mux.Handle("POST "+eventsPath, receiver.NewHandler(receiver.Config{
		Verifier: verifier,
		NowFunc:  c.NowFunc,
		Logger:   c.Logger,
	}, events))
	// The candidate's pages. Cross-origin protection refuses a form post
	// that another site's page makes a candidate's browser send.
	pages := http.NewServeMux()
	pages.HandleFunc("GET /assessments/{id}", s.handleAssessmentPage)
	pages.HandleFunc("POST /assessments/{id}/finish", s.handleAssessmentFinish)
	mux.Handle("/assessments/", http.NewCrossOriginProtection().Handler(pages))
	return http.MaxBytesHandler(mux, 1<<20), nil
}

// handleAssessmentEvent starts an assessment for the candidate of an
// Application Complete event and sends them to it.
func (s *server) handleAssessmentEvent(ctx context.Context, e *receiver.Event) receiver.Reply {
	a := e.Assessment()
	if a.ReturnURL == "" || !isBaseURL(strings.SplitN(a.ReturnURL, "?", 2)[0]) {
		return receiver.BadRequest("This application cannot start an assessment: it has no way back to the career site.",
			"AssessmentEvent without an absolute returnUrl")
	}
	personLink, okP := e.Link(wire.RelPerson)
	jobLink, okJ := e.Link(wire.RelJob)
	wfLink, okW := e.Link(wire.RelApplicantWorkflow)
	if !okP || !okJ || !okW {
		return receiver.BadRequest("This application cannot start an assessment.",
			"AssessmentEvent without person, job and applicantWorkflow links")
	}

	if e.Test {
		// A test event (`herald check`): answer as for a real one, but do
		// not act on it. Its ids name no real candidate, so fetching its
		// links would only fail, and no assessment must start.
		return receiver.SeeOther(s.cfg.PublicURL + "/assessments/" + testSessionID)
	}

	// The candidate is waiting: fetch both at once.
	var person personResource
	var job jobResource
	var perr, jerr error
	var wg sync.WaitGroup
	wg.Go(func() { perr = s.herald.get(ctx, personLink.URL, &person) })
	wg.Go(func() { jerr = s.herald.get(ctx, jobLink.URL, &job) })
	wg.Wait()
	if err := errors.Join(perr, jerr); err != nil {
		s.cfg.Logger.WarnContext(ctx, "fetch candidate and job", slog.String("customer_id", e.CustomerID),
			slog.String("workflow_id", a.ApplicantWorkflowID), slog.String("error", err.Error()))
		if errors.Is(err, errForeignLink) {
			// Not something a retry fixes.
			return receiver.BadRequest("This application cannot start an assessment.", err.Error())
		}
		// 503: Herald shows the message, and the candidate can try again.
		return receiver.Unavailable("Your assessment could not be prepared just now. Please try again in a few minutes.",
			"fetching the linked person or job failed: "+err.Error())
	}

	name := job.AssessmentType
	if name == "" {
		name = "General Aptitude"
	}
	sess := &session{
		ID: newSessionID(), CustomerID: e.CustomerID, WorkflowID: a.ApplicantWorkflowID, WorkflowURL: wfLink.URL,
		CandidateName: strings.TrimSpace(person.FirstName + " " + person.LastName), CandidateEmail: person.Email,
		JobTitle: job.JobTitle, AssessmentName: name, ReturnURL: a.ReturnURL,
	}
	s.mu.Lock()
	s.sessions[sess.ID] = sess
	s.mu.Unlock()
	s.cfg.Logger.InfoContext(ctx, "assessment started", slog.String("customer_id", e.CustomerID),
		slog.String("workflow_id", sess.WorkflowID), slog.String("session_id", sess.ID))
	return receiver.SeeOther(s.sessionURL(sess))
}

func (s *server) sessionURL(sess *session) string {
	return s.cfg.PublicURL + "/assessments/" + url.PathEscape(sess.ID)
}

func (s *server) session(id string) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[id]
}

// question is one multiple-choice question; the first choice is right.
type question struct {
	Name, Text string
	Choices    []string
}

// questions is the assessment: short, and the same for every job.
var questions = []question{
	{"q1", "A customer asks for an item that is out of stock. What do you do first?",
		[]string{"Offer to check other stores or order it", "Tell them to come back next week", "Suggest a competitor"}},
	{"q2", "Which number comes next: 2, 4, 8, 16, ...?", []string{"32", "24", "20"}},
	{"q3", "Your shift starts at 9:00 and the bus runs late. What do you do?",
		[]string{"Call your lead before 9:00", "Arrive late and explain", "Skip the shift"}},
	{"q4", "A pallet is stacked above the safety line. You...", []string{"Restack it before moving it", "Move it slowly", "Leave it for someone else"}},
}

// testSessionID is the page test events are sent to: not a session, since
// a test event starts nothing. Real session ids are 32 hex digits.
const testSessionID = "herald-test"

// passScore is the lowest passing score, in percent.
const passScore = 75.0

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.S.AssessmentName}} assessment</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}fieldset{margin:1rem 0}button{font-size:1.1rem;padding:.5rem 1.5rem}.err{color:#a00}</style>
</head><body>
<h1>{{.S.AssessmentName}}</h1>
<p>Hello {{.S.CandidateName}}, thank you for applying for <strong>{{.S.JobTitle}}</strong>.
Please answer these {{len .Questions}} questions, then press Finish to return to the career site.</p>
{{if .Error}}<p class="err">{{.Error}}</p>{{end}}
<form method="post" action="/assessments/{{.S.ID}}/finish">
{{range .Questions}}<fieldset><legend>{{.Text}}</legend>
{{$q := .}}{{range $i, $c := .Choices}}<label><input type="radio" name="{{$q.Name}}" value="{{$i}}"> {{$c}}</label><br>
{{end}}</fieldset>
{{end}}<button type="submit">Finish</button>
</form>
</body></html>
`))

type pageData struct {
	S         *session
	Questions []question
	Error     string
}

// handleAssessmentPage shows the assessment, or sends a candidate who has
// finished back to the career site.
func (s *server) handleAssessmentPage(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("id") == testSessionID {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "This page answers Herald's test events (herald check): no assessment was started.\n")
		return
	}
	sess := s.session(r.PathValue("id"))
	if sess == nil {
		http.Error(w, "No such assessment. Please start again from the career site.", http.StatusNotFound)
		return
	}
	sess.mu.Lock()
	finished := sess.finished
	sess.mu.Unlock()
	if finished {
		http.Redirect(w, r, sess.ReturnURL, http.StatusSeeOther)
		return
	}
	s.renderPage(w, http.StatusOK, &pageData{S: sess, Questions: questions})
}

func (s *server) renderPage(w http.ResponseWriter, status int, d *pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := pageTmpl.Execute(w, d); err != nil {
		s.cfg.Logger.Warn("render assessment page", slog.String("error", err.Error()))
	}
}

// handleAssessmentFinish scores the answers, posts the result to the
// applicant workflow in Herald, and sends the candidate to returnUrl. If
// Herald cannot take the result, the page comes back with a message and
// the candidate can press Finish again; nothing is lost.
func (s *server) handleAssessmentFinish(w http.ResponseWriter, r *http.Request) {
	sess := s.session(r.PathValue("id"))
	if sess == nil {
		http.Error(w, "No such assessment. Please start again from the career site.", http.StatusNotFound)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "The answers could not be read.", http.StatusBadRequest)
		return
	}
	sess.mu.Lock()
	defer sess.mu.Unlock()
	if sess.finished { // a second click, or the back button
		http.Redirect(w, r, sess.ReturnURL, http.StatusSeeOther)
		return
	}
	right := 0
	for _, q := range questions {
		if r.PostForm.Get(q.Name) == "0" {
			right++
		}
	}
	score := float64(right) * 100 / float64(len(questions))
	verdict := "Fail"
	if score >= passScore {
		verdict = "Pass"
	}
	result := &assessmentResult{
		AssessmentName:   listValue{sess.AssessmentName},
		AssessmentScore:  score,
		AssessmentResult: verdict,
		AssessmentStatus: listValue{"Complete"},
		// iCIMS's date format, in UTC.
		AssessmentDate: s.cfg.NowFunc().UTC().Format("2006-01-02 03:04 PM"),
		AssessmentURL:  s.sessionURL(sess),
	}
	loc, err := s.herald.postResult(r.Context(), sess.WorkflowURL, result)
	if err != nil {
		s.cfg.Logger.WarnContext(r.Context(), "post assessment result", slog.String("customer_id", sess.CustomerID),
			slog.String("workflow_id", sess.WorkflowID), slog.String("error", err.Error()))
		s.renderPage(w, http.StatusBadGateway, &pageData{S: sess, Questions: questions,
			Error: "Your answers could not be saved just now. Please press Finish again in a moment."})
		return
	}
	sess.finished, sess.resultURL = true, loc
	s.cfg.Logger.InfoContext(r.Context(), "assessment finished", slog.String("customer_id", sess.CustomerID),
		slog.String("workflow_id", sess.WorkflowID), slog.String("result", verdict), slog.String("result_url", loc))
	http.Redirect(w, r, sess.ReturnURL, http.StatusSeeOther)
}

// newSessionID returns an unguessable id: the page URL is the candidate's
// only credential.
func newSessionID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand documentation)
	return hex.EncodeToString(b)
}
