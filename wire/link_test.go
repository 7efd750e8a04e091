package wire

import (
	"reflect"
	"strings"
	"testing"
)

func TestFormatLinkHeader(t *testing.T) {
	t.Parallel()
	links := []Link{
		{Rel: "job", Title: "Job Profile", URL: "https://api.example.com/customers/6271/jobs/1181"},
		{Rel: "person", Title: "Person Profile", URL: "https://api.example.com/customers/6271/people/1930"},
	}
	if got := FormatLinkHeader(links); got != specLinkHeader {
		t.Fatalf("FormatLinkHeader =\n%s\nwant\n%s", got, specLinkHeader)
	}
	if got := FormatLinkHeader(nil); got != "" {
		t.Fatalf("FormatLinkHeader(nil) = %q, want empty", got)
	}
	got := FormatLinkHeader([]Link{{Rel: `a"b\`, Title: "t\r\nX", URL: "https://x/\n1"}})
	if want := `https://x/1;rel="a\"b\\";title="tX",`; got != want {
		t.Fatalf("escaping: got %q, want %q", got, want)
	}
}

func TestParseLinkHeader(t *testing.T) {
	t.Parallel()
	job := Link{Rel: "job", Title: "Job Profile", URL: "https://api.example.com/customers/6271/jobs/1181"}
	person := Link{Rel: "person", Title: "Person Profile", URL: "https://api.example.com/customers/6271/people/1930"}
	tests := []struct {
		name string
		in   string
		want []Link
	}{
		{"spec iCIMS form", specLinkHeader, []Link{job, person}},
		{"empty", "", nil},
		{"only commas and spaces", " , ,", nil},
		{"no trailing comma", strings.TrimSuffix(specLinkHeader, ","), []Link{job, person}},
		{"spaces", ` https://api.example.com/customers/6271/jobs/1181 ; rel="job" ; title="Job Profile" , `, []Link{job}},
		{"rfc 8288", `<https://api.example.com/customers/6271/jobs/1181>; rel="job"; title="Job Profile", <https://api.example.com/customers/6271/people/1930>; rel="person"; title="Person Profile"`, []Link{job, person}},
		{"rfc 8288 comma in url", `<https://x/a,b>; rel=next`, []Link{{Rel: "next", URL: "https://x/a,b"}}},
		{"token values and case", `https://x/1;REL=job;Title=Job`, []Link{{Rel: "job", Title: "Job", URL: "https://x/1"}}},
		{"other params skipped", `<https://x/1>; type="text/html"; rel="job"; hreflang=en`, []Link{{Rel: "job", URL: "https://x/1"}}},
		{"escaped quote", `https://x/1;rel="a\"b";title="c,d;e"`, []Link{{Rel: `a"b`, Title: "c,d;e", URL: "https://x/1"}}},
		{"param without value", `https://x/1;crossorigin;rel=job`, []Link{{Rel: "job", URL: "https://x/1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseLinkHeader(tt.in)
			if err != nil {
				t.Fatalf("ParseLinkHeader: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseLinkHeaderErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"unterminated angle": `<https://x/1; rel="job"`,
		"unterminated quote": `https://x/1;rel="job`,
		"no url":             `;rel="job"`,
		"junk after url":     `<https://x/1> junk`,
		"too long":           strings.Repeat("a", MaxLinkHeaderLength+1),
		"too many":           strings.Repeat("https://x/1;rel=a,", MaxLinks+1),
		"empty angle":        `<>; rel="x"`,
		"junk after quoted":  `https://x/1;rel="a"b`,
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got, err := ParseLinkHeader(in); err == nil {
				t.Fatalf("ParseLinkHeader(%.40q) = %+v, want error", in, got)
			}
		})
	}
}
