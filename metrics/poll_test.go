package metrics

import (
	"testing"
	"time"
)

func TestNextPoll(t *testing.T) {
	for _, tc := range []struct{ interval, took, want time.Duration }{
		{5 * time.Second, 10 * time.Millisecond, 5 * time.Second},
		{5 * time.Second, 100 * time.Millisecond, 5 * time.Second},
		{5 * time.Second, 800 * time.Millisecond, 40 * time.Second},
	} {
		if got := nextPoll(tc.interval, tc.took); got != tc.want {
			t.Errorf("nextPoll(%v, %v) = %v, want %v", tc.interval, tc.took, got, tc.want)
		}
	}
}
