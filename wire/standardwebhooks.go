package wire

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// WebhookSecretPrefix starts every Standard Webhooks secret.
const WebhookSecretPrefix = "whsec_"

// Headers of the Standard Webhooks specification.
const (
	HeaderWebhookID        = "webhook-id"
	HeaderWebhookTimestamp = "webhook-timestamp"
	HeaderWebhookSignature = "webhook-signature"
)

// maxWebhookSignatures bounds how many signatures a receiver tries.
const maxWebhookSignatures = 16

// ValidateWebhookSecret checks that s is "whsec_" followed by base64 of 24 to
// 64 bytes, the form the Standard Webhooks specification gives.
func ValidateWebhookSecret(s string) error {
	raw, ok := strings.CutPrefix(s, WebhookSecretPrefix)
	if !ok {
		return errors.New("must start with whsec_")
	}
	key, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return errors.New("must be whsec_ followed by base64")
	}
	if len(key) < 24 || len(key) > 64 {
		return errors.New("must hold 24 to 64 bytes of key")
	}
	return nil
}

// webhookKey decodes a whsec_ secret. Like the reference library it also
// takes the bare base64. Errors never include the secret.
func webhookKey(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, WebhookSecretPrefix))
	if err != nil || len(key) == 0 {
		return nil, errors.New("standard webhooks secret is not whsec_ followed by base64")
	}
	return key, nil
}

// webhookSign returns the base64 HMAC-SHA256 of "id.timestamp.body".
func webhookSign(key []byte, id string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id))
	mac.Write([]byte{'.'})
	mac.Write(strconv.AppendInt(nil, ts, 10))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// StandardWebhooks signs per the Standard Webhooks specification: webhook-id
// is the request's Herald-Event-Id header, webhook-timestamp is now in Unix
// seconds, and webhook-signature holds one space-separated "v1,<base64>"
// per secret, so every active secret signs during a rotation overlap.
type StandardWebhooks struct {
	Secrets []string // "whsec_..." each
}

var _ Signer = StandardWebhooks{}

// Sign implements Signer. It fails if the request has no Herald-Event-Id,
// there is no secret, or a secret is malformed.
func (s StandardWebhooks) Sign(req *http.Request, body []byte, now time.Time) error {
	id := req.Header.Get(HeaderEventID)
	if id == "" {
		return fmt.Errorf("standard webhooks sign: the request has no %s header", HeaderEventID)
	}
	if len(s.Secrets) == 0 {
		return errors.New("standard webhooks sign: no secret")
	}
	ts := now.Unix()
	sigs := make([]string, 0, len(s.Secrets))
	for i, secret := range s.Secrets {
		key, err := webhookKey(secret)
		if err != nil {
			return fmt.Errorf("standard webhooks sign: secret %d: %w", i+1, err)
		}
		sigs = append(sigs, "v1,"+webhookSign(key, id, ts, body))
	}
	req.Header.Set(HeaderWebhookID, id)
	req.Header.Set(HeaderWebhookTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderWebhookSignature, strings.Join(sigs, " "))
	return nil
}

// String implements fmt.Stringer without the secrets.
func (s StandardWebhooks) String() string {
	return fmt.Sprintf("StandardWebhooks{%d secrets: %s}", len(s.Secrets), redacted)
}

// LogValue implements slog.LogValuer without the secrets.
func (s StandardWebhooks) LogValue() slog.Value { return slog.StringValue(s.String()) }

// VerifyStandardWebhooks verifies the webhook-id, webhook-timestamp and
// webhook-signature headers against body (the bytes as received) with any of
// secrets. Signatures other than v1 are skipped; at most 16 are tried.
//
// Errors: ErrMissingAuth (a header is missing), ErrBadAuthHeader (the
// timestamp is not an integer), ErrSignatureMismatch, and, for a correct
// signature, ErrTimestampTooOld or ErrTimestampTooNew. A malformed secret is
// a configuration error, reported as such.
func VerifyStandardWebhooks(h http.Header, body []byte, secrets []string, now time.Time, tolerance time.Duration) error {
	id := h.Get(HeaderWebhookID)
	tsText := h.Get(HeaderWebhookTimestamp)
	sigHeader := h.Get(HeaderWebhookSignature)
	if id == "" || tsText == "" || sigHeader == "" {
		return ErrMissingAuth
	}
	if len(sigHeader) > maxAuthHeaderLength || len(id) > maxAuthHeaderLength {
		return ErrBadAuthHeader
	}
	ts, err := strconv.ParseInt(strings.TrimSpace(tsText), 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s is not Unix seconds", ErrBadAuthHeader, HeaderWebhookTimestamp)
	}
	var passed []string
	for sig := range strings.FieldsSeq(sigHeader) {
		if len(passed) == maxWebhookSignatures {
			break
		}
		if v, ok := strings.CutPrefix(sig, "v1,"); ok {
			passed = append(passed, v)
		}
	}
	for i, secret := range secrets {
		key, err := webhookKey(secret)
		if err != nil {
			return fmt.Errorf("verify standard webhooks: secret %d: %w", i+1, err)
		}
		want := []byte(webhookSign(key, id, ts, body))
		for _, p := range passed {
			if hmac.Equal([]byte(p), want) {
				return checkTimestamp(time.Unix(ts, 0), now, tolerance)
			}
		}
	}
	return ErrSignatureMismatch
}
