package throttle_test

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/throttle"
)

func TestLimiterBurstAndRefill(t *testing.T) {
	t.Parallel()
	l := throttle.New(5, 15*time.Minute, 0)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		if _, ok := l.Take("ava", now); !ok {
			t.Fatalf("take %d refused", i+1)
		}
	}
	wait, ok := l.Take("ava", now)
	if ok || wait != 3*time.Minute {
		t.Fatalf("6th take: ok=%v wait=%v, want refused for 3m", ok, wait)
	}
	if _, ok := l.Take("sam", now); !ok {
		t.Fatal("another key is limited too")
	}
	if _, ok := l.Take("ava", now.Add(3*time.Minute)); !ok {
		t.Fatal("refused after one refill period")
	}
	// Give returns a token; Reset forgets the key.
	l.Give("ava", now.Add(3*time.Minute))
	if _, ok := l.Take("ava", now.Add(3*time.Minute)); !ok {
		t.Fatal("given-back token not there")
	}
	l.Reset("ava")
	for i := range 5 {
		if _, ok := l.Take("ava", now.Add(3*time.Minute)); !ok {
			t.Fatalf("after reset, take %d refused", i+1)
		}
	}
	// A quiet window refills the whole burst.
	later := now.Add(3*time.Minute + 15*time.Minute)
	for i := range 5 {
		if _, ok := l.Take("ava", later); !ok {
			t.Fatalf("after the window, take %d refused", i+1)
		}
	}
}

// TestLimiterBounded proves the memory bound: the limiter never holds more
// than maxKeys keys, dropping the least recently used.
func TestLimiterBounded(t *testing.T) {
	t.Parallel()
	l := throttle.New(1, time.Hour, 100)
	now := time.Now()
	l.Take("keep", now)
	for i := range 1000 {
		l.Take(fmt.Sprint("k", i), now)
		if i%50 == 0 {
			l.Take("keep", now) // recently used: stays
		}
		if l.Len() > 100 {
			t.Fatalf("holds %d keys, want at most 100", l.Len())
		}
	}
	if _, ok := l.Take("keep", now); ok {
		t.Fatal("a recently used key was dropped")
	}
	if _, ok := l.Take("k0", now); !ok {
		t.Fatal("the least recently used key was kept")
	}
}

func TestClientAddr(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ remote, want string }{
		{"192.0.2.7:5555", "192.0.2.7"},
		{"[::ffff:192.0.2.7]:5555", "192.0.2.7"},
		{"[2001:db8:1:2:3:4:5:6]:443", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff::1]:443", "2001:db8:1:2::/64"},
		{"pipe", "pipe"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		r.Header.Set("X-Forwarded-For", "203.0.113.9")
		if got := throttle.ClientAddr(r); got != tc.want {
			t.Errorf("ClientAddr(%q) = %q, want %q", tc.remote, got, tc.want)
		}
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]int{0: 1, time.Millisecond: 1, time.Second: 1, 1500 * time.Millisecond: 2, 3 * time.Minute: 180} {
		if got := throttle.RetryAfterSeconds(d); got != want {
			t.Errorf("RetryAfterSeconds(%v) = %d, want %d", d, got, want)
		}
	}
}
