package platform

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/heraldhq/herald"
)

// recoverPanic is middleware that turns a panic in a handler into a logged
// error and a 500 in the iCIMS form, so one bad request cannot take the
// server down and no stack trace reaches the caller. A reply already begun
// cannot be replaced; the connection is aborted instead.
func (s *Server) recoverPanic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler { //nolint:errorlint // a sentinel panic value
				panic(v)
			}
			s.cfg.Logger.ErrorContext(r.Context(), "platform handler panic",
				slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.String("panic", fmt.Sprint(v)), slog.String("stack", string(debug.Stack())))
			if sw.wrote {
				panic(http.ErrAbortHandler)
			}
			w.Header().Set("X-Error", "0:Internal error.")
			_ = writeJSON(w, http.StatusInternalServerError, &icimsErrors{Errors: []icimsError{{
				ErrorMessage: herald.ErrorMessage(fmt.Errorf("panic")), ErrorCode: icimsInternal,
			}}})
		}()
		next.ServeHTTP(sw, r)
	})
}

// statusWriter remembers whether the reply has begun.
type statusWriter struct {
	http.ResponseWriter
	wrote bool
}

// WriteHeader implements http.ResponseWriter.
func (w *statusWriter) WriteHeader(status int) {
	w.wrote = true
	w.ResponseWriter.WriteHeader(status)
}

// Write implements http.ResponseWriter.
func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap returns the underlying writer, for http.ResponseController.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
