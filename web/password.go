package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: RFC 9106's second recommended option (64 MiB, 3
// passes) is costly on a 2-core node handling several logins at once, so
// we use OWASP's 2023 minimum for argon2id, m=19 MiB, t=2, p=1, which takes
// a few tens of milliseconds. They are stored in each hash, so raising them
// later leaves old hashes valid.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
	argonSaltLen   = 16
)

// MinPasswordLength is the shortest password an administrator may set.
// NIST SP 800-63B asks for at least 8; we ask for 12 because the UI can
// change where a customer's events go.
const MinPasswordLength = 12

// maxPasswordLength bounds what is hashed, so a megabyte "password" cannot
// tie up the KDF.
const maxPasswordLength = 256

// hashPassword returns password hashed with argon2id as a PHC string.
func hashPassword(password string) string {
	salt := make([]byte, argonSaltLen)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails (Go 1.24+).
	key := argonKey([]byte(password), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemoryKiB, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// checkPassword reports whether password matches a hash made by
// hashPassword, comparing in constant time. A malformed hash never matches.
func checkPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || len(password) > maxPasswordLength {
		return false
	}
	var version int
	var mem, passes uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &passes, &threads); err != nil ||
		mem == 0 || mem > 1<<20 || passes == 0 || passes > 16 || threads == 0 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 128 {
		return false
	}
	got := argonKey([]byte(password), salt, passes, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when a username does not exist, so a login
// takes as long whether or not the username is known.
// It is made on first use, not at start, so programs that import web but
// never serve a login do not pay for a hash.
var dummyHash = sync.OnceValue(func() string { return hashPassword("herald-dummy-password-for-timing") })

// argonRunning counts the Argon2id computations running in this process,
// and argonPeak the most that ever ran at once: what the sign-in gate
// (hashGate) bounds, and what its test checks.
var argonRunning, argonPeak atomic.Int64

// argonKey is argon2.IDKey, counted in argonRunning and argonPeak.
func argonKey(password, salt []byte, passes, memKiB uint32, threads uint8, keyLen uint32) []byte {
	n := argonRunning.Add(1)
	defer argonRunning.Add(-1)
	for p := argonPeak.Load(); n > p && !argonPeak.CompareAndSwap(p, n); p = argonPeak.Load() {
	}
	return argon2.IDKey(password, salt, passes, memKiB, threads, keyLen)
}
