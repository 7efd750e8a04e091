package herald

import (
	"net"
	"net/url"
	"strings"
)

// CredentialsKept says which secrets an endpoint update took from the
// stored endpoint instead of the caller: the field was left empty (or
// sent in its masked form) in the form or the API request.
type CredentialsKept struct {
	Password     bool // auth.password (basic)
	ClientSecret bool // auth.clientSecret (oauth2)
}

// ValidateUpdate returns an EINVALID error, naming the field, if the
// update from old to e would send a stored credential somewhere new.
//
// A Basic password and an OAuth 2.0 client secret are sent as they are:
// the password to the endpoint's URL, the client secret to the tokenUrl.
// Whoever may edit an endpoint (a customer administrator, any API caller)
// cannot read them, but could point the endpoint at their own server and
// receive them with the next request. So when the URL's origin (scheme,
// host and port) changes, a kept password must be entered again, and when
// the tokenUrl changes, a kept client secret must be. Signing secrets
// (HMAC, Standard Webhooks) never leave Herald, and may stay.
//
// This is the one rule for every caller that updates an endpoint (the
// management API and the web UI); it runs after e.Validate.
func (e *Endpoint) ValidateUpdate(old *Endpoint, kept CredentialsKept) error {
	if e.Auth.Type == AuthTypeBasic && kept.Password && old.Auth.Password != "" && e.Auth.Password == old.Auth.Password &&
		URLOrigin(e.URL) != URLOrigin(old.URL) {
		return Errorf(EINVALID, "auth.password must be entered again: the url now leads to another host, and the stored password is sent as it is")
	}
	if e.Auth.Type == AuthTypeOAuth2 && kept.ClientSecret && old.Auth.ClientSecret != "" && e.Auth.ClientSecret == old.Auth.ClientSecret &&
		e.Auth.TokenURL != old.Auth.TokenURL {
		return Errorf(EINVALID, "auth.clientSecret must be entered again: auth.tokenUrl changed, and the stored client secret is sent to it")
	}
	return nil
}

// URLOrigin returns the origin of an http(s) URL, the place its
// credentials go: the scheme and host in lower case and the port, the
// scheme's default port made explicit ("https://partner.example:443").
// An unparsable URL is its own origin.
func URLOrigin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	return scheme + "://" + net.JoinHostPort(host, port)
}
