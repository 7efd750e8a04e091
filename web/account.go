package web

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/throttle"
)

type accountData struct {
	Errors      map[string]string
	Changed     bool
	MinPassword int
}

// handleAccount serves GET /ui/account: a customer administrator's own
// account, where they change their password. Operators have no password
// (they sign in with the admin token): 404.
func (s *Server) handleAccount(w http.ResponseWriter, r *http.Request) error {
	if sessionFromContext(r.Context()).Operator() {
		return herald.Errorf(herald.ENOTFOUND, "page not found")
	}
	s.render(w, r, http.StatusOK, "account", "Your account",
		&accountData{Errors: map[string]string{}, Changed: r.URL.Query().Get("changed") == "1", MinPassword: MinPasswordLength})
	return nil
}

// handlePasswordChange serves POST /ui/account/password: an administrator
// changes their own password, giving the current one. Every session of
// theirs ends (WebUserSetPassword), and this browser gets a new one: a
// thief signed in elsewhere is out. Wrong current passwords count as
// failed sign-ins (throttled per username and address), and the check
// passes the same hash gate as a sign-in.
func (s *Server) handlePasswordChange(w http.ResponseWriter, r *http.Request) error {
	sess := sessionFromContext(r.Context())
	if sess.Operator() {
		return herald.Errorf(herald.ENOTFOUND, "page not found")
	}
	u := sess.user
	d := &accountData{Errors: map[string]string{}, MinPassword: MinPasswordLength}
	current, next := r.PostFormValue("current"), r.PostFormValue("password")
	if n := len([]rune(next)); n < MinPasswordLength || len(next) > maxPasswordLength {
		d.Errors["password"] = fmt.Sprintf("Use %d to %d characters.", MinPasswordLength, maxPasswordLength)
	} else if next != r.PostFormValue("confirm") {
		d.Errors["confirm"] = "The two new passwords differ."
	}
	if len(d.Errors) > 0 {
		s.render(w, r, http.StatusBadRequest, "account", "Your account", d)
		return nil
	}
	now := s.now()
	att, wait, ok := s.signIns.begin("user:"+u.Username, throttle.ClientAddr(r), now)
	if !ok {
		setRetryAfter(w, wait)
		d.Errors["current"] = tooManyTries(now, wait)
		s.render(w, r, http.StatusTooManyRequests, "account", "Your account", d)
		return nil
	}
	if !s.hashes.acquire(r.Context()) {
		att.undo()
		setRetryAfter(w, signInBusyRetry)
		d.Errors["current"] = "Herald is busy signing others in. Please try again in a few seconds."
		s.render(w, r, http.StatusServiceUnavailable, "account", "Your account", d)
		return nil
	}
	right := checkPassword(u.PasswordHash, current)
	var hash string
	if right {
		hash = hashPassword(next)
	}
	s.hashes.release()
	if !right {
		s.cfg.Logger.InfoContext(r.Context(), "web password change refused", slog.String("username", u.Username))
		d.Errors["current"] = "That is not your current password."
		s.render(w, r, http.StatusUnauthorized, "account", "Your account", d)
		return nil
	}
	att.succeeded()
	if err := s.cfg.Users.WebUserSetPassword(r.Context(), u.CustomerID, u.ID, hash); err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	u.PasswordHash = hash
	if err := s.startSession(w, r, u); err != nil {
		return err
	}
	s.cfg.Logger.InfoContext(r.Context(), "web password changed", slog.String("username", u.Username), slog.String("customer_id", u.CustomerID))
	return redirect(w, r, "/ui/account?changed=1")
}

// handleUserPasswordReset serves POST
// /ui/customers/{customerId}/users/{userId}/password: an operator sets a
// new password for a customer's administrator (who forgot theirs, or whose
// password leaked). Every session of that user ends.
func (s *Server) handleUserPasswordReset(w http.ResponseWriter, r *http.Request) error {
	if err := requireOperator(r); err != nil {
		return err
	}
	cid, id := r.PathValue("customerId"), r.PathValue("userId")
	u, err := s.cfg.Users.WebUserGet(r.Context(), cid, id)
	if err != nil {
		if herald.ErrorCode(err) == herald.ENOTFOUND {
			return err
		}
		return fmt.Errorf("get web user: %w", err)
	}
	password := r.PostFormValue("password")
	if n := len([]rune(password)); n < MinPasswordLength || len(password) > maxPasswordLength {
		return s.renderUsers(w, r, http.StatusBadRequest, &usersData{Errors: map[string]string{
			"reset": fmt.Sprintf("New password for %s: use %d to %d characters.", u.Username, MinPasswordLength, maxPasswordLength)}})
	}
	if !s.hashes.acquire(r.Context()) {
		setRetryAfter(w, signInBusyRetry)
		return herald.Errorf(herald.EUNAVAILABLE, "Herald is busy signing others in. Please try again in a few seconds.")
	}
	hash := hashPassword(password)
	s.hashes.release()
	if err := s.cfg.Users.WebUserSetPassword(r.Context(), cid, id, hash); err != nil {
		return fmt.Errorf("reset password: %w", err)
	}
	s.cfg.Logger.InfoContext(r.Context(), "web password reset by operator", slog.String("username", u.Username), slog.String("customer_id", cid))
	return redirect(w, r, customerPath(cid, "users")+"?reset="+urlQueryEscape(u.Username))
}
