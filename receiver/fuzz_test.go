package receiver_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/heraldhq/herald/receiver"
	"github.com/heraldhq/herald/wire"
)

// FuzzHandler throws arbitrary bodies and headers at a Handler: whatever
// arrives, it answers with a status a sender understands and never panics
// or lets a malformed event through to the partner's code.
func FuzzHandler(f *testing.F) {
	body, _, _ := wire.BuildEvent("https://api.example.com", "6268", &wire.EventParams{
		EventType: wire.EventTypeRemoteLogin, SystemID: "244", UserID: "244", ReturnURL: "https://customer.example.com",
	})
	seeds := []struct {
		body           []byte
		encoding, auth string
		link           string
		contentType    string
	}{
		{body, "", "Basic dTpw", "", "application/json"},
		{wire.Gzip(body), "gzip", "Basic dTpw", "", "application/json"},
		{wire.Gzip(body), "", "Bearer tok", "", "application/json"}, // gzip by magic bytes
		{body, "deflate", "Basic", "", "application/json"},
		{[]byte(`{"eventType":"AssessmentEvent","customerId":6269}`), "", "Basic dTpw", `https://x/customers/1/jobs/2;rel="job";title="Job Profile",`, "application/json"},
		{[]byte{0x1f, 0x8b, 0, 0}, "gzip", "Basic !!!", "<>;;,", "text/plain"},
		{[]byte(`[]`), "", "", "", ""},
	}
	for _, s := range seeds {
		f.Add(s.body, s.encoding, s.auth, s.link, s.contentType)
	}
	f.Fuzz(func(t *testing.T, body []byte, encoding, auth, link, contentType string) {
		reached := false
		h := receiver.NewHandler(receiver.Config{
			Verifier:     receiver.Basic("u", "p"),
			MaxBodyBytes: 64 << 10,
		}, receiver.HandlerFunc(func(_ context.Context, e *receiver.Event) receiver.Reply {
			reached = true
			if e.Type == "" || e.CustomerID == "" {
				t.Errorf("an event without type or customer reached the handler: %+v", e)
			}
			return receiver.OK()
		}))
		req := httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(body))
		for k, v := range map[string]string{"Content-Encoding": encoding, "Authorization": auth, "Link": link, "Content-Type": contentType} {
			if v != "" && validHeaderValue(v) {
				req.Header.Set(k, v)
			}
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
			if !reached {
				t.Fatal("200 without the handler running")
			}
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
			if reached && rec.Code != http.StatusOK {
				t.Fatalf("refused with %d after the handler ran", rec.Code)
			}
		default:
			t.Fatalf("unexpected status %d", rec.Code)
		}
	})
}

// validHeaderValue keeps the fuzzer to values net/http could have received.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
