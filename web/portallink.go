package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/heraldhq/herald"
)

// A new hire's onboarding page is public (no sign-in), but workflow ids are
// sequential, so the page and its actions need a credential that cannot be
// guessed: a signed link (herald.PortalLinkToken under the key
// herald.PortalLinkOnboard derives from the admin token). Rotating the
// admin token therefore invalidates every outstanding onboarding link (and
// the cookies made from them): send new hires a new link after a rotation.
// The assessment return page uses the same mechanism with its own key
// (portal.go, handlePortalThanks).

// portalTokenParam is the query parameter of a signed link.
const portalTokenParam = herald.PortalLinkParam

// portalCookieName holds the token once the link has been opened, scoped
// to the workflow's path, so the start form and the partner's return URLs
// (which carry no token) are authorized by the browser.
const portalCookieName = "herald_onboard"

// portalKey derives the onboarding link key from the admin token.
func portalKey(adminToken herald.Secret) []byte {
	return herald.PortalLinkKey(adminToken, herald.PortalLinkOnboard)
}

// portalToken returns the token for a customer's onboarding workflow.
func portalToken(key []byte, customerID, workflowID string) string {
	return herald.PortalLinkToken(key, customerID, workflowID)
}

// onboardPath is the path of a workflow's onboarding page.
func onboardPath(customerID, workflowID string) string {
	return "/portal/" + url.PathEscape(customerID) + "/onboard/" + url.PathEscape(workflowID)
}

// PortalOnboardLink returns the signed link to a new hire's onboarding page
// on a server configured with adminToken and publicURL. It stays valid
// until the admin token changes.
func PortalOnboardLink(adminToken herald.Secret, publicURL, customerID, workflowID string) string {
	tok := portalToken(portalKey(adminToken), customerID, workflowID)
	return strings.TrimRight(publicURL, "/") + onboardPath(customerID, workflowID) + "?" + portalTokenParam + "=" + tok
}

// onboardLink is PortalOnboardLink for this server.
func (s *Server) onboardLink(customerID, workflowID string) string {
	return s.cfg.PublicURL + onboardPath(customerID, workflowID) + "?" + portalTokenParam + "=" +
		portalToken(s.portalKey, customerID, workflowID)
}

// validPortalToken reports whether tok is the token for the workflow.
func (s *Server) validPortalToken(tok, customerID, workflowID string) bool {
	return herald.ValidPortalLinkToken(s.portalKey, tok, customerID, workflowID)
}

// portalCookieOK reports whether the request carries the workflow's cookie.
func (s *Server) portalCookieOK(r *http.Request, customerID, workflowID string) bool {
	// A browser may hold cookies of several workflows whose paths nest
	// (none do today); accept any that is valid.
	for _, c := range r.CookiesNamed(portalCookieName) {
		if s.validPortalToken(c.Value, customerID, workflowID) {
			return true
		}
	}
	return false
}

// setPortalCookie stores the token for the workflow's pages.
func (s *Server) setPortalCookie(w http.ResponseWriter, customerID, workflowID, tok string) {
	http.SetCookie(w, &http.Cookie{Name: portalCookieName, Value: tok, Path: onboardPath(customerID, workflowID),
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
}

// errOnboardNotFound is the reply to a missing or wrong credential: the
// same as an unknown workflow, so it reveals nothing.
func errOnboardNotFound(workflowID string) error {
	return herald.Errorf(herald.ENOTFOUND, "onboarding %q not found", workflowID)
}
