package storerules

import (
	"testing"

	"github.com/heraldhq/herald"
)

// The cache keeps endpoints by the version they were read after, empties
// itself when the version moves, and never keeps what was read at an
// older version than it holds.
func TestEndpointCacheKeepsEndpointsByVersion(t *testing.T) {
	var c EndpointCache
	if _, ok := c.Stamp(); ok {
		t.Fatal("a new cache has a version; a batch would plan with nothing read")
	}
	eps := []*herald.Endpoint{{ID: "ep_1"}}

	v := c.Current(7)
	if got, ok := c.Stamp(); !ok || got != 7 || v != 7 {
		t.Fatalf("after Current(7): Stamp %d, %v; Current returned %d", got, ok, v)
	}
	c.Put(7, "c1", eps)
	c.Put(7, "c2", nil) // a customer without endpoints is kept too
	if got, ok := c.Get(7, "c1"); !ok || len(got) != 1 {
		t.Fatalf("Get(7, c1) = %v, %v; want the endpoint kept", got, ok)
	}
	if got, ok := c.Get(7, "c2"); !ok || got != nil {
		t.Fatalf("Get(7, c2) = %v, %v; want a known customer without endpoints", got, ok)
	}
	if _, ok := c.Get(7, "c3"); ok {
		t.Fatal("Get found a customer nobody put")
	}
	if _, ok := c.Get(6, "c1"); ok {
		t.Fatal("Get at another version than the cache's found an entry")
	}

	c.Current(7) // the same version: nothing moved, nothing dropped
	if _, ok := c.Get(7, "c1"); !ok {
		t.Fatal("Current with the same version emptied the cache")
	}
	c.Current(8)
	if got, _ := c.Stamp(); got != 8 {
		t.Fatalf("after Current(8) the cache's version is %d", got)
	}
	if _, ok := c.Get(8, "c1"); ok {
		t.Fatal("the cache kept an entry across a version change")
	}
	if _, ok := c.Get(7, "c1"); ok {
		t.Fatal("the cache still answers for the version it moved from")
	}
	c.Put(7, "c1", eps) // read before the change: not kept
	if _, ok := c.Get(8, "c1"); ok {
		t.Fatal("Put at an older version than the cache's was kept")
	}
}
