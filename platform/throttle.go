package platform

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/throttle"
)

// Defaults of the client-authentication throttle.
const (
	// DefaultClientAuthFailures is how many failed authentications one
	// client id may have in a row before it must wait; one more is allowed
	// every ClientAuthWindow/DefaultClientAuthFailures after that.
	DefaultClientAuthFailures = 10
	// DefaultClientAuthFailuresPerAddress is the same per client address.
	DefaultClientAuthFailuresPerAddress = 50
	// DefaultClientAuthWindow is the span over which failures refill.
	DefaultClientAuthWindow = 15 * time.Minute
)

// codeTooManyRequests is this package's code for a throttled caller: 429.
const codeTooManyRequests = "too_many_requests"

// clientThrottle limits failed client authentications (a partner's client
// id and secret, at POST /oauth/token and with Basic on the API) per client
// id and per client address, so a secret cannot be guessed at speed. Like
// the web sign-in, an attempt takes a token of both buckets before the
// check and gives them back when the secret was right.
type clientThrottle struct {
	ids, addrs *throttle.Limiter
}

func newClientThrottle(c *Config) *clientThrottle {
	return &clientThrottle{
		ids:   throttle.New(c.ClientAuthFailures, c.ClientAuthWindow, 0),
		addrs: throttle.New(c.ClientAuthFailuresPerAddress, c.ClientAuthWindow, 0),
	}
}

// throttledError is a refusal by the throttle, with when to try again.
type throttledError struct {
	wait time.Duration
	err  error
}

func (e *throttledError) Error() string { return e.err.Error() }
func (e *throttledError) Unwrap() error { return e.err }

// retryAfter returns the wait of a throttled refusal, if err is one.
func retryAfter(err error) (time.Duration, bool) {
	var te *throttledError
	if errors.As(err, &te) {
		return te.wait, true
	}
	return 0, false
}

func setRetryAfter(w http.ResponseWriter, d time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(throttle.RetryAfterSeconds(d)))
}

// checkClientThrottled is checkClient behind the throttle. A refusal is a
// *throttledError with code codeTooManyRequests.
func (s *Server) checkClientThrottled(r *http.Request, clientID, secret string) (*Principal, error) {
	now := s.now()
	addr := throttle.ClientAddr(r)
	if len(clientID) > 128 {
		clientID = clientID[:128] // bounds the keys; no such client exists
	}
	wait, ok := s.clients.addrs.Take(addr, now)
	if ok {
		if wait, ok = s.clients.ids.Take(clientID, now); !ok {
			s.clients.addrs.Give(addr, now)
		}
	}
	if !ok {
		return nil, &throttledError{wait: wait, err: herald.Errorf(codeTooManyRequests,
			"Too many failed client authentications. Retry after %d seconds.", throttle.RetryAfterSeconds(wait))}
	}
	p, err := s.checkClient(r.Context(), clientID, secret)
	if herald.ErrorCode(err) == herald.EUNAUTHORIZED {
		return nil, err // a failure: the tokens stay taken
	}
	s.clients.addrs.Give(addr, now)
	if err == nil {
		s.clients.ids.Reset(clientID)
	} else {
		s.clients.ids.Give(clientID, now) // the store failed: not the caller's fault
	}
	return p, err
}
