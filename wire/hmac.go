package wire

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// The x-icims-v1 HMAC scheme (spec section 5).
const (
	// HMACScheme is the Authorization scheme and the first line signed.
	HMACScheme = "x-icims-v1-hmac-sha256"
	// HeaderICIMSDate carries the signing time, in HMACDateLayout.
	HeaderICIMSDate = "x-icims-date"
	// HeaderICIMSContentSHA256 carries ContentSHA256 of the body.
	HeaderICIMSContentSHA256 = "x-icims-content-sha256"
	// HMACDateLayout is the time layout of x-icims-date:
	// "2017-10-18T14:53:40+0000".
	HMACDateLayout = "2006-01-02T15:04:05-0700"
	// HMACSignedHeaders is the signedheaders list Herald sends.
	HMACSignedHeaders = "content-type;host;x-icims-content-sha256;x-icims-date"
)

// maxVerifyGunzip bounds the decompression VerifyHMAC does to accept the
// hash of a gzip'd body's JSON.
const maxVerifyGunzip = 10 << 20

// HMACAuth signs with x-icims-v1-hmac-sha256: it sets x-icims-date,
// x-icims-content-sha256 (of the body as sent) and Authorization. It signs
// the Content-Type header, so set that first (NewRequest does).
type HMACAuth struct {
	Username string
	Secret   []byte
}

var _ Signer = HMACAuth{}

// Sign implements Signer.
func (a HMACAuth) Sign(req *http.Request, body []byte, now time.Time) error {
	if a.Username == "" || strings.ContainsAny(a.Username, ", =") {
		return fmt.Errorf("hmac sign: username must be non-empty without ',', ' ' or '='")
	}
	// The two headers are set as canonical keys directly (Header.Set would
	// canonicalize them again on every request); each value is a one-string
	// slice of the same backing array.
	var stamp [len(HMACDateLayout)]byte
	date := string(now.UTC().AppendFormat(stamp[:0], HMACDateLayout))
	values := []string{date, ContentSHA256(body)}
	req.Header[canonicalICIMSDate] = values[0:1:1]
	req.Header[canonicalICIMSContentSHA256] = values[1:2:2]
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	sig := hmacSignature(a.Secret, req.Method, req.URL.EscapedPath(), req.URL.RawQuery,
		hmacSignedHeaderList, func(name string) string {
			// The signed names are lower case; looking them up by their
			// canonical forms spares Header.Get a conversion per call.
			switch name {
			case "host":
				return host
			case HeaderICIMSDate:
				return date
			case HeaderICIMSContentSHA256:
				return values[1]
			case "content-type":
				return req.Header.Get("Content-Type")
			}
			return req.Header.Get(name)
		})
	req.Header["Authorization"] = []string{HMACScheme + " user=" + a.Username + ",signedheaders=" + HMACSignedHeaders + ",signature=" + sig}
	return nil
}

// The canonical forms of the headers Sign sets, and the list it signs.
var (
	canonicalICIMSDate          = http.CanonicalHeaderKey(HeaderICIMSDate)
	canonicalICIMSContentSHA256 = http.CanonicalHeaderKey(HeaderICIMSContentSHA256)
	hmacSignedHeaderList        = strings.Split(HMACSignedHeaders, ";")
)

// String implements fmt.Stringer without the secret.
func (a HMACAuth) String() string { return "HMACAuth{" + a.Username + ", " + redacted + "}" }

// LogValue implements slog.LogValuer without the secret.
func (a HMACAuth) LogValue() slog.Value { return slog.StringValue(a.String()) }

// hmacSignature computes the hex signature of the canonical request. It
// signs every outgoing request, so it builds both strings it hashes in one
// buffer rather than through a Builder, Join and concatenations.
func hmacSignature(secret []byte, method, path, rawQuery string, signed []string, value func(string) string) string {
	if path == "" {
		// Go's client sends "/" for an empty path, and that is what the
		// receiver sees, so both sides must sign "/".
		path = "/"
	}
	buf := make([]byte, 0, 512)
	buf = append(buf, method...)
	buf = append(buf, '\n')
	buf = append(buf, path...)
	buf = append(buf, '\n')
	buf = append(buf, rawQuery...)
	buf = append(buf, '\n')
	for i, name := range signed {
		if i > 0 {
			buf = append(buf, '\n')
		}
		buf = append(buf, name...)
		buf = append(buf, ':')
		buf = append(buf, strings.TrimSpace(value(name))...)
	}
	buf = append(buf, "\n\n"...)
	for i, name := range signed {
		if i > 0 {
			buf = append(buf, ';')
		}
		buf = append(buf, name...)
	}
	crHash := sha256.Sum256(buf)

	// The string to sign reuses the buffer: the canonical request is hashed.
	buf = append(buf[:0], HMACScheme+"\n"...)
	buf = append(buf, strings.TrimSpace(value(HeaderICIMSDate))...)
	buf = append(buf, '\n')
	buf = hex.AppendEncode(buf, crHash[:])
	mac := hmac.New(sha256.New, secret)
	mac.Write(buf)
	var sum [sha256.Size]byte
	return hex.EncodeToString(mac.Sum(sum[:0]))
}

// hmacAuthorization is a parsed x-icims-v1 Authorization header.
type hmacAuthorization struct {
	User          string
	SignedHeaders []string
	Signature     string
}

// maxAuthHeaderLength bounds the Authorization and signature headers read.
const maxAuthHeaderLength = 4096

// parseHMACAuthorization parses `x-icims-v1-hmac-sha256 user=u,signedheaders=h,signature=s`.
// Parts are separated by "," with optional spaces and may come in any order;
// names are case-insensitive. It returns ErrMissingAuth if the header is not
// of this scheme, ErrBadAuthHeader if it is but is malformed.
func parseHMACAuthorization(h string) (hmacAuthorization, error) {
	var a hmacAuthorization
	h = strings.TrimSpace(h)
	scheme, rest, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, HMACScheme) {
		return a, ErrMissingAuth
	}
	if len(h) > maxAuthHeaderLength {
		return a, ErrBadAuthHeader
	}
	var seen int
	for part := range strings.SplitSeq(rest, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return a, ErrBadAuthHeader
		}
		v = strings.TrimSpace(v)
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "user":
			a.User = v
			seen |= 1
		case "signedheaders":
			for name := range strings.SplitSeq(strings.ToLower(v), ";") {
				if name = strings.TrimSpace(name); name != "" {
					a.SignedHeaders = append(a.SignedHeaders, name)
				}
			}
			seen |= 2
		case "signature":
			a.Signature = strings.ToLower(v)
			seen |= 4
		}
	}
	if seen != 7 || a.User == "" || len(a.SignedHeaders) == 0 || a.Signature == "" {
		return a, ErrBadAuthHeader
	}
	return a, nil
}

// VerifyHMAC verifies an x-icims-v1-hmac-sha256 request and returns the
// username it was signed for. body is the body as received (gzip'd or not);
// x-icims-content-sha256 may be the hash of those bytes or, when they are
// gzip, of the decompressed JSON (the spec allows both). secretFor returns
// the shared secret of a username. The signed headers must include host,
// x-icims-content-sha256 and x-icims-date, so that none of them can be
// changed in transit. Signatures are compared in constant time.
//
// Errors: ErrMissingAuth (no x-icims-v1 Authorization header),
// ErrBadAuthHeader (malformed header, or a date that does not parse),
// ErrWrongCredentials (secretFor does not know the username),
// ErrSignatureMismatch (signature wrong, or, for a correct one, body hash
// wrong), and, for a correct signature, ErrTimestampTooOld or
// ErrTimestampTooNew when x-icims-date is more than tolerance away from
// now. The signature is checked before the body is hashed or decompressed,
// so an unsigned request costs no decompression.
func VerifyHMAC(r *http.Request, body []byte, secretFor func(username string) ([]byte, bool), now time.Time, tolerance time.Duration) (username string, err error) {
	a, err := parseHMACAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return "", err
	}
	for _, need := range []string{"host", HeaderICIMSContentSHA256, HeaderICIMSDate} {
		found := false
		for _, h := range a.SignedHeaders {
			found = found || h == need
		}
		if !found {
			return "", fmt.Errorf("%w: signedheaders must include %s", ErrBadAuthHeader, need)
		}
	}
	date, err := time.Parse(HMACDateLayout, strings.TrimSpace(r.Header.Get(HeaderICIMSDate)))
	if err != nil {
		return "", fmt.Errorf("%w: %s is not like 2017-10-18T14:53:40+0000", ErrBadAuthHeader, HeaderICIMSDate)
	}
	secret, ok := secretFor(a.User)
	if !ok {
		return "", ErrWrongCredentials
	}

	// The signature first: it covers x-icims-content-sha256 and the date,
	// so nothing below (decompressing up to maxVerifyGunzip to check the
	// body's hash) is done for a request that is not signed by someone
	// who holds the secret.
	want := hmacSignature(secret, r.Method, r.URL.EscapedPath(), r.URL.RawQuery, a.SignedHeaders, func(name string) string {
		if name == "host" {
			return r.Host
		}
		return r.Header.Get(name)
	})
	if !hmac.Equal([]byte(a.Signature), []byte(want)) {
		return "", ErrSignatureMismatch
	}
	if err := checkTimestamp(date, now, tolerance); err != nil {
		return "", err
	}
	sent := strings.ToLower(strings.TrimSpace(r.Header.Get(HeaderICIMSContentSHA256)))
	if !hmac.Equal([]byte(sent), []byte(ContentSHA256(body))) {
		match := false
		if IsGzip(body) {
			if plain, err := Gunzip(body, maxVerifyGunzip); err == nil {
				match = hmac.Equal([]byte(sent), []byte(ContentSHA256(plain)))
			}
		}
		if !match {
			return "", fmt.Errorf("%w: %s is not the hash of the body", ErrSignatureMismatch, HeaderICIMSContentSHA256)
		}
	}
	return a.User, nil
}

func checkTimestamp(ts, now time.Time, tolerance time.Duration) error {
	switch {
	case now.Sub(ts) > tolerance:
		return ErrTimestampTooOld
	case ts.Sub(now) > tolerance:
		return ErrTimestampTooNew
	}
	return nil
}
