package main

import (
	"errors"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"testing"
)

// herald serve runs the collector at defaultGCPercent unless GOGC says
// otherwise. Not parallel: the GC percent is the process's.
func TestServeSetsGCPercentUnlessGOGCIsSet(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))

	t.Setenv("GOGC", "150")
	setGCPercent()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set, the GC percent is %d, want it left at 100", got)
	}

	os.Unsetenv("GOGC") // t.Setenv restores it
	setGCPercent()
	if got := debug.SetGCPercent(100); got != defaultGCPercent {
		t.Errorf("without GOGC, the GC percent is %d, want %d", got, defaultGCPercent)
	}
}

// TestServeRefusesABadEndpointSeriesLimit: the limit comes from the flag or
// the environment, and a limit that is not a positive whole number is a
// usage error, before anything starts.
func TestServeRefusesABadEndpointSeriesLimit(t *testing.T) {
	for _, tc := range []struct {
		name, env string
		args      []string
	}{
		{"zero flag", "", []string{"--metrics-endpoint-series", "0"}},
		{"word in the environment", "many", nil},
		{"negative in the environment", "-5", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env != "" {
				t.Setenv("HERALD_METRICS_ENDPOINT_SERIES", tc.env)
			}
			args := append([]string{"serve", "--data", t.TempDir()}, tc.args...)
			err := run(t.Context(), args, strings.NewReader(""), io.Discard, io.Discard)
			var ue *usageError
			if !errors.As(err, &ue) {
				t.Fatalf("serve %v (env %q): %v, want a usage error", tc.args, tc.env, err)
			}
		})
	}
}
