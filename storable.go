package herald

import (
	"strings"
	"unicode/utf8"
)

// StorableText returns s as text every store accepts: valid UTF-8 without
// NUL. PostgreSQL refuses both in a text column (SQLSTATE 22021), and one
// partner's reply holding them must not keep other customers' results from
// being stored. Nothing is lost: a NUL and every byte that is not part of
// valid UTF-8 become the four characters \xNN, so the API and UI show what
// the partner sent, escaped. Text that is storable already is returned as
// is (and allocates nothing), which is every well-behaved reply.
//
// It is the one rule for partner-supplied text; AttemptRecord.MakeStorable
// applies it to every such field of a record.
func StorableText(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	const hex = "0123456789abcdef"
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size <= 1) || r == 0 {
			c := s[i]
			b.WriteString(`\x`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
			i++
			continue
		}
		b.WriteString(s[i : i+size])
		i += size
	}
	return b.String()
}

// MakeStorable applies StorableText to every field of r that may hold what
// a partner sent (reply body, Location, userMessage, debug message, the
// words of an error, which can quote a reply or a certificate), so the
// record can be stored by any store. The dispatcher calls it on each record
// it builds, before the record reaches the recorder.
func (r *AttemptRecord) MakeStorable() {
	r.Location = StorableText(r.Location)
	r.Error = StorableText(r.Error)
	a := r.Attempt
	if a == nil {
		return
	}
	a.Location = StorableText(a.Location)
	a.UserMessage = StorableText(a.UserMessage)
	a.DebugErrorMessage = StorableText(a.DebugErrorMessage)
	a.Error = StorableText(a.Error)
	a.ResponseBody = StorableText(a.ResponseBody)
	for k, v := range a.RequestHeaders {
		sk, sv := StorableText(k), StorableText(v)
		if sk != k {
			delete(a.RequestHeaders, k)
		}
		a.RequestHeaders[sk] = sv
	}
}

// Reduced returns a copy of r without anything the partner sent: no reply
// body, Location, messages or request headers, and an Error saying why. The
// recorder stores it in place of a record that a store refused for what it
// holds, so the delivery still reaches its state and its attempt is still
// counted, and one bad reply cannot hold back anyone else's results.
func (r *AttemptRecord) Reduced(note string) *AttemptRecord {
	out := *r
	out.Location = ""
	out.Error = note
	if r.Attempt != nil {
		a := *r.Attempt
		a.Location, a.UserMessage, a.DebugErrorMessage, a.ResponseBody = "", "", "", ""
		a.RequestHeaders = nil
		a.Error = note
		out.Attempt = &a
	}
	return &out
}
