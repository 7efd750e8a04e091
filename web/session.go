package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	"github.com/heraldhq/herald"
)

// sessionCookie names the session cookie. Its Path is /ui/, so the browser
// never sends it to the management or platform APIs, which use bearer
// tokens, nor to the public portal pages.
const sessionCookie = "herald_session"

// session is a signed-in browser, as handlers see it.
type session struct {
	rec  *herald.WebSession
	user *herald.WebUser // nil for an operator
	// csrf is the per-session token every form carries: an HMAC of a fixed
	// label under the raw session id, so it needs no storage and changes
	// with each sign-in, and cannot be derived from the stored hash.
	csrf string
}

// Operator reports whether an operator (admin token) is signed in.
func (s *session) Operator() bool { return s.user == nil }

// Name is who is signed in, for the page header.
func (s *session) Name() string {
	if s.user == nil {
		return "Operator"
	}
	return s.user.Username
}

// actor is who the session's changes are recorded as: the
// administrator's username, or herald.DisabledByOperator.
func (s *session) actor() string {
	if s.user == nil {
		return herald.DisabledByOperator
	}
	return s.user.Username
}

// CustomerID is the customer a customer administrator administers; empty
// for an operator.
func (s *session) CustomerID() string { return s.rec.CustomerID }

type sessionKey struct{}

func newContextWithSession(ctx context.Context, s *session) context.Context {
	return context.WithValue(ctx, sessionKey{}, s)
}

func sessionFromContext(ctx context.Context) *session {
	s, _ := ctx.Value(sessionKey{}).(*session)
	return s
}

func hashSessionID(id string) []byte {
	sum := sha256.Sum256([]byte(id))
	return sum[:]
}

// An operator's session is tied to the admin token it was opened with, so
// rotating HERALD_ADMIN_TOKEN (what an operator does after a leak) ends
// every operator session at once, on every node. The cookie of an operator
// session starts with operatorSessionPrefix, and the store keeps an HMAC of
// its id under a key derived from the admin token (operatorSessionKey)
// instead of a plain SHA-256. After a rotation the same cookie hashes to
// an id the store does not have: the session is gone, with no extra column
// and no comparison that could be forgotten on some path.
const (
	operatorSessionPrefix = "o."
	operatorSessionLabel  = "herald operator session v1"
)

// operatorSessionKey derives the operator session key from the admin token.
func operatorSessionKey(adminToken herald.Secret) []byte {
	m := hmac.New(sha256.New, []byte(adminToken))
	m.Write([]byte(operatorSessionLabel))
	return m.Sum(nil)
}

// sessionIDHash is what the store keeps of a session cookie's value: an
// HMAC under the admin token's session key for an operator's, the SHA-256
// of a customer administrator's.
func (s *Server) sessionIDHash(cookie string) (hash []byte, operator bool) {
	if strings.HasPrefix(cookie, operatorSessionPrefix) {
		m := hmac.New(sha256.New, s.sessionKey)
		m.Write([]byte(cookie))
		return m.Sum(nil), true
	}
	return hashSessionID(cookie), false
}

func csrfToken(rawID string) string {
	m := hmac.New(sha256.New, []byte(rawID))
	m.Write([]byte("herald web csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// startSession stores a new session for user (nil: operator) and sets its
// cookie. A new random id at every sign-in rules out session fixation.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, user *herald.WebUser) error {
	var raw [32]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never fails (Go 1.24+).
	id := base64.RawURLEncoding.EncodeToString(raw[:])
	if user == nil {
		id = operatorSessionPrefix + id
	}
	idHash, _ := s.sessionIDHash(id)
	now := s.now()
	rec := &herald.WebSession{IDHash: idHash, CreatedAt: now, ExpiresAt: now.Add(s.cfg.SessionTTL)}
	if user != nil {
		rec.UserID, rec.CustomerID = user.ID, user.CustomerID
	}
	if err := s.cfg.Users.WebSessionCreate(r.Context(), rec); err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: id, Path: "/ui/",
		Expires: rec.ExpiresAt, MaxAge: int(s.cfg.SessionTTL.Seconds()),
		HttpOnly: true, Secure: s.secure || r.TLS != nil, SameSite: http.SameSiteLaxMode,
	})
	return nil
}

func (s *Server) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/ui/", MaxAge: -1,
		HttpOnly: true, Secure: s.secure || r.TLS != nil, SameSite: http.SameSiteLaxMode})
}

// loadSession puts the request's session, if its cookie names a live one,
// in the request context. A stale cookie is cleared.
func (s *Server) loadSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		if err != nil || c.Value == "" || len(c.Value) > 100 {
			next.ServeHTTP(w, r)
			return
		}
		idHash, operator := s.sessionIDHash(c.Value)
		rec, err := s.cfg.Users.WebSessionGet(r.Context(), idHash, s.now())
		if err == nil && rec.Operator() != operator {
			// A session of the other kind: only an older release made
			// operator sessions without the prefix. Sign in again.
			err = herald.Errorf(herald.ENOTFOUND, "session not found")
		}
		if err != nil {
			if herald.ErrorCode(err) != herald.ENOTFOUND {
				s.writeError(w, r, fmt.Errorf("load session: %w", err))
				return
			}
			s.clearSessionCookie(w, r)
			next.ServeHTTP(w, r)
			return
		}
		sess := &session{rec: rec, csrf: csrfToken(c.Value)}
		if !rec.Operator() {
			u, err := s.cfg.Users.WebUserGet(r.Context(), rec.CustomerID, rec.UserID)
			if err != nil {
				if herald.ErrorCode(err) != herald.ENOTFOUND {
					s.writeError(w, r, fmt.Errorf("load session user: %w", err))
					return
				}
				s.clearSessionCookie(w, r)
				next.ServeHTTP(w, r)
				return
			}
			sess.user = u
		}
		next.ServeHTTP(w, r.WithContext(newContextWithSession(r.Context(), sess)))
	})
}

// requireSession sends a signed-out browser to the sign-in page, and checks
// the per-session CSRF token of every state-changing request. The token is
// a second line behind http.CrossOriginProtection: it also covers a
// browser too old to send Sec-Fetch-Site or Origin.
func (s *Server) requireSession(h handlerFunc) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		sess := sessionFromContext(r.Context())
		if sess == nil {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				return redirect(w, r, "/ui/login?next="+urlQueryEscape(r.URL.RequestURI()))
			}
			return herald.Errorf(herald.EUNAUTHORIZED, "Your session has ended. Please sign in again.")
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(sess.csrf)) != 1 {
				return herald.Errorf(herald.EUNAUTHORIZED, "This form has expired. Please go back, reload the page and try again.")
			}
		}
		return h(w, r)
	})
}

// authorize returns ENOTFOUND unless the session may see the customer: an
// operator sees every customer, an administrator only their own. Another
// customer's pages are "not found", not "forbidden", so an administrator
// learns nothing about which other customers exist.
func authorize(r *http.Request, customerID string) error {
	sess := sessionFromContext(r.Context())
	if sess == nil || (!sess.Operator() && sess.CustomerID() != customerID) {
		return herald.Errorf(herald.ENOTFOUND, "customer %q not found", customerID)
	}
	return nil
}

// requireOperator returns ENOTFOUND unless an operator is signed in.
func requireOperator(r *http.Request) error {
	if sess := sessionFromContext(r.Context()); sess == nil || !sess.Operator() {
		return herald.Errorf(herald.ENOTFOUND, "page not found")
	}
	return nil
}
