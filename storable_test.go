package herald_test

import (
	"testing"
	"unicode/utf8"

	"github.com/heraldhq/herald"
)

func TestStorableText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"plain", `{"ok":true}`, `{"ok":true}`},
		{"multibyte", "Grüße 日本", "Grüße 日本"},
		{"nul", "a\x00b", `a\x00b`},
		{"invalid byte", "ok\xffok", `ok\xffok`},
		{"cut rune", "caf\xc3", `caf\xc3`},
		{"json nul escape stays text", `{"userMessage":"\u0000"}`, `{"userMessage":"\u0000"}`},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := herald.StorableText(tt.in)
			if got != tt.want {
				t.Fatalf("StorableText(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if !utf8.ValidString(got) {
				t.Fatalf("StorableText(%q) = %q is not valid UTF-8", tt.in, got)
			}
		})
	}
}

func FuzzStorableText(f *testing.F) {
	for _, s := range []string{"", "ok", "a\x00b", "\xff\xfe", "Grüße", "\xc3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := herald.StorableText(s)
		if !utf8.ValidString(got) {
			t.Fatalf("StorableText(%q) = %q: not valid UTF-8", s, got)
		}
		for i := 0; i < len(got); i++ {
			if got[i] == 0 {
				t.Fatalf("StorableText(%q) = %q holds NUL", s, got)
			}
		}
		if utf8.ValidString(s) && !containsNUL(s) && got != s {
			t.Fatalf("StorableText(%q) = %q changed storable text", s, got)
		}
	})
}

func containsNUL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return true
		}
	}
	return false
}

func TestAttemptRecordMakeStorable(t *testing.T) {
	t.Parallel()
	rec := &herald.AttemptRecord{
		Location: "https://p.example/\xff",
		Error:    "bad\x00",
		Attempt: &herald.Attempt{
			Location: "https://p.example/\xff", UserMessage: "\x00hi", DebugErrorMessage: "\xfe",
			Error: "x\x00", ResponseBody: "body\x00\xff", RequestHeaders: map[string]string{"X-A": "v\x00"},
		},
	}
	rec.MakeStorable()
	a := rec.Attempt
	for _, s := range []string{rec.Location, rec.Error, a.Location, a.UserMessage, a.DebugErrorMessage, a.Error, a.ResponseBody, a.RequestHeaders["X-A"]} {
		if !utf8.ValidString(s) || containsNUL(s) {
			t.Fatalf("field %q is not storable after MakeStorable", s)
		}
	}
	if a.ResponseBody != `body\x00\xff` {
		t.Fatalf("ResponseBody = %q, want the bytes escaped", a.ResponseBody)
	}

	red := rec.Reduced("note")
	if red.Attempt == a || red.Attempt.ResponseBody != "" || red.Attempt.UserMessage != "" || red.Location != "" || red.Attempt.Error != "note" {
		t.Fatalf("Reduced kept partner data: %+v %+v", red, red.Attempt)
	}
	if a.ResponseBody == "" {
		t.Fatal("Reduced changed the original record")
	}
}
