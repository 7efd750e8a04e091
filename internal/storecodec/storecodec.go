// Package storecodec holds the JSON documents the SQLite and PostgreSQL
// stores keep in columns (an endpoint's auth, a person's phones and
// addresses). Both stores store the very same documents, so an export moves
// between them; keeping the one definition here is what guarantees that.
//
// The document types are their own, with plain strings for secrets, so a
// change to a domain type (how herald.Secret marshals, say, to redact it in
// API output) can never change what is stored. Secrets are sealed with
// the store's keyring (internal/secretbox: AES-GCM, or plain text when no
// key is set) here, for both stores.
package storecodec

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/secretbox"
)

type authJSON struct {
	Type           herald.AuthType     `json:"type"`
	Username       string              `json:"username,omitempty"`
	Password       string              `json:"password,omitempty"`
	Secret         string              `json:"secret,omitempty"`
	TokenURL       string              `json:"tokenUrl,omitempty"`
	ClientID       string              `json:"clientId,omitempty"`
	ClientSecret   string              `json:"clientSecret,omitempty"`
	Scope          string              `json:"scope,omitempty"`
	SigningSecrets []signingSecretJSON `json:"signingSecrets,omitempty"`
}

type signingSecretJSON struct {
	Secret    string `json:"secret"`
	ExpiresAt int64  `json:"expiresAt,omitempty"` // unix ms; 0: never
}

// MarshalAuth encodes an endpoint's auth for storage, each secret sealed
// with keys (nil: stored as plain text).
func MarshalAuth(a *herald.Auth, keys *secretbox.Keyring) ([]byte, error) {
	j := authJSON{
		Type:         a.Type,
		Username:     a.Username,
		Password:     keys.Seal(string(a.Password)),
		Secret:       keys.Seal(string(a.Secret)),
		TokenURL:     a.TokenURL,
		ClientID:     a.ClientID,
		ClientSecret: keys.Seal(string(a.ClientSecret)),
		Scope:        a.Scope,
	}
	for _, s := range a.SigningSecrets {
		var exp int64
		if !s.ExpiresAt.IsZero() {
			exp = s.ExpiresAt.UnixMilli()
		}
		j.SigningSecrets = append(j.SigningSecrets, signingSecretJSON{Secret: keys.Seal(string(s.Secret)), ExpiresAt: exp})
	}
	return json.Marshal(j)
}

// UnmarshalAuth decodes what MarshalAuth stored, opening sealed secrets
// with keys. It fails (secretbox.ErrKeyMissing, ErrUnknownKey) when a
// secret is sealed with a key keys does not hold.
func UnmarshalAuth(b []byte, keys *secretbox.Keyring) (herald.Auth, error) {
	var j authJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return herald.Auth{}, err
	}
	var err error
	open := func(s string) herald.Secret {
		p, e := keys.Open(s)
		if e != nil && err == nil {
			err = e
		}
		return herald.Secret(p)
	}
	a := herald.Auth{
		Type:         j.Type,
		Username:     j.Username,
		Password:     open(j.Password),
		Secret:       open(j.Secret),
		TokenURL:     j.TokenURL,
		ClientID:     j.ClientID,
		ClientSecret: open(j.ClientSecret),
		Scope:        j.Scope,
	}
	for _, s := range j.SigningSecrets {
		var exp time.Time
		if s.ExpiresAt != 0 {
			exp = time.UnixMilli(s.ExpiresAt).UTC()
		}
		a.SigningSecrets = append(a.SigningSecrets, herald.SigningSecret{Secret: open(s.Secret), ExpiresAt: exp})
	}
	if err != nil {
		return herald.Auth{}, err
	}
	return a, nil
}

// AuthNeedsReseal reports whether a stored auth document holds a secret
// that keys would seal differently: plain text while a key is set, or
// sealed with a key other than keys' primary. Rotation rewrites those.
func AuthNeedsReseal(b []byte, keys *secretbox.Keyring) (bool, error) {
	var j authJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return false, err
	}
	need := keys.NeedsReseal(j.Password) || keys.NeedsReseal(j.Secret) || keys.NeedsReseal(j.ClientSecret)
	for _, s := range j.SigningSecrets {
		need = need || keys.NeedsReseal(s.Secret)
	}
	return need, nil
}

type phoneJSON struct {
	Type   string `json:"type,omitempty"`
	Number string `json:"number"`
}

type addressJSON struct {
	Type    string `json:"type,omitempty"`
	Street1 string `json:"street1,omitempty"`
	Street2 string `json:"street2,omitempty"`
	City    string `json:"city,omitempty"`
	State   string `json:"state,omitempty"`
	Zip     string `json:"zip,omitempty"`
	Country string `json:"country,omitempty"`
}

// MarshalContacts encodes a person's phones and addresses for storage.
func MarshalContacts(p *herald.Person) (phones, addresses []byte, err error) {
	ph := make([]phoneJSON, len(p.Phones))
	for i, x := range p.Phones {
		ph[i] = phoneJSON(x)
	}
	ad := make([]addressJSON, len(p.Addresses))
	for i, x := range p.Addresses {
		ad[i] = addressJSON(x)
	}
	if phones, err = json.Marshal(ph); err != nil {
		return nil, nil, err
	}
	addresses, err = json.Marshal(ad)
	return phones, addresses, err
}

// UnmarshalContacts decodes what MarshalContacts stored into p.
func UnmarshalContacts(p *herald.Person, phones, addresses []byte) error {
	var ph []phoneJSON
	var ad []addressJSON
	if err := json.Unmarshal(phones, &ph); err != nil {
		return fmt.Errorf("person %s: phones: %w", p.ID, err)
	}
	if err := json.Unmarshal(addresses, &ad); err != nil {
		return fmt.Errorf("person %s: addresses: %w", p.ID, err)
	}
	p.Phones, p.Addresses = nil, nil
	for _, x := range ph {
		p.Phones = append(p.Phones, herald.Phone(x))
	}
	for _, x := range ad {
		p.Addresses = append(p.Addresses, herald.Address(x))
	}
	return nil
}
