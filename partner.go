package herald

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"time"
)

// Prefixes of partner credentials, so a leaked string says what it is (and
// secret scanners can match it).
const (
	IDPrefixPartner           = "ptr_"
	CredentialPrefixClientID  = "hcid_"
	CredentialPrefixSecret    = "hcsk_"
	CredentialPrefixToken     = "hat_"
	DefaultPartnerTokenExpiry = time.Hour
)

// Partner is a vendor's API credential for one customer: the client id and
// secret it uses to read the customer's platform records (Basic auth, or an
// OAuth 2.0 client-credentials token). The secret itself is shown once, when
// the partner is created; only its SHA-256 is stored.
type Partner struct {
	ID         string
	CustomerID string
	Name       string
	ClientID   string
	// SecretHash is HashCredential of the client secret.
	SecretHash []byte
	// SecretHint is the masked secret (Secret.Masked), shown afterwards so
	// an operator can tell two credentials apart.
	SecretHint string
	CreatedAt  time.Time
}

// Validate returns an EINVALID error naming the first field that breaks a rule.
func (p *Partner) Validate() error {
	if err := requireText("name", p.Name); err != nil {
		return err
	}
	if p.ClientID == "" || len(p.SecretHash) != sha256.Size {
		return Errorf(EINVALID, "clientId and secretHash are required")
	}
	return nil
}

// PartnerExists is the ECONFLICT of PlatformStore.PartnerCreate: the id or
// the client id is taken (the store cannot tell which without a second
// query, and the caller needs no more: it retries with new ones).
func PartnerExists(id string) *Error {
	return Errorf(ECONFLICT, "partner %q or its client id exists already", id)
}

// PartnerTokenNotFound is the ENOTFOUND of PlatformStore.PartnerTokenGet:
// no token has the hash, or it has expired. It names no token: the token
// is the secret.
func PartnerTokenNotFound() *Error {
	return NotFound("token", "(hidden)")
}

// PartnerToken is an OAuth 2.0 access token issued to a partner. The token
// is opaque and random; only its hash is stored.
type PartnerToken struct {
	TokenHash  []byte
	PartnerID  string
	CustomerID string
	ExpiresAt  time.Time
	CreatedAt  time.Time
}

// NewCredential returns prefix followed by 256 random bits, base64url: a
// client id, a client secret or an access token. The entropy is what makes
// a plain SHA-256 a safe way to store it (no password stretching needed).
func NewCredential(prefix string) Secret {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+).
	return Secret(prefix + base64.RawURLEncoding.EncodeToString(b[:]))
}

// HashCredential is how secrets and tokens are stored and looked up.
func HashCredential(s Secret) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}
