// Package secretbox encrypts the endpoint secrets the stores keep (Basic
// passwords, HMAC and Standard Webhooks secrets, OAuth 2.0 client secrets)
// with AES-256-GCM from the standard library. It is the one place the rule
// lives: internal/storecodec seals and opens each secret with it, for both
// stores.
//
// A sealed value is text: "hsb1:<key id>:<base64url(nonce|ciphertext)>".
// The key id (the first 8 hex digits of the key's SHA-256) says which key
// sealed it, so a Keyring holding the new key and the old ones opens
// everything during a rotation, and a missing key is named, not guessed.
//
// With no keyring (nil), values are stored as they are: plain text. Open
// refuses a sealed value without its key (ErrKeyMissing, ErrUnknownKey).
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// prefix marks a sealed value and its format version.
const prefix = "hsb1:"

// KeySize is the size of a key: AES-256.
const KeySize = 32

var (
	// ErrKeyMissing: a value is sealed but no key is configured.
	ErrKeyMissing = errors.New("secretbox: an encrypted secret is stored but no encryption key is set (HERALD_ENCRYPTION_KEY)")
	// ErrUnknownKey: a value is sealed with a key the keyring lacks.
	ErrUnknownKey = errors.New("secretbox: a secret is encrypted with a key that is not configured")
)

// Key is one AES-256-GCM key and its id.
type Key struct {
	id   string
	aead cipher.AEAD
}

// ID is the key's id: the first 8 hex digits of its SHA-256.
func (k *Key) ID() string { return k.id }

// ParseKey reads a key: 32 bytes, base64 (standard or URL alphabet, with
// or without padding), as `openssl rand -base64 32` prints.
func ParseKey(s string) (*Key, error) {
	s = strings.TrimSpace(s)
	var raw []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if raw, err = enc.DecodeString(s); err == nil {
			break
		}
	}
	if err != nil {
		return nil, errors.New("secretbox: the key is not base64 (make one with `openssl rand -base64 32`)")
	}
	if len(raw) != KeySize {
		return nil, fmt.Errorf("secretbox: the key is %d bytes, want %d (make one with `openssl rand -base64 32`)", len(raw), KeySize)
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secretbox: %w", err)
	}
	sum := sha256.Sum256(raw)
	return &Key{id: hex.EncodeToString(sum[:4]), aead: aead}, nil
}

// Keyring seals with its primary key and opens with any of its keys. A nil
// *Keyring stores plain text.
type Keyring struct {
	primary *Key
	keys    map[string]*Key
}

// NewKeyring returns a keyring that seals with primary and also opens what
// the old keys sealed.
func NewKeyring(primary *Key, old ...*Key) *Keyring {
	k := &Keyring{primary: primary, keys: map[string]*Key{primary.id: primary}}
	for _, o := range old {
		if o != nil {
			k.keys[o.id] = o
		}
	}
	return k
}

// Sealed reports whether s is a sealed value.
func Sealed(s string) bool { return strings.HasPrefix(s, prefix) }

// Seal encrypts plain with the primary key. The empty string stays empty
// (no secret), and a nil keyring returns plain as it is.
func (k *Keyring) Seal(plain string) string {
	if k == nil || plain == "" {
		return plain
	}
	nonce := make([]byte, k.primary.aead.NonceSize(), k.primary.aead.NonceSize()+len(plain)+k.primary.aead.Overhead())
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails (Go 1.24+).
	// The key id is authenticated too, so a value cannot be relabelled.
	out := k.primary.aead.Seal(nonce, nonce, []byte(plain), []byte(k.primary.id))
	return prefix + k.primary.id + ":" + base64.RawURLEncoding.EncodeToString(out)
}

// Open decrypts what Seal returned; a value that is not sealed is returned
// as it is (plain text stored before a key was set).
func (k *Keyring) Open(s string) (string, error) {
	if !Sealed(s) {
		return s, nil
	}
	if k == nil {
		return "", ErrKeyMissing
	}
	id, data, ok := strings.Cut(strings.TrimPrefix(s, prefix), ":")
	if !ok {
		return "", errors.New("secretbox: malformed sealed value")
	}
	key := k.keys[id]
	if key == nil {
		return "", fmt.Errorf("%w (key id %s)", ErrUnknownKey, id)
	}
	raw, err := base64.RawURLEncoding.DecodeString(data)
	if err != nil || len(raw) < key.aead.NonceSize() {
		return "", errors.New("secretbox: malformed sealed value")
	}
	plain, err := key.aead.Open(nil, raw[:key.aead.NonceSize()], raw[key.aead.NonceSize():], []byte(id))
	if err != nil {
		return "", fmt.Errorf("secretbox: cannot decrypt a secret sealed with key %s: %w", id, err)
	}
	return string(plain), nil
}

// NeedsReseal reports whether s should be sealed again by Seal: it is
// plain text, or sealed with a key other than the primary.
func (k *Keyring) NeedsReseal(s string) bool {
	if s == "" || k == nil {
		return false
	}
	return !strings.HasPrefix(s, prefix+k.primary.id+":")
}
