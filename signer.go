package herald

import (
	"time"

	"github.com/heraldhq/herald/wire"
)

// Signer returns the wire.Signer that authenticates Herald's POSTs in a's
// mode at now, or nil for none: Basic, x-icims-v1 HMAC, Standard Webhooks
// with every secret active at now (so all sign during a rotation overlap),
// or, for oauth2, tokens. tokens must come from a.TokenSource (with the
// caller's policy-guarded client set); nil gets a new one with wire's default
// client. Callers that send more than once keep their token source, so a
// token is fetched once and reused until it expires.
//
// It is the one mapping from an endpoint's configuration to how its requests
// are signed: the dispatcher and the conformance check both use it, so a
// check signs exactly as deliveries do.
func (a *Auth) Signer(now time.Time, tokens *wire.OAuth2TokenSource) wire.Signer {
	switch a.Type {
	case AuthTypeBasic:
		return wire.BasicAuth{Username: a.Username, Password: string(a.Password)}
	case AuthTypeHMAC:
		return wire.HMACAuth{Username: a.Username, Secret: []byte(a.Secret)}
	case AuthTypeOAuth2:
		if tokens == nil {
			tokens = a.TokenSource()
		}
		return tokens
	case AuthTypeStandardWebhooks:
		active := a.ActiveSigningSecrets(now)
		secrets := make([]string, len(active))
		for i, sec := range active {
			secrets[i] = string(sec)
		}
		return wire.StandardWebhooks{Secrets: secrets}
	}
	return nil
}

// TokenSource returns a new OAuth 2.0 client-credentials token source for
// a's oauth2 settings. Its Client is nil (wire's default): set it to the
// client outbound requests must go through, since the token URL is one.
func (a *Auth) TokenSource() *wire.OAuth2TokenSource {
	return &wire.OAuth2TokenSource{
		TokenURL:     a.TokenURL,
		ClientID:     a.ClientID,
		ClientSecret: string(a.ClientSecret),
		Scope:        a.Scope,
	}
}
