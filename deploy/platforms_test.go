package deploy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestReleasePlatformsTypeCheck type-checks ./cmd/herald for the operating
// systems `make release` builds for other than this machine's (which the
// rest of the suite compiles), so code that only compiles on Linux (a
// syscall.Flock, a syscall.Getrusage, a lock_windows.go nobody built)
// fails here rather than at release time. One platform per operating
// system: Herald has no architecture-specific code, and each platform
// costs about 30 s under -race.
//
// Why not `GOOS=windows go vet ./cmd/herald` or `go build -o /dev/null`:
// both compile every dependency for that platform first, and on a fresh CI
// machine (empty build cache) that is minutes per platform, most of it
// modernc.org/sqlite and modernc.org/libc. Here `go list -deps` applies the
// platform's build constraints and go/types checks the sources: Herald's own
// packages in full, their dependencies' declarations only (function bodies
// skipped: the upstream modules build on these platforms; what we must
// catch is our code calling what the platform lacks). That takes seconds
// and no build cache. scripts/release.sh still does the real build.
func TestReleasePlatformsTypeCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks the standard library and every dependency for each release platform")
	}
	root := repoRoot(t)
	// Sequential, on purpose: each platform parses the standard library and
	// every dependency, a few hundred MB of syntax trees at its peak.
	seen := map[string]bool{runtime.GOOS: true}
	for _, p := range releasePlatforms(t, root) {
		goos, _, _ := strings.Cut(p, "/")
		if seen[goos] {
			continue
		}
		seen[goos] = true
		t.Run(strings.ReplaceAll(p, "/", "_"), func(t *testing.T) {
			goos, goarch, _ := strings.Cut(p, "/")
			start := time.Now()
			n, errs := typeCheck(t, root, goos, goarch, "./cmd/herald")
			for i, err := range errs {
				if i == 20 {
					t.Errorf("... and %d more", len(errs)-i)
					break
				}
				t.Error(err)
			}
			t.Logf("%s: %d packages type-checked in %s", p, n, time.Since(start).Round(time.Millisecond))
		})
	}
}

// releasePlatforms reads PLATFORMS_DEFAULT from scripts/release.sh, so the
// test follows the release's list.
func releasePlatforms(t testing.TB, root string) []string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(root, "scripts", "release.sh"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^PLATFORMS_DEFAULT=\(([^)]*)\)`).FindSubmatch(src)
	if m == nil {
		t.Fatal("scripts/release.sh has no PLATFORMS_DEFAULT=(...) line")
	}
	ps := strings.Fields(string(m[1]))
	for _, p := range ps {
		if !regexp.MustCompile(`^[a-z0-9]+/[a-z0-9]+$`).MatchString(p) {
			t.Fatalf("release platform %q is not os/arch", p)
		}
	}
	if len(ps) < 2 {
		t.Fatalf("release platforms = %v, want several", ps)
	}
	return ps
}

// listedPackage is the part of `go list -json` typeCheck reads.
type listedPackage struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	ImportMap  map[string]string
	Standard   bool
	Module     *struct{ Path string }
	Error      *struct{ Err string }
}

// typeCheck type-checks pattern and its dependencies as GOOS=goos
// GOARCH=goarch CGO_ENABLED=0 would build them, and returns how many
// packages it checked and the errors in this module's packages (and any
// dependency go list could not load).
func typeCheck(t testing.TB, root, goos, goarch, pattern string) (int, []error) {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Dir,GoFiles,ImportMap,Standard,Module,Error", pattern)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0", "GOFLAGS=")
	cmd.Stderr = t.Output()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(out)
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("go list -deps %s for %s/%s: %v", pattern, goos, goarch, err)
	}

	sizes := types.SizesFor("gc", goarch)
	if sizes == nil {
		t.Fatalf("no type sizes for GOARCH=%s", goarch)
	}
	const self = "github.com/heraldhq/herald"
	checked := map[string]*types.Package{"unsafe": types.Unsafe}
	var errs []error
	// go list -deps prints every package after its dependencies.
	for _, p := range pkgs {
		if p.ImportPath == "unsafe" {
			continue
		}
		if p.Error != nil {
			errs = append(errs, fmt.Errorf("%s: %s", p.ImportPath, p.Error.Err))
			continue
		}
		ours := p.Module != nil && p.Module.Path == self
		fset := token.NewFileSet()
		files := make([]*ast.File, 0, len(p.GoFiles))
		for _, name := range p.GoFiles {
			path := filepath.Join(p.Dir, name)
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !ours {
				src = blankBodies(src)
			}
			f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			files = append(files, f)
		}
		var pkgErrs []error
		conf := types.Config{
			Importer: importerFunc(func(path string) (*types.Package, error) {
				if mapped, ok := p.ImportMap[path]; ok {
					path = mapped
				}
				if tp, ok := checked[path]; ok {
					return tp, nil
				}
				return nil, fmt.Errorf("%s imports %s, which go list did not list before it", p.ImportPath, path)
			}),
			Sizes: sizes,
			// Dependencies: declarations only. Their bodies are upstream's
			// business and would cost most of the time; without bodies
			// their imports look unused, so that check goes too.
			IgnoreFuncBodies:         !ours,
			DisableUnusedImportCheck: !ours,
			Error:                    func(err error) { pkgErrs = append(pkgErrs, err) },
		}
		tp, _ := conf.Check(p.ImportPath, fset, files, nil)
		checked[p.ImportPath] = tp
		// Errors in a dependency's declarations for this platform would
		// break the build as surely as ours, so they count too.
		errs = append(errs, pkgErrs...)
	}
	return len(pkgs), errs
}

// blankBodies returns src with the inside of every function body (of
// declarations and literals) turned to spaces, newlines kept so positions
// still point at the right line. The type checker skips dependencies'
// bodies anyway; blanking them first spares parsing them into syntax
// trees, which is most of the time and memory (modernc.org/sqlite/lib
// alone is 10 MB of generated Go), more so under -race.
//
// A body is the first '{' after a func keyword that is outside the
// signature's parentheses and brackets and not a struct or interface type
// in its result; a line end there (an inserted semicolon) means a func
// type, not a declaration, and cancels.
func blankBodies(src []byte) []byte {
	fset := token.NewFileSet()
	file := fset.AddFile("", -1, len(src))
	var s scanner.Scanner
	s.Init(file, src, nil, 0)
	out := bytes.Clone(src)
	var (
		inSig      bool // after func, before its body
		nest       int  // ( and [ depth within the signature
		typeBraces int  // struct{ or interface{ depth within the signature
		prev       token.Token
	)
	for {
		pos, tok, _ := s.Scan()
		if tok == token.EOF {
			return out
		}
		switch {
		case tok == token.FUNC:
			if !inSig {
				inSig, nest, typeBraces = true, 0, 0
			}
		case !inSig:
		case tok == token.LPAREN || tok == token.LBRACK:
			nest++
		case tok == token.RPAREN || tok == token.RBRACK:
			nest--
		case tok == token.LBRACE && (prev == token.STRUCT || prev == token.INTERFACE):
			typeBraces++
		case tok == token.RBRACE && typeBraces > 0:
			typeBraces--
		case tok == token.SEMICOLON && nest == 0 && typeBraces == 0:
			inSig = false
		case tok == token.LBRACE && nest == 0 && typeBraces == 0:
			// The body: skip to its matching brace and blank between.
			start, depth := file.Offset(pos)+1, 1
			for depth > 0 {
				p, t, _ := s.Scan()
				switch t {
				case token.EOF:
					return out
				case token.LBRACE:
					depth++
				case token.RBRACE:
					depth--
					if depth == 0 {
						for i := start; i < file.Offset(p); i++ {
							if out[i] != '\n' {
								out[i] = ' '
							}
						}
					}
				}
			}
			inSig = false
			tok = token.RBRACE
		}
		prev = tok
	}
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }
