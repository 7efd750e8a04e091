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

// TestServeRefusesBadLimits: the endpoint series limit, the connections per
// partner host and the deliveries outstanding come from the flag or the
// environment, and a limit that is not a positive whole number is a usage
// error, before anything starts.
func TestServeRefusesBadLimits(t *testing.T) {
	for _, tc := range []struct {
		name, variable, env string
		args                []string
	}{
		{"zero flag", "", "", []string{"--metrics-endpoint-series", "0"}},
		{"word in the environment", "HERALD_METRICS_ENDPOINT_SERIES", "many", nil},
		{"negative in the environment", "HERALD_METRICS_ENDPOINT_SERIES", "-5", nil},
		// The same for the connections to one partner host.
		{"zero connections per host", "", "", []string{"--max-conns-per-host", "0"}},
		{"connections per host in words", "HERALD_MAX_CONNS_PER_HOST", "lots", nil},
		{"negative connections per host", "HERALD_MAX_CONNS_PER_HOST", "-1", nil},
		{"zero outstanding", "", "", []string{"--max-outstanding", "0"}},
		{"outstanding in words", "HERALD_MAX_OUTSTANDING", "all", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.variable != "" {
				t.Setenv(tc.variable, tc.env)
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
