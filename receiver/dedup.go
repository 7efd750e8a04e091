package receiver

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"time"
)

// DedupKey identifies an event for deduplication: the sender's event id
// (Herald-Event-Id) when there is one; otherwise the customer, type,
// subject record and new status, so that a user repeating an action within
// the dedup window counts as a duplicate too.
//
// Herald-Event-Id is an extension header that neither HMAC nor Basic
// authentication covers: whoever replays a captured request within the
// HMAC tolerance can change it, and the copy then passes as new. It is the
// right key with Standard Webhooks, which signs webhook-id (equal to
// Herald-Event-Id) with the body; under HMAC, Basic or OAuth 2.0 use
// DedupBy with BodyDedupKey, whose key is covered by the HMAC signature
// (the body's hash is signed) and cannot be varied without changing what
// the event says. See the package documentation.
func DedupKey(e *Event) string {
	if e.ID != "" {
		return "id\x00" + e.ID
	}
	return strings.Join([]string{"body", e.CustomerID, string(e.Type), e.SystemID, e.Body.NewStatus}, "\x00")
}

// DedupStore remembers the events a partner has processed.
// Implementations must be safe for concurrent use.
type DedupStore interface {
	// Begin claims key for ttl. It returns isNew true if key was not
	// claimed. Otherwise it returns the reply stored for key by Finish, or
	// nil if the first claim is still being processed.
	Begin(ctx context.Context, key string, ttl time.Duration) (prev *Reply, isNew bool, err error)
	// Finish stores the reply for a claimed key. A nil reply releases the
	// key, so that a retry of the event is processed again.
	Finish(ctx context.Context, key string, reply *Reply) error
}

// BodyDedupKey identifies an event by the SHA-256 of its JSON body, which
// is the same on every retry of an event (the body carries no id or
// timestamp) and the same for a user repeating the same action. Under HMAC
// the body is what the signature covers, so a replayed copy cannot get a
// new key; use it there and under Basic and OAuth 2.0, which sign nothing.
func BodyDedupKey(e *Event) string {
	sum := sha256.Sum256(e.JSON)
	return "sha256\x00" + hex.EncodeToString(sum[:])
}

// DedupBy is Dedup with the key chosen by key (BodyDedupKey, say) instead
// of DedupKey.
func DedupBy(next EventHandler, store DedupStore, ttl time.Duration, key func(*Event) string) EventHandler {
	return dedup(next, store, ttl, key)
}

// Dedup wraps next so that each event is processed once within ttl. A
// duplicate of a processed event gets the reply the first one got (the same
// 303 Location, so a person who repeats an action lands on the same page);
// a duplicate that arrives while the first is still being processed gets a
// 503, so the sender tries again later. Only 2xx and 303 replies are
// remembered: after a 400, 500 or 503 the key is released and a retry is
// processed afresh.
//
// If the store fails, the event is processed anyway: a duplicate does less
// harm than a lost event.
//
// Its key is DedupKey, which trusts Herald-Event-Id: right under Standard
// Webhooks; under HMAC, Basic or OAuth 2.0 prefer DedupBy with BodyDedupKey.
func Dedup(next EventHandler, store DedupStore, ttl time.Duration) EventHandler {
	return dedup(next, store, ttl, DedupKey)
}

func dedup(next EventHandler, store DedupStore, ttl time.Duration, keyOf func(*Event) string) EventHandler {
	return HandlerFunc(func(ctx context.Context, e *Event) Reply {
		key := keyOf(e)
		prev, isNew, err := store.Begin(ctx, key, ttl)
		if err != nil {
			return next.ServeEvent(ctx, e)
		}
		if !isNew {
			if prev != nil {
				return *prev
			}
			return Reply{Status: http.StatusServiceUnavailable, UserMessage: "This event is already being processed. Please try again.",
				DebugMessage: "duplicate of an event in progress", RetryAfter: 5 * time.Second}
		}
		reply := ServerError("", "internal error")
		// Release the key if next panics (Handler recovers the panic).
		defer func() {
			var keep *Reply
			if reply.Status >= 200 && reply.Status < 300 || reply.Status == http.StatusSeeOther {
				keep = &reply
			}
			// A context the caller cancelled must not keep the key claimed.
			_ = store.Finish(context.WithoutCancel(ctx), key, keep)
		}()
		reply = next.ServeEvent(ctx, e)
		return reply
	})
}

// MemoryDedupStore is an in-memory DedupStore with a TTL per key, for a
// single process. The zero value is ready to use.
//
// Keys are kept in the order they were claimed, and every operation costs
// O(1) whatever the number of keys: expired keys are dropped from the old
// end as new ones arrive, and when MaxKeys is reached the oldest key goes.
// That order is expiry order when every Begin uses the same ttl, as Dedup
// does; with mixed ttls a key may outlive its ttl in memory until it
// reaches the old end (it still counts as expired), or be dropped a little
// before a key claimed later with a shorter ttl.
type MemoryDedupStore struct {
	// MaxKeys bounds the keys held. When it is reached and no key has
	// expired, the oldest key is dropped. Default (zero): 100000.
	MaxKeys int
	// NowFunc returns the current time. Default: time.Now.
	NowFunc func() time.Time

	mu   sync.Mutex
	keys map[string]*list.Element // of *dedupEntry
	// order holds the entries oldest claim first.
	order list.List
}

type dedupEntry struct {
	key     string
	expires time.Time
	reply   *Reply
}

var _ DedupStore = (*MemoryDedupStore)(nil)

func (s *MemoryDedupStore) now() time.Time {
	if s.NowFunc != nil {
		return s.NowFunc()
	}
	return time.Now()
}

// Begin implements DedupStore.
func (s *MemoryDedupStore) Begin(_ context.Context, key string, ttl time.Duration) (*Reply, bool, error) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keys == nil {
		s.keys = make(map[string]*list.Element)
	}
	if el, ok := s.keys[key]; ok {
		e := el.Value.(*dedupEntry)
		if now.Before(e.expires) {
			if e.reply == nil {
				return nil, false, nil
			}
			r := *e.reply
			return &r, false, nil
		}
		s.remove(el)
	}
	s.sweep(now)
	maxKeys := s.MaxKeys
	if maxKeys <= 0 {
		maxKeys = 100000
	}
	for len(s.keys) >= maxKeys {
		s.remove(s.order.Front())
	}
	s.keys[key] = s.order.PushBack(&dedupEntry{key: key, expires: now.Add(ttl)})
	return nil, true, nil
}

// Finish implements DedupStore.
func (s *MemoryDedupStore) Finish(_ context.Context, key string, reply *Reply) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	el, ok := s.keys[key]
	if !ok {
		return nil
	}
	if reply == nil {
		s.remove(el)
		return nil
	}
	r := *reply
	el.Value.(*dedupEntry).reply = &r
	return nil
}

// Len returns the number of keys held, expired ones included until swept.
func (s *MemoryDedupStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.keys)
}

// sweep drops the expired keys at the old end of the order: amortised
// O(1) per Begin, since each key is dropped once.
func (s *MemoryDedupStore) sweep(now time.Time) {
	for el := s.order.Front(); el != nil; el = s.order.Front() {
		if now.Before(el.Value.(*dedupEntry).expires) {
			return
		}
		s.remove(el)
	}
}

func (s *MemoryDedupStore) remove(el *list.Element) {
	e := s.order.Remove(el).(*dedupEntry)
	delete(s.keys, e.key)
}
