package secretbox_test

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/secretbox"
)

func newKey(t *testing.T) *secretbox.Key {
	t.Helper()
	raw := make([]byte, secretbox.KeySize)
	_, _ = rand.Read(raw)
	k, err := secretbox.ParseKey(base64.StdEncoding.EncodeToString(raw))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpenRotate(t *testing.T) {
	t.Parallel()
	oldKey, newKeyV := newKey(t), newKey(t)
	old := secretbox.NewKeyring(oldKey)
	sealed := old.Seal("s3cret-password")
	if !secretbox.Sealed(sealed) || strings.Contains(sealed, "s3cret") {
		t.Fatalf("sealed = %q", sealed)
	}
	if got, err := old.Open(sealed); err != nil || got != "s3cret-password" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if old.Seal("") != "" {
		t.Fatal("an empty secret must stay empty")
	}
	// Rotation: the new keyring opens the old value and wants it resealed.
	rotated := secretbox.NewKeyring(newKeyV, oldKey)
	if got, err := rotated.Open(sealed); err != nil || got != "s3cret-password" || !rotated.NeedsReseal(sealed) {
		t.Fatalf("rotated Open = %q, %v", got, err)
	}
	if rotated.NeedsReseal(rotated.Seal("x")) {
		t.Fatal("a value sealed with the primary key needs no reseal")
	}
	// Only the new key: the old value is refused, naming the key.
	if _, err := secretbox.NewKeyring(newKeyV).Open(sealed); !errors.Is(err, secretbox.ErrUnknownKey) {
		t.Fatalf("Open with another key: %v, want ErrUnknownKey", err)
	}
	var none *secretbox.Keyring
	if _, err := none.Open(sealed); !errors.Is(err, secretbox.ErrKeyMissing) {
		t.Fatalf("Open without a key: %v, want ErrKeyMissing", err)
	}
	if none.Seal("plain") != "plain" {
		t.Fatal("no keyring stores plain text")
	}
	// Tampering is detected.
	b := []byte(sealed)
	b[len(b)-2] ^= 1
	if _, err := old.Open(string(b)); err == nil {
		t.Fatal("a tampered value opened")
	}
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "not base64!", base64.StdEncoding.EncodeToString(make([]byte, 16))} {
		if _, err := secretbox.ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) accepted", bad)
		}
	}
}

func FuzzOpen(f *testing.F) {
	f.Add("hsb1:abcd:AAAA")
	f.Add("plain")
	f.Add("hsb1:")
	k := secretbox.NewKeyring(mustKey())
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = k.Open(s) // never panics
	})
}

func mustKey() *secretbox.Key {
	k, err := secretbox.ParseKey(base64.StdEncoding.EncodeToString(make([]byte, secretbox.KeySize)))
	if err != nil {
		panic(err)
	}
	return k
}
