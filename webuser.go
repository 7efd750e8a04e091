package herald

import (
	"context"
	"time"
	"unicode/utf8"
)

// IDPrefixWebUser starts the id of a web user.
const IDPrefixWebUser = "wu_"

// Limits on web users.
const (
	// MaxWebUsernameLength bounds usernames.
	MaxWebUsernameLength = 64
	// MaxWebPasswordHashLength bounds a stored password hash (a PHC string
	// of a few hundred bytes at most).
	MaxWebPasswordHashLength = 512
)

// WebUser is an administrator of one customer who signs in to the web UI
// with a username and password. They see and change that customer's
// Event Notifications, deliveries and platform records, and nothing of any
// other customer. (Operators sign in with the admin token instead and have
// no WebUser.)
type WebUser struct {
	ID         string // "wu_..."; set by WebUserCreate if empty
	CustomerID string
	// Username signs the user in; unique across all customers, so the login
	// form needs no customer id. Compared as stored (case-sensitive).
	Username string
	// PasswordHash is the password hashed by a slow KDF, as a PHC string
	// ("$argon2id$v=19$m=...,t=...,p=...$salt$hash"). The store keeps it
	// as is; hashing and checking belong to the web package.
	PasswordHash string
	// PersonID optionally names the platform user (a Person of type user)
	// this administrator acts as when the UI runs a platform action, such
	// as a status change, that records who made it.
	PersonID  string
	CreatedAt time.Time
}

// Validate returns an EINVALID error naming the first field that breaks a rule.
func (u *WebUser) Validate() error {
	if u.CustomerID == "" {
		return Errorf(EINVALID, "customerId is required")
	}
	if u.Username == "" {
		return Errorf(EINVALID, "username is required")
	}
	if utf8.RuneCountInString(u.Username) > MaxWebUsernameLength {
		return Errorf(EINVALID, "username cannot be longer than %d characters", MaxWebUsernameLength)
	}
	for _, r := range u.Username {
		// Usernames are typed on phones and shown in lists: keep them to
		// characters nobody confuses or needs to escape.
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' || r == '@') {
			return Errorf(EINVALID, "username may contain only letters, digits, '-', '_', '.' and '@'")
		}
	}
	if err := ValidateWebPasswordHash(u.PasswordHash); err != nil {
		return err
	}
	if u.PersonID != "" && (len(u.PersonID) > 64 || !utf8.ValidString(u.PersonID)) {
		return Errorf(EINVALID, "personId cannot be longer than 64 characters")
	}
	return nil
}

// ValidateWebPasswordHash returns EINVALID unless hash is one a store
// keeps: not empty, and at most MaxWebPasswordHashLength bytes.
func ValidateWebPasswordHash(hash string) error {
	if hash == "" || len(hash) > MaxWebPasswordHashLength {
		return Errorf(EINVALID, "passwordHash is required and at most %d bytes", MaxWebPasswordHashLength)
	}
	return nil
}

// WebUsernameTaken is the ECONFLICT of WebUserStore.WebUserCreate when
// another user, of any customer, has the username.
func WebUsernameTaken(username string) *Error {
	return Errorf(ECONFLICT, "username %q is taken", username)
}

// WebSession is a signed-in browser. The browser holds a random session id
// in a cookie; the store keeps only its SHA-256 (IDHash), so a copy of the
// database does not hand out live sessions.
type WebSession struct {
	IDHash []byte
	// UserID is the WebUser signed in; empty for an operator session.
	UserID string
	// CustomerID is the customer a WebUser administers; empty for an
	// operator session.
	CustomerID string
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// Operator reports whether the session is an operator's (admin token).
func (s *WebSession) Operator() bool { return s.UserID == "" }

// Validate returns EINVALID unless the session has an id hash and expires
// after it is created.
func (s *WebSession) Validate() error {
	if len(s.IDHash) == 0 || !s.ExpiresAt.After(s.CreatedAt) {
		return Errorf(EINVALID, "a session needs an id hash and an expiry after its creation")
	}
	return nil
}

// WebSessionNotFound is the ENOTFOUND of WebUserStore.WebSessionGet: no
// session has that id hash, or it has expired. It names no id: the id is
// the secret the browser holds.
func WebSessionNotFound() *Error {
	return Errorf(ENOTFOUND, "session not found")
}

// WebUserStore keeps the web UI's users and sessions. It is separate from
// Store, like PlatformStore, so stores and fakes that only deliver events
// need not implement it; the sqlite and postgres stores implement it on the
// same database. Each method is one transaction. Methods return *Error
// values with the codes listed; any other error is internal.
type WebUserStore interface {
	// WebUserCreate stores a new user, setting ID (if empty) and
	// CreatedAt. Returns EINVALID if it does not validate, ENOTFOUND if the
	// customer does not exist, ECONFLICT if the username is taken.
	WebUserCreate(ctx context.Context, u *WebUser) error
	// WebUserGetByUsername returns the user with that username, whatever
	// its customer. Returns ENOTFOUND if there is none.
	WebUserGetByUsername(ctx context.Context, username string) (*WebUser, error)
	// WebUserGet returns ENOTFOUND unless the user exists for that customer.
	WebUserGet(ctx context.Context, customerID, id string) (*WebUser, error)
	// WebUserList returns a customer's users, oldest first.
	WebUserList(ctx context.Context, customerID string) ([]*WebUser, error)
	// WebUserSetPassword replaces a user's password hash and ends every
	// session of the user. Returns EINVALID for an empty or oversized
	// hash, ENOTFOUND unless the user exists for that customer.
	WebUserSetPassword(ctx context.Context, customerID, id, passwordHash string) error
	// WebUserDelete removes a user and every session of the user.
	// Returns ENOTFOUND unless the user exists for that customer.
	WebUserDelete(ctx context.Context, customerID, id string) error

	// WebSessionCreate stores a session, and removes every session that
	// has expired at s.CreatedAt, so expired rows never pile up. Returns
	// EINVALID if IDHash is empty or ExpiresAt is not after CreatedAt,
	// ENOTFOUND if UserID names no user.
	WebSessionCreate(ctx context.Context, s *WebSession) error
	// WebSessionGet returns the session with that id hash if it has not
	// expired at now. Returns ENOTFOUND otherwise.
	WebSessionGet(ctx context.Context, idHash []byte, now time.Time) (*WebSession, error)
	// WebSessionDelete ends a session (sign out). Deleting a session that
	// does not exist is not an error.
	WebSessionDelete(ctx context.Context, idHash []byte) error
}
