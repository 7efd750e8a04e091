package herald

import "log/slog"

// Secret is a credential Herald keeps for an endpoint (a password, an HMAC
// key, a client secret, a whsec_ signing secret). It prints as REDACTED in
// logs and fmt output so it cannot leak by accident; code that needs the
// value converts it explicitly with string(s).
type Secret string

// String implements fmt.Stringer.
func (s Secret) String() string { return "REDACTED" }

// GoString implements fmt.GoStringer, so %#v redacts too.
func (s Secret) GoString() string { return "REDACTED" }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue("REDACTED") }

// Masked returns the secret as shown by the API and UI: enough of the end to
// tell two secrets apart, never enough to use. Short secrets show nothing.
func (s Secret) Masked() string {
	if s == "" {
		return ""
	}
	const shown = 4
	if len(s) < 12 {
		return "********"
	}
	return "********" + string(s[len(s)-shown:])
}
