package main

import (
	"errors"
	"io"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/KimMachineGun/automemlimit/memlimit"
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

// herald serve sets Go's memory limit to 90 % of the container's, and
// leaves one the operator set with GOMEMLIMIT, or none when the container
// has no limit. Not parallel: the memory limit is the process's.
func TestServeFollowsTheContainersMemoryLimit(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	const gib = 1 << 30
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))

	os.Unsetenv("GOMEMLIMIT")
	t.Setenv("AUTOMEMLIMIT", "") // set and empty would be a bad ratio
	os.Unsetenv("AUTOMEMLIMIT")
	debug.SetMemoryLimit(math.MaxInt64)
	setMemoryLimit(logger, memlimit.Limit(gib))
	if got := debug.SetMemoryLimit(-1); got != gib*9/10 {
		t.Errorf("in a container of 1 GiB the memory limit is %d, want 90 %% of it (%d)", got, gib*9/10)
	}

	debug.SetMemoryLimit(math.MaxInt64)
	setMemoryLimit(logger, func() (uint64, error) { return 0, memlimit.ErrNoLimit })
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("without a container limit the memory limit is %d, want none", got)
	}

	t.Setenv("GOMEMLIMIT", "500MiB")
	debug.SetMemoryLimit(500 << 20) // as the runtime did at start
	setMemoryLimit(logger, memlimit.Limit(gib))
	if got := debug.SetMemoryLimit(-1); got != 500<<20 {
		t.Errorf("with GOMEMLIMIT set, the memory limit is %d, want the operator's %d", got, 500<<20)
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
