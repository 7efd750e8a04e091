package platform

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// DefaultMaxBodyBytes is the default limit on a request body: a person or a
// job is a few kilobytes.
const DefaultMaxBodyBytes = 64 << 10

// MinAdminTokenLength is the shortest admin token NewServer accepts.
const MinAdminTokenLength = 16

// Config configures a Server.
type Config struct {
	// Store keeps the platform's records and partner credentials. Required.
	Store herald.PlatformStore
	// AdminToken is the bearer token of the platform itself and of
	// operators: it may do everything for every customer. Required; at
	// least MinAdminTokenLength characters.
	AdminToken herald.Secret
	// PublicURL is the base of every resource URL, in event links and in
	// Location headers: an absolute http or https URL. Required.
	PublicURL string
	// Deliverer attempts an interactive action's deliveries at once, after
	// its commit, so the reply can carry the partner's link or message.
	// Nil: actions reply with their deliveries pending, and the dispatcher
	// sends them.
	Deliverer herald.Deliverer
	// InteractiveDeadline is how long an interactive action waits for the
	// partners. Default: herald.DefaultInteractiveDeadline (30s).
	InteractiveDeadline time.Duration
	// WakeFunc is called after an action committed deliveries, so the
	// dispatcher looks for due work at once. Nil: nobody is told.
	WakeFunc func()
	// TokenLifetime is how long an access token from /oauth/token lives.
	// Default: herald.DefaultPartnerTokenExpiry (1h).
	TokenLifetime time.Duration
	// MaxBodyBytes is the largest request body accepted, in bytes; a
	// larger one is refused with 413. Default: DefaultMaxBodyBytes (64 KiB).
	MaxBodyBytes int64
	// Logger receives internal errors (Error). Default: discard.
	Logger *slog.Logger
	// NowFunc returns the current time (token expiry). Default: time.Now.
	NowFunc func() time.Time
	// ClientAuthFailures is how many failed client authentications (client
	// id and secret, at /oauth/token or with Basic) one client id may have
	// before further attempts are refused with 429 and Retry-After, even
	// with the right secret; they refill over ClientAuthWindow. Default:
	// DefaultClientAuthFailures (10).
	ClientAuthFailures int
	// ClientAuthFailuresPerAddress is the same per client address.
	// Default: DefaultClientAuthFailuresPerAddress (50).
	ClientAuthFailuresPerAddress int
	// ClientAuthWindow is how long failures take to be forgotten.
	// Default: DefaultClientAuthWindow (15m).
	ClientAuthWindow time.Duration
}

func (c *Config) validate() error {
	switch {
	case c.Store == nil:
		return errors.New("platform config: Store is required")
	case len(c.AdminToken) < MinAdminTokenLength:
		return errors.New("platform config: AdminToken must be at least 16 characters")
	case c.MaxBodyBytes < 0 || c.InteractiveDeadline < 0 || c.TokenLifetime < 0:
		return errors.New("platform config: MaxBodyBytes, InteractiveDeadline and TokenLifetime cannot be negative")
	case c.ClientAuthFailures < 0 || c.ClientAuthFailuresPerAddress < 0 || c.ClientAuthWindow < 0:
		return errors.New("platform config: ClientAuthFailures, ClientAuthFailuresPerAddress and ClientAuthWindow cannot be negative")
	}
	if fe := wire.CheckPublicURL(c.PublicURL); fe != nil {
		return fmt.Errorf("platform config: PublicURL %s", fe.Message)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.InteractiveDeadline == 0 {
		c.InteractiveDeadline = herald.DefaultInteractiveDeadline
	}
	if c.TokenLifetime == 0 {
		c.TokenLifetime = herald.DefaultPartnerTokenExpiry
	}
	if c.NowFunc == nil {
		c.NowFunc = time.Now
	}
	if c.WakeFunc == nil {
		c.WakeFunc = func() {}
	}
	if c.ClientAuthFailures == 0 {
		c.ClientAuthFailures = DefaultClientAuthFailures
	}
	if c.ClientAuthFailuresPerAddress == 0 {
		c.ClientAuthFailuresPerAddress = DefaultClientAuthFailuresPerAddress
	}
	if c.ClientAuthWindow == 0 {
		c.ClientAuthWindow = DefaultClientAuthWindow
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	return c
}

// Server serves the platform API. Mount it with Register.
type Server struct {
	cfg       Config
	tokenHash [sha256.Size]byte
	clients   *clientThrottle
	// assessmentKey signs the returnUrl of AssessmentEvents, as the web
	// portal that serves the page expects (herald.AssessmentReturnURL).
	assessmentKey []byte
	handler       http.Handler
}

// NewServer returns a Server for cfg, or an error naming the first bad field.
func NewServer(cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg.withDefaults()}
	s.tokenHash = sha256.Sum256([]byte(cfg.AdminToken))
	s.assessmentKey = herald.PortalLinkKey(cfg.AdminToken, herald.PortalLinkAssessment)
	s.clients = newClientThrottle(&s.cfg)
	s.handler = s.recoverPanic(s.routes())
	return s, nil
}

// Register mounts the server on mux: /customers/ (the resources), POST
// /oauth/token, and /api/v1/customers/{customerId}/partners (credential
// management, more specific than the management API's "/api/", so the two
// share the /api/v1 tree).
func (s *Server) Register(mux *http.ServeMux) {
	mux.Handle("/customers/", s)
	mux.Handle("/oauth/token", s)
	mux.Handle("/api/v1/customers/{customerId}/partners", s)
	mux.Handle("/api/v1/customers/{customerId}/partners/", s)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Server) now() time.Time { return s.cfg.NowFunc().UTC() }

// handlerFunc is the shape of every handler: it writes a success reply
// itself and returns any error, which the route's adapter writes.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// Codes of this package beside herald's, for statuses herald has no code for.
const (
	codeAccessDenied     = "access_denied"          // a partner asked for another customer's record
	codeMethodNotAllowed = "method_not_allowed"     // 405
	codeUnsupportedMedia = "unsupported_media_type" // 415
	// codeTooManyRequests (429) is in throttle.go.
)

// iCIMS error codes (spec section 8).
const (
	icimsInternal           = 0
	icimsFieldRequired      = 1
	icimsNotFound           = 2
	icimsAccessDenied       = 3
	icimsInvalidCredentials = 9
)

// errorStatus maps an error code to its HTTP status and iCIMS error code:
// the one place this is decided.
func errorStatus(code string) (status, icims int) {
	switch code {
	case herald.EINVALID:
		return http.StatusBadRequest, icimsFieldRequired
	case herald.ECONFLICT:
		return http.StatusConflict, icimsFieldRequired
	case herald.ETOOLARGE:
		return http.StatusRequestEntityTooLarge, icimsFieldRequired
	case codeUnsupportedMedia:
		return http.StatusUnsupportedMediaType, icimsFieldRequired
	case herald.ENOTFOUND:
		return http.StatusNotFound, icimsNotFound
	case codeMethodNotAllowed:
		return http.StatusMethodNotAllowed, icimsNotFound
	case codeAccessDenied:
		return http.StatusNotFound, icimsAccessDenied
	case herald.EUNAUTHORIZED:
		return http.StatusUnauthorized, icimsInvalidCredentials
	case codeTooManyRequests:
		return http.StatusTooManyRequests, icimsInvalidCredentials
	case herald.EUNAVAILABLE:
		return http.StatusServiceUnavailable, icimsInternal
	default:
		return http.StatusInternalServerError, icimsInternal
	}
}

// icimsErrors is the iCIMS error body.
type icimsErrors struct {
	Errors []icimsError `json:"errors"`
}

type icimsError struct {
	ErrorMessage string `json:"errorMessage"`
	ErrorCode    int    `json:"errorCode"`
}

// logInternal logs an internal error in full; the caller sees "Internal error.".
func (s *Server) logInternal(r *http.Request, err error) {
	level := slog.LevelError
	if r.Context().Err() != nil {
		level = slog.LevelDebug // the caller went away
	}
	s.cfg.Logger.Log(r.Context(), level, "platform internal error",
		slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("error", err))
}

// writeICIMSError writes err in the iCIMS form with its X-Error header.
func (s *Server) writeICIMSError(w http.ResponseWriter, r *http.Request, err error) {
	code, msg := herald.ErrorCode(err), herald.ErrorMessage(err)
	if code == herald.EINTERNAL {
		s.logInternal(r, err)
	}
	status, ic := errorStatus(code)
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="herald", Bearer realm="herald"`)
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	// A header value cannot hold line breaks; messages never do, but the
	// header must not become a way to inject one.
	detail := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, msg)
	w.Header().Set("X-Error", strconv.Itoa(ic)+":"+detail)
	_ = writeJSON(w, status, &icimsErrors{Errors: []icimsError{{ErrorMessage: msg, ErrorCode: ic}}})
}

// managementError is the management API's error body, for the partner
// credential endpoints under /api/v1 (the same shape as package api's).
type managementError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (s *Server) writeManagementError(w http.ResponseWriter, r *http.Request, err error) {
	code, msg := herald.ErrorCode(err), herald.ErrorMessage(err)
	if code == herald.EINTERNAL {
		s.logInternal(r, err)
	}
	status, _ := errorStatus(code)
	if code == codeAccessDenied {
		code = herald.ENOTFOUND
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="herald"`)
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	var body managementError
	body.Error.Code, body.Error.Message = code, msg
	_ = writeJSON(w, status, &body)
}

// writeJSON writes v as the JSON body of a reply with the given status,
// encoding first so an encoding failure can still become an error reply.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // bodies hold URLs; "&" reads better than "\u0026"
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode reply: %w", err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// resourceURL is the absolute URL of a resource path under /customers/.
func (s *Server) resourceURL(customerID string, parts ...string) string {
	var b strings.Builder
	b.WriteString(s.cfg.PublicURL + "/customers/" + url.PathEscape(customerID))
	for _, p := range parts {
		b.WriteString("/" + url.PathEscape(p))
	}
	return b.String()
}
