package deploy

import (
	"os/exec"
	"testing"
)

// TestReleaseIsReproducible builds the linux/amd64 release binary twice,
// from this tree and from a copy of it at another path, and fails unless the
// two are byte-identical and `herald version` shows the commit and its date
// (scripts/release.sh --check, also `make release/check`).
func TestReleaseIsReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the release binary twice")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("needs git for the version, commit and date")
	}
	t.Parallel()
	out := runCmd(t, repoRoot(t), nil, "scripts/release.sh", "--check")
	t.Log(out)
}
