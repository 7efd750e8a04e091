package receiver

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/heraldhq/herald/wire"
)

// DefaultTolerance is how far a signed timestamp may be from the receiver's
// clock before the signature is refused (spec section 5: 5 minutes).
const DefaultTolerance = 5 * time.Minute

// Verifier authenticates an event request. body is the body as received,
// before any decompression, because that is what senders sign.
//
// Verify returns the sender's username when the scheme has one (Basic,
// HMAC), else "". Errors wrap the sentinels of package wire
// (wire.ErrMissingAuth, wire.ErrSignatureMismatch, wire.ErrTimestampTooOld,
// ...), so callers can tell them apart with errors.Is.
type Verifier interface {
	Verify(r *http.Request, body []byte, now time.Time) (sender string, err error)
}

// VerifierFunc adapts a function to Verifier.
type VerifierFunc func(r *http.Request, body []byte, now time.Time) (string, error)

// Verify implements Verifier.
func (f VerifierFunc) Verify(r *http.Request, body []byte, now time.Time) (string, error) {
	return f(r, body, now)
}

// NoAuth accepts every request. Use it for local development only: anyone
// who can reach the endpoint can send it events.
func NoAuth() Verifier {
	return VerifierFunc(func(*http.Request, []byte, time.Time) (string, error) { return "", nil })
}

// Basic accepts HTTP Basic authentication with exactly this username and
// password, compared in constant time.
func Basic(username, password string) Verifier {
	return BasicFunc(wire.CheckBasic(username, password))
}

// BasicFunc accepts HTTP Basic authentication that check approves. check
// should compare in constant time (crypto/subtle).
func BasicFunc(check func(username, password string) bool) Verifier {
	return VerifierFunc(func(r *http.Request, _ []byte, _ time.Time) (string, error) {
		return wire.VerifyBasic(r.Header, check)
	})
}

// Bearer accepts "Authorization: Bearer <token>" when check approves the
// token, as when the platform authenticates with OAuth 2.0 and the partner
// validates the access tokens its own token endpoint issued.
func Bearer(check func(token string) bool) Verifier {
	return VerifierFunc(func(r *http.Request, _ []byte, _ time.Time) (string, error) {
		scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return "", wire.ErrMissingAuth
		}
		if token = strings.TrimSpace(token); token == "" {
			return "", wire.ErrBadAuthHeader
		}
		if !check(token) {
			return "", wire.ErrWrongCredentials
		}
		return "", nil
	})
}

// BearerToken returns a check for Bearer that accepts exactly token,
// compared in constant time.
func BearerToken(token string) func(string) bool {
	return func(got string) bool {
		return subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1
	}
}

// HMACVerifier verifies x-icims-v1-hmac-sha256 signatures (spec section 5).
type HMACVerifier struct {
	// SecretFunc returns the shared secret of a username, and false for
	// an unknown username.
	SecretFunc func(username string) ([]byte, bool)
	// Tolerance is how far x-icims-date may be from now. Default
	// (zero): DefaultTolerance.
	Tolerance time.Duration
}

// HMAC returns a verifier for one username and its shared secret.
func HMAC(username string, secret []byte) *HMACVerifier {
	return &HMACVerifier{SecretFunc: func(u string) ([]byte, bool) {
		return secret, subtle.ConstantTimeCompare([]byte(u), []byte(username)) == 1
	}}
}

// Verify implements Verifier.
func (v *HMACVerifier) Verify(r *http.Request, body []byte, now time.Time) (string, error) {
	return wire.VerifyHMAC(r, body, v.SecretFunc, now, tolerance(v.Tolerance))
}

// StandardWebhooksVerifier verifies Standard Webhooks signatures with any of
// several secrets, so a partner can roll its secret over.
type StandardWebhooksVerifier struct {
	// Secrets are the accepted "whsec_..." secrets.
	Secrets []string
	// Tolerance is how far webhook-timestamp may be from now. Default
	// (zero): DefaultTolerance.
	Tolerance time.Duration
}

// StandardWebhooks returns a verifier that accepts a signature by any of
// secrets ("whsec_...").
func StandardWebhooks(secrets ...string) *StandardWebhooksVerifier {
	return &StandardWebhooksVerifier{Secrets: secrets}
}

// Verify implements Verifier.
func (v *StandardWebhooksVerifier) Verify(r *http.Request, body []byte, now time.Time) (string, error) {
	return "", wire.VerifyStandardWebhooks(r.Header, body, v.Secrets, now, tolerance(v.Tolerance))
}

func tolerance(d time.Duration) time.Duration {
	if d <= 0 {
		return DefaultTolerance
	}
	return d
}
