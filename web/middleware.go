package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
)

// securityHeaders sets the headers every page gets. The CSP allows only
// this server's own styles and scripts (all embedded), no framing, and no
// <base>. It leaves form-action open on purpose: a portal form's reply is a
// 303 to the partner's page, and Chrome applies form-action to redirects.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// limitBody bounds every request body to MaxBodyBytes; a larger form fails
// to parse and the handler sees empty values.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		next.ServeHTTP(w, r)
	})
}

// recoverPanic turns a panic in a handler into a logged 500 page, so one
// bad request cannot take the server down. http.ErrAbortHandler passes
// through, as net/http expects.
func (s *Server) recoverPanic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.cfg.Logger.ErrorContext(r.Context(), "web panic", slog.String("path", r.URL.Path),
					slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
				s.writeError(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// crossOrigin refuses state-changing requests that a browser marks as
// coming from another origin (Sec-Fetch-Site, else Origin against Host):
// CSRF protection without tokens, for every form, the sign-in forms and the
// public portal forms included.
func (s *Server) crossOrigin(next http.Handler) http.Handler {
	p := http.NewCrossOriginProtection()
	p.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.render(w, r, http.StatusForbidden, "error", "Error", map[string]any{"Status": http.StatusForbidden,
			"StatusText": http.StatusText(http.StatusForbidden), "Message": "This form was sent from another site and was refused."})
	}))
	return p.Handler(next)
}
