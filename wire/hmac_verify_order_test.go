package wire

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"
)

// TestVerifyHMACChecksSignatureBeforeDecompressing: a request with a wrong
// signature is refused without decompressing its body, so an anonymous
// sender cannot make a receiver inflate 10 MiB per request. Not parallel:
// it measures the bytes allocated, which other tests would disturb.
func TestVerifyHMACChecksSignatureBeforeDecompressing(t *testing.T) {
	plain := bytes.Repeat([]byte{' '}, 10<<20-1)
	bomb := Gzip(plain) // about 10 KiB on the wire
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	req := httptest.NewRequest(http.MethodPost, "https://partner.example/events", bytes.NewReader(bomb))
	req.Header.Set("Content-Type", "application/json")
	if err := (HMACAuth{Username: "herald", Secret: []byte("the-real-secret")}).Sign(req, bomb, now); err != nil {
		t.Fatal(err)
	}
	// The hash of the decompressed JSON, which the spec allows: checking
	// it means decompressing the body.
	req.Header.Set(HeaderICIMSContentSHA256, ContentSHA256(plain))
	wrongSecret := func(string) ([]byte, bool) { return []byte("not-the-secret"), true }

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := VerifyHMAC(req, bomb, wrongSecret, now, 5*time.Minute)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrSignatureMismatch) {
		t.Fatalf("VerifyHMAC = %v, want ErrSignatureMismatch", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 2<<20 {
		t.Fatalf("refusing a wrong signature allocated %d bytes: the body was decompressed first", n)
	}
}
