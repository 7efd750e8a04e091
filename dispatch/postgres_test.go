package dispatch_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// onPostgres lists the end-to-end tests that run a second time with a
// PostgreSQL store (a fresh schema each, dbtest.NewPostgresSchema), so the
// delivery engine is checked on both backends with one copy of each test.
// They skip without TEST_DATABASE_URL, and fail instead in CI.
//
// A test whose setup should stay SQLite-only goes in sqliteOnly, with why;
// TestEveryDispatchTestRunsOnPostgres fails when a test is in neither.
var onPostgres = map[string]func(*testing.T){
	"TestDeliveryRepliesDecideState":             TestDeliveryRepliesDecideState,
	"TestDeliveryAsThePartnerSeesIt":             TestDeliveryAsThePartnerSeesIt,
	"TestOutboundSafetyRefusesInternalAddresses": TestOutboundSafetyRefusesInternalAddresses,
	"TestHangingEndpointDoesNotSlowOthers":       TestHangingEndpointDoesNotSlowOthers,
	"TestShutdownHandsBackInterruptedAttempts":   TestShutdownHandsBackInterruptedAttempts,
	"TestDeliverNowReturnsEachPartnersReply":     TestDeliverNowReturnsEachPartnersReply,
	"TestPartnerReplyCannotStallOthers":          TestPartnerReplyCannotStallOthers,
}

// sqliteOnly lists tests that call setup but need not run on PostgreSQL.
var sqliteOnly = map[string]string{}

// TestPostgres runs every test of onPostgres against PostgreSQL: the subtest
// is marked in postgresTests, and setup opens its store there.
func TestPostgres(t *testing.T) {
	t.Parallel()
	for name, test := range onPostgres {
		t.Run(name, func(t *testing.T) {
			postgresTests.Store(t, true)
			t.Cleanup(func() { postgresTests.Delete(t) })
			test(t)
		})
	}
}

// TestEveryDispatchTestRunsOnPostgres reads this package's test files and
// fails if a test that calls setup is in neither onPostgres nor sqliteOnly,
// so a new test cannot silently run on SQLite alone.
func TestEveryDispatchTestRunsOnPostgres(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var missing []string
	for _, f := range files {
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range file.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "Test") || fn.Body == nil {
				continue
			}
			callsSetup := false
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if call, ok := n.(*ast.CallExpr); ok {
					if id, ok := call.Fun.(*ast.Ident); ok && id.Name == "setup" {
						callsSetup = true
					}
				}
				return !callsSetup
			})
			name := fn.Name.Name
			if _, listed := onPostgres[name]; callsSetup && !listed && sqliteOnly[name] == "" {
				missing = append(missing, name)
			}
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Fatalf("tests that call setup but are not in onPostgres (or sqliteOnly, with a reason) in postgres_test.go: %s",
			strings.Join(missing, ", "))
	}
}
