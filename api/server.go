package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// DefaultMaxBodyBytes is the default limit on a request body: far more than
// any endpoint or event needs, small enough that a runaway client cannot
// make the server buffer much.
const DefaultMaxBodyBytes = 1 << 20

// MinAdminTokenLength is the shortest admin token NewServer accepts, so a
// token cannot be guessed in any useful number of tries.
const MinAdminTokenLength = 16

// Config configures a Server.
type Config struct {
	// Store keeps customers, endpoints, events and deliveries. Required.
	Store herald.Store
	// Publisher commits published events with their deliveries. Required.
	Publisher herald.Publisher
	// AdminToken is the bearer token every call must carry. Required; at
	// least MinAdminTokenLength characters.
	AdminToken herald.Secret
	// PublicURL is the base of the links built into event bodies
	// (<PublicURL>/customers/6269/jobs/1385): an absolute http or https
	// URL. Required.
	PublicURL string
	// Logger receives request logs (Debug) and internal errors (Error).
	// Default: discard.
	Logger *slog.Logger
	// MaxBodyBytes is the largest request body accepted, in bytes; a
	// larger one is refused with 413. Default: DefaultMaxBodyBytes (1 MiB).
	MaxBodyBytes int64
	// NowFunc returns the current time (event and rotation timestamps,
	// retries). Default: time.Now.
	NowFunc func() time.Time
	// WakeFunc is called after a retry is committed, so the dispatcher
	// looks for due work at once. Nil: nobody is told; the dispatcher
	// finds the delivery when it next polls.
	WakeFunc func()
	// Deliverer attempts interactive events' deliveries while the caller
	// waits. Nil: events are only queued, and an event that asks for
	// interactive delivery is refused.
	Deliverer herald.Deliverer
	// InteractiveDeadline is how long an interactive publish waits for the
	// partners. Default: herald.DefaultInteractiveDeadline (30s).
	InteractiveDeadline time.Duration
	// Checker runs `herald check`'s battery for POST
	// .../endpoints/{endpointId}/check. Nil: that route answers 503.
	Checker herald.EndpointChecker

	// The recovery tools' stores (both of Herald's stores are all of
	// them; cmd/herald passes the same one). A nil one leaves its routes
	// out (they answer 404 like any unknown path) or, for Retention and
	// RetryPolicies, makes the calls that need it refuse.

	// Health serves endpoint health and operator events.
	Health herald.HealthStore
	// Replays serves the "not delivered" view and replay jobs.
	Replays herald.ReplayStore
	// Retention keeps customers' retention periods.
	Retention herald.RetentionStore
	// RetryPolicies keeps per-customer retry policies.
	RetryPolicies herald.RetryPolicyStore
}

// validate returns the first problem with c, naming the field.
func (c *Config) validate() error {
	switch {
	case c.Store == nil:
		return errors.New("api config: Store is required")
	case c.Publisher == nil:
		return errors.New("api config: Publisher is required")
	case c.AdminToken == "":
		return errors.New("api config: AdminToken is required")
	case len(c.AdminToken) < MinAdminTokenLength:
		return errors.New("api config: AdminToken must be at least 16 characters")
	case c.PublicURL == "":
		return errors.New("api config: PublicURL is required")
	case c.MaxBodyBytes < 0:
		return errors.New("api config: MaxBodyBytes cannot be negative")
	}
	if fe := wire.CheckPublicURL(c.PublicURL); fe != nil {
		return fmt.Errorf("api config: PublicURL %s", fe.Message)
	}
	return nil
}

// withDefaults returns c with every unset optional field at its default.
func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.NowFunc == nil {
		c.NowFunc = time.Now
	}
	return c
}

// Server serves the management API. It is an http.Handler for the paths
// under /api/; mount it on a parent mux at "/api/".
type Server struct {
	cfg Config
	// tokenHash is the SHA-256 of the admin token. Comparing hashes in
	// constant time hides the token's length as well as its bytes.
	tokenHash [sha256.Size]byte
	handler   http.Handler
}

// NewServer returns a Server for cfg, or an error naming the first bad
// field of cfg.
func NewServer(cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg.withDefaults()}
	s.tokenHash = sha256.Sum256([]byte(cfg.AdminToken))
	s.handler = s.routes()
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// now returns the current time in UTC.
func (s *Server) now() time.Time { return s.cfg.NowFunc().UTC() }

// handlerFunc is the shape of every handler: it writes a success reply
// itself and returns any error, which the adapter (handle) writes.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle adapts a handlerFunc to http.Handler: the one place error replies
// are written.
func (s *Server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// errorStatus maps an error code to its HTTP status: the one place this is
// decided (STYLE §4).
func errorStatus(code string) int {
	switch code {
	case herald.EINVALID:
		return http.StatusBadRequest
	case herald.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case herald.ENOTFOUND:
		return http.StatusNotFound
	case ErrorCodeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case herald.ECONFLICT:
		return http.StatusConflict
	case herald.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case ErrorCodeUnsupportedMediaType:
		return http.StatusUnsupportedMediaType
	case herald.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// writeError writes err as an ErrorResponse. An internal error is logged in
// full and shown as "Internal error.".
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code, msg := herald.ErrorCode(err), herald.ErrorMessage(err)
	if code == herald.EINTERNAL {
		level := slog.LevelError
		if r.Context().Err() != nil {
			// The caller went away, so the failure is ours only in name.
			level = slog.LevelDebug
		}
		s.cfg.Logger.Log(r.Context(), level, "api internal error",
			slog.String("request_id", RequestIDFromContext(r.Context())),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Any("error", err))
	}
	status := errorStatus(code)
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	_ = writeJSON(w, status, &ErrorResponse{Error: ErrorBody{Code: code, Message: msg}})
}

// writeJSON writes v as the JSON body of a reply with the given status. It
// encodes before writing anything, so an encoding failure is returned
// while the handler can still reply with an error; a failure to write
// (the caller hung up) cannot be reported to anyone and is dropped.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// Bodies hold URLs; "&" reads better than "\u0026", and a JSON API
	// reply is never embedded in HTML.
	enc.SetEscapeHTML(false)
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
