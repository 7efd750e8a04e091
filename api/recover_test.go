package api

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
)

func TestRecoverPanic(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	s := &Server{cfg: Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))}.withDefaults()}

	h := s.recoverPanic(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("nil map somewhere")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/customers", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500", rec.Code)
	}
	var er ErrorResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &er); err != nil || er.Error.Code != herald.EINTERNAL || er.Error.Message != "Internal error." {
		t.Fatalf("body = %s", rec.Body.Bytes())
	}
	if !strings.Contains(logs.String(), "nil map somewhere") {
		t.Fatalf("panic not logged: %s", logs.String())
	}

	// Once the reply has begun it cannot be replaced: the handler aborts.
	h = s.recoverPanic(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		panic("late")
	}))
	defer func() {
		if v := recover(); v != http.ErrAbortHandler { //nolint:errorlint // a panic value
			t.Fatalf("recovered %v, want http.ErrAbortHandler", v)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
}

func TestErrorStatus(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]int{
		herald.EINVALID:               400,
		herald.EUNAUTHORIZED:          401,
		herald.ENOTFOUND:              404,
		ErrorCodeMethodNotAllowed:     405,
		herald.ECONFLICT:              409,
		herald.ETOOLARGE:              413,
		ErrorCodeUnsupportedMediaType: 415,
		herald.EINTERNAL:              500,
		"something new":               500,
		herald.EUNAVAILABLE:           503,
	} {
		if got := errorStatus(code); got != want {
			t.Errorf("errorStatus(%q) = %d, want %d", code, got, want)
		}
	}
}
