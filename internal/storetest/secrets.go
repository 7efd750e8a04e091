package storetest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/secretbox"
	"github.com/heraldhq/herald/internal/testfactory"
	"github.com/heraldhq/herald/wire"
)

// SecretStore is a store that can seal its endpoint secrets again with the
// primary key of its keyring (herald rotate-encryption-key).
type SecretStore interface {
	herald.Store
	SecretsReseal(ctx context.Context) (int, error)
}

// SecretsHarness opens one database again and again, as restarts with
// different keys would, and reads what is stored.
type SecretsHarness struct {
	// Open opens the harness's database (the same one every call) with
	// keys, returning Open's error. The store is closed when t ends.
	Open func(t *testing.T, keys *secretbox.Keyring) (SecretStore, error)
	// RawAuth returns the endpoint's auth document as stored.
	RawAuth func(t *testing.T, s SecretStore, endpointID string) string
}

// exerciseSecrets checks that endpoint secrets are sealed at rest with the
// store's keyring, come back as they were, need their key to open the
// store, and can be sealed again under a new key.
func exerciseSecrets(t *testing.T, newHarness func(t *testing.T) SecretsHarness) {
	t.Helper()
	t.Run("RoundTripSealedAtRest", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		keys := secretbox.NewKeyring(newSecretKey(t))
		s := mustOpen(t, h, keys)
		e := secretEndpoint(t, s)
		got, err := s.EndpointGet(t.Context(), e.ID)
		requireNoError(t, "get endpoint", err)
		requireNoDiff(t, "auth", got.Auth, e.Auth)
		raw := h.RawAuth(t, s, e.ID)
		for _, plain := range plainSecrets {
			if strings.Contains(raw, plain) {
				t.Fatalf("stored auth %s holds the secret %q in clear", raw, plain)
			}
		}
		if !strings.Contains(raw, "hsb1:") {
			t.Fatalf("stored auth %s is not sealed", raw)
		}
		// Listing opens them too.
		list, err := s.EndpointList(t.Context(), e.CustomerID)
		requireNoError(t, "list endpoints", err)
		requireNoDiff(t, "listed auth", list[0].Auth, e.Auth)
	})
	t.Run("MissingOrWrongKeyFailsOpen", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		keys := secretbox.NewKeyring(newSecretKey(t))
		s := mustOpen(t, h, keys)
		secretEndpoint(t, s)
		requireNoError(t, "close", s.Close())
		if _, err := h.Open(t, nil); !errors.Is(err, secretbox.ErrKeyMissing) {
			t.Fatalf("open without the key: %v, want ErrKeyMissing", err)
		}
		if _, err := h.Open(t, secretbox.NewKeyring(newSecretKey(t))); !errors.Is(err, secretbox.ErrUnknownKey) {
			t.Fatalf("open with another key: %v, want ErrUnknownKey", err)
		}
	})
	t.Run("PlainThenSealedThenRotated", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t)
		s := mustOpen(t, h, nil)
		e := secretEndpoint(t, s)
		if raw := h.RawAuth(t, s, e.ID); !strings.Contains(raw, plainSecrets[0]) {
			t.Fatalf("without a key, stored auth %s should be plain text", raw)
		}
		requireNoError(t, "close", s.Close())

		first := newSecretKey(t)
		s = mustOpen(t, h, secretbox.NewKeyring(first))
		n, err := s.SecretsReseal(t.Context())
		requireNoError(t, "seal", err)
		if n != 1 {
			t.Fatalf("sealed %d endpoints, want 1", n)
		}
		if raw := h.RawAuth(t, s, e.ID); strings.Contains(raw, plainSecrets[0]) {
			t.Fatalf("after sealing, stored auth %s holds a secret in clear", raw)
		}
		requireNoError(t, "close", s.Close())

		second := newSecretKey(t)
		s = mustOpen(t, h, secretbox.NewKeyring(second, first))
		n, err = s.SecretsReseal(t.Context())
		requireNoError(t, "rotate", err)
		if n != 1 {
			t.Fatalf("rotated %d endpoints, want 1", n)
		}
		if n, err = s.SecretsReseal(t.Context()); err != nil || n != 0 {
			t.Fatalf("second rotation: %d, %v; want nothing left to do", n, err)
		}
		requireNoError(t, "close", s.Close())

		s = mustOpen(t, h, secretbox.NewKeyring(second))
		got, err := s.EndpointGet(t.Context(), e.ID)
		requireNoError(t, "get endpoint", err)
		requireNoDiff(t, "auth after rotation", got.Auth, e.Auth)
	})
}

// plainSecrets are the secrets secretEndpoint stores, first the password.
var plainSecrets = []string{"basic-password-4921", "hmac-secret-7730", "oauth-client-secret-5512"}

// secretEndpoint stores an endpoint holding every kind of secret: a Basic
// password, an HMAC secret, an OAuth client secret and Standard Webhooks
// secrets (current and rotated).
func secretEndpoint(t *testing.T, s herald.Store) *herald.Endpoint {
	t.Helper()
	ctx := t.Context()
	c := testfactory.Customer(ctx, t, s, nil)
	e := &herald.Endpoint{
		CustomerID: c.ID, URL: "https://partner.example/events", Enabled: true,
		EventTypes: []wire.EventType{wire.EventTypeWorkFlowStatusChange},
		Auth:       herald.Auth{Type: herald.AuthTypeBasic, Username: "herald", Password: herald.Secret(plainSecrets[0])},
	}
	requireNoError(t, "create endpoint", s.EndpointCreate(ctx, e))
	// The other secrets ride in the same document; Validate checks only
	// the active type's fields, so set them after the create through an
	// update of the same type with every field filled.
	e.Auth.Secret = herald.Secret(plainSecrets[1])
	e.Auth.ClientSecret = herald.Secret(plainSecrets[2])
	e.Auth.SigningSecrets = []herald.SigningSecret{
		{Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		{Secret: "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD", ExpiresAt: base.Add(24 * time.Hour)},
	}
	if err := s.EndpointUpdate(ctx, e); err != nil {
		// A store that drops the fields of other types is fine: keep
		// what it kept.
		t.Logf("update with every secret: %v", err)
	}
	got, err := s.EndpointGet(ctx, e.ID)
	requireNoError(t, "get endpoint", err)
	if got.Auth.Password != herald.Secret(plainSecrets[0]) {
		t.Fatalf("password read back as %q, want %q", string(got.Auth.Password), plainSecrets[0])
	}
	for _, kept := range []struct{ got, want herald.Secret }{
		{got.Auth.Secret, herald.Secret(plainSecrets[1])},
		{got.Auth.ClientSecret, herald.Secret(plainSecrets[2])},
	} {
		if kept.got != "" && kept.got != kept.want {
			t.Fatalf("secret read back as %q, want %q", string(kept.got), string(kept.want))
		}
	}
	return got
}

func mustOpen(t *testing.T, h SecretsHarness, keys *secretbox.Keyring) SecretStore {
	t.Helper()
	s, err := h.Open(t, keys)
	requireNoError(t, "open store", err)
	return s
}

func newSecretKey(t *testing.T) *secretbox.Key {
	t.Helper()
	raw := make([]byte, secretbox.KeySize)
	_, _ = rand.Read(raw)
	k, err := secretbox.ParseKey(base64.StdEncoding.EncodeToString(raw))
	requireNoError(t, "parse key", err)
	return k
}
