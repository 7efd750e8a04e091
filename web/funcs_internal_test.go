package web

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestSpan(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"}, {59 * time.Second, "59s"}, {90 * time.Second, "1m"}, {time.Hour, "1h"},
		{2*time.Hour + 5*time.Minute, "2h05m"}, {24 * time.Hour, "24h"}, {72 * time.Hour, "3d"},
		{5*24*time.Hour + 3*time.Hour, "5d3h"},
	} {
		if got := span(c.d); got != c.want {
			t.Errorf("span(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestExcerpt(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, in string
		n        int
		want     string
	}{
		{"short", "Lead a team.", 20, "Lead a team."},
		{"lines become one", "Lead a team.\n\nNights  only.", 40, "Lead a team. Nights only."},
		{"cut at a space", "Lead a team of five in the warehouse", 20, "Lead a team of five…"},
		{"trailing punctuation goes", "Lead a team, of five in the warehouse", 14, "Lead a team…"},
		{"no space to cut at", "Überlanges-Wort-ohne-Leerzeichen", 10, "Überlanges…"},
		{"empty", "", 10, ""},
	} {
		if got := excerpt(c.in, c.n); got != c.want {
			t.Errorf("%s: excerpt(%q, %d) = %q, want %q", c.name, c.in, c.n, got, c.want)
		}
	}
}

func TestParagraphs(t *testing.T) {
	t.Parallel()
	got := paragraphs("\n  \nFirst line\r\nsecond line  \n\n\n\tIndented <b>x</b>\r\rLast\n")
	want := [][]string{{"First line", "second line"}, {"\tIndented <b>x</b>"}, {"Last"}}
	if len(got) != len(want) {
		t.Fatalf("paragraphs = %q, want %q", got, want)
	}
	for i := range want {
		if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
			t.Fatalf("paragraph %d = %q, want %q", i, got[i], want[i])
		}
	}
	if len(paragraphs(" \n\n ")) != 0 {
		t.Fatal("blank text has paragraphs")
	}
}

// TestChartCountAxisIsWhole checks that a bar chart of counts marks its
// half-way line with a whole number that is the true half.
func TestChartCountAxisIsWhole(t *testing.T) {
	t.Parallel()
	for _, peak := range []float64{0, 1, 3, 5, 7, 12, 40, 300} {
		c := &chart{ID: "c", Title: "t", Labels: []string{"a"}, Series: []chartSeries{{Name: "n", Class: "ok", Values: []float64{peak}}}}
		html := string(c.HTML())
		var marks []string
		for _, part := range strings.Split(html, `text-anchor="end">`)[1:] {
			marks = append(marks, part[:strings.Index(part, "<")])
		}
		if len(marks) < 3 {
			t.Fatalf("peak %v: axis marks %q", peak, marks)
		}
		// Zero, half, top; the last label under the plot is the bucket's.
		zero, half, top := marks[0], marks[1], marks[2]
		if zero != "0" {
			t.Fatalf("peak %v: marks %q", peak, marks)
		}
		var h, tp int
		if _, err := fmt.Sscan(half, &h); err != nil {
			t.Fatalf("peak %v: half %q", peak, half)
		}
		if _, err := fmt.Sscan(top, &tp); err != nil {
			t.Fatalf("peak %v: top %q", peak, top)
		}
		if 2*h != tp || float64(tp) < peak {
			t.Errorf("peak %v: axis 0, %d, %d; want a whole half of a top at least the peak", peak, h, tp)
		}
	}
}

// FuzzJobDescription feeds a job description, text from outside, to the
// portal's excerpt and paragraphs: no panic, valid UTF-8 out of valid
// UTF-8 in, an excerpt of at most excerptRunes+1 characters on one line,
// and paragraphs of lines with no line break in them whose words are the
// description's.
func FuzzJobDescription(f *testing.F) {
	for _, s := range []string{"", "Lead a team.\n\nNights.", "a\r\nb\rc\n\n\n d", strings.Repeat("word ", 100), "é\u2028x\t<b>", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ex := excerpt(s, excerptRunes)
		if utf8.ValidString(s) && !utf8.ValidString(ex) {
			t.Fatalf("excerpt of valid text is not valid UTF-8: %q", ex)
		}
		if utf8.RuneCountInString(ex) > excerptRunes+1 || strings.ContainsAny(ex, "\n\r") {
			t.Fatalf("excerpt %q: too long or not one line", ex)
		}
		var words []string
		for _, p := range paragraphs(s) {
			if len(p) == 0 {
				t.Fatal("an empty paragraph")
			}
			for _, l := range p {
				if strings.TrimSpace(l) == "" || strings.ContainsAny(l, "\n\r") {
					t.Fatalf("line %q: blank or with a line break", l)
				}
				words = append(words, strings.Fields(l)...)
			}
		}
		if got, want := strings.Join(words, " "), strings.Join(strings.Fields(strings.NewReplacer("\r", "\n").Replace(s)), " "); got != want {
			t.Fatalf("paragraphs lost words: %q, want %q", got, want)
		}
	})
}
