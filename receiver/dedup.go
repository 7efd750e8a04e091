package receiver

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"
)

// DedupKey identifies an event for deduplication: the sender's event id
// (Herald-Event-Id) when there is one; otherwise the customer, type,
// subject record and new status, so that a user repeating an action within
// the dedup window counts as a duplicate too.
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
func Dedup(next EventHandler, store DedupStore, ttl time.Duration) EventHandler {
	return HandlerFunc(func(ctx context.Context, e *Event) Reply {
		key := DedupKey(e)
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
// single process. Expired keys are swept as new ones arrive. The zero value
// is ready to use.
type MemoryDedupStore struct {
	// MaxKeys bounds the keys held. When it is reached and sweeping frees
	// nothing, the key that expires soonest is dropped. Default (zero):
	// 100000.
	MaxKeys int
	// NowFunc returns the current time. Default: time.Now.
	NowFunc func() time.Time

	mu   sync.Mutex
	keys map[string]*dedupEntry
}

type dedupEntry struct {
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
		s.keys = make(map[string]*dedupEntry)
	}
	if e, ok := s.keys[key]; ok && now.Before(e.expires) {
		if e.reply == nil {
			return nil, false, nil
		}
		r := *e.reply
		return &r, false, nil
	}
	maxKeys := s.MaxKeys
	if maxKeys <= 0 {
		maxKeys = 100000
	}
	if len(s.keys) >= maxKeys {
		s.sweep(now)
	}
	if len(s.keys) >= maxKeys {
		var oldest string
		var at time.Time
		for k, e := range s.keys {
			if oldest == "" || e.expires.Before(at) {
				oldest, at = k, e.expires
			}
		}
		delete(s.keys, oldest)
	}
	s.keys[key] = &dedupEntry{expires: now.Add(ttl)}
	return nil, true, nil
}

// Finish implements DedupStore.
func (s *MemoryDedupStore) Finish(_ context.Context, key string, reply *Reply) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.keys[key]
	if !ok {
		return nil
	}
	if reply == nil {
		delete(s.keys, key)
		return nil
	}
	r := *reply
	e.reply = &r
	return nil
}

// Len returns the number of keys held, expired ones included until swept.
func (s *MemoryDedupStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.keys)
}

func (s *MemoryDedupStore) sweep(now time.Time) {
	for k, e := range s.keys {
		if !now.Before(e.expires) {
			delete(s.keys, k)
		}
	}
}
