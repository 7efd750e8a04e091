// Package throttle limits how often a key (a client address, a username,
// an OAuth client id) may do something: failed sign-ins, anonymous portal
// submissions, failed client authentications. It is shared by web and
// platform, which may not import each other.
//
// Each key has a token bucket. Memory is bounded: a Limiter holds at most
// MaxKeys buckets and drops the least recently used one to make room, in
// O(1). Time is passed in, so tests use an injected clock.
//
// The buckets are written here rather than taken from golang.org/x/time/rate
// because a sign-in takes a token before it hashes and gives it back when
// the password was right: rate.Reservation.CancelAt restores nothing once
// time has moved past the reservation, which on a real clock it always has.
package throttle

import (
	"container/list"
	"math"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// DefaultMaxKeys is the default bound on the keys a Limiter remembers:
// about 100 bytes each, so about 1 MB.
const DefaultMaxKeys = 10_000

// Limiter allows each key Burst events at once, refilled at Burst per
// Window: after Burst events in a row, one more every Window/Burst, and
// the full Burst again after a quiet Window. It is safe for concurrent use.
type Limiter struct {
	burst   float64
	perSec  float64 // tokens added per second
	maxKeys int

	mu   sync.Mutex
	keys map[string]*list.Element // of *bucket
	lru  list.List                // front: most recently used
}

type bucket struct {
	key    string
	tokens float64
	last   time.Time
}

// New returns a Limiter of burst events per window and key, remembering at
// most maxKeys keys (0: DefaultMaxKeys). It panics if burst or window is
// not positive: that is a programming error.
func New(burst int, window time.Duration, maxKeys int) *Limiter {
	if burst <= 0 || window <= 0 {
		panic("throttle: burst and window must be positive")
	}
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	return &Limiter{burst: float64(burst), perSec: float64(burst) / window.Seconds(), maxKeys: maxKeys,
		keys: map[string]*list.Element{}}
}

// get returns key's bucket refilled up to now, creating a full one (and
// evicting the least recently used key when full). Called with mu held.
func (l *Limiter) get(key string, now time.Time) *bucket {
	if e, ok := l.keys[key]; ok {
		l.lru.MoveToFront(e)
		b := e.Value.(*bucket)
		if d := now.Sub(b.last); d > 0 {
			b.tokens = math.Min(l.burst, b.tokens+d.Seconds()*l.perSec)
			b.last = now
		}
		return b
	}
	if len(l.keys) >= l.maxKeys {
		// Forgetting a key gives it a full bucket again; an attacker would
		// need maxKeys other keys to make us forget theirs, and the other
		// limiter (address or username) still holds.
		old := l.lru.Back()
		l.lru.Remove(old)
		delete(l.keys, old.Value.(*bucket).key)
	}
	b := &bucket{key: key, tokens: l.burst, last: now}
	l.keys[key] = l.lru.PushFront(b)
	return b
}

// Take takes one token of key at now. If there is none it takes nothing,
// returns false, and says how long until there is one.
func (l *Limiter) Take(key string, now time.Time) (retryAfter time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.get(key, now)
	if b.tokens >= 1 {
		b.tokens--
		return 0, true
	}
	return time.Duration((1 - b.tokens) / l.perSec * float64(time.Second)), false
}

// Give gives back a token taken by Take (the event did not count, such as
// a sign-in whose password was right).
func (l *Limiter) Give(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.get(key, now)
	b.tokens = math.Min(l.burst, b.tokens+1)
}

// Reset forgets key: its bucket is full again.
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.keys[key]; ok {
		l.lru.Remove(e)
		delete(l.keys, key)
	}
}

// Len returns how many keys the Limiter remembers.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

// ClientAddr is the key of r's client: the address of the connection
// (r.RemoteAddr), not X-Forwarded-For, which any client can set. An IPv6
// client is keyed by its /64, the block one subscriber gets, so rotating
// addresses within it does not escape the limit.
func ClientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// RetryAfterSeconds is d rounded up to whole seconds, at least 1: the value
// of a Retry-After header.
func RetryAfterSeconds(d time.Duration) int {
	s := int(math.Ceil(d.Seconds()))
	if s < 1 {
		s = 1
	}
	return s
}
