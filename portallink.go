package herald

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
)

// Signed portal links. A portal page that names a person or shows a
// workflow is public (no sign-in), but workflow ids are sequential, so the
// page needs a credential that cannot be guessed: a token in its link, an
// HMAC of the customer and workflow ids under a key derived from the admin
// token (no new configuration). Each kind of link has its own key, so a
// token for one kind of page opens no other. Rotating the admin token
// invalidates every outstanding link.

// Labels of the portal link keys (PortalLinkKey).
const (
	// PortalLinkOnboard keys a new hire's onboarding page.
	PortalLinkOnboard = "herald portal link v1"
	// PortalLinkAssessment keys the page a candidate returns to after an
	// assessment (the AssessmentEvent's returnUrl).
	PortalLinkAssessment = "herald portal assessment link v1"
)

// PortalLinkParam is the query parameter that carries a link's token.
const PortalLinkParam = "t"

// portalLinkTokenLen is the length of a token: 22 base64url characters,
// 132 bits of the HMAC.
const portalLinkTokenLen = 22

// PortalLinkKey derives from the admin token the key of one kind of portal
// link, named by its label (PortalLinkOnboard, PortalLinkAssessment).
func PortalLinkKey(adminToken Secret, label string) []byte {
	m := hmac.New(sha256.New, []byte(adminToken))
	m.Write([]byte(label))
	return m.Sum(nil)
}

// PortalLinkToken returns the token of a customer's workflow under key. An
// empty key gives an empty token, which no page accepts.
func PortalLinkToken(key []byte, customerID, workflowID string) string {
	if len(key) == 0 {
		return ""
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(customerID + "\x00" + workflowID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))[:portalLinkTokenLen]
}

// ValidPortalLinkToken reports, in constant time, whether tok is the token
// of the workflow under key.
func ValidPortalLinkToken(key []byte, tok, customerID, workflowID string) bool {
	want := PortalLinkToken(key, customerID, workflowID)
	return want != "" && hmac.Equal([]byte(tok), []byte(want))
}
