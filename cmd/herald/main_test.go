package main

import (
	"os"
	"testing"
)

// TestMain lets the test binary stand in for herald: `herald bench` starts
// its nodes as `os.Executable() serve ...`, which under `go test` is this
// binary, so given serve it runs the command instead of the tests.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		main()
	}
	os.Exit(m.Run())
}
