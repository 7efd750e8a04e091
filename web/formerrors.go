package web

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// Validation messages of the root package are written for API callers
// ("eventTypes needs at least one event type"); the forms show them in
// words for people, and every field's at once.

// humanMessages rewrites the root's validation messages, matched by
// prefix, for a person filling in a form. A message not listed is shown as
// it is, with a capital letter.
var humanMessages = []struct{ prefix, text string }{
	{"url is required", "Enter the partner's URL."},
	{"url must be an absolute http or https URL", "Enter a full web address that starts with https:// (or http://)."},
	{"url cannot carry credentials", "Remove the user name and password from the URL; set them under Authentication."},
	{"url cannot have a fragment", "Remove the part after # from the URL."},
	{"url cannot be longer", "This URL is too long."},
	{"eventTypes needs at least one event type", "Choose at least one event type."},
	{"statusTriggers cannot have more", "There are too many status ids."},
	{"statusTriggers entries must be", "Each status id is 1 to 64 characters long."},
	{"maxConcurrency must be between", "Enter a whole number from 1 to 64, or leave it empty for the default (8)."},
	{"auth.username and auth.password are required", "Basic authentication needs a username and a password."},
	{"auth.username cannot contain ':'", "The username cannot contain a colon (:)."},
	{"auth.username and auth.secret are required", "HMAC authentication needs a username and a shared secret."},
	{"auth.username cannot contain ','", "The username cannot contain a comma, a space or an equals sign."},
	{"auth.tokenUrl, auth.clientId and auth.clientSecret are required", "OAuth 2.0 needs an access-token URL, a client id and a client secret."},
	{"auth.tokenUrl must be an absolute", "Enter the access-token URL as a full web address that starts with https://."},
	{"auth.secret is required for standard-webhooks", "Standard Webhooks needs a signing secret (whsec_…)."},
	{"auth.secret:", "The signing secret must be whsec_ followed by base64."},
	{"auth.password must be entered again", "Enter the password again: the URL now leads to another host, and Herald does not send the stored password there unasked."},
	{"auth.clientSecret must be entered again", "Enter the client secret again: the access-token URL changed, and Herald does not send the stored secret there unasked."},
	{"auth.type is required", "Choose an authentication mode."},
	{"auth.type", "Choose one of the authentication modes listed."},
	{"name is required", "Enter a name."},
	{"name", "Enter a name of at most 200 characters."},
}

// humanMessage returns msg in words for people.
func humanMessage(msg string) string {
	for _, h := range humanMessages {
		if strings.HasPrefix(msg, h.prefix) {
			return h.text
		}
	}
	r, n := utf8.DecodeRuneInString(msg)
	return string(unicode.ToUpper(r)) + msg[n:]
}

// endpointFieldErrors validates each part of e on its own, so a form can
// show every field's problem at once (Endpoint.Validate stops at the
// first). Each part is checked inside an endpoint whose other parts are
// known to be good, so the rules stay those of herald.Endpoint.Validate.
// The keys are the form's field names.
func endpointFieldErrors(e *herald.Endpoint) map[string]string {
	good := herald.Endpoint{URL: "https://partner.example/hook", EventTypes: []wire.EventType{wire.EventTypeAssessment},
		Auth: herald.Auth{Type: herald.AuthTypeNone}}
	errs := map[string]string{}
	check := func(set func(*herald.Endpoint)) {
		x := good
		set(&x)
		if err := x.Validate(); err != nil {
			f := fieldOf(err)
			if f == "secret" && e.Auth.Type == herald.AuthTypeStandardWebhooks {
				f = "signingSecret"
			}
			if _, dup := errs[f]; !dup {
				errs[f] = humanMessage(herald.ErrorMessage(err))
			}
		}
	}
	check(func(x *herald.Endpoint) { x.URL = e.URL })
	check(func(x *herald.Endpoint) { x.EventTypes = e.EventTypes })
	check(func(x *herald.Endpoint) { x.StatusTriggers = e.StatusTriggers })
	check(func(x *herald.Endpoint) { x.MaxConcurrency = e.MaxConcurrency })
	check(func(x *herald.Endpoint) { x.Auth = e.Auth })
	check(func(x *herald.Endpoint) {
		x.RateLimit, x.RateBurst, x.CircuitThreshold, x.CircuitCooldown = e.RateLimit, e.RateBurst, e.CircuitThreshold, e.CircuitCooldown
	})
	return errs
}
