package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/web"
)

// testClock is an injected clock that tests move by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock {
	return &testClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestSignInThrottle proves that guessing is throttled per username: after
// 25 wrong passwords the 26th sign-in is refused even with the right one,
// the refusal says when to try again, and after the window it succeeds.
func TestSignInThrottle(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	n := newTestNode(t, func(c *web.Config) { c.NowFunc = clock.Now })
	n.seedCustomers(t)
	b := n.browser(t)
	for i := range 25 {
		code, _, _ := b.post("/ui/login", url.Values{"username": {"admin-6269"}, "password": {fmt.Sprintf("wrong-password-%03d", i)}})
		if code != http.StatusUnauthorized && code != http.StatusTooManyRequests {
			t.Fatalf("guess %d: %d, want 401 or 429", i+1, code)
		}
	}
	code, h, body := b.post("/ui/login", url.Values{"username": {"admin-6269"}, "password": {"correct-horse-battery"}})
	if code != http.StatusTooManyRequests {
		t.Fatalf("26th sign-in, right password: %d, want 429", code)
	}
	if ra, err := strconv.Atoi(h.Get("Retry-After")); err != nil || ra < 1 || ra > int(web.DefaultSignInWindow.Seconds()) {
		t.Errorf("Retry-After %q", h.Get("Retry-After"))
	}
	if !strings.Contains(body, "Too many failed sign-ins") || !strings.Contains(body, "try again in") || h.Get("Set-Cookie") != "" {
		t.Errorf("refusal page lacks the message, or signed in:\n%s", body)
	}
	// Another username from the same address is not locked out by it.
	if code, _, _ := b.post("/ui/login", url.Values{"username": {"admin-2187"}, "password": {"correct-horse-battery"}}); code != http.StatusSeeOther {
		t.Fatalf("other user: %d, want 303", code)
	}
	clock.Add(web.DefaultSignInWindow)
	b2 := n.browser(t)
	if code, h, _ := b2.post("/ui/login", url.Values{"username": {"admin-6269"}, "password": {"correct-horse-battery"}}); code != http.StatusSeeOther || h.Get("Location") != "/ui/customers/6269" {
		t.Fatalf("after the window: %d, want 303", code)
	}
}

// TestSignInThrottleAddress proves the per-address limit: one address
// guessing many usernames, or the admin token, is refused in the end.
func TestSignInThrottleAddress(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	n := newTestNode(t, func(c *web.Config) {
		c.NowFunc = clock.Now
		c.SignInFailuresPerAddress = 5
	})
	n.seedCustomers(t)
	b := n.browser(t)
	for i := range 5 {
		if code, _, _ := b.post("/ui/login", url.Values{"username": {fmt.Sprint("nobody-", i)}, "password": {"whatever-password"}}); code != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d, want 401", i+1, code)
		}
	}
	code, h, body := b.post("/ui/login/operator", url.Values{"token": {testAdminToken}})
	if code != http.StatusTooManyRequests || h.Get("Retry-After") == "" || !strings.Contains(body, `id="op-error"`) {
		t.Fatalf("operator sign-in after 5 failures from the address: %d, want 429 on the operator form", code)
	}
	clock.Add(web.DefaultSignInWindow)
	b.signInOperator()
}

// TestSignInBoundsHashing proves that concurrent sign-ins, with made-up
// usernames, never run more than MaxConcurrentHashes Argon2id hashes at
// once, and that those refused are told to retry.
//
// Not parallel: it counts every hash in the process, and the parallel
// tests (which sign in) start only after the sequential ones end.
func TestSignInBoundsHashing(t *testing.T) {
	const limit = 2
	n := newTestNode(t, func(c *web.Config) { c.MaxConcurrentHashes = limit; c.SignInFailuresPerAddress = 1000 })
	web.ResetArgonPeak()
	var wg sync.WaitGroup
	codes := make(chan int, 40)
	for i := range 40 {
		wg.Go(func() {
			b := n.browser(t)
			code, h, body := b.post("/ui/login", url.Values{"username": {fmt.Sprint("made-up-", i)}, "password": {"guess-guess-guess"}})
			if code == http.StatusServiceUnavailable && (h.Get("Retry-After") == "" || !strings.Contains(body, "busy")) {
				t.Errorf("503 without Retry-After or message")
			}
			codes <- code
		})
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusUnauthorized && c != http.StatusServiceUnavailable {
			t.Errorf("status %d, want 401 or 503", c)
		}
	}
	if peak := web.ArgonPeak(); peak > limit || peak < 1 {
		t.Fatalf("%d hashes ran at once, want 1 to %d", peak, limit)
	}
}
