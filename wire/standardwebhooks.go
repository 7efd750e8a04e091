package wire

import (
	"encoding/base64"
	"errors"
	"strings"
)

// WebhookSecretPrefix starts every Standard Webhooks secret.
const WebhookSecretPrefix = "whsec_"

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
