package storetest

import (
	"testing"

	"github.com/heraldhq/herald"
)

// FullStore is every store interface Herald's stores implement, which Run
// exercises.
type FullStore interface {
	herald.Store
	herald.HealthStore
	herald.ReplayStore
	herald.RetentionStore
	herald.PlatformStore
	herald.WebUserStore
}

// Harness is what Run needs from a store's package.
type Harness struct {
	// New returns a new, empty, migrated store for each call and closes it
	// when t ends; every subtest calls it, so subtests run in parallel
	// without sharing rows. Required.
	New func(t *testing.T) FullStore
	// BreakEvents makes s's events table refuse inserts, so the platform
	// suite can check that an action whose event fails leaves no change.
	// Required.
	BreakEvents func(t *testing.T, s PlatformStore)
	// Secrets opens one database with the keys it is given, for the
	// secrets-at-rest suite. Required.
	Secrets func(t *testing.T) SecretsHarness
	// Nodes, if set, returns n Stores of their own on one new database
	// (several nodes), for the suites that need several writers at once
	// (ordered delivery across nodes). Nil: a one-node store (SQLite).
	Nodes func(t *testing.T, n int) []herald.Store
	// ContractOnly runs the core herald.Store contract alone: for a store
	// run again in another mode (SQLite's endpoint-by-endpoint claim).
	ContractOnly bool
}

// Run is storetest's one entry point: every suite of the store contract,
// each a parallel subtest of t.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.New == nil || (!h.ContractOnly && (h.BreakEvents == nil || h.Secrets == nil)) {
		t.Fatal("storetest.Run: the harness needs New, BreakEvents and Secrets")
	}
	t.Run("Contract", func(t *testing.T) {
		t.Parallel()
		exercise(t, func(t *testing.T) herald.Store { return h.New(t) })
	})
	if h.ContractOnly {
		return
	}
	t.Run("Platform", func(t *testing.T) {
		t.Parallel()
		exercisePlatform(t, func(t *testing.T) PlatformStore { return h.New(t) }, h.BreakEvents)
	})
	t.Run("Health", func(t *testing.T) {
		t.Parallel()
		exerciseHealth(t, func(t *testing.T) RecoveryStore { return h.New(t) })
	})
	t.Run("Replay", func(t *testing.T) {
		t.Parallel()
		exerciseReplay(t, func(t *testing.T) RecoveryStore { return h.New(t) })
	})
	t.Run("Retention", func(t *testing.T) {
		t.Parallel()
		exerciseRetention(t, func(t *testing.T) RetentionStore { return h.New(t) })
	})
	t.Run("WebUser", func(t *testing.T) {
		t.Parallel()
		exerciseWebUsers(t, func(t *testing.T) WebUserStore { return h.New(t) })
	})
	t.Run("Secrets", func(t *testing.T) {
		t.Parallel()
		exerciseSecrets(t, h.Secrets)
	})
	if h.Nodes != nil {
		// Ordered delivery on three nodes (Stores with pools of their own
		// on one database) that publish, claim and record at once.
		t.Run("OrderedConcurrentNodes", func(t *testing.T) {
			t.Parallel()
			orderedConcurrently(t, h.Nodes(t, 3)...)
		})
		// Health scans on three nodes at once.
		t.Run("HealthScanConcurrentNodes", func(t *testing.T) {
			t.Parallel()
			healthScanConcurrently(t, h.Nodes(t, 3)...)
		})
	}
}
