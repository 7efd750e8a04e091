package wire

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2017, 10, 18, 14, 53, 40, 0, time.UTC)

func TestContentSHA256SpecCapture(t *testing.T) {
	t.Parallel()
	if len(specHMACBody) != 237 {
		t.Fatalf("capture is %d bytes, want 237", len(specHMACBody))
	}
	if got := ContentSHA256([]byte(specHMACBody)); got != specHMACSHA256 {
		t.Fatalf("ContentSHA256 = %s, want %s", got, specHMACSHA256)
	}
}

func newSignedRequest(t testing.TB, s Signer, url string, body []byte, gz bool) *http.Request {
	t.Helper()
	sent := body
	if gz {
		sent = Gzip(body)
	}
	req, err := NewRequest(context.Background(), &Request{URL: url, EventID: "evt_1", Attempt: 1, Body: sent, Gzip: gz, Signer: s}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// received turns an outgoing request into what a server sees.
func received(t testing.TB, out *http.Request) (*http.Request, []byte) {
	t.Helper()
	var body bytes.Buffer
	body.ReadFrom(out.Body)
	in := httptest.NewRequest(out.Method, out.URL.String(), bytes.NewReader(body.Bytes()))
	in.Header = out.Header.Clone()
	if out.Host != "" {
		in.Host = out.Host
	}
	return in, body.Bytes()
}

func hmacSecrets(user string) ([]byte, bool) {
	if user == "partner" {
		return []byte("s3cret"), true
	}
	return nil, false
}

func TestHMACSignVerify(t *testing.T) {
	t.Parallel()
	for _, gz := range []bool{false, true} {
		for _, url := range []string{"https://partner.example.com/hooks/icims?x=1&y=%2F", "http://127.0.0.1:8080", "http://h.example.com/a%20b"} {
			t.Run(fmt.Sprint(gz, url), func(t *testing.T) {
				t.Parallel()
				out := newSignedRequest(t, HMACAuth{Username: "partner", Secret: []byte("s3cret")}, url, []byte(specHMACBody), gz)
				if got := out.Header.Get(HeaderICIMSDate); got != "2017-10-18T14:53:40+0000" {
					t.Fatalf("x-icims-date = %q", got)
				}
				auth := out.Header.Get("Authorization")
				if !strings.HasPrefix(auth, "x-icims-v1-hmac-sha256 user=partner,signedheaders=content-type;host;x-icims-content-sha256;x-icims-date,signature=") {
					t.Fatalf("Authorization = %q", auth)
				}
				if !gz && out.Header.Get(HeaderICIMSContentSHA256) != specHMACSHA256 {
					t.Fatalf("content hash = %s", out.Header.Get(HeaderICIMSContentSHA256))
				}
				in, body := received(t, out)
				user, err := VerifyHMAC(in, body, hmacSecrets, testNow.Add(4*time.Minute), 5*time.Minute)
				if err != nil || user != "partner" {
					t.Fatalf("VerifyHMAC = %q, %v", user, err)
				}
			})
		}
	}
}

func TestHMACVerifyHashOfDecompressed(t *testing.T) {
	t.Parallel()
	// A sender that hashes the JSON but sends it gzip'd.
	out := newSignedRequest(t, HMACAuth{Username: "partner", Secret: []byte("s3cret")}, "https://p.example.com/x", []byte(specHMACBody), false)
	in, _ := received(t, out)
	in.Header.Set("Content-Encoding", "gzip")
	if _, err := VerifyHMAC(in, Gzip([]byte(specHMACBody)), hmacSecrets, testNow, 5*time.Minute); err != nil {
		t.Fatalf("VerifyHMAC = %v", err)
	}
}

func TestHMACVerifyFailures(t *testing.T) {
	t.Parallel()
	signer := HMACAuth{Username: "partner", Secret: []byte("s3cret")}
	tests := []struct {
		name   string
		mutate func(r *http.Request, body []byte) []byte
		now    time.Time
		want   error
	}{
		{"tampered body", func(_ *http.Request, b []byte) []byte { return append(b, ' ') }, testNow, ErrSignatureMismatch},
		{"tampered hash and body", func(r *http.Request, b []byte) []byte {
			b = append(b, ' ')
			r.Header.Set(HeaderICIMSContentSHA256, ContentSHA256(b))
			return b
		}, testNow, ErrSignatureMismatch},
		{"wrong secret", nil, testNow, nil}, // handled below
		{"unknown user", func(r *http.Request, b []byte) []byte {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "user=partner", "user=other", 1))
			return b
		}, testNow, ErrWrongCredentials},
		{"other host", func(r *http.Request, b []byte) []byte { r.Host = "evil.example.com"; return b }, testNow, ErrSignatureMismatch},
		{"other path", func(r *http.Request, b []byte) []byte { r.URL.Path = "/other"; return b }, testNow, ErrSignatureMismatch},
		{"date changed", func(r *http.Request, b []byte) []byte {
			r.Header.Set(HeaderICIMSDate, "2017-10-18T14:53:41+0000")
			return b
		}, testNow, ErrSignatureMismatch},
		{"too old", nil, testNow.Add(5*time.Minute + time.Second), ErrTimestampTooOld},
		{"too new", nil, testNow.Add(-5*time.Minute - time.Second), ErrTimestampTooNew},
		{"no auth", func(r *http.Request, b []byte) []byte { r.Header.Del("Authorization"); return b }, testNow, ErrMissingAuth},
		{"basic auth instead", func(r *http.Request, b []byte) []byte { r.SetBasicAuth("a", "b"); return b }, testNow, ErrMissingAuth},
		{"bad date", func(r *http.Request, b []byte) []byte { r.Header.Set(HeaderICIMSDate, "yesterday"); return b }, testNow, ErrBadAuthHeader},
		{"host not signed", func(r *http.Request, b []byte) []byte {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "content-type;host;", "content-type;", 1))
			return b
		}, testNow, ErrBadAuthHeader},
		{"no signature part", func(r *http.Request, b []byte) []byte {
			r.Header.Set("Authorization", "x-icims-v1-hmac-sha256 user=partner,signedheaders=host")
			return b
		}, testNow, ErrBadAuthHeader},
	}
	for _, tt := range tests {
		if tt.name == "wrong secret" {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in, body := received(t, newSignedRequest(t, signer, "https://p.example.com/hook", []byte(specHMACBody), false))
			if tt.mutate != nil {
				body = tt.mutate(in, body)
			}
			_, err := VerifyHMAC(in, body, hmacSecrets, tt.now, 5*time.Minute)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("wrong secret", func(t *testing.T) {
		t.Parallel()
		in, body := received(t, newSignedRequest(t, HMACAuth{Username: "partner", Secret: []byte("other")}, "https://p.example.com/hook", []byte(specHMACBody), false))
		if _, err := VerifyHMAC(in, body, hmacSecrets, testNow, 5*time.Minute); !errors.Is(err, ErrSignatureMismatch) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestParseHMACAuthorizationSpaces(t *testing.T) {
	t.Parallel()
	a, err := parseHMACAuthorization("X-ICIMS-V1-HMAC-SHA256  user=u , SignedHeaders=Host;x-icims-date ,signature=ABCD")
	if err != nil {
		t.Fatal(err)
	}
	if a.User != "u" || strings.Join(a.SignedHeaders, ";") != "host;x-icims-date" || a.Signature != "abcd" {
		t.Fatalf("got %+v", a)
	}
}

func TestHMACSignBadUsername(t *testing.T) {
	t.Parallel()
	_, err := NewRequest(context.Background(), &Request{URL: "http://127.0.0.1/", Signer: HMACAuth{Username: "a,b", Secret: []byte("x")}}, testNow)
	if err == nil {
		t.Fatal("want error")
	}
}

func TestBasic(t *testing.T) {
	t.Parallel()
	in, _ := received(t, newSignedRequest(t, BasicAuth{Username: "u", Password: "p:w"}, "http://127.0.0.1/x", []byte("{}"), false))
	user, err := VerifyBasic(in.Header, CheckBasic("u", "p:w"))
	if err != nil || user != "u" {
		t.Fatalf("VerifyBasic = %q, %v", user, err)
	}
	if _, err := VerifyBasic(in.Header, CheckBasic("u", "other")); !errors.Is(err, ErrWrongCredentials) {
		t.Fatalf("wrong password: %v", err)
	}
	for h, want := range map[string]error{"": ErrMissingAuth, "Bearer x": ErrMissingAuth, "Basic !!!": ErrBadAuthHeader, "Basic dXNlcg==": ErrBadAuthHeader} {
		hdr := http.Header{}
		hdr.Set("Authorization", h)
		if _, err := VerifyBasic(hdr, CheckBasic("u", "p")); !errors.Is(err, want) {
			t.Errorf("%q: err = %v, want %v", h, err, want)
		}
	}
}

func TestBearer(t *testing.T) {
	t.Parallel()
	out := newSignedRequest(t, BearerToken("tok"), "http://127.0.0.1/x", []byte("{}"), false)
	if got := out.Header.Get("Authorization"); got != "Bearer tok" {
		t.Fatalf("Authorization = %q", got)
	}
}

func TestSecretsNotPrinted(t *testing.T) {
	t.Parallel()
	for _, v := range []any{
		BasicAuth{Username: "u", Password: "topsecret"}, HMACAuth{Username: "u", Secret: []byte("topsecret")},
		BearerToken("topsecret"), StandardWebhooks{Secrets: []string{"topsecret"}},
		&OAuth2TokenSource{ClientID: "c", ClientSecret: "topsecret"},
	} {
		for _, s := range []string{fmt.Sprint(v), fmt.Sprintf("%v", v), fmt.Sprintf("%+v", v)} {
			if strings.Contains(s, "topsecret") {
				t.Errorf("%T prints its secret: %s", v, s)
			}
		}
	}
}
