package storecodec

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestMarshalHeadersIsJSONMarshal(t *testing.T) {
	t.Parallel()
	for _, h := range []map[string]string{
		nil,
		{},
		{"Content-Type": "application/json"},
		{"Content-Type": "application/json", "Authorization": "x-icims-v1-hmac-sha256 REDACTED", "Herald-Attempt": "1",
			"Link": `<https://api.example.com/customers/1/people/2>; rel="person"`, "Accept-Encoding": "gzip,deflate"},
		{"X-Odd": "a<b>&c", "X-Ctl": "tab\there", "X-Uni": "café \u2028"},
		{"B": "", "A": "", "": "empty name"},
	} {
		want, err := json.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		got, err := MarshalHeaders(h)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("MarshalHeaders(%q) = %s, %v; want %s", h, got, err, want)
		}
	}
}

// FuzzMarshalHeaders checks MarshalHeaders against json.Marshal on maps
// made from arbitrary bytes: "k=v" pairs separated by newlines.
func FuzzMarshalHeaders(f *testing.F) {
	f.Add("Content-Type=application/json\nHerald-Attempt=2")
	f.Add("Link=<https://x>; rel=\"a\"\nX=\\\x00\xff")
	f.Add("a=1\nb=2\na=3")
	f.Fuzz(func(t *testing.T, s string) {
		h := map[string]string{}
		for line := range strings.SplitSeq(s, "\n") {
			k, v, _ := strings.Cut(line, "=")
			h[k] = v
		}
		want, _ := json.Marshal(h)
		got, err := MarshalHeaders(h)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("MarshalHeaders(%q) = %s, %v; want %s", h, got, err, want)
		}
	})
}

func BenchmarkMarshalHeaders(b *testing.B) {
	h := map[string]string{
		"Content-Type": "application/json", "Accept-Encoding": "gzip,deflate", "Content-Encoding": "gzip",
		"Link":            `<https://api.example.com/customers/1/people/2>; rel="person"`,
		"Herald-Event-Id": "evt_01JD0000000000000000000000", "Herald-Attempt": "1",
		"Traceparent":            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
		"X-Icims-Date":           "2026-12-04T12:00:00+0000",
		"X-Icims-Content-Sha256": "a7955b1e403ea26fbfbfa13d8559c97c9ce25f8a5588f78484396299cb015648",
		"Authorization":          "x-icims-v1-hmac-sha256 REDACTED",
	}
	b.Run("MarshalHeaders", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = MarshalHeaders(h)
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = json.Marshal(h)
		}
	})
}
