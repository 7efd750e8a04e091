package herald_test

import (
	"go/build"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/heraldhq/herald"

// libraries are the packages every adapter may use: the domain (root),
// the wire contract, and the shared helpers. Adapters (api, web,
// dispatch, sqlite, postgres, ...) are everything else outside cmd/,
// examples/ and deploy/, and never import one another: cmd/herald wires
// them together.
var libraries = []string{"", "wire", "tracing"}

// TestLayers holds the dependency rules the layout promises (README,
// "Architecture"), on each package's non-test imports:
//   - the root imports the standard library and wire only; wire and
//     receiver import no module outside the standard library;
//   - internal/ packages import libraries and other internal packages, never
//     an adapter;
//   - an adapter imports libraries and internal packages, never another
//     adapter;
//   - only cmd/ and examples/ import the store adapters;
//   - the test helpers (internal/storetest, internal/testfactory,
//     internal/dbtest) are imported by tests only.
func TestLayers(t *testing.T) {
	pkgs := map[string][]string{} // path relative to the module → imports
	err := filepath.WalkDir(".", func(dir string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if name := d.Name(); dir != "." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules" || name == "tools") {
			return filepath.SkipDir
		}
		p, err := build.Default.ImportDir(dir, 0)
		if err != nil {
			return nil // no Go files here
		}
		rel := filepath.ToSlash(dir)
		if rel == "." {
			rel = ""
		}
		pkgs[rel] = p.Imports
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < 10 {
		t.Fatalf("found %d packages; is the test running from the module root?", len(pkgs))
	}

	kind := func(rel string) string {
		first, _, _ := strings.Cut(rel, "/")
		switch {
		case slices.Contains(libraries, rel):
			return "library"
		case first == "internal":
			return "internal"
		case first == "cmd" || first == "examples" || first == "deploy":
			return "main"
		}
		return "adapter"
	}
	for rel, imports := range pkgs {
		for _, imp := range imports {
			own, ok := strings.CutPrefix(imp, module)
			isModule := ok && (own == "" || own[0] == '/')
			own = strings.TrimPrefix(own, "/")
			thirdParty := !isModule && strings.Contains(strings.Split(imp, "/")[0], ".")
			name := path.Join(module, rel)
			switch {
			case (rel == "" || rel == "wire" || rel == "receiver") && thirdParty:
				t.Errorf("%s imports %s: it must need the standard library only", name, imp)
			case rel == "" && isModule && own != "wire":
				t.Errorf("%s (the domain) imports %s: it may import wire only", name, imp)
			case rel == "wire" && isModule:
				t.Errorf("%s imports %s: wire is the standard library's alone", name, imp)
			case !isModule:
			case kind(rel) == "internal" && kind(own) == "adapter":
				t.Errorf("%s imports the adapter %s: internal packages serve adapters, not the other way", name, imp)
			case kind(rel) == "adapter" && kind(own) == "adapter":
				t.Errorf("%s imports the adapter %s: adapters meet only in cmd/herald", name, imp)
			}
		}
	}
	for rel, imports := range pkgs {
		for _, helper := range []string{"internal/storetest", "internal/testfactory", "internal/dbtest"} {
			if slices.Contains(imports, module+"/"+helper) && !strings.HasPrefix(rel, "internal/") {
				t.Errorf("%s imports %s outside its tests", path.Join(module, rel), helper)
			}
		}
		for _, store := range []string{"sqlite", "postgres"} {
			if slices.Contains(imports, module+"/"+store) && kind(rel) != "main" {
				t.Errorf("%s imports the %s store: only cmd/ chooses a store", path.Join(module, rel), store)
			}
		}
	}
}
