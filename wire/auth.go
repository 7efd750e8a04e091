package wire

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Signer authenticates one outgoing request (spec section 5). body is the
// request body exactly as sent: the gzip'd bytes when gzip is on. now is the
// time to sign with, injected so tests never read the clock.
type Signer interface {
	Sign(req *http.Request, body []byte, now time.Time) error
}

// Errors of the Verify functions. Callers branch on them with errors.Is.
var (
	// ErrMissingAuth: the request carries no credentials of the expected kind.
	ErrMissingAuth = errors.New("missing authentication")
	// ErrBadAuthHeader: the credentials are there but malformed.
	ErrBadAuthHeader = errors.New("malformed authentication header")
	// ErrWrongCredentials: a Basic username or password (or an HMAC
	// username) that is not accepted.
	ErrWrongCredentials = errors.New("wrong credentials")
	// ErrSignatureMismatch: no signature matches the body and the secret.
	ErrSignatureMismatch = errors.New("signature does not match")
	// ErrTimestampTooOld: the signed time is further in the past than the
	// tolerance (a replay, or a slow clock).
	ErrTimestampTooOld = errors.New("signature timestamp too old")
	// ErrTimestampTooNew: the signed time is further in the future than the
	// tolerance.
	ErrTimestampTooNew = errors.New("signature timestamp too new")
)

// ContentSHA256 returns the lowercase hex SHA-256 of body, the value of
// x-icims-content-sha256.
func ContentSHA256(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

const redacted = "REDACTED"

// BasicAuth signs with HTTP Basic authentication.
type BasicAuth struct {
	Username string
	Password string
}

var _ Signer = BasicAuth{}

// Sign implements Signer.
func (a BasicAuth) Sign(req *http.Request, _ []byte, _ time.Time) error {
	req.SetBasicAuth(a.Username, a.Password)
	return nil
}

// String implements fmt.Stringer without the password.
func (a BasicAuth) String() string { return "BasicAuth{" + a.Username + ", " + redacted + "}" }

// LogValue implements slog.LogValuer without the password.
func (a BasicAuth) LogValue() slog.Value { return slog.StringValue(a.String()) }

// BearerToken signs with "Authorization: Bearer <token>".
type BearerToken string

var _ Signer = BearerToken("")

// Sign implements Signer.
func (t BearerToken) Sign(req *http.Request, _ []byte, _ time.Time) error {
	req.Header.Set("Authorization", "Bearer "+string(t))
	return nil
}

// String implements fmt.Stringer: it prints REDACTED, never the token.
func (t BearerToken) String() string { return redacted }

// LogValue implements slog.LogValuer: it logs REDACTED, never the token.
func (t BearerToken) LogValue() slog.Value { return slog.StringValue(redacted) }

// VerifyBasic checks the request's Basic credentials with check, which must
// compare in constant time (subtle.ConstantTimeCompare). It returns the
// username. Errors: ErrMissingAuth (no Basic Authorization header),
// ErrBadAuthHeader (not base64 "user:pass"), ErrWrongCredentials.
func VerifyBasic(h http.Header, check func(user, pass string) bool) (user string, err error) {
	auth := h.Get("Authorization")
	scheme, cred, ok := strings.Cut(strings.TrimSpace(auth), " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return "", ErrMissingAuth
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	if err != nil {
		return "", ErrBadAuthHeader
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", ErrBadAuthHeader
	}
	if !check(user, pass) {
		return "", ErrWrongCredentials
	}
	return user, nil
}

// CheckBasic returns a check for VerifyBasic that accepts exactly one
// username and password, compared in constant time.
func CheckBasic(username, password string) func(user, pass string) bool {
	return func(user, pass string) bool {
		u := subtle.ConstantTimeCompare([]byte(user), []byte(username))
		p := subtle.ConstantTimeCompare([]byte(pass), []byte(password))
		return u&p == 1
	}
}
