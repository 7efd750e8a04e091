package web

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

type notificationsData struct {
	Cust       *herald.Customer
	Rows       []endpointRow
	EventTypes []wire.EventType
	Test       *testResult // the reply to a test event just sent
	// Window is the span of the health counts; ShowHealth and
	// ShowCircuit say whether the server has them to show.
	Window                  time.Duration
	ShowHealth, ShowCircuit bool
	Now                     time.Time // for "failing for ..."
	// ShowOnboard: the server has a PlatformStore, so the page offers the
	// onboarding link form; Onboard is its answer (?onboard=<workflow>).
	ShowOnboard bool
	Onboard     *onboardLinkResult
	// Jobs are the customer's jobs, for the recruiter view (nil without
	// a PlatformStore).
	Jobs []*herald.Job
}

// onboardLinkResult is the signed link to a new hire's onboarding page, or
// why there is none.
type onboardLinkResult struct {
	WorkflowID string
	Person     *herald.Person
	Link       string
	Error      string
}

func (d *notificationsData) customer() *herald.Customer { return d.Cust }

// customerFor authorizes the request for the path's customer and loads it.
func (s *Server) customerFor(r *http.Request) (*herald.Customer, error) {
	id := r.PathValue("customerId")
	if err := authorize(r, id); err != nil {
		return nil, err
	}
	c, err := s.cfg.Store.CustomerGet(r.Context(), id)
	if err != nil {
		return nil, fmt.Errorf("get customer: %w", err)
	}
	return c, nil
}

// handleNotifications serves GET /ui/customers/{customerId}: the Event
// Notifications page. With ?onboard=<workflow> it also shows the signed
// link to that new hire's onboarding page, for the operator or the
// customer's administrator to send to the new hire.
func (s *Server) handleNotifications(w http.ResponseWriter, r *http.Request) error {
	return s.renderNotifications(w, r, http.StatusOK, nil)
}

func (s *Server) renderNotifications(w http.ResponseWriter, r *http.Request, status int, test *testResult) error {
	c, err := s.customerFor(r)
	if err != nil {
		return err
	}
	eps, err := s.cfg.Store.EndpointList(r.Context(), c.ID)
	if err != nil {
		return fmt.Errorf("list endpoints: %w", err)
	}
	d := &notificationsData{Cust: c, EventTypes: wire.EventTypes, Test: test,
		Window: s.cfg.HealthWindow, ShowHealth: s.cfg.Health != nil, ShowCircuit: s.cfg.CircuitStateFunc != nil, Now: s.now()}
	if d.Rows, err = s.endpointRows(r, c, eps); err != nil {
		return err
	}
	d.ShowOnboard = s.cfg.Platform != nil
	if s.cfg.Platform != nil {
		if d.Jobs, err = s.cfg.Platform.JobList(r.Context(), c.ID); err != nil {
			return fmt.Errorf("list jobs: %w", err)
		}
	}
	if id := strings.TrimSpace(r.URL.Query().Get("onboard")); id != "" && d.ShowOnboard && r.Method == http.MethodGet {
		if d.Onboard, err = s.onboardLinkFor(r, c.ID, id); err != nil {
			return err
		}
	}
	s.render(w, r, status, "notifications", "Event Notifications · "+c.Name, d)
	return nil
}

// endpointForm is the create/edit form: its values as typed, and an error
// beside each field that has one.
type endpointForm struct {
	Cust       *herald.Customer
	ID         string // empty when creating
	URL        string
	EventTypes []wire.EventType
	AllTypes   []wire.EventType
	AuthType   string
	Username   string
	TokenURL   string
	ClientID   string
	Scope      string
	// Masked hints of the stored secrets (edit only): never the secrets.
	PasswordHint, SecretHint, ClientSecretHint, SigningHint string
	Gzip                                                    bool
	TraceContext                                            bool
	Enabled                                                 bool
	Ordered                                                 bool
	StatusTriggers                                          string
	MaxConcurrency                                          string
	DisabledReason                                          string
	Errors                                                  map[string]string
}

func (f *endpointForm) customer() *herald.Customer { return f.Cust }

// Has reports whether the form subscribes to t (template helper).
func (f *endpointForm) Has(t wire.EventType) bool { return slices.Contains(f.EventTypes, t) }

func formFromEndpoint(c *herald.Customer, e *herald.Endpoint) *endpointForm {
	f := &endpointForm{Cust: c, ID: e.ID, URL: e.URL, EventTypes: e.EventTypes, AllTypes: wire.EventTypes,
		AuthType: string(e.Auth.Type), Username: e.Auth.Username, TokenURL: e.Auth.TokenURL,
		ClientID: e.Auth.ClientID, Scope: e.Auth.Scope,
		PasswordHint: e.Auth.Password.Masked(), SecretHint: e.Auth.Secret.Masked(),
		ClientSecretHint: e.Auth.ClientSecret.Masked(),
		Gzip:             e.Gzip, TraceContext: e.TraceContext, Enabled: e.Enabled, Ordered: e.Ordered, StatusTriggers: strings.Join(e.StatusTriggers, ", "),
		DisabledReason: e.DisabledReason, Errors: map[string]string{}}
	if len(e.Auth.SigningSecrets) > 0 {
		f.SigningHint = e.Auth.SigningSecrets[0].Secret.Masked()
	}
	if e.MaxConcurrency > 0 {
		f.MaxConcurrency = strconv.Itoa(e.MaxConcurrency)
	}
	return f
}

// handleEndpointNew serves GET /ui/customers/{customerId}/endpoints/new.
func (s *Server) handleEndpointNew(w http.ResponseWriter, r *http.Request) error {
	c, err := s.customerFor(r)
	if err != nil {
		return err
	}
	f := formFromEndpoint(c, &herald.Endpoint{Auth: herald.Auth{Type: herald.AuthTypeHMAC}, Gzip: true, TraceContext: true, Enabled: true})
	s.render(w, r, http.StatusOK, "endpoint", "New endpoint · "+c.Name, f)
	return nil
}

// endpointFor loads the path's endpoint of the path's customer.
func (s *Server) endpointFor(r *http.Request, c *herald.Customer) (*herald.Endpoint, error) {
	id := r.PathValue("endpointId")
	e, err := s.cfg.Store.EndpointGet(r.Context(), id)
	if herald.ErrorCode(err) == herald.ENOTFOUND || (err == nil && e.CustomerID != c.ID) {
		return nil, herald.Errorf(herald.ENOTFOUND, "endpoint %q not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get endpoint: %w", err)
	}
	return e, nil
}

// handleEndpointEdit serves GET /ui/customers/{customerId}/endpoints/{endpointId}.
func (s *Server) handleEndpointEdit(w http.ResponseWriter, r *http.Request) error {
	c, err := s.customerFor(r)
	if err != nil {
		return err
	}
	e, err := s.endpointFor(r, c)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "endpoint", "Edit endpoint · "+c.Name, formFromEndpoint(c, e))
	return nil
}

// handleEndpointSave serves POST /ui/customers/{customerId}/endpoints (create)
// and POST /ui/customers/{customerId}/endpoints/{endpointId} (edit).
func (s *Server) handleEndpointSave(w http.ResponseWriter, r *http.Request) error {
	c, err := s.customerFor(r)
	if err != nil {
		return err
	}
	e := &herald.Endpoint{CustomerID: c.ID}
	editing := r.PathValue("endpointId") != ""
	if editing {
		if e, err = s.endpointFor(r, c); err != nil {
			return err
		}
	}
	f := formFromEndpoint(c, e)
	if err := r.ParseForm(); err != nil {
		return herald.Errorf(herald.ETOOLARGE, "The form is too large.")
	}
	pf := r.PostForm
	f.URL = strings.TrimSpace(pf.Get("url"))
	f.EventTypes = nil
	for _, t := range pf["eventTypes"] {
		f.EventTypes = append(f.EventTypes, wire.EventType(t))
	}
	f.AuthType, f.Username = pf.Get("authType"), strings.TrimSpace(pf.Get("username"))
	f.TokenURL, f.ClientID, f.Scope = strings.TrimSpace(pf.Get("tokenUrl")), strings.TrimSpace(pf.Get("clientId")), strings.TrimSpace(pf.Get("scope"))
	f.Gzip, f.Enabled = pf.Get("gzip") == "on", pf.Get("enabled") == "on"
	f.TraceContext = pf.Get("traceContext") == "on"
	f.Ordered = pf.Get("ordered") == "on"
	f.StatusTriggers, f.MaxConcurrency = pf.Get("statusTriggers"), strings.TrimSpace(pf.Get("maxConcurrency"))

	next := *e
	next.URL, next.EventTypes, next.Gzip, next.Enabled = f.URL, f.EventTypes, f.Gzip, f.Enabled
	next.TraceContext = f.TraceContext
	next.Ordered = f.Ordered
	if f.Enabled {
		next.DisabledReason = ""
	}
	// Who turns it off, if this form does (unchecked "enabled").
	next.DisabledBy = sessionFromContext(r.Context()).actor()
	next.StatusTriggers = strings.FieldsFunc(f.StatusTriggers, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t'
	})
	next.MaxConcurrency = 0
	if f.MaxConcurrency != "" {
		n, err := strconv.Atoi(f.MaxConcurrency)
		if err != nil {
			f.Errors["maxConcurrency"] = "Enter a whole number, or leave it empty for the default."
		}
		next.MaxConcurrency = n
	}
	// Secrets: a blank field keeps the stored secret; the form never holds
	// one, so there is nothing to compare against a masked value.
	keep := func(sent string, stored herald.Secret) herald.Secret {
		if sent == "" {
			return stored
		}
		return herald.Secret(sent)
	}
	cur := e.Auth
	a := herald.Auth{Type: herald.AuthType(f.AuthType), SigningSecrets: cur.SigningSecrets}
	switch a.Type {
	case herald.AuthTypeBasic:
		a.Username, a.Password = f.Username, keep(pf.Get("password"), cur.Password)
	case herald.AuthTypeHMAC:
		a.Username, a.Secret = f.Username, keep(pf.Get("secret"), cur.Secret)
	case herald.AuthTypeOAuth2:
		a.TokenURL, a.ClientID, a.Scope = f.TokenURL, f.ClientID, f.Scope
		a.ClientSecret = keep(pf.Get("clientSecret"), cur.ClientSecret)
	case herald.AuthTypeStandardWebhooks:
		if sw := strings.TrimSpace(pf.Get("signingSecret")); sw != "" {
			if err := wire.ValidateWebhookSecret(sw); err != nil {
				f.Errors["signingSecret"] = humanMessage("auth.secret: " + err.Error())
			} else {
				a.RotateSigningSecret(herald.Secret(sw), s.now(), herald.DefaultRotationOverlap)
			}
		}
	}
	if a.Type != herald.AuthTypeStandardWebhooks {
		a.SigningSecrets = nil
	}
	next.Auth = a
	for field, msg := range endpointFieldErrors(&next) {
		if _, ok := f.Errors[field]; !ok {
			f.Errors[field] = msg
		}
	}
	if len(f.Errors) == 0 && editing {
		// A blank secret field kept the stored secret; the root rule says
		// when that is not allowed (another host, another token URL).
		kept := herald.CredentialsKept{Password: pf.Get("password") == "", ClientSecret: pf.Get("clientSecret") == ""}
		if err := next.ValidateUpdate(e, kept); err != nil {
			f.Errors[fieldOf(err)] = humanMessage(herald.ErrorMessage(err))
		}
	}
	if len(f.Errors) == 0 {
		if editing {
			err = s.cfg.Store.EndpointUpdate(r.Context(), &next)
		} else {
			err = s.cfg.Store.EndpointCreate(r.Context(), &next)
		}
		if herald.ErrorCode(err) == herald.EINVALID {
			f.Errors[fieldOf(err)] = humanMessage(herald.ErrorMessage(err))
		} else if err != nil {
			return fmt.Errorf("save endpoint: %w", err)
		}
	}
	if len(f.Errors) > 0 {
		s.render(w, r, http.StatusBadRequest, "endpoint", "Endpoint · "+c.Name, f)
		return nil
	}
	done := "added"
	if editing {
		done = "saved"
	}
	return redirect(w, r, customerPath(c.ID, "endpoints", next.ID)+"?done="+done)
}

// fieldOf names the form field a validation message is about: herald's
// messages start with the field's name ("url must be ...", "auth.username
// and auth.password are required ..."), which is the rule this relies on.
func fieldOf(err error) string {
	msg := herald.ErrorMessage(err)
	for _, p := range []struct{ prefix, field string }{
		{"url", "url"}, {"eventTypes", "eventTypes"}, {"statusTriggers", "statusTriggers"},
		{"maxConcurrency", "maxConcurrency"}, {"auth.type", "authType"}, {"auth.tokenUrl", "tokenUrl"},
		{"auth.secret", "secret"}, {"auth", "auth"},
	} {
		if strings.HasPrefix(msg, p.prefix) {
			return p.field
		}
	}
	return "form"
}

// handleEndpointDelete serves POST /ui/customers/{customerId}/endpoints/{endpointId}/delete.
func (s *Server) handleEndpointDelete(w http.ResponseWriter, r *http.Request) error {
	c, err := s.customerFor(r)
	if err != nil {
		return err
	}
	e, err := s.endpointFor(r, c)
	if err != nil {
		return err
	}
	if err := s.cfg.Store.EndpointDelete(r.Context(), c.ID, e.ID); err != nil {
		return fmt.Errorf("delete endpoint: %w", err)
	}
	return redirect(w, r, customerPath(c.ID)+"?done=endpoint-deleted")
}

// handleEndpointDeleteConfirm serves GET
// /ui/customers/{customerId}/endpoints/{endpointId}/delete: the question
// before the delete.
func (s *Server) handleEndpointDeleteConfirm(w http.ResponseWriter, r *http.Request) error {
	c, err := s.customerFor(r)
	if err != nil {
		return err
	}
	e, err := s.endpointFor(r, c)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "confirm", "Delete endpoint · "+c.Name, &confirmData{Cust: c,
		Heading: "Delete this endpoint?",
		Lines: []string{"Herald stops sending events to " + e.URL + ".",
			"Its deliveries stay in the delivery explorer; those still pending fail. This cannot be undone: to stop for a while, pause the endpoint instead."},
		Action: customerPath(c.ID, "endpoints", e.ID, "delete"), Button: "Delete endpoint", Danger: true,
		Cancel: customerPath(c.ID, "endpoints", e.ID)})
	return nil
}

// onboardLinkFor returns the signed onboarding link of one of the
// customer's workflows (the caller has authorized the customer).
func (s *Server) onboardLinkFor(r *http.Request, customerID, workflowID string) (*onboardLinkResult, error) {
	res := &onboardLinkResult{WorkflowID: workflowID}
	d, err := s.hostedOnboard(r.Context(), customerID, workflowID)
	switch herald.ErrorCode(err) {
	case "":
		res.Person, res.Link = d.Person, s.onboardLink(customerID, workflowID)
	case herald.ENOTFOUND:
		res.Error = fmt.Sprintf("No onboarding %s on a career portal that Herald hosts for this customer.", workflowID)
	default:
		return nil, err
	}
	return res, nil
}
