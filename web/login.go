package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/throttle"
)

type loginData struct {
	Next     string
	Username string
	Error    string
	Operator bool // the error is the operator form's
}

// safeNext returns next if it is a path of the UI, else /ui/, so the
// sign-in page cannot be used to send someone to another site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/ui/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/ui/"
	}
	return next
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// handleLoginPage serves GET /ui/login.
func (s *Server) handleLoginPage(w http.ResponseWriter, r *http.Request) error {
	if sessionFromContext(r.Context()) != nil {
		return redirect(w, r, safeNext(r.URL.Query().Get("next")))
	}
	s.render(w, r, http.StatusOK, "login", "Sign in", &loginData{Next: safeNext(r.URL.Query().Get("next"))})
	return nil
}

// handleLogin serves POST /ui/login: a customer administrator signs in.
// The throttle and the hash gate (signin.go) come first; a username that
// does not exist costs the same hash as one that does.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) error {
	username, password := r.PostFormValue("username"), r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	if len(username) > 4*herald.MaxWebUsernameLength {
		username = username[:4*herald.MaxWebUsernameLength] // bounds the throttle's keys; no such user exists
	}
	data := &loginData{Next: next, Username: username}
	now := s.now()
	att, wait, ok := s.signIns.begin("user:"+username, throttle.ClientAddr(r), now)
	if !ok {
		s.cfg.Logger.InfoContext(r.Context(), "web sign-in throttled", slog.String("username", username))
		setRetryAfter(w, wait)
		data.Error = tooManyTries(now, wait)
		s.render(w, r, http.StatusTooManyRequests, "login", "Sign in", data)
		return nil
	}
	u, right, err := s.checkSignIn(r, username, password)
	if err != nil {
		att.undo()
		if herald.ErrorCode(err) == herald.EUNAVAILABLE {
			setRetryAfter(w, signInBusyRetry)
			data.Error = herald.ErrorMessage(err)
			s.render(w, r, http.StatusServiceUnavailable, "login", "Sign in", data)
			return nil
		}
		return err
	}
	if !right {
		s.cfg.Logger.InfoContext(r.Context(), "web sign-in refused", slog.String("username", username))
		data.Error = "The username or password is not right."
		s.render(w, r, http.StatusUnauthorized, "login", "Sign in", data)
		return nil
	}
	att.succeeded()
	if err := s.startSession(w, r, u); err != nil {
		return err
	}
	s.cfg.Logger.InfoContext(r.Context(), "web sign-in", slog.String("username", u.Username), slog.String("customer_id", u.CustomerID))
	if next == "/ui/" {
		next = customerPath(u.CustomerID)
	}
	return redirect(w, r, next)
}

// checkSignIn looks the user up and checks the password, inside the hash
// gate. It returns EUNAVAILABLE when the gate is full.
func (s *Server) checkSignIn(r *http.Request, username, password string) (*herald.WebUser, bool, error) {
	if !s.hashes.acquire(r.Context()) {
		s.cfg.Logger.WarnContext(r.Context(), "web sign-in refused: busy")
		return nil, false, herald.Errorf(herald.EUNAVAILABLE, "Herald is busy signing others in. Please try again in a few seconds.")
	}
	defer s.hashes.release()
	u, err := s.cfg.Users.WebUserGetByUsername(r.Context(), username)
	switch {
	case err == nil:
		return u, checkPassword(u.PasswordHash, password), nil
	case herald.ErrorCode(err) == herald.ENOTFOUND:
		// Spend the same time as for a known user, so response times do
		// not tell which usernames exist.
		checkPassword(dummyHash(), password)
		return nil, false, nil
	default:
		return nil, false, fmt.Errorf("sign in: %w", err)
	}
}

// handleOperatorLogin serves POST /ui/login/operator: an operator signs in
// with the admin token. Failures are throttled per client address.
func (s *Server) handleOperatorLogin(w http.ResponseWriter, r *http.Request) error {
	next := safeNext(r.PostFormValue("next"))
	data := &loginData{Next: next, Operator: true}
	now := s.now()
	att, wait, ok := s.signIns.begin("", throttle.ClientAddr(r), now)
	if !ok {
		s.cfg.Logger.InfoContext(r.Context(), "web operator sign-in throttled")
		setRetryAfter(w, wait)
		data.Error = tooManyTries(now, wait)
		s.render(w, r, http.StatusTooManyRequests, "login", "Sign in", data)
		return nil
	}
	// Compare hashes in constant time: that hides the token's length too.
	got := sha256.Sum256([]byte(r.PostFormValue("token")))
	want := sha256.Sum256([]byte(s.cfg.AdminToken))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		s.cfg.Logger.InfoContext(r.Context(), "web operator sign-in refused")
		data.Error = "That admin token is not right."
		s.render(w, r, http.StatusUnauthorized, "login", "Sign in", data)
		return nil
	}
	att.succeeded()
	if err := s.startSession(w, r, nil); err != nil {
		return err
	}
	s.cfg.Logger.InfoContext(r.Context(), "web operator sign-in")
	return redirect(w, r, next)
}

// handleLogout serves POST /ui/logout.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(sessionCookie); err == nil {
		idHash, _ := s.sessionIDHash(c.Value)
		if err := s.cfg.Users.WebSessionDelete(r.Context(), idHash); err != nil {
			return fmt.Errorf("sign out: %w", err)
		}
	}
	s.clearSessionCookie(w, r)
	return redirect(w, r, "/ui/login?done=signed-out")
}

// handleHome serves GET /ui/: operators get the customer list, an
// administrator their customer's page.
func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) error {
	if r.URL.Path != "/ui/" {
		return herald.Errorf(herald.ENOTFOUND, "page not found")
	}
	sess := sessionFromContext(r.Context())
	if !sess.Operator() {
		return redirect(w, r, customerPath(sess.CustomerID()))
	}
	return redirect(w, r, "/ui/customers")
}
