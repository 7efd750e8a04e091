package dispatch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// fakeConfig is a store of named values with a change count, counting the
// reads a configCache makes of it.
type fakeConfig struct {
	mu       sync.Mutex
	vals     map[string]string
	version  int64
	failMany bool

	versionReads, oneReads, manyReads atomic.Int64
	manyIDs                           atomic.Int64
}

func (f *fakeConfig) set(id, val string) {
	f.mu.Lock()
	f.vals[id] = val
	f.version++
	f.mu.Unlock()
}

func (f *fakeConfig) readVersion(context.Context) (int64, error) {
	f.versionReads.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.version, nil
}

func (f *fakeConfig) one(_ context.Context, id string) (string, error) {
	f.oneReads.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.vals[id]
	if !ok {
		return "", herald.NotFound("thing", id)
	}
	return v, nil
}

func (f *fakeConfig) many(_ context.Context, ids []string) (map[string]string, error) {
	f.manyReads.Add(1)
	f.manyIDs.Add(int64(len(ids)))
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failMany {
		return nil, errors.New("connection reset")
	}
	out := map[string]string{}
	for _, id := range ids {
		if v, ok := f.vals[id]; ok {
			out[id] = v
		}
	}
	return out, nil
}

// newFakeCache returns a cache over f with a clock the test moves; without
// versioned, f's count is not used (a store that keeps none).
func newFakeCache(f *fakeConfig, versioned bool) (*configCache[string], *time.Time) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	var cv *configVersion
	if versioned {
		cv = &configVersion{read: f.readVersion, ttl: 2 * time.Second, now: clock}
	}
	c := &configCache[string]{
		version: cv, ttl: 2 * time.Second, now: clock,
		one:     f.one,
		keep:    func(err error) bool { return herald.ErrorCode(err) == herald.ENOTFOUND },
		many:    f.many,
		absent:  func(id string) (string, error) { return "", herald.NotFound("thing", id) },
		entries: map[string]*configEntry[string]{},
	}
	return c, &now
}

func mustGet(t *testing.T, c *configCache[string], id, want string) {
	t.Helper()
	got, err := c.get(t.Context(), id)
	if err != nil || got != want {
		t.Fatalf("get(%s) = %q, %v; want %q", id, got, err, want)
	}
}

// TestConfigCacheTrustsAnUnmovedCount is why the cache counts changes:
// with a thousand endpoints asked for once each per TTL, a plain TTL reads
// every one of them again; with the count, one read of it vouches for all.
// An edit still shows within the TTL.
func TestConfigCacheTrustsAnUnmovedCount(t *testing.T) {
	t.Parallel()
	for _, versioned := range []bool{true, false} {
		t.Run(fmt.Sprintf("versioned=%v", versioned), func(t *testing.T) {
			t.Parallel()
			f := &fakeConfig{vals: map[string]string{}}
			for i := range 1000 {
				f.vals[fmt.Sprint("ep_", i)] = "v1"
			}
			c, now := newFakeCache(f, versioned)
			for range 5 {
				for i := range 1000 {
					mustGet(t, c, fmt.Sprint("ep_", i), "v1")
				}
				*now = now.Add(3 * time.Second) // past the TTL each round
			}
			wantOne := int64(1000)
			if !versioned {
				wantOne = 5000
			}
			if got := f.oneReads.Load(); got != wantOne {
				t.Fatalf("%d reads of a value in 5 rounds of 1,000, want %d", got, wantOne)
			}
			if versioned && f.versionReads.Load() > 6 {
				t.Fatalf("%d reads of the count in 5 rounds, want one per round at most", f.versionReads.Load())
			}

			// An edit: within the TTL the old value may still be served,
			// past it never.
			f.set("ep_7", "v2")
			*now = now.Add(2 * time.Second)
			mustGet(t, c, "ep_7", "v2")
			mustGet(t, c, "ep_8", "v1")
		})
	}
}

// TestConfigCachePrefetchReadsABatchOnce: the values a batch lacks are read
// in one call, those who ask meanwhile wait for it, and an id that does
// not exist is kept as such.
func TestConfigCachePrefetchReadsABatchOnce(t *testing.T) {
	t.Parallel()
	f := &fakeConfig{vals: map[string]string{"a": "1", "b": "2", "c": "3"}}
	c, now := newFakeCache(f, true)
	mustGet(t, c, "a", "1")
	ids := []string{"a", "b", "c", "missing", "b"}
	p := reserveIDs(c, ids)
	if p == nil {
		t.Fatal("reserve: nothing to read for a batch with three unread ids")
	}
	p.read(t.Context())
	if got := f.manyIDs.Load(); f.manyReads.Load() != 1 || got != 3 {
		t.Fatalf("prefetch: %d batch reads of %d ids, want 1 of 3 (b, c, missing)", f.manyReads.Load(), got)
	}
	mustGet(t, c, "b", "2")
	mustGet(t, c, "c", "3")
	if _, err := c.get(t.Context(), "missing"); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Fatalf("get(missing): %v, want ENOTFOUND", err)
	}
	if got := f.oneReads.Load(); got != 1 {
		t.Fatalf("%d single reads, want 1 (a, before the prefetch)", got)
	}
	if reserveIDs(c, ids) != nil {
		t.Fatal("reserve: a read to make once the batch is read")
	}

	// Past the TTL with the count unmoved, a batch keeps what it has
	// without a read; once the count moves, it reads again.
	*now = now.Add(3 * time.Second)
	reserveIDs(c, ids).read(t.Context())
	if f.manyReads.Load() != 1 {
		t.Fatalf("%d batch reads, want still 1: the count has not moved", f.manyReads.Load())
	}
	mustGet(t, c, "b", "2")
	f.set("b", "20")
	*now = now.Add(3 * time.Second)
	reserveIDs(c, ids).read(t.Context())
	if got := f.manyIDs.Load(); f.manyReads.Load() != 2 || got != 3+4 {
		t.Fatalf("after an edit: %d batch reads of %d ids in all, want 2 of 7", f.manyReads.Load(), got)
	}
	mustGet(t, c, "b", "20")
	if got := f.oneReads.Load(); got != 1 {
		t.Fatalf("%d single reads in all, want 1", got)
	}
}

// TestConfigCacheWaitsForAPrefetch: a worker that asks while the batch read
// is in flight gets its answer without a read of its own; if the batch
// read fails, it reads alone.
func TestConfigCacheWaitsForAPrefetch(t *testing.T) {
	t.Parallel()
	for _, fail := range []bool{false, true} {
		t.Run(fmt.Sprintf("fail=%v", fail), func(t *testing.T) {
			t.Parallel()
			f := &fakeConfig{vals: map[string]string{"a": "1"}, failMany: fail}
			c, _ := newFakeCache(f, true)
			release := make(chan struct{})
			many := c.many
			c.many = func(ctx context.Context, ids []string) (map[string]string, error) {
				<-release
				return many(ctx, ids)
			}
			// reserve, as a claim does before its workers start; the
			// read comes later.
			p := reserveIDs(c, []string{"a"})
			done := make(chan struct{})
			go func() { p.read(context.Background()); close(done) }()
			got := make(chan string)
			go func() { v, _ := c.get(context.Background(), "a"); got <- v }()
			close(release)
			if v := <-got; v != "1" {
				t.Errorf("get during the prefetch = %q, want 1", v)
			}
			<-done
			want := int64(0)
			if fail {
				want = 1
			}
			if n := f.oneReads.Load(); n != want {
				t.Fatalf("%d single reads, want %d", n, want)
			}
		})
	}
}

// TestConfigCachePrunesIdleEntries: entries no one asked for since before
// go (a deleted endpoint's, with its secrets); those in use stay.
func TestConfigCachePrunesIdleEntries(t *testing.T) {
	t.Parallel()
	f := &fakeConfig{vals: map[string]string{"old": "1", "used": "2"}}
	c, now := newFakeCache(f, true)
	mustGet(t, c, "old", "1")
	mustGet(t, c, "used", "2")
	for range 10 {
		*now = now.Add(time.Minute)
		mustGet(t, c, "used", "2")
	}
	c.prune(now.Add(-endpointIdleAfter / 2))
	if _, ok := c.entries["old"]; ok {
		t.Fatal("an entry idle for 10 minutes stayed")
	}
	if _, ok := c.entries["used"]; !ok {
		t.Fatal("an entry in use was pruned")
	}
}

// reserveIDs is configCache.reserve over a list of ids.
func reserveIDs[V any](c *configCache[V], ids []string) *prefetch[V] {
	return c.reserve(len(ids), func(i int) string { return ids[i] })
}

// TestSameStoreNeverPanics: the caches share a count only for one store
// value; a store value that cannot be compared is taken as another store
// instead of panicking in New.
func TestSameStoreNeverPanics(t *testing.T) {
	t.Parallel()
	type mapStore struct{ m map[string]int }
	_ = mapStore{}.m
	p := &fakeConfig{}
	for _, tc := range []struct {
		a, b any
		want bool
	}{
		{p, p, true},
		{p, &fakeConfig{}, false},
		{mapStore{}, mapStore{}, false},
		{nil, p, false},
	} {
		if got := sameStore(tc.a, tc.b); got != tc.want {
			t.Errorf("sameStore(%T, %T) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
