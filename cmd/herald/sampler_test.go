package main

import (
	"testing"
	"time"
)

// TestNodeSamplesQueueDepth checks that a node is wired with the queue
// depth sampler, on the node's own store, as serve runs it.
func TestNodeSamplesQueueDepth(t *testing.T) {
	t.Parallel()
	n, err := startNode(t.Context(), serverConfig{
		Listen: "127.0.0.1:0", DataDir: t.TempDir(), AdminToken: testAdminToken,
		RequestTimeout: 5 * time.Second, LeaseDuration: time.Minute, ShutdownTimeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.close)
	if n.sampler == nil {
		t.Fatal("the node has no queue depth sampler")
	}
	if _, err := n.sampler.SampleOnce(t.Context()); err != nil {
		t.Fatalf("sample: %v", err)
	}
}
