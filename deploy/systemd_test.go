package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSystemdUnit runs systemd-analyze verify on deploy/systemd/herald.service
// and checks its exposure score, where systemd-analyze is installed. verify
// exits 0 on an unknown directive and only warns, so any output fails too.
func TestSystemdUnit(t *testing.T) {
	t.Parallel()
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (Debian package systemd)")
	}
	raw, err := os.ReadFile("systemd/herald.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"DynamicUser=yes", "StateDirectory=herald", "ProtectSystem=strict", "NoNewPrivileges=yes",
		"PrivateTmp=yes", "ProtectHome=yes", "CapabilityBoundingSet=\n", "RestrictAddressFamilies=", "SystemCallFilter=@system-service",
		"EnvironmentFile=/etc/herald/herald.env"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("herald.service lacks %q", want)
		}
	}
	// verify checks that ExecStart's binary exists: point it at an
	// executable file of our own, and keep the unit's name.
	dir := t.TempDir()
	bin := filepath.Join(dir, "herald")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	unit := filepath.Join(dir, "herald.service")
	if err := os.WriteFile(unit, []byte(strings.ReplaceAll(string(raw), "/usr/local/bin/herald", bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := tryCmd(dir, nil, analyze, "verify", unit)
	if err != nil || strings.TrimSpace(out+errOut) != "" {
		t.Fatalf("systemd-analyze verify: %v\n%s%s", err, out, errOut)
	}
	// The exposure score, 0 (locked down) to 10: fail above 2.0.
	out, errOut, err = tryCmd(dir, nil, analyze, "security", "--offline=yes", "--threshold=20", unit)
	last := strings.TrimSpace(out)
	if i := strings.LastIndex(last, "\n"); i >= 0 {
		last = last[i+1:]
	}
	t.Log(last)
	if err != nil {
		t.Fatalf("systemd-analyze security: %v (want exposure at most 2.0)\n%s%s", err, out, errOut)
	}
}
