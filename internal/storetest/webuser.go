package storetest

import (
	"bytes"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// WebUserStore is a store with the web UI's users and sessions beside the
// event queue, as the sqlite and postgres stores are.
type WebUserStore interface {
	herald.Store
	herald.WebUserStore
}

// exerciseWebUsers runs the herald.WebUserStore suite. newStore must return
// a new, empty, migrated store for each call and close it when t ends.
func exerciseWebUsers(t *testing.T, newStore func(t *testing.T) WebUserStore) {
	t.Helper()
	t.Run("User", func(t *testing.T) { t.Parallel(); exerciseWebUser(t, newStore(t)) })
	t.Run("Session", func(t *testing.T) { t.Parallel(); exerciseWebSession(t, newStore(t)) })
}

const testPasswordHash = "$argon2id$v=19$m=65536,t=1,p=2$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNo"

func exerciseWebUser(t *testing.T, s WebUserStore) {
	ctx := t.Context()
	for _, id := range []string{"6269", "2187"} {
		requireNoError(t, "create customer", s.CustomerCreate(ctx, &herald.Customer{ID: id, Name: "C" + id}))
	}
	u := &herald.WebUser{CustomerID: "6269", Username: "ada@acme", PasswordHash: testPasswordHash, PersonID: "1001"}
	requireNoError(t, "create user", s.WebUserCreate(ctx, u))
	if len(u.ID) != len(herald.IDPrefixWebUser)+26 || u.CreatedAt.IsZero() {
		t.Fatalf("create did not set ID and CreatedAt: %+v", u)
	}

	t.Run("Invalid", func(t *testing.T) {
		for _, bad := range []*herald.WebUser{
			{CustomerID: "6269", Username: "", PasswordHash: testPasswordHash},
			{CustomerID: "6269", Username: "has space", PasswordHash: testPasswordHash},
			{CustomerID: "6269", Username: "nohash"},
			{CustomerID: "", Username: "x", PasswordHash: testPasswordHash},
		} {
			requireCode(t, s.WebUserCreate(ctx, bad), herald.EINVALID)
		}
	})
	requireCode(t, s.WebUserCreate(ctx, &herald.WebUser{CustomerID: "nope", Username: "x", PasswordHash: testPasswordHash}), herald.ENOTFOUND)
	// Usernames are unique across customers: the login form has no customer.
	requireCode(t, s.WebUserCreate(ctx, &herald.WebUser{CustomerID: "2187", Username: "ada@acme", PasswordHash: testPasswordHash}), herald.ECONFLICT)

	got, err := s.WebUserGetByUsername(ctx, "ada@acme")
	requireNoError(t, "get by username", err)
	requireNoDiff(t, "user by username", got, u)
	got, err = s.WebUserGet(ctx, "6269", u.ID)
	requireNoError(t, "get", err)
	requireNoDiff(t, "user", got, u)
	_, err = s.WebUserGet(ctx, "2187", u.ID)
	requireCode(t, err, herald.ENOTFOUND) // another customer's user
	_, err = s.WebUserGetByUsername(ctx, "ADA@acme")
	requireCode(t, err, herald.ENOTFOUND)

	u2 := &herald.WebUser{CustomerID: "6269", Username: "bob", PasswordHash: testPasswordHash}
	requireNoError(t, "create second user", s.WebUserCreate(ctx, u2))
	list, err := s.WebUserList(ctx, "6269")
	requireNoError(t, "list", err)
	if len(list) != 2 || list[0].ID != u.ID || list[1].ID != u2.ID {
		t.Fatalf("list = %+v, want ada then bob", list)
	}
	list, err = s.WebUserList(ctx, "2187")
	requireNoError(t, "list other", err)
	if len(list) != 0 {
		t.Fatalf("other customer's list = %+v, want empty", list)
	}

	requireCode(t, s.WebUserSetPassword(ctx, "2187", u.ID, "$argon2id$new"), herald.ENOTFOUND)
	requireCode(t, s.WebUserSetPassword(ctx, "6269", u.ID, ""), herald.EINVALID)
	requireNoError(t, "set password", s.WebUserSetPassword(ctx, "6269", u.ID, "$argon2id$new"))
	got, err = s.WebUserGet(ctx, "6269", u.ID)
	requireNoError(t, "get after set password", err)
	if got.PasswordHash != "$argon2id$new" {
		t.Fatalf("password hash = %q after set", got.PasswordHash)
	}

	requireCode(t, s.WebUserDelete(ctx, "2187", u2.ID), herald.ENOTFOUND)
	requireNoError(t, "delete", s.WebUserDelete(ctx, "6269", u2.ID))
	requireCode(t, s.WebUserDelete(ctx, "6269", u2.ID), herald.ENOTFOUND)
}

func exerciseWebSession(t *testing.T, s WebUserStore) {
	ctx := t.Context()
	requireNoError(t, "create customer", s.CustomerCreate(ctx, &herald.Customer{ID: "6269", Name: "C"}))
	u := &herald.WebUser{CustomerID: "6269", Username: "ada", PasswordHash: testPasswordHash}
	requireNoError(t, "create user", s.WebUserCreate(ctx, u))
	hash := func(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

	userSess := &herald.WebSession{IDHash: hash("a"), UserID: u.ID, CustomerID: "6269", CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
	opSess := &herald.WebSession{IDHash: hash("b"), CreatedAt: base, ExpiresAt: base.Add(2 * time.Hour)}
	requireNoError(t, "create user session", s.WebSessionCreate(ctx, userSess))
	requireNoError(t, "create operator session", s.WebSessionCreate(ctx, opSess))
	requireCode(t, s.WebSessionCreate(ctx, &herald.WebSession{IDHash: hash("c"), CreatedAt: base, ExpiresAt: base}), herald.EINVALID)
	requireCode(t, s.WebSessionCreate(ctx, &herald.WebSession{CreatedAt: base, ExpiresAt: base.Add(time.Hour)}), herald.EINVALID)
	requireCode(t, s.WebSessionCreate(ctx, &herald.WebSession{IDHash: hash("d"), UserID: "wu_nope", CustomerID: "6269",
		CreatedAt: base, ExpiresAt: base.Add(time.Hour)}), herald.ENOTFOUND)

	got, err := s.WebSessionGet(ctx, hash("a"), base.Add(time.Minute))
	requireNoError(t, "get user session", err)
	if !bytes.Equal(got.IDHash, userSess.IDHash) || got.UserID != u.ID || got.CustomerID != "6269" || got.Operator() ||
		!got.CreatedAt.Equal(base) || !got.ExpiresAt.Equal(base.Add(time.Hour)) {
		t.Fatalf("user session = %+v", got)
	}
	got, err = s.WebSessionGet(ctx, hash("b"), base.Add(time.Minute))
	requireNoError(t, "get operator session", err)
	if !got.Operator() || got.CustomerID != "" {
		t.Fatalf("operator session = %+v", got)
	}
	// Expired at its ExpiresAt.
	_, err = s.WebSessionGet(ctx, hash("a"), base.Add(time.Hour))
	requireCode(t, err, herald.ENOTFOUND)
	_, err = s.WebSessionGet(ctx, hash("zz"), base)
	requireCode(t, err, herald.ENOTFOUND)

	// A new session sweeps the expired ones away: "a" is gone even for an
	// earlier clock.
	requireNoError(t, "create later session", s.WebSessionCreate(ctx,
		&herald.WebSession{IDHash: hash("e"), UserID: u.ID, CustomerID: "6269", CreatedAt: base.Add(90 * time.Minute), ExpiresAt: base.Add(3 * time.Hour)}))
	_, err = s.WebSessionGet(ctx, hash("a"), base)
	requireCode(t, err, herald.ENOTFOUND)

	// Sign out.
	requireNoError(t, "delete", s.WebSessionDelete(ctx, hash("b")))
	requireNoError(t, "delete again", s.WebSessionDelete(ctx, hash("b")))
	_, err = s.WebSessionGet(ctx, hash("b"), base)
	requireCode(t, err, herald.ENOTFOUND)

	// A new password ends the user's sessions; so does deleting the user.
	requireNoError(t, "set password", s.WebUserSetPassword(ctx, "6269", u.ID, "$argon2id$new"))
	_, err = s.WebSessionGet(ctx, hash("e"), base.Add(2*time.Hour))
	requireCode(t, err, herald.ENOTFOUND)
	requireNoError(t, "create session again", s.WebSessionCreate(ctx,
		&herald.WebSession{IDHash: hash("f"), UserID: u.ID, CustomerID: "6269", CreatedAt: base.Add(2 * time.Hour), ExpiresAt: base.Add(3 * time.Hour)}))
	requireNoError(t, "delete user", s.WebUserDelete(ctx, "6269", u.ID))
	_, err = s.WebSessionGet(ctx, hash("f"), base.Add(2*time.Hour))
	requireCode(t, err, herald.ENOTFOUND)
}
