package postgres_test

import (
	"log/slog"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/dbtest"
	"github.com/heraldhq/herald/internal/secretbox"
	"github.com/heraldhq/herald/internal/storetest"
	"github.com/heraldhq/herald/postgres"
)

// newStore opens a Store on a fresh schema of its own (dbtest), so tests run
// in parallel, and closes it when t ends.
func newStore(t testing.TB) *postgres.Store {
	t.Helper()
	return openStore(t, dbtest.NewPostgresSchema(t))
}

// openStore opens a Store on connURL and closes it when t ends. Several
// Stores on one URL are several nodes sharing a database.
func openStore(t testing.TB, connURL string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), &postgres.Config{
		URL:    connURL,
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug})),
		// A few connections per test: storetest runs dozens of tests
		// at once against one server of max_connections 200.
		MaxConns: 4,
	})
	if err != nil {
		t.Fatalf("open postgres store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestStore runs the whole store contract (internal/storetest) on
// PostgreSQL, with several nodes for the suites that need them.
func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) storetest.FullStore { return newStore(t) },
		BreakEvents: func(t *testing.T, s storetest.PlatformStore) {
			t.Helper()
			if err := postgres.BreakEventsForTest(t.Context(), s.(*postgres.Store)); err != nil {
				t.Fatalf("break events: %v", err)
			}
		},
		Secrets: func(t *testing.T) storetest.SecretsHarness {
			connURL := dbtest.NewPostgresSchema(t)
			return storetest.SecretsHarness{
				Open: func(t *testing.T, keys *secretbox.Keyring) (storetest.SecretStore, error) {
					s, err := postgres.Open(t.Context(), &postgres.Config{URL: connURL, MaxConns: 4, Secrets: keys})
					if err != nil {
						return nil, err
					}
					t.Cleanup(func() { _ = s.Close() })
					return s, nil
				},
				RawAuth: func(t *testing.T, s storetest.SecretStore, id string) string {
					raw, err := postgres.RawEndpointAuth(t.Context(), s.(*postgres.Store), id)
					if err != nil {
						t.Fatal(err)
					}
					return raw
				},
			}
		},
		Nodes: func(t *testing.T, n int) []herald.Store {
			connURL := dbtest.NewPostgresSchema(t)
			stores := make([]herald.Store, n)
			for i := range stores {
				stores[i] = openStore(t, connURL)
			}
			return stores
		},
	})
}
