package dispatch

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// signers turns endpoints' auth configuration into wire.Signers. OAuth 2.0
// token sources are kept per endpoint, so a token is fetched once and reused
// until it expires, and replaced when the endpoint's configuration changes.
type signers struct {
	client *http.Client // the policy-guarded client: token URLs are outbound requests too

	mu    sync.Mutex
	oauth map[string]*oauthEntry
}

type oauthEntry struct {
	updatedAt time.Time
	src       *wire.OAuth2TokenSource
	used      time.Time // last handed out; prune drops entries long unused
}

func newSigners(client *http.Client) *signers {
	return &signers{client: client, oauth: map[string]*oauthEntry{}}
}

// signer returns the signer of e's auth mode; nil means no auth. The
// mapping itself is herald.Auth.Signer; only the OAuth 2.0 token sources are
// the dispatcher's own, kept per endpoint.
func (s *signers) signer(e *herald.Endpoint, now time.Time) wire.Signer {
	if e.Auth.Type == herald.AuthTypeOAuth2 {
		return &oauthSigner{src: s.tokenSource(e, now)}
	}
	return e.Auth.Signer(now, nil)
}

func (s *signers) tokenSource(e *herald.Endpoint, now time.Time) *wire.OAuth2TokenSource {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ent, ok := s.oauth[e.ID]; ok && ent.updatedAt.Equal(e.UpdatedAt) {
		ent.used = now
		return ent.src
	}
	src := e.Auth.TokenSource()
	src.Client = s.client
	s.oauth[e.ID] = &oauthEntry{updatedAt: e.UpdatedAt, src: src, used: now}
	return src
}

// invalidate drops e's cached token after the partner refused it (401), so
// the next attempt fetches a fresh one instead of failing until expiry.
func (s *signers) invalidate(endpointID string) {
	s.mu.Lock()
	ent := s.oauth[endpointID]
	s.mu.Unlock()
	if ent != nil {
		ent.src.Invalidate()
	}
}

// oauthSigner adds a Bearer token from the endpoint's token source.
type oauthSigner struct{ src *wire.OAuth2TokenSource }

func (o *oauthSigner) Sign(req *http.Request, body []byte, now time.Time) error {
	tok, err := o.src.Token(req.Context())
	if err != nil {
		return fmt.Errorf("oauth2 access token: %w", err)
	}
	return wire.BearerToken(tok).Sign(req, body, now)
}
