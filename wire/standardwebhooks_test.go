package wire

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The published test vector of the Standard Webhooks Go library
// (libraries/go/webhook_test.go, TestWebhookSign).
const (
	swSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	swMsgID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	swTimestamp = 1614265330
	swPayload   = `{"test": 2432232314}`
	swExpected  = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestStandardWebhooksVector(t *testing.T) {
	t.Parallel()
	now := time.Unix(swTimestamp, 0)
	req, err := NewRequest(context.Background(), &Request{
		URL: "http://127.0.0.1/hook", EventID: swMsgID, Body: []byte(swPayload),
		Signer: StandardWebhooks{Secrets: []string{swSecret}},
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	if got := req.Header.Get(HeaderWebhookSignature); got != swExpected {
		t.Fatalf("webhook-signature = %q, want %q", got, swExpected)
	}
	if req.Header.Get(HeaderWebhookID) != swMsgID || req.Header.Get(HeaderWebhookTimestamp) != "1614265330" {
		t.Fatalf("headers = %v", req.Header)
	}
	if err := VerifyStandardWebhooks(req.Header, []byte(swPayload), []string{swSecret}, now, 5*time.Minute); err != nil {
		t.Fatalf("verify: %v", err)
	}
}

func TestStandardWebhooksRotation(t *testing.T) {
	t.Parallel()
	const other = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY" // 24 bytes
	now := time.Unix(swTimestamp, 0)
	req, err := NewRequest(context.Background(), &Request{
		URL: "http://127.0.0.1/hook", EventID: "evt_1", Body: []byte(swPayload),
		Signer: StandardWebhooks{Secrets: []string{other, swSecret}},
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(strings.Fields(req.Header.Get(HeaderWebhookSignature))); n != 2 {
		t.Fatalf("%d signatures, want 2", n)
	}
	for _, secrets := range [][]string{{swSecret}, {other}, {"whsec_QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB", other}} {
		if err := VerifyStandardWebhooks(req.Header, []byte(swPayload), secrets, now, time.Minute); err != nil {
			t.Errorf("verify with %d secrets: %v", len(secrets), err)
		}
	}
}

func TestStandardWebhooksFailures(t *testing.T) {
	t.Parallel()
	now := time.Unix(swTimestamp, 0)
	good := func() http.Header {
		h := http.Header{}
		h.Set(HeaderWebhookID, swMsgID)
		h.Set(HeaderWebhookTimestamp, "1614265330")
		h.Set(HeaderWebhookSignature, swExpected)
		return h
	}
	tests := []struct {
		name    string
		mutate  func(h http.Header)
		body    string
		now     time.Time
		secrets []string
		want    error
	}{
		{"tampered body", nil, swPayload + " ", now, nil, ErrSignatureMismatch},
		{"wrong secret", nil, swPayload, now, []string{"whsec_QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"}, ErrSignatureMismatch},
		{"other id", func(h http.Header) { h.Set(HeaderWebhookID, "msg_2") }, swPayload, now, nil, ErrSignatureMismatch},
		{"v2 only", func(h http.Header) { h.Set(HeaderWebhookSignature, strings.Replace(swExpected, "v1,", "v2,", 1)) }, swPayload, now, nil, ErrSignatureMismatch},
		{"too old", nil, swPayload, now.Add(5*time.Minute + time.Second), nil, ErrTimestampTooOld},
		{"too new", nil, swPayload, now.Add(-5*time.Minute - time.Second), nil, ErrTimestampTooNew},
		{"missing id", func(h http.Header) { h.Del(HeaderWebhookID) }, swPayload, now, nil, ErrMissingAuth},
		{"missing timestamp", func(h http.Header) { h.Del(HeaderWebhookTimestamp) }, swPayload, now, nil, ErrMissingAuth},
		{"missing signature", func(h http.Header) { h.Del(HeaderWebhookSignature) }, swPayload, now, nil, ErrMissingAuth},
		{"bad timestamp", func(h http.Header) { h.Set(HeaderWebhookTimestamp, "soon") }, swPayload, now, nil, ErrBadAuthHeader},
		{"several, one valid", func(h http.Header) {
			h.Set(HeaderWebhookSignature, "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,x "+swExpected)
		}, swPayload, now, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := good()
			if tt.mutate != nil {
				tt.mutate(h)
			}
			secrets := tt.secrets
			if secrets == nil {
				secrets = []string{swSecret}
			}
			err := VerifyStandardWebhooks(h, []byte(tt.body), secrets, tt.now, 5*time.Minute)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestStandardWebhooksSignErrors(t *testing.T) {
	t.Parallel()
	for name, r := range map[string]*Request{
		"no event id": {URL: "http://127.0.0.1/", Signer: StandardWebhooks{Secrets: []string{swSecret}}},
		"no secret":   {URL: "http://127.0.0.1/", EventID: "e", Signer: StandardWebhooks{}},
		"bad secret":  {URL: "http://127.0.0.1/", EventID: "e", Signer: StandardWebhooks{Secrets: []string{"whsec_!!!topsecret"}}},
	} {
		_, err := NewRequest(context.Background(), r, time.Now())
		if err == nil {
			t.Errorf("%s: want error", name)
		} else if strings.Contains(err.Error(), "topsecret") {
			t.Errorf("%s: error leaks the secret: %v", name, err)
		}
	}
}

func TestValidateWebhookSecret(t *testing.T) {
	t.Parallel()
	if err := ValidateWebhookSecret(swSecret); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_!!", "whsec_QUJD"} {
		if ValidateWebhookSecret(s) == nil {
			t.Errorf("%q: want error", s)
		}
	}
}
