package api

import (
	"log/slog"
	"net/http"
	"time"
)

// logRequests is middleware that logs each request at Debug level once it
// is answered: method, path, status, size and duration. It never logs
// headers, the query or bodies, which may hold credentials or personal data.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if !s.cfg.Logger.Enabled(ctx, slog.LevelDebug) {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		sw := wrapWriter(w)
		next.ServeHTTP(sw, r)
		s.cfg.Logger.DebugContext(ctx, "api request",
			slog.String("request_id", RequestIDFromContext(ctx)),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status_code", sw.status),
			slog.Int64("bytes", sw.bytes),
			slog.Duration("duration", time.Since(start)))
	})
}
