package web

import (
	"testing"
	"time"
)

func TestSpan(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"}, {59 * time.Second, "59s"}, {90 * time.Second, "1m"}, {time.Hour, "1h"},
		{2*time.Hour + 5*time.Minute, "2h05m"}, {24 * time.Hour, "24h"}, {72 * time.Hour, "3d"},
		{5*24*time.Hour + 3*time.Hour, "5d3h"},
	} {
		if got := span(c.d); got != c.want {
			t.Errorf("span(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}
