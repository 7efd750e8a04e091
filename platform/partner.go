package platform

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/heraldhq/herald"
)

func toPartnerJSON(p *herald.Partner, secret herald.Secret) *partnerJSON {
	out := &partnerJSON{ID: p.ID, CustomerID: p.CustomerID, Name: p.Name, ClientID: p.ClientID,
		ClientSecret: p.SecretHint, CreatedAt: p.CreatedAt}
	if secret != "" {
		out.ClientSecret = string(secret)
	}
	return out
}

// handlePartnerCreate serves POST /api/v1/customers/{customerId}/partners:
// issues a client id and secret. The secret is in this reply only; Herald
// keeps its SHA-256.
func (s *Server) handlePartnerCreate(w http.ResponseWriter, r *http.Request) error {
	var in partnerInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	secret := herald.NewCredential(herald.CredentialPrefixSecret)
	p := &herald.Partner{
		CustomerID: r.PathValue("customerId"),
		Name:       in.Name,
		ClientID:   string(herald.NewCredential(herald.CredentialPrefixClientID)),
		SecretHash: herald.HashCredential(secret),
		SecretHint: secret.Masked(),
	}
	if err := s.cfg.Store.PartnerCreate(r.Context(), p); err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/customers/"+url.PathEscape(p.CustomerID)+"/partners/"+url.PathEscape(p.ID))
	return writeJSON(w, http.StatusCreated, toPartnerJSON(p, secret))
}

// handlePartnerList serves GET /api/v1/customers/{customerId}/partners.
func (s *Server) handlePartnerList(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.cfg.Store.PartnerList(r.Context(), r.PathValue("customerId"))
	if err != nil {
		return err
	}
	out := struct {
		Partners []*partnerJSON `json:"partners"`
	}{Partners: make([]*partnerJSON, 0, len(ps))}
	for _, p := range ps {
		out.Partners = append(out.Partners, toPartnerJSON(p, ""))
	}
	return writeJSON(w, http.StatusOK, &out)
}

// handlePartnerGet serves GET /api/v1/customers/{customerId}/partners/{partnerId}.
func (s *Server) handlePartnerGet(w http.ResponseWriter, r *http.Request) error {
	p, err := s.cfg.Store.PartnerGet(r.Context(), r.PathValue("customerId"), r.PathValue("partnerId"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toPartnerJSON(p, ""))
}

// handlePartnerDelete serves DELETE /api/v1/customers/{customerId}/partners/{partnerId}:
// revokes the credential and every token issued with it.
func (s *Server) handlePartnerDelete(w http.ResponseWriter, r *http.Request) error {
	if err := s.cfg.Store.PartnerDelete(r.Context(), r.PathValue("customerId"), r.PathValue("partnerId")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// tokenResponse is the reply of POST /oauth/token (RFC 6749 section 5.1).
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

// oauthError is an RFC 6749 section 5.2 error: the form OAuth clients
// (wire.OAuth2TokenSource among them) read.
type oauthError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
}

// handleOAuthToken serves POST /oauth/token: the client-credentials grant.
// The client authenticates with Basic (RFC 6749 section 2.3.1, each part
// form-urlencoded) or with client_id and client_secret in the form. The
// token is opaque and random; Herald keeps its SHA-256 and expiry.
func (s *Server) handleOAuthToken(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Pragma", "no-cache")
	fail := func(status int, code, desc string) {
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="herald"`)
		}
		_ = writeJSON(w, status, &oauthError{Error: code, ErrorDescription: desc})
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		fail(http.StatusMethodNotAllowed, "invalid_request", "use POST")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		fail(http.StatusBadRequest, "invalid_request", "the body must be a form of at most 8 KiB")
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		fail(http.StatusBadRequest, "unsupported_grant_type", "grant_type must be client_credentials")
		return
	}
	id, secret, basic := r.BasicAuth()
	if basic {
		id, secret = formUnescape(id), formUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	p, err := s.checkClientThrottled(r, id, secret)
	if err != nil {
		if herald.ErrorCode(err) == herald.EUNAUTHORIZED {
			fail(http.StatusUnauthorized, "invalid_client", "client authentication failed")
			return
		}
		if wait, ok := retryAfter(err); ok {
			// RFC 6749 has no error code for this; temporarily_unavailable
			// is the closest it defines, and Retry-After says when.
			setRetryAfter(w, wait)
			fail(http.StatusTooManyRequests, "temporarily_unavailable", herald.ErrorMessage(err))
			return
		}
		s.logInternal(r, err)
		fail(http.StatusInternalServerError, "server_error", "Internal error.")
		return
	}
	tok := herald.NewCredential(herald.CredentialPrefixToken)
	pt := &herald.PartnerToken{TokenHash: herald.HashCredential(tok), PartnerID: p.PartnerID,
		ExpiresAt: s.now().Add(s.cfg.TokenLifetime)}
	if err := s.cfg.Store.PartnerTokenCreate(r.Context(), pt); err != nil {
		if herald.ErrorCode(err) == herald.ENOTFOUND { // deleted meanwhile
			fail(http.StatusUnauthorized, "invalid_client", "client authentication failed")
			return
		}
		s.logInternal(r, err)
		fail(http.StatusInternalServerError, "server_error", "Internal error.")
		return
	}
	_ = writeJSON(w, http.StatusOK, &tokenResponse{AccessToken: string(tok), TokenType: "Bearer",
		ExpiresIn: int64(s.cfg.TokenLifetime.Seconds())})
}

// formUnescape undoes the form-urlencoding RFC 6749 asks clients to apply
// to Basic credentials; a part that does not decode is used as sent.
func formUnescape(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	u, err := url.QueryUnescape(s)
	if err != nil {
		return s
	}
	return u
}
