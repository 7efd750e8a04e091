package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/heraldhq/herald"
)

// authenticate is middleware that lets through only requests that carry
// "Authorization: Bearer <admin token>" and answers any other with 401.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.checkToken(r.Header.Get("Authorization")); err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="herald"`)
			s.writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkToken returns EUNAUTHORIZED unless header is a Bearer credential
// equal to the admin token. The comparison is of SHA-256 hashes in constant
// time, so neither the token's bytes nor its length leak through timing.
func (s *Server) checkToken(header string) error {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return herald.Errorf(herald.EUNAUTHORIZED, "an Authorization: Bearer <admin token> header is required")
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
	if subtle.ConstantTimeCompare(sum[:], s.tokenHash[:]) != 1 {
		return herald.Errorf(herald.EUNAUTHORIZED, "the admin token is not valid")
	}
	return nil
}
