package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/secretbox"
	"github.com/heraldhq/herald/sqlite"
	"github.com/heraldhq/herald/wire"
)

// TestRotateEncryptionKey: secrets stored in plain text are sealed by
// rotate-encryption-key, a start without the key then fails with a clear
// error, and a second rotation moves them to another key.
// Not parallel: it sets environment variables.
func TestRotateEncryptionKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "custom.db")
	ctx := t.Context()

	st, err := sqlite.Open(ctx, &sqlite.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CustomerCreate(ctx, &herald.Customer{ID: "2187", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	e := &herald.Endpoint{CustomerID: "2187", URL: "https://partner.example/events", Enabled: true,
		EventTypes: []wire.EventType{wire.EventTypeWorkFlowStatusChange},
		Auth:       herald.Auth{Type: herald.AuthTypeBasic, Username: "herald", Password: "basic-password-4921"}}
	if err := st.EndpointCreate(ctx, e); err != nil {
		t.Fatal(err)
	}
	_ = st.Close()

	first, second := randomKey(t), randomKey(t)
	args := []string{"rotate-encryption-key", "--data", dir, "--database", "sqlite:" + path}
	rotate := func() string {
		t.Helper()
		var out bytes.Buffer
		if err := run(ctx, args, strings.NewReader(""), &out, t.Output()); err != nil {
			t.Fatalf("rotate-encryption-key: %v", err)
		}
		return out.String()
	}

	t.Setenv("HERALD_ENCRYPTION_KEY", "")
	t.Setenv("HERALD_NEW_ENCRYPTION_KEY", first)
	if out := rotate(); !strings.Contains(out, "1 endpoints") {
		t.Fatalf("first rotation said %q, want 1 endpoint sealed", out)
	}
	// A start without the key refuses, naming the variable.
	err = run(ctx, []string{"migrate", "--data", dir, "--database", "sqlite:" + path}, strings.NewReader(""), &bytes.Buffer{}, t.Output())
	if err == nil || !strings.Contains(err.Error(), "HERALD_ENCRYPTION_KEY") {
		t.Fatalf("migrate without the key: %v, want an error naming HERALD_ENCRYPTION_KEY", err)
	}

	t.Setenv("HERALD_ENCRYPTION_KEY", first)
	t.Setenv("HERALD_NEW_ENCRYPTION_KEY", second)
	rotate()

	secondKey, err := secretbox.ParseKey(second)
	if err != nil {
		t.Fatal(err)
	}
	firstKey, _ := secretbox.ParseKey(first)
	if _, err := sqlite.Open(ctx, &sqlite.Config{Path: path, Secrets: secretbox.NewKeyring(firstKey)}); !errors.Is(err, secretbox.ErrUnknownKey) {
		t.Fatalf("open with the retired key: %v, want ErrUnknownKey", err)
	}
	st, err = sqlite.Open(ctx, &sqlite.Config{Path: path, Secrets: secretbox.NewKeyring(secondKey)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.EndpointGet(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Auth.Password != "basic-password-4921" {
		t.Fatalf("password after two rotations = %q", string(got.Auth.Password))
	}
}

func randomKey(t *testing.T) string {
	t.Helper()
	raw := make([]byte, secretbox.KeySize)
	_, _ = rand.Read(raw)
	return base64.StdEncoding.EncodeToString(raw)
}
