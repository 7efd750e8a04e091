package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestBenchOrdered runs a tiny `herald bench --ordered`: the ordered runs
// take place, every delivery arrives, and none out of its subject's order.
func TestBenchOrdered(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	err := run(t.Context(), []string{"bench", "--events", "60", "--endpoints", "2", "--concurrency", "4",
		"--latency-rate", "0", "--ordered", "--events-per-subject", "5"}, strings.NewReader(""), &out, t.Output())
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"ordered endpoints, 1 event(s) per subject (60 subjects)",
		"ordered endpoints, 5 event(s) per subject (12 subjects)",
		"SQLite writer:        busy ",
	} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("bench output lacks %q:\n%s", want, out.String())
		}
	}
	if n := strings.Count(out.String(), "arrivals out of subject order: 0 "); n != 2 {
		t.Fatalf("ordered runs with arrivals out of order (%d clean):\n%s", n, out.String())
	}
}
