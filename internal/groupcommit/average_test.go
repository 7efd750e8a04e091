package groupcommit

import "testing"

// The average follows recent batches and forgets old ones: about eight
// batches move it most of the way.
func TestAverageFollowsRecentBatches(t *testing.T) {
	t.Parallel()
	a := NewAverage(1)
	if got := a.Mean(); got != 1 {
		t.Fatalf("start %v, want 1", got)
	}
	for range 16 {
		a.Add(9)
	}
	if got := a.Mean(); got < 8 || got > 9 {
		t.Errorf("after 16 batches of 9, mean %v, want between 8 and 9", got)
	}
	for range 16 {
		a.Add(1)
	}
	if got := a.Mean(); got < 1 || got > 2 {
		t.Errorf("after 16 batches of 1 more, mean %v, want between 1 and 2", got)
	}
}
