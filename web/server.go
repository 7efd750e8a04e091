package web

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/throttle"
	"github.com/heraldhq/herald/wire"
)

//go:embed templates/*.html templates/partials/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Defaults of Config.
const (
	// DefaultSessionTTL is how long a sign-in lasts: a working day.
	DefaultSessionTTL = 12 * time.Hour
	// DefaultMaxBodyBytes bounds a form post: far more than any form here.
	DefaultMaxBodyBytes = 64 << 10
	// MinAdminTokenLength matches the management API's rule.
	MinAdminTokenLength = 16
)

// Config configures a Server.
type Config struct {
	// Store keeps customers, endpoints, events and deliveries. Required.
	Store herald.Store
	// Platform keeps the platform's records and runs its actions (portal
	// and recruiter pages). Nil: those pages answer 404.
	Platform herald.PlatformStore
	// Users keeps web users and sessions. Required.
	Users herald.WebUserStore
	// Publisher commits test events with their deliveries. Required.
	Publisher herald.Publisher
	// Deliverer delivers interactive events while the person waits (test
	// events, portal flows). Nil: events are only queued, and the pages
	// say so.
	Deliverer herald.Deliverer
	// WakeFunc is called after a retry or an action commits, so the
	// dispatcher looks for due work at once. Nil: nobody is told.
	WakeFunc func()
	// Health reports endpoint health on the Event Notifications page.
	// Nil: the page shows no health.
	Health herald.HealthStore
	// Replays keeps replay jobs (bulk replay from the delivery explorer).
	// Nil: bulk replay is not offered and its pages answer 404.
	Replays herald.ReplayStore
	// ReplayWakeFunc is called after a replay job is created, so the
	// replay runner starts it at once (replay.Runner.Wake). It must not
	// block. Nil: the runner finds the job when it next polls
	// (replay.DefaultPollInterval, 2s).
	ReplayWakeFunc func()
	// CircuitStateFunc returns the state of an endpoint's circuit breaker
	// on this node ("closed", "open", "half_open"), as
	// dispatch.Dispatcher.CircuitState(id).String() does. Nil: the page
	// does not show circuit state.
	CircuitStateFunc func(endpointID string) string
	// CircuitOpenUntilFunc returns when an endpoint's open circuit on this
	// node lets its next probe through (dispatch.Dispatcher.CircuitOpenUntil),
	// zero when it is not open. Nil: the endpoint page does not say.
	CircuitOpenUntilFunc func(endpointID string) time.Time
	// Queue summarises the delivery queue for the operator's overview.
	// Nil: the overview shows no queue.
	Queue herald.QueueStatsStore
	// QueueDepth keeps the queue depth over time for the operator's
	// overview (metrics.Sampler writes it). Nil: the overview has no such
	// chart.
	QueueDepth herald.QueueDepthStore
	// HealthWindow is the span the success rate and latency on the Event
	// Notifications page cover, ending now. Default:
	// herald.DefaultHealthWindow (24h).
	HealthWindow time.Duration
	// AdminToken signs operators in. Required; at least 16 characters.
	// It also keys the signed links to new hires' onboarding pages
	// (PortalOnboardLink): changing it invalidates every outstanding link.
	AdminToken herald.Secret
	// PublicURL is the base of the links in event bodies and of the portal
	// pages (<PublicURL>/portal/<customer>): an absolute http or https
	// URL. Required. An https URL also marks session cookies Secure.
	PublicURL string
	// Logger receives internal errors (Error) and sign-ins (Info).
	// Default: discard.
	Logger *slog.Logger
	// NowFunc returns the current time. Default: time.Now.
	NowFunc func() time.Time
	// SessionTTL is how long a sign-in lasts. Default: DefaultSessionTTL
	// (12h).
	SessionTTL time.Duration
	// InteractiveDeadline is how long a page waits for partners. Default:
	// herald.DefaultInteractiveDeadline (30s).
	InteractiveDeadline time.Duration
	// MaxBodyBytes bounds a request body, in bytes. Default:
	// DefaultMaxBodyBytes (64 KiB).
	MaxBodyBytes int64
	// Checker runs `herald check`'s battery from the endpoint check page.
	// Nil: the page says checks are not available.
	Checker herald.EndpointChecker
	// MaxConcurrentHashes bounds the password hashes (Argon2id, 19 MiB
	// each) that sign-ins run at once; a few more wait briefly, the rest
	// are answered 503 with Retry-After. Default:
	// DefaultMaxConcurrentHashes (2).
	MaxConcurrentHashes int
	// SignInFailuresPerUser is how many failed sign-ins one username may
	// have before further sign-ins are refused (429), even with the right
	// password; they refill over SignInWindow. Default:
	// DefaultSignInFailuresPerUser (10).
	SignInFailuresPerUser int
	// SignInFailuresPerAddress is the same per client address, for both
	// sign-in forms. Default: DefaultSignInFailuresPerAddress (50).
	SignInFailuresPerAddress int
	// SignInWindow is how long failed sign-ins take to be forgotten.
	// Default: DefaultSignInWindow (15m).
	SignInWindow time.Duration
	// PortalSubmissionsPerAddress is how many portal forms (applications,
	// onboarding task starts) one client address may send in a row before
	// it is refused (429) until they refill over PortalWindow. Default:
	// DefaultPortalSubmissionsPerAddress (10).
	PortalSubmissionsPerAddress int
	// PortalWindow is how long portal submissions take to refill.
	// Default: DefaultPortalWindow (10m).
	PortalWindow time.Duration
}

func (c *Config) validate() error {
	switch {
	case c.Store == nil:
		return errors.New("web config: Store is required")
	case c.Users == nil:
		return errors.New("web config: Users is required")
	case c.Publisher == nil:
		return errors.New("web config: Publisher is required")
	case len(c.AdminToken) < MinAdminTokenLength:
		return errors.New("web config: AdminToken is required, at least 16 characters")
	case c.SessionTTL < 0 || c.InteractiveDeadline < 0 || c.MaxBodyBytes < 0 || c.HealthWindow < 0:
		return errors.New("web config: SessionTTL, InteractiveDeadline, MaxBodyBytes and HealthWindow cannot be negative")
	case c.MaxConcurrentHashes < 0 || c.SignInFailuresPerUser < 0 || c.SignInFailuresPerAddress < 0 || c.SignInWindow < 0 ||
		c.PortalSubmissionsPerAddress < 0 || c.PortalWindow < 0:
		return errors.New("web config: MaxConcurrentHashes, SignInFailuresPerUser, SignInFailuresPerAddress, SignInWindow, PortalSubmissionsPerAddress and PortalWindow cannot be negative")
	}
	if fe := wire.CheckPublicURL(c.PublicURL); fe != nil {
		return fmt.Errorf("web config: PublicURL %s", fe.Message)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.NowFunc == nil {
		c.NowFunc = time.Now
	}
	if c.SessionTTL == 0 {
		c.SessionTTL = DefaultSessionTTL
	}
	if c.InteractiveDeadline == 0 {
		c.InteractiveDeadline = herald.DefaultInteractiveDeadline
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.WakeFunc == nil {
		c.WakeFunc = func() {}
	}
	if c.ReplayWakeFunc == nil {
		c.ReplayWakeFunc = func() {}
	}
	if c.HealthWindow == 0 {
		c.HealthWindow = herald.DefaultHealthWindow
	}
	if c.MaxConcurrentHashes == 0 {
		c.MaxConcurrentHashes = DefaultMaxConcurrentHashes
	}
	if c.SignInFailuresPerUser == 0 {
		c.SignInFailuresPerUser = DefaultSignInFailuresPerUser
	}
	if c.SignInFailuresPerAddress == 0 {
		c.SignInFailuresPerAddress = DefaultSignInFailuresPerAddress
	}
	if c.SignInWindow == 0 {
		c.SignInWindow = DefaultSignInWindow
	}
	if c.PortalSubmissionsPerAddress == 0 {
		c.PortalSubmissionsPerAddress = DefaultPortalSubmissionsPerAddress
	}
	if c.PortalWindow == 0 {
		c.PortalWindow = DefaultPortalWindow
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	return c
}

// Server serves the UI under /ui/ and the portal pages under /portal/.
// Mount it on a parent mux at both prefixes (see Register).
type Server struct {
	cfg    Config
	pages  map[string]*template.Template
	secure bool // cookies get Secure: PublicURL is https
	// portalKey signs the onboarding links (portallink.go), and
	// assessmentKey the assessment return links (portal.go).
	portalKey, assessmentKey []byte
	// sessionKey keys operator sessions to the admin token (session.go).
	sessionKey []byte
	// hashes and signIns guard sign-in (signin.go); portalLimit bounds
	// anonymous portal submissions (portal.go).
	hashes      *hashGate
	signIns     *signInThrottle
	portalLimit *throttle.Limiter
	handler     http.Handler
}

// NewServer returns a Server for cfg, or an error naming the first bad
// field of cfg.
func NewServer(cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg.withDefaults()}
	s.secure = strings.HasPrefix(s.cfg.PublicURL, "https://")
	s.portalKey = portalKey(s.cfg.AdminToken)
	s.assessmentKey = herald.PortalLinkKey(s.cfg.AdminToken, herald.PortalLinkAssessment)
	s.sessionKey = operatorSessionKey(s.cfg.AdminToken)
	s.hashes = newHashGate(s.cfg.MaxConcurrentHashes)
	s.signIns = newSignInThrottle(&s.cfg)
	s.portalLimit = throttle.New(s.cfg.PortalSubmissionsPerAddress, s.cfg.PortalWindow, 0)
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	s.pages = pages
	s.handler = s.routes()
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Register mounts the server on mux at /ui/ and /portal/.
func (s *Server) Register(mux *http.ServeMux) {
	mux.Handle("/ui/", s)
	mux.Handle("/ui", http.RedirectHandler("/ui/", http.StatusSeeOther))
	mux.Handle("/portal/", s)
}

func (s *Server) now() time.Time { return s.cfg.NowFunc().UTC() }

// parsePages parses every page template with the layout and the partials
// (blocks several pages share), one template set per page, so each page
// defines its own "content" block.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("web templates: %w", err)
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials/*.html", n)
		if err != nil {
			return nil, fmt.Errorf("web template %s: %w", base, err)
		}
		pages[base] = t
	}
	return pages, nil
}

// handlerFunc is the shape of every handler: it writes a success reply
// itself and returns any error, which handle writes as an error page.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts a handlerFunc to http.Handler: the one place error pages
// are written.
func (s *Server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// errorStatus maps an error code to its HTTP status: the one place the web
// package decides this (STYLE §4).
func errorStatus(code string) int {
	switch code {
	case herald.EINVALID:
		return http.StatusBadRequest
	case herald.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case herald.ENOTFOUND:
		return http.StatusNotFound
	case herald.ECONFLICT:
		return http.StatusConflict
	case herald.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case herald.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// writeError renders the error page. An internal error is logged in full
// and shown as "Internal error.".
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code, msg := herald.ErrorCode(err), herald.ErrorMessage(err)
	if code == herald.EINTERNAL {
		level := slog.LevelError
		if r.Context().Err() != nil {
			level = slog.LevelDebug // the browser went away
		}
		s.cfg.Logger.Log(r.Context(), level, "web internal error",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("error", err))
	}
	status := errorStatus(code)
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	s.render(w, r, status, "error", "Error", map[string]any{"Status": status, "StatusText": http.StatusText(status), "Message": msg})
}

// page is what every template gets.
type page struct {
	Title   string
	Session *session // nil when signed out
	CSRF    string
	// Customer is the customer the page is about, for the navigation.
	Customer *herald.Customer
	Portal   bool // a portal page: no admin navigation
	// Flash is a short message confirming what the last form did (?done=).
	Flash string
	// Nav names the navigation entry of this page, for aria-current.
	Nav  string
	Data any
}

// render executes a page into a buffer first, so a template failure becomes
// a clean 500, never half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any) {
	p := &page{Title: title, Data: data}
	if sess := sessionFromContext(r.Context()); sess != nil {
		p.Session, p.CSRF = sess, sess.csrf
	}
	if c, ok := data.(interface{ customer() *herald.Customer }); ok {
		p.Customer = c.customer()
	}
	p.Portal = strings.HasPrefix(r.URL.Path, "/portal/")
	if r.Method == http.MethodGet {
		p.Flash = flashMessages[r.URL.Query().Get("done")]
	}
	p.Nav = navOf(r.URL.Path)
	t, ok := s.pages[name]
	var buf bytes.Buffer
	if ok {
		if err := t.Execute(&buf, p); err != nil {
			ok = false
			s.cfg.Logger.ErrorContext(r.Context(), "web render", slog.String("page", name), slog.Any("error", err))
		}
	}
	if !ok {
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// redirect sends the browser to a path of this server after a POST.
func redirect(w http.ResponseWriter, r *http.Request, path string) error {
	http.Redirect(w, r, path, http.StatusSeeOther)
	return nil
}

// customerPath is /ui/customers/<id> followed by the rest.
func customerPath(customerID string, rest ...string) string {
	p := "/ui/customers/" + url.PathEscape(customerID)
	for _, r := range rest {
		p += "/" + url.PathEscape(r)
	}
	return p
}
