package receiver

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/heraldhq/herald/wire"
)

func TestReplyWrite(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		reply      Reply
		status     int
		location   string
		user       string
		debug      string
		retryAfter string
	}{
		{"ok", OK(), 200, "", "", "", ""},
		{"see other", SeeOther("https://partner.example.com/a?b=1"), 303, "https://partner.example.com/a?b=1", "", "", ""},
		{"see other relative", SeeOther("/a"), 500, "", "Something went wrong. Please contact support.", "the partner replied 303 without an absolute Location", ""},
		{"bad request", BadRequest("Please provide a valid US SSN before requesting Background Check.", "US SSN missing"), 400, "",
			"Please provide a valid US SSN before requesting Background Check.", "US SSN missing", ""},
		{"bad request placeholder", BadRequest("Missing {{person.usssn}}", ""), 400, "", "Missing {{person.usssn}}", "", ""},
		{"server error default message", ServerError("", "db down"), 500, "", "Something went wrong. Please contact support.", "db down", ""},
		{"unavailable", Reply{Status: 503, UserMessage: "Down for maintenance.", RetryAfter: 1500 * time.Millisecond}, 503, "", "Down for maintenance.", "", "2"},
		{"unavailable helper", Unavailable("", ""), 503, "", "The service is temporarily unavailable. Please try again later.", "", ""},
		{"zero status", Reply{}, 500, "", "Something went wrong. Please contact support.", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := httptest.NewRecorder()
			tt.reply.Write(w)
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d", w.Code, tt.status)
			}
			if got := w.Header().Get("Location"); got != tt.location {
				t.Fatalf("Location = %q, want %q", got, tt.location)
			}
			if got := w.Header().Get("Retry-After"); got != tt.retryAfter {
				t.Fatalf("Retry-After = %q, want %q", got, tt.retryAfter)
			}
			if tt.status < 400 {
				if w.Body.Len() != 0 {
					t.Fatalf("body = %q, want empty", w.Body)
				}
				return
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Fatalf("Content-Type = %q", ct)
			}
			d, ok := wire.ParseErrorReport(w.Body.Bytes())
			if !ok || d.UserMessage != tt.user || d.DebugErrorMessage != tt.debug {
				t.Fatalf("error body = %s", w.Body)
			}
		})
	}
	if OK().Status != http.StatusOK {
		t.Fatal("OK status")
	}
}
