package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// Release builds set these with -ldflags "-X main.version=... -X
// main.commit=... -X main.date=..." (see the Makefile's release target).
// Left empty, buildInfo fills them from what the Go toolchain recorded: the
// module version for `go install ...@vX`, and the VCS revision and commit
// time for a build from a git checkout.
var (
	version string
	commit  string
	date    string
)

// versionInfo is what `herald version` prints.
type versionInfo struct {
	Version string // v1.2.3, v1.2.3-4-gabcdef0, or "dev"
	Commit  string // full revision, with "-dirty" when built from a modified tree; "unknown" when not recorded
	Date    string // commit time in RFC 3339 (UTC), which is also the build date of a release; "unknown" when not recorded
	Go      string // the toolchain, e.g. go1.26.8
}

// buildInfo merges the -ldflags values with the toolchain's build info; the
// ldflags win.
func buildInfo() versionInfo {
	v := versionInfo{Version: version, Commit: commit, Date: date, Go: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		var rev, at string
		modified := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if v.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v.Version = bi.Main.Version
		}
		if v.Commit == "" && rev != "" {
			v.Commit = rev
			if modified {
				v.Commit += "-dirty"
			}
		}
		if v.Date == "" {
			v.Date = at
		}
	}
	if v.Version == "" {
		v.Version = "dev"
	}
	if v.Commit == "" {
		v.Commit = "unknown"
	}
	if v.Date == "" {
		v.Date = "unknown"
	}
	return v
}

func runVersion(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	v := buildInfo()
	fmt.Fprintf(stdout, "herald %s\ncommit: %s\nbuilt:  %s\ngo:     %s %s/%s\n", v.Version, v.Commit, v.Date, v.Go, runtime.GOOS, runtime.GOARCH)
	return nil
}
