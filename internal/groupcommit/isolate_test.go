package groupcommit_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/heraldhq/herald/internal/groupcommit"
)

func TestIsolate(t *testing.T) {
	t.Parallel()
	errBad := errors.New("bad item")
	errDown := errors.New("store down")
	tests := []struct {
		name      string
		n         int
		bad       []int // items the store refuses
		down      bool  // every call fails
		split     func(error) bool
		wantFail  []int
		wantCalls int // at most
	}{
		{name: "all good", n: 8, wantCalls: 1},
		{name: "one bad among many", n: 64, bad: []int{37}, wantFail: []int{37}, wantCalls: 13},
		{name: "first bad", n: 16, bad: []int{0}, wantFail: []int{0}, wantCalls: 9},
		{name: "two bad apart", n: 16, bad: []int{2, 13}, wantFail: []int{2, 13}, wantCalls: 16},
		{name: "single bad", n: 1, bad: []int{0}, wantFail: []int{0}, wantCalls: 1},
		{name: "store down", n: 512, down: true, wantFail: seq(512), wantCalls: 12},
		{name: "not worth splitting", n: 512, down: true, split: func(err error) bool { return !errors.Is(err, errDown) }, wantFail: seq(512), wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			calls := 0
			var committed []int
			errs := groupcommit.Isolate(tt.n, func(lo, hi int) error {
				calls++
				if tt.down {
					return errDown
				}
				for _, b := range tt.bad {
					if lo <= b && b < hi {
						return errBad
					}
				}
				for i := lo; i < hi; i++ {
					committed = append(committed, i)
				}
				return nil
			}, tt.split)
			var failed []int
			for i, err := range errs {
				if err != nil {
					failed = append(failed, i)
				}
			}
			if !slices.Equal(failed, tt.wantFail) {
				t.Fatalf("failed = %v, want %v", failed, tt.wantFail)
			}
			if len(committed)+len(failed) != tt.n {
				t.Fatalf("committed %d + failed %d != %d", len(committed), len(failed), tt.n)
			}
			if calls > tt.wantCalls {
				t.Fatalf("%d commit calls, want at most %d", calls, tt.wantCalls)
			}
		})
	}
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}
