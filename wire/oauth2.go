package wire

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Limits and margins of OAuth2TokenSource.
const (
	// maxTokenReply bounds the token endpoint's reply body.
	maxTokenReply = 64 << 10
	// tokenEarly is how long before expires_in runs out a token is
	// replaced, so a token does not expire between Token and the request.
	tokenEarly = 30 * time.Second
	// tokenDefaultLifetime is used when the reply has no expires_in.
	tokenDefaultLifetime = 5 * time.Minute
)

var defaultTokenClient = &http.Client{Timeout: 30 * time.Second}

// OAuth2TokenSource gets access tokens with the OAuth 2.0 client-credentials
// grant (RFC 6749 section 4.4) and caches each until shortly before its
// expires_in runs out. It is safe for concurrent use, and fetches one token
// at a time: concurrent callers wait for the fetch under way. It implements
// Signer, sending "Authorization: Bearer <token>"; after a 401 reply, call
// Invalidate so the next request fetches a fresh token.
//
// Do not copy an OAuth2TokenSource after first use.
type OAuth2TokenSource struct {
	TokenURL     string
	ClientID     string
	ClientSecret string
	Scope        string // optional
	// CredentialsInBody sends client_id and client_secret as form fields
	// instead of HTTP Basic (RFC 6749 section 2.3.1 prefers Basic; some
	// token servers accept only the form).
	CredentialsInBody bool
	// Client makes the token requests. Default: a client with a 30 s timeout.
	Client *http.Client
	// NowFunc returns the current time. Default: time.Now.
	NowFunc func() time.Time

	mu     sync.Mutex
	token  string
	expiry time.Time
	flight *tokenFlight
}

// tokenFlight is one token fetch that other callers wait for.
type tokenFlight struct {
	done  chan struct{}
	token string
	err   error
}

var _ Signer = (*OAuth2TokenSource)(nil)

func (s *OAuth2TokenSource) now() time.Time {
	if s.NowFunc != nil {
		return s.NowFunc()
	}
	return time.Now()
}

// Token returns a valid access token, fetching one if none is cached. If
// another call is fetching, it waits for that fetch (or for ctx).
func (s *OAuth2TokenSource) Token(ctx context.Context) (string, error) {
	for {
		s.mu.Lock()
		if s.token != "" && s.now().Before(s.expiry) {
			t := s.token
			s.mu.Unlock()
			return t, nil
		}
		if f := s.flight; f != nil {
			s.mu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				return "", fmt.Errorf("oauth2 token: %w", ctx.Err())
			}
			// The fetcher's own context ending says nothing about the
			// token server: try again under ours.
			if f.err != nil && (errors.Is(f.err, context.Canceled) || errors.Is(f.err, context.DeadlineExceeded)) && ctx.Err() == nil {
				continue
			}
			return f.token, f.err
		}
		f := &tokenFlight{done: make(chan struct{})}
		s.flight = f
		s.mu.Unlock()

		token, lifetime, err := s.fetch(ctx)
		s.mu.Lock()
		if err == nil {
			s.token = token
			s.expiry = s.now().Add(lifetime)
		}
		s.flight = nil
		s.mu.Unlock()
		f.token, f.err = token, err
		close(f.done)
		return token, err
	}
}

// Invalidate drops the cached token, so the next Token call fetches anew.
func (s *OAuth2TokenSource) Invalidate() {
	s.mu.Lock()
	s.token = ""
	s.expiry = time.Time{}
	s.mu.Unlock()
}

// Sign implements Signer with the request's context.
func (s *OAuth2TokenSource) Sign(req *http.Request, _ []byte, _ time.Time) error {
	token, err := s.Token(req.Context())
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return nil
}

// String implements fmt.Stringer without the client secret or token.
func (s *OAuth2TokenSource) String() string {
	return "OAuth2TokenSource{" + s.TokenURL + ", " + s.ClientID + ", " + redacted + "}"
}

// LogValue implements slog.LogValuer without the client secret or token.
func (s *OAuth2TokenSource) LogValue() slog.Value { return slog.StringValue(s.String()) }

func (s *OAuth2TokenSource) fetch(ctx context.Context) (string, time.Duration, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	if s.Scope != "" {
		form.Set("scope", s.Scope)
	}
	if s.CredentialsInBody {
		form.Set("client_id", s.ClientID)
		form.Set("client_secret", s.ClientSecret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, fmt.Errorf("oauth2 token: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if !s.CredentialsInBody {
		// RFC 6749 section 2.3.1: form-urlencode, then Basic.
		req.SetBasicAuth(url.QueryEscape(s.ClientID), url.QueryEscape(s.ClientSecret))
	}
	client := s.Client
	if client == nil {
		client = defaultTokenClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("oauth2 token: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenReply+1))
	if err != nil {
		return "", 0, fmt.Errorf("oauth2 token: read reply: %w", err)
	}
	if len(data) > maxTokenReply {
		return "", 0, fmt.Errorf("oauth2 token: reply longer than %d bytes", maxTokenReply)
	}
	var reply struct {
		AccessToken      string          `json:"access_token"`
		TokenType        string          `json:"token_type"`
		ExpiresIn        json.RawMessage `json:"expires_in"`
		Error            string          `json:"error"`
		ErrorDescription string          `json:"error_description"`
	}
	jsonErr := json.Unmarshal(data, &reply)
	if resp.StatusCode != http.StatusOK {
		// error and error_description are the server's words (RFC 6749
		// section 5.2), safe to show; the body otherwise is not echoed.
		if reply.Error != "" {
			return "", 0, fmt.Errorf("oauth2 token: %s: %s %s", resp.Status, truncate(reply.Error, 100), truncate(reply.ErrorDescription, 300))
		}
		return "", 0, fmt.Errorf("oauth2 token: %s", resp.Status)
	}
	if jsonErr != nil {
		return "", 0, fmt.Errorf("oauth2 token: reply is not JSON: %w", jsonErr)
	}
	if reply.AccessToken == "" {
		return "", 0, errors.New("oauth2 token: reply has no access_token")
	}
	if reply.TokenType != "" && !strings.EqualFold(reply.TokenType, "bearer") {
		return "", 0, fmt.Errorf("oauth2 token: token_type %q is not Bearer", truncate(reply.TokenType, 40))
	}
	lifetime := tokenDefaultLifetime
	if exp := strings.Trim(string(reply.ExpiresIn), `" `); exp != "" && exp != "null" {
		secs, err := strconv.ParseFloat(exp, 64)
		if err != nil || secs < 0 {
			return "", 0, errors.New("oauth2 token: expires_in is not a number of seconds")
		}
		// Clamp, so an absurd expires_in cannot overflow a Duration.
		lifetime = time.Duration(min(secs, 365*24*3600) * float64(time.Second))
	}
	// Renew early, but never use up more than half the lifetime doing so.
	early := min(tokenEarly, lifetime/2)
	return reply.AccessToken, lifetime - early, nil
}
