package storecodec

import (
	"encoding/json"
	"slices"
	"unicode/utf8"
)

// MarshalHeaders encodes an attempt's request headers for the attempt log:
// byte for byte what json.Marshal makes of the map (keys sorted, the same
// escapes), so rows written before and after it read the same.
//
// Every attempt is logged with its headers, and json.Marshal reaches a
// map through reflection (an allocation per key and per value). Header
// names and the values Herald sends are ASCII, so those are escaped here
// as encoding/json escapes them; a map with any other byte goes to
// json.Marshal, which also owns the rules for UTF-8.
func MarshalHeaders(h map[string]string) ([]byte, error) {
	if h == nil {
		return []byte("null"), nil
	}
	var stack [16]string
	keys := stack[:0]
	size := 2
	for k, v := range h {
		if !ascii(k) || !ascii(v) {
			return json.Marshal(h)
		}
		keys = append(keys, k)
		size += len(k) + len(v) + 6 // "k":"v",
	}
	slices.Sort(keys)
	out := make([]byte, 0, size)
	out = append(out, '{')
	for i, k := range keys {
		if i > 0 {
			out = append(out, ',')
		}
		out = appendJSONString(out, k)
		out = append(out, ':')
		out = appendJSONString(out, h[k])
	}
	return append(out, '}'), nil
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// appendJSONString appends ASCII s quoted as encoding/json quotes it:
// short escapes for \" \\ \b \f \n \r \t, \u00xx for the other control
// characters and for HTML's < > &.
func appendJSONString(out []byte, s string) []byte {
	const hex = "0123456789abcdef"
	out = append(out, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
			continue
		}
		out = append(out, s[start:i]...)
		switch c {
		case '"', '\\':
			out = append(out, '\\', c)
		case '\b':
			out = append(out, '\\', 'b')
		case '\f':
			out = append(out, '\\', 'f')
		case '\n':
			out = append(out, '\\', 'n')
		case '\r':
			out = append(out, '\\', 'r')
		case '\t':
			out = append(out, '\\', 't')
		default:
			out = append(out, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	out = append(out, s[start:]...)
	return append(out, '"')
}
