package postgres

import (
	"net/url"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/dbtest"
)

// TestPoolSizeComesFromConfigThenURLThenDefault: Config.MaxConns sizes the
// pool; without it, the URL's pool_max_conns (README, "Several nodes on
// PostgreSQL"); without either, defaultMaxConns.
func TestPoolSizeComesFromConfigThenURLThenDefault(t *testing.T) {
	t.Parallel()
	schemaURL := dbtest.NewPostgresSchema(t)
	for _, tc := range []struct {
		name     string
		cfg      Config
		maxConns int32
	}{
		{"default", Config{URL: schemaURL}, defaultMaxConns()},
		{"url", Config{URL: schemaURL + "&pool_max_conns=3"}, 3},
		{"config over url", Config{URL: schemaURL + "&pool_max_conns=3", MaxConns: 2}, 2},
	} {
		s, err := Open(t.Context(), &tc.cfg)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := s.pool.Config().MaxConns; got != tc.maxConns {
			t.Errorf("%s: pool of %d connections, want %d", tc.name, got, tc.maxConns)
		}
		_ = s.Close()
	}
}

func TestConnStringSets(t *testing.T) {
	for _, tc := range []struct {
		conn string
		want bool
	}{
		{"postgres://herald@db:5432/herald?sslmode=disable&pool_max_conns=20", true},
		{"postgres://herald@db:5432/herald?sslmode=disable", false},
		{"host=db dbname=herald pool_max_conns=5", true},
		{"host=db dbname=herald application_name=pool_max_conns", false},
		{"postgres://%zz", false},
	} {
		if got := connStringSets(tc.conn, "pool_max_conns"); got != tc.want {
			t.Errorf("connStringSets(%q) = %v, want %v", tc.conn, got, tc.want)
		}
	}
}

// FuzzConnStringSets: any connection string an operator may give parses
// without a panic, and a setting is only found where the string names it.
func FuzzConnStringSets(f *testing.F) {
	f.Add("postgres://herald@db:5432/herald?sslmode=disable&pool_max_conns=20")
	f.Add("host=db dbname=herald pool_max_conns=5")
	f.Add("host=db dbname='her ald' application_name=x")
	f.Fuzz(func(t *testing.T, conn string) {
		if !connStringSets(conn, "pool_max_conns") {
			return
		}
		// A URL may spell the key percent-encoded.
		named := strings.Contains(conn, "pool_max_conns")
		if decoded, err := url.QueryUnescape(conn); err == nil {
			named = named || strings.Contains(decoded, "pool_max_conns")
		}
		if !named {
			t.Errorf("connStringSets(%q) found pool_max_conns, which the string does not name", conn)
		}
	})
}
