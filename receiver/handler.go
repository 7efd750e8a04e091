package receiver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/wire"
)

// DefaultMaxBodyBytes is the default body limit: 1 MiB, far above any real
// event (they are a few hundred bytes).
const DefaultMaxBodyBytes = 1 << 20

// Errors of Handler.ReadEvent, besides the authentication errors of package
// wire. Callers branch on them with errors.Is.
var (
	// ErrBodyTooLarge: the body, or its decompressed form, is over the limit.
	ErrBodyTooLarge = errors.New("event body too large")
	// ErrUnsupportedEncoding: a Content-Encoding other than gzip.
	ErrUnsupportedEncoding = errors.New("unsupported content encoding")
	// ErrMalformed: the body is not an event (not JSON, or without
	// customerId, eventType or systemId).
	ErrMalformed = errors.New("malformed event")
)

// EventHandler handles a verified, parsed event and says what to reply.
// Mux is one; HandlerFunc adapts a function.
type EventHandler interface {
	ServeEvent(ctx context.Context, e *Event) Reply
}

// HandlerFunc adapts a function to EventHandler.
type HandlerFunc func(ctx context.Context, e *Event) Reply

// ServeEvent implements EventHandler.
func (f HandlerFunc) ServeEvent(ctx context.Context, e *Event) Reply { return f(ctx, e) }

// Config configures a Handler.
type Config struct {
	// Verifier authenticates each request. Required: use NoAuth to accept
	// unauthenticated requests, for local development only.
	Verifier Verifier
	// MaxBodyBytes limits the body as received and again after
	// decompression. Default (zero): DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// NowFunc returns the current time, for signature timestamps.
	// Default: time.Now.
	NowFunc func() time.Time
	// ErrorFunc, if set, is called with each request the Handler refuses
	// before reaching the EventHandler (authentication, size, encoding,
	// malformed body), and with a recovered panic of the EventHandler.
	ErrorFunc func(r *http.Request, err error)
	// Logger, if set, logs the same refusals at Warn and panics at Error.
	// It never logs bodies or credentials.
	Logger *slog.Logger
}

// Handler is the http.Handler of a partner's event endpoint. It reads each
// POST (ReadEvent), passes the event to its EventHandler, and writes the
// Reply. Refusals get the status a sender understands: 401 for failed
// authentication, 413 for a body over the limit, 415 for an unknown
// encoding, 400 for a malformed event, 405 for a method other than POST.
// A panic in the EventHandler is recovered and answered 500.
type Handler struct {
	cfg  Config
	next EventHandler
}

var _ http.Handler = (*Handler)(nil)

// NewHandler returns a Handler that passes events to next. It panics if
// cfg.Verifier or next is nil: both are programming errors at startup.
func NewHandler(cfg Config, next EventHandler) *Handler {
	if cfg.Verifier == nil {
		panic("receiver: Config.Verifier is nil; use receiver.NoAuth() to accept unauthenticated requests")
	}
	if next == nil {
		panic("receiver: nil EventHandler")
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.NowFunc == nil {
		cfg.NowFunc = time.Now
	}
	return &Handler{cfg: cfg, next: next}
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		Reply{Status: http.StatusMethodNotAllowed, UserMessage: "Events must be POSTed."}.Write(w)
		return
	}
	e, err := h.ReadEvent(w, r)
	if err != nil {
		h.refused(r, err)
		replyFor(err).Write(w)
		return
	}
	h.serveEvent(r, e).Write(w)
}

func (h *Handler) serveEvent(r *http.Request, e *Event) (reply Reply) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			err := fmt.Errorf("event handler panic: %v", p)
			if h.cfg.ErrorFunc != nil {
				h.cfg.ErrorFunc(r, err)
			}
			if h.cfg.Logger != nil {
				h.cfg.Logger.ErrorContext(r.Context(), "event handler panic", slog.Any("panic", p),
					slog.String("event_type", string(e.Type)), slog.String("stack", string(debug.Stack())))
			}
			reply = ServerError("", "internal error")
		}
	}()
	return h.next.ServeEvent(r.Context(), e)
}

func (h *Handler) refused(r *http.Request, err error) {
	if h.cfg.ErrorFunc != nil {
		h.cfg.ErrorFunc(r, err)
	}
	if h.cfg.Logger != nil {
		h.cfg.Logger.WarnContext(r.Context(), "event refused", slog.String("error", err.Error()),
			slog.String("remote_addr", r.RemoteAddr))
	}
}

// replyFor maps a ReadEvent error to the reply. Authentication failures do
// not say why, so a prober learns nothing; the reason goes to ErrorFunc and
// the log.
func replyFor(err error) Reply {
	switch {
	case errors.Is(err, ErrBodyTooLarge):
		return Reply{Status: http.StatusRequestEntityTooLarge, UserMessage: "The event is too large."}
	case errors.Is(err, ErrUnsupportedEncoding):
		return Reply{Status: http.StatusUnsupportedMediaType, UserMessage: "The event's Content-Encoding is not supported.", DebugMessage: err.Error()}
	case errors.Is(err, ErrMalformed):
		return BadRequest("The event could not be read.", err.Error())
	default:
		return Reply{Status: http.StatusUnauthorized, UserMessage: "The event could not be authenticated."}
	}
}

// ReadEvent reads, authenticates, decompresses and parses the event in r,
// without calling the EventHandler: use it to write your own http.Handler.
// w may be nil; when set, it lets http.MaxBytesReader close the connection
// of a client that sends too much. Errors: ErrBodyTooLarge,
// ErrUnsupportedEncoding, ErrMalformed, or an authentication error wrapping
// a sentinel of package wire.
func (h *Handler) ReadEvent(w http.ResponseWriter, r *http.Request) (*Event, error) {
	limit := h.cfg.MaxBodyBytes
	now := h.cfg.NowFunc()
	if r.ContentLength > limit {
		return nil, fmt.Errorf("read event: %d bytes, limit %d: %w", r.ContentLength, limit, ErrBodyTooLarge)
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, fmt.Errorf("read event: over %d bytes: %w", limit, ErrBodyTooLarge)
		}
		return nil, fmt.Errorf("read event: %w", err)
	}

	// Authenticate the bytes as sent, before spending work on them.
	sender, err := h.cfg.Verifier.Verify(r, raw, now)
	if err != nil {
		return nil, fmt.Errorf("authenticate event: %w", err)
	}

	data := raw
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "gzip", "x-gzip":
		data, err = gunzip(raw, limit)
	case "", "identity":
		// Some senders gzip without saying so.
		if wire.IsGzip(raw) {
			data, err = gunzip(raw, limit)
		}
	default:
		return nil, fmt.Errorf("read event: %q: %w", enc, ErrUnsupportedEncoding)
	}
	if err != nil {
		return nil, err
	}

	body, err := wire.ParseBody(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	for _, f := range []struct{ name, v string }{
		{"customerId", body.CustomerID}, {"eventType", string(body.EventType)}, {"systemId", body.SystemID},
	} {
		if f.v == "" {
			return nil, fmt.Errorf("%w: no %s", ErrMalformed, f.name)
		}
	}

	e := &Event{
		ID:         r.Header.Get(wire.HeaderEventID),
		Type:       body.EventType.Canonical(),
		CustomerID: body.CustomerID,
		SystemID:   body.SystemID,
		UserID:     body.UserID,
		Links:      body.Links,
		Body:       body,
		JSON:       data,
		Header:     r.Header,
		Sender:     sender,
		ReceivedAt: now,
	}
	e.Test = wire.IsTestEvent(r.Header)
	if n, err := strconv.Atoi(r.Header.Get(wire.HeaderAttempt)); err == nil && n > 0 {
		e.Attempt = n
	}
	e.TraceParent = traceParentOf(r.Header)
	e.Links = mergeLinks(body.Links, r.Header.Values("Link"))
	return e, nil
}

func gunzip(raw []byte, limit int64) ([]byte, error) {
	data, err := wire.Gunzip(raw, limit)
	switch {
	case errors.Is(err, wire.ErrTooLarge):
		return nil, fmt.Errorf("read event: decompressed: %w", ErrBodyTooLarge)
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return data, nil
}

// mergeLinks appends the Link header's links that the body lacks. A
// malformed legacy header is ignored: the body is the source of truth.
func mergeLinks(body []wire.Link, headers []string) []wire.Link {
	if len(headers) == 0 {
		return body
	}
	hl, err := wire.ParseLinkHeader(strings.Join(headers, ","))
	if err != nil || len(hl) == 0 {
		return body
	}
	out := append([]wire.Link(nil), body...)
	for _, l := range hl {
		dup := false
		for _, b := range body {
			dup = dup || (b.Rel == l.Rel && b.URL == l.URL)
		}
		if !dup {
			out = append(out, l)
		}
	}
	return out
}
