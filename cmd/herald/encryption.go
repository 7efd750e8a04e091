package main

import (
	"os"
	"strings"

	"github.com/heraldhq/herald/internal/secretbox"
)

// encryptionKeys reads the keyring that seals endpoint secrets at rest:
// HERALD_ENCRYPTION_KEY (32 bytes, base64: `openssl rand -base64 32`)
// seals and opens; HERALD_ENCRYPTION_OLD_KEYS (comma-separated, same
// format) only open, for nodes running while `herald
// rotate-encryption-key` re-seals. Nil without a key: secrets are stored
// as plain text.
func encryptionKeys() (*secretbox.Keyring, error) {
	return keyring(os.Getenv("HERALD_ENCRYPTION_KEY"), os.Getenv("HERALD_ENCRYPTION_OLD_KEYS"))
}

func keyring(primary, old string) (*secretbox.Keyring, error) {
	if strings.TrimSpace(primary) == "" {
		if strings.TrimSpace(old) != "" {
			return nil, usagef("HERALD_ENCRYPTION_OLD_KEYS is set without HERALD_ENCRYPTION_KEY")
		}
		return nil, nil
	}
	p, err := secretbox.ParseKey(primary)
	if err != nil {
		return nil, usagef("HERALD_ENCRYPTION_KEY: %v", err)
	}
	var olds []*secretbox.Key
	for i, s := range strings.Split(old, ",") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		k, err := secretbox.ParseKey(s)
		if err != nil {
			return nil, usagef("HERALD_ENCRYPTION_OLD_KEYS, key %d: %v", i+1, err)
		}
		olds = append(olds, k)
	}
	return secretbox.NewKeyring(p, olds...), nil
}

// plainTextWarning is logged at start when secrets are not encrypted.
const plainTextWarning = "endpoint secrets are stored in plain text: set HERALD_ENCRYPTION_KEY (openssl rand -base64 32) and run `herald rotate-encryption-key` to encrypt them"
