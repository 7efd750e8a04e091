package sqlite_test

import (
	"log/slog"
	"testing"

	"github.com/heraldhq/herald/internal/dbtest"
	"github.com/heraldhq/herald/internal/secretbox"
	"github.com/heraldhq/herald/internal/storetest"
	"github.com/heraldhq/herald/sqlite"
)

// newStore opens a store on a new database file in t's temp directory,
// logging to t's output, and closes it when t ends.
func newStore(t testing.TB) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), &sqlite.Config{
		Path:   dbtest.NewSQLitePath(t),
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return s
}

// TestStore runs the whole store contract (internal/storetest) on SQLite.
func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) storetest.FullStore { return newStore(t) },
		BreakEvents: func(t *testing.T, s storetest.PlatformStore) {
			t.Helper()
			if err := sqlite.BreakEventsForTest(t.Context(), s.(*sqlite.Store)); err != nil {
				t.Fatalf("break events: %v", err)
			}
		},
		Secrets: func(t *testing.T) storetest.SecretsHarness {
			path := dbtest.NewSQLitePath(t)
			return storetest.SecretsHarness{
				Open: func(t *testing.T, keys *secretbox.Keyring) (storetest.SecretStore, error) {
					s, err := sqlite.Open(t.Context(), &sqlite.Config{Path: path, Secrets: keys})
					if err != nil {
						return nil, err
					}
					t.Cleanup(func() { _ = s.Close() })
					return s, nil
				},
				RawAuth: func(t *testing.T, s storetest.SecretStore, id string) string {
					raw, err := sqlite.RawEndpointAuth(s.(*sqlite.Store), id)
					if err != nil {
						t.Fatal(err)
					}
					return raw
				},
			}
		},
	})
}

// TestStoreClaimByEndpoint runs the contract again with no claim slack, so
// a claim that meets any delivery it may not take in its window of the due
// order picks endpoint by endpoint instead: both ways of picking must give
// the same answers.
func TestStoreClaimByEndpoint(t *testing.T) {
	t.Parallel()
	storetest.Run(t, storetest.Harness{ContractOnly: true, New: func(t *testing.T) storetest.FullStore {
		s := newStore(t)
		sqlite.SetClaimSlack(s, 0)
		return s
	}})
}
