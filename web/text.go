package web

import (
	"strings"
	"unicode"
)

// A job's description is plain text (herald.Job.JobDescription): the
// portal shows it as paragraphs, escaped by html/template like any other
// value, and never as markup.

// excerptRunes is about how much of a description the portal's job list
// shows.
const excerptRunes = 200

// excerpt returns the start of s, at most about n characters, cut at a
// space and marked with "…", as one line: line breaks become spaces.
func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := n
	for i := n; i > n*3/4; i-- {
		if unicode.IsSpace(r[i]) {
			cut = i
			break
		}
	}
	return strings.TrimRightFunc(string(r[:cut]), func(c rune) bool { return unicode.IsSpace(c) || unicode.IsPunct(c) }) + "…"
}

// paragraphs splits plain text into paragraphs (separated by blank
// lines), each a list of its lines, without surrounding blank space.
func paragraphs(s string) [][]string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	var out [][]string
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			out = append(out, cur)
			cur = nil
		}
	}
	for line := range strings.SplitSeq(s, "\n") {
		line = strings.TrimRightFunc(line, unicode.IsSpace)
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		cur = append(cur, line)
	}
	flush()
	return out
}
