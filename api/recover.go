package api

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/heraldhq/herald"
)

// errPanic stands for a recovered panic when the reply is written.
var errPanic = errors.New("handler panic")

// recoverPanic is middleware that turns a panic in a handler into a logged
// error and a 500 reply, so one bad request cannot take the server down. If
// the reply had already begun, it cannot be replaced: the connection is
// aborted instead, so the caller sees a broken reply rather than a
// truncated one that looks whole.
func (s *Server) recoverPanic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := wrapWriter(w)
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler { //nolint:errorlint // a sentinel panic value, not a wrapped error
				panic(v)
			}
			s.cfg.Logger.ErrorContext(r.Context(), "api handler panic",
				slog.String("request_id", RequestIDFromContext(r.Context())),
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("panic", fmt.Sprint(v)),
				slog.String("stack", string(debug.Stack())))
			if sw.status != 0 {
				panic(http.ErrAbortHandler)
			}
			// Logged above, so written directly rather than through writeError.
			_ = writeJSON(sw, http.StatusInternalServerError, &ErrorResponse{
				Error: ErrorBody{Code: herald.EINTERNAL, Message: herald.ErrorMessage(errPanic)},
			})
		}()
		next.ServeHTTP(sw, r)
	})
}
