package deploy

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if schemaDirCreated != "" {
		os.RemoveAll(schemaDirCreated)
	}
	os.Exit(code)
}

// repoRoot is the repository's top directory, the parent of this package's.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// runCmd runs name with args in dir and returns its stdout; stderr goes to
// the test's output. It fails the test when the command fails.
func runCmd(t testing.TB, dir string, env []string, name string, args ...string) string {
	t.Helper()
	out, errOut, err := tryCmd(dir, env, name, args...)
	if err != nil {
		t.Fatalf("%s %v: %v\nstdout:\n%s\nstderr:\n%s", name, args, err, out, errOut)
	}
	return out
}

// tryCmd runs a command and returns what it printed and its error.
func tryCmd(dir string, env []string, name string, args ...string) (stdout, stderr string, err error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}
