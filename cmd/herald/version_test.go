package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(t.Context(), []string{"version"}, strings.NewReader(""), &out, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"herald ", "commit: ", "built:  ", "go:     go1."} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("version output lacks %q:\n%s", want, out.String())
		}
	}
	if err := run(t.Context(), []string{"version", "extra"}, strings.NewReader(""), &out, &out); exitCode(err, &out) != 2 {
		t.Errorf("version extra: %v, want a usage error", err)
	}
}
