package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/heraldhq/herald/internal/throttle"
)

// Sign-in protection. Argon2id is memory-hard on purpose (19 MiB a hash),
// so an unbounded number of sign-ins at once is an easy way to exhaust
// memory, and unthrottled sign-ins let anyone guess passwords. Two guards
// sit in front of every password check:
//
//   - hashGate: at most Config.MaxConcurrentHashes hashes run at once, and
//     at most signInQueue sign-ins wait for one; the rest are answered 503
//     with Retry-After. Unknown usernames pass the same gate and hash the
//     same dummy hash, so neither timing nor memory tells them apart.
//   - signInThrottle: failed sign-ins are limited per username and per
//     client address (token buckets, bounded memory). A refused sign-in is
//     answered 429 with Retry-After, and the page says when to try again,
//     even if the password was right.

// Defaults of the sign-in guards.
const (
	// DefaultMaxConcurrentHashes is how many Argon2id hashes run at once:
	// 2 × 19 MiB, and one per core of a small node.
	DefaultMaxConcurrentHashes = 2
	// DefaultSignInFailuresPerUser is how many failed sign-ins a username
	// may have in a row before it must wait; one more is allowed every
	// SignInWindow/DefaultSignInFailuresPerUser after that.
	DefaultSignInFailuresPerUser = 10
	// DefaultSignInFailuresPerAddress is the same per client address: more,
	// because several people may share one address.
	DefaultSignInFailuresPerAddress = 50
	// DefaultSignInWindow is the span over which those failures refill.
	DefaultSignInWindow = 15 * time.Minute
)

// signInQueue is how many sign-ins may wait for a hash; signInWait is how
// long one waits at most. Short, so a flood is refused rather than queued.
const (
	signInQueue = 8
	signInWait  = 5 * time.Second
	// signInBusyRetry is the Retry-After of a refused busy sign-in.
	signInBusyRetry = 2 * time.Second
)

// hashGate bounds how many password hashes run at once.
type hashGate struct {
	slots   chan struct{}
	waiting atomic.Int64
}

func newHashGate(n int) *hashGate { return &hashGate{slots: make(chan struct{}, n)} }

// acquire takes a slot, waiting at most signInWait and only if fewer than
// signInQueue others wait. It reports whether it got one; release it then.
func (g *hashGate) acquire(ctx context.Context) bool {
	select {
	case g.slots <- struct{}{}:
		return true
	default:
	}
	if g.waiting.Add(1) > signInQueue {
		g.waiting.Add(-1)
		return false
	}
	defer g.waiting.Add(-1)
	t := time.NewTimer(signInWait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	case <-t.C:
		return false
	}
}

func (g *hashGate) release() { <-g.slots }

// signInThrottle limits failed sign-ins per username and per address.
type signInThrottle struct {
	users *throttle.Limiter
	addrs *throttle.Limiter
}

func newSignInThrottle(c *Config) *signInThrottle {
	return &signInThrottle{
		users: throttle.New(c.SignInFailuresPerUser, c.SignInWindow, 0),
		addrs: throttle.New(c.SignInFailuresPerAddress, c.SignInWindow, 0),
	}
}

// signInAttempt is one sign-in's claim on the throttle: a failure token of
// its address and, for a password sign-in, of its username. It is taken
// before the check, so concurrent guesses cannot all slip past a nearly
// empty bucket, and given back when the sign-in succeeds.
type signInAttempt struct {
	t          *signInThrottle
	user, addr string
	now        time.Time
}

// begin takes the attempt's tokens. If one is missing it takes none and
// returns how long until the sign-in may be tried.
func (t *signInThrottle) begin(user, addr string, now time.Time) (*signInAttempt, time.Duration, bool) {
	a := &signInAttempt{t: t, user: user, addr: addr, now: now}
	wait, ok := t.addrs.Take(addr, now)
	if !ok {
		return nil, wait, false
	}
	if user != "" {
		if wait, ok = t.users.Take(user, now); !ok {
			t.addrs.Give(addr, now)
			return nil, wait, false
		}
	}
	return a, 0, true
}

// succeeded gives the tokens back and forgets the username's failures.
func (a *signInAttempt) succeeded() {
	a.t.addrs.Give(a.addr, a.now)
	if a.user != "" {
		a.t.users.Reset(a.user)
	}
}

// undo gives the tokens back: the sign-in was not checked (busy, or the
// store failed), so it is no failure of the caller's.
func (a *signInAttempt) undo() {
	a.t.addrs.Give(a.addr, a.now)
	if a.user != "" {
		a.t.users.Give(a.user, a.now)
	}
}

// tooManyTries is the sign-in page's message for a throttled sign-in.
func tooManyTries(now time.Time, wait time.Duration) string {
	return fmt.Sprintf("Too many failed sign-ins. Please try again in %s (after %s UTC).",
		humanWait(wait), now.Add(wait).UTC().Format("15:04:05"))
}

// humanWait says d in words, rounded up: "40 seconds", "3 minutes".
func humanWait(d time.Duration) string {
	s := throttle.RetryAfterSeconds(d)
	switch {
	case s == 1:
		return "1 second"
	case s < 120:
		return strconv.Itoa(s) + " seconds"
	}
	return strconv.Itoa((s+59)/60) + " minutes"
}

// setRetryAfter sets the Retry-After header to d, in whole seconds.
func setRetryAfter(w http.ResponseWriter, d time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(throttle.RetryAfterSeconds(d)))
}
