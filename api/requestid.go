package api

import (
	"crypto/rand"
	"net/http"
)

// RequestIDHeader carries the request id both ways.
const RequestIDHeader = "X-Request-Id"

// maxRequestIDLength bounds an id a caller supplies, so it cannot bloat logs.
const maxRequestIDLength = 64

// requestID is middleware that gives every request an id: the caller's
// X-Request-Id if it is short and plain, so a caller can follow its request
// through our logs, or a new random one. The id goes into the request's
// context and back in the reply's X-Request-Id.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(RequestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(NewContextWithRequestID(r.Context(), id)))
	})
}

// validRequestID reports whether a caller's id is 1 to 64 characters of
// letters, digits, '-', '_', '.' or ':', which are safe in any log format.
func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// newRequestID returns 16 random base32 characters (80 bits).
func newRequestID() string {
	const alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+).
	for i := range b {
		b[i] = alphabet[b[i]&31]
	}
	return string(b[:])
}
