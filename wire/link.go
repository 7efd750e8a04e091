package wire

import (
	"errors"
	"fmt"
	"strings"
)

// Link is one related resource of an event: an exact GET URL of the
// platform's REST API, with its relation and a human title (spec section 4).
type Link struct {
	Rel   string `json:"rel"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

// Limits of ParseLinkHeader, so a hostile header cannot make it work hard.
const (
	// MaxLinkHeaderLength is the longest Link header ParseLinkHeader reads.
	MaxLinkHeaderLength = 16 << 10
	// MaxLinks is the most entries ParseLinkHeader returns.
	MaxLinks = 64
)

// FormatLinkHeader writes links in iCIMS's own Link form (spec section 2):
// entries `URL;rel="r";title="t"` joined by "," with a trailing comma and no
// angle brackets. Receivers written for iCIMS split on exactly this shape, so
// it is not RFC 8288. Quotes and backslashes in rel and title are escaped as
// in an RFC 9110 quoted-string, and control characters are dropped so the
// result is always a legal header value. It returns "" for no links.
func FormatLinkHeader(links []Link) string {
	var b strings.Builder
	for _, l := range links {
		b.WriteString(dropControls(l.URL))
		b.WriteString(`;rel=`)
		writeQuoted(&b, l.Rel)
		b.WriteString(`;title=`)
		writeQuoted(&b, l.Title)
		b.WriteByte(',')
	}
	return b.String()
}

func writeQuoted(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			// Dropped: a header value cannot hold them.
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}

func dropControls(s string) string {
	if strings.IndexFunc(s, isControl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return -1
		}
		return r
	}, s)
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// ParseLinkHeader reads a Link header in either form a partner may meet:
// iCIMS's (`URL;rel="r";title="t",` with a trailing comma and optional
// spaces) and RFC 8288's (`<URL>; rel="r"; title="t"`). Parameters other
// than rel and title are skipped; parameter names are case-insensitive and
// values may be quoted or bare tokens. Several Link header lines may be
// joined with "," before the call. An empty header gives no links and no
// error. Headers longer than MaxLinkHeaderLength or with more than MaxLinks
// entries are refused.
func ParseLinkHeader(h string) ([]Link, error) {
	if len(h) > MaxLinkHeaderLength {
		return nil, fmt.Errorf("parse link header: longer than %d bytes", MaxLinkHeaderLength)
	}
	p := linkParser{s: h}
	var links []Link
	for {
		p.skip(" \t,")
		if p.done() {
			return links, nil
		}
		if len(links) == MaxLinks {
			return nil, fmt.Errorf("parse link header: more than %d links", MaxLinks)
		}
		l, err := p.entry()
		if err != nil {
			return nil, fmt.Errorf("parse link header: entry %d: %w", len(links)+1, err)
		}
		links = append(links, l)
	}
}

type linkParser struct {
	s string
	i int
}

func (p *linkParser) done() bool { return p.i >= len(p.s) }

func (p *linkParser) peek() byte { return p.s[p.i] }

func (p *linkParser) skip(set string) {
	for p.i < len(p.s) && strings.IndexByte(set, p.s[p.i]) >= 0 {
		p.i++
	}
}

// until returns the text up to the first byte of stop, or the end.
func (p *linkParser) until(stop string) string {
	start := p.i
	for p.i < len(p.s) && strings.IndexByte(stop, p.s[p.i]) < 0 {
		p.i++
	}
	return p.s[start:p.i]
}

var (
	errLinkNoURL        = errors.New("missing URL")
	errLinkUnterminated = errors.New("unterminated <URL>")
	errLinkQuote        = errors.New("unterminated quoted string")
	errLinkSyntax       = errors.New("unexpected character after URL")
)

func (p *linkParser) entry() (Link, error) {
	var l Link
	if p.peek() == '<' {
		p.i++
		u := p.until(">")
		if p.done() {
			return l, errLinkUnterminated
		}
		p.i++
		l.URL = strings.TrimSpace(u)
	} else {
		// iCIMS form: the URL runs to the first ';' or ','. URLs of the
		// REST API hold neither.
		l.URL = strings.TrimSpace(p.until(";,"))
	}
	if l.URL == "" {
		return l, errLinkNoURL
	}
	for {
		p.skip(" \t")
		if p.done() {
			return l, nil
		}
		switch p.peek() {
		case ',':
			p.i++
			return l, nil
		case ';':
			p.i++
		default:
			return l, errLinkSyntax
		}
		p.skip(" \t")
		name := strings.TrimSpace(p.until("=;,"))
		var value string
		if !p.done() && p.peek() == '=' {
			p.i++
			p.skip(" \t")
			v, err := p.value()
			if err != nil {
				return l, err
			}
			value = v
		}
		switch strings.ToLower(name) {
		case "rel":
			l.Rel = value
		case "title":
			l.Title = value
		}
	}
}

// value reads a quoted-string (with backslash escapes) or a bare token.
func (p *linkParser) value() (string, error) {
	if p.done() || p.peek() != '"' {
		return strings.TrimSpace(p.until(";,")), nil
	}
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		p.i++
		switch c {
		case '"':
			return b.String(), nil
		case '\\':
			if p.i < len(p.s) {
				b.WriteByte(p.s[p.i])
				p.i++
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", errLinkQuote
}
