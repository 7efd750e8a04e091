package sqlstore

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestParseQueries(t *testing.T) {
	fsys := fstest.MapFS{
		"a.sql": {Data: []byte("-- about this file\n\n-- name: One\nSELECT 1\n  FROM t; -- trailing\n\n-- name: Two\n-- a comment inside\nDELETE FROM t;\n")},
		"b.sql": {Data: []byte("-- name: Three\nSELECT 3;")},
	}
	q, err := ParseQueries(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"One": "SELECT 1\n  FROM t; -- trailing", "Two": "DELETE FROM t", "Three": "SELECT 3"}
	for n, w := range want {
		if q[n] != w {
			t.Errorf("%s = %q, want %q", n, q[n], w)
		}
	}
	if len(q) != len(want) {
		t.Errorf("got %d statements, want %d: %v", len(q), len(want), q)
	}
}

func TestParseQueriesRefusesBadFiles(t *testing.T) {
	for name, text := range map[string]string{
		"sql before a name": "SELECT 1;\n-- name: One\nSELECT 1;",
		"empty name":        "-- name:\nSELECT 1;",
		"name with a space": "-- name: One Two\nSELECT 1;",
		"defined twice":     "-- name: One\nSELECT 1;\n-- name: One\nSELECT 2;",
	} {
		if _, err := ParseQueries(fstest.MapFS{"x.sql": {Data: []byte(text)}}, "."); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

func TestNewRefusesADriftedQueryFile(t *testing.T) {
	full := map[string]string{}
	for n := range known {
		full[string(n)] = "SELECT 1"
	}
	if _, err := New(Config{Queries: full}); err != nil {
		t.Fatalf("complete file: %v", err)
	}
	missing := map[string]string{}
	for n, v := range full {
		missing[n] = v
	}
	delete(missing, string(qWebUserGet))
	if _, err := New(Config{Queries: missing}); err == nil || !strings.Contains(err.Error(), "WebUserGet") {
		t.Errorf("file without WebUserGet: %v", err)
	}
	full["NoSuchStatement"] = "SELECT 1"
	if _, err := New(Config{Queries: full}); err == nil || !strings.Contains(err.Error(), "NoSuchStatement") {
		t.Errorf("file with an unknown statement: %v", err)
	}
}
