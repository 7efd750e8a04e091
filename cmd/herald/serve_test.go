package main

import (
	"os"
	"runtime/debug"
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
