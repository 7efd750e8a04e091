package conformance

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/heraldhq/herald"
)

// Report formats of WriteReport.
const (
	FormatText  = "text"
	FormatJSON  = "json"
	FormatJUnit = "junit"
)

// WriteReport writes r in format (FormatText, FormatJSON or FormatJUnit).
// verbose shows what was sent and got for passing checks too (text only).
func WriteReport(w io.Writer, r *herald.CheckReport, format string, verbose bool) error {
	switch format {
	case FormatText:
		return WriteText(w, r, verbose)
	case FormatJSON:
		return WriteJSON(w, r)
	case FormatJUnit:
		return WriteJUnit(w, r)
	}
	return fmt.Errorf("unknown report format %q (text, json or junit)", format)
}

// WriteJSON writes r as indented JSON: the same shape the API returns.
func WriteJSON(w io.Writer, r *herald.CheckReport) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// statusLabel is the status as the text report shows it.
func statusLabel(s herald.CheckStatus) string {
	return strings.ToUpper(string(s))
}

// WriteText writes r for a person: one line per check, and for every check
// that did not pass, what was sent, what came back and what to change.
func WriteText(w io.Writer, r *herald.CheckReport, verbose bool) error {
	ew := &errWriter{w: w}
	types := make([]string, len(r.EventTypes))
	for i, t := range r.EventTypes {
		types[i] = string(t)
	}
	ew.printf("herald check %s\n", r.URL)
	ew.printf("auth %s · event types %s · %d checks in %dms\n\n", r.Auth, strings.Join(types, ", "), len(r.Results), r.DurationMS)
	for _, res := range r.Results {
		ew.printf("%-4s  %s\n      %s\n", statusLabel(res.Status), res.Name, res.Title)
		if res.Status == herald.CheckStatusPass && !verbose {
			// The status line of each reply and its Location, not bodies.
			for i, line := range strings.Split(res.Got, "\n") {
				if i == 0 || strings.HasPrefix(line, "[") || strings.HasPrefix(line, "Location: ") {
					ew.printf("      %-5s %s\n", map[bool]string{true: "got"}[i == 0], line)
				}
			}
			continue
		}
		if res.Status != herald.CheckStatusSkip || verbose {
			ew.printf("      why   %s\n", res.Protects)
		}
		if res.Sent != "" && res.Status != herald.CheckStatusSkip {
			ew.block("sent", res.Sent)
		}
		ew.block("got", res.Got)
		if res.Fix != "" {
			ew.block("fix", res.Fix)
		}
		ew.printf("\n")
	}
	c := r.Counts
	verdict := "PASS"
	if !r.Passed {
		verdict = "FAIL"
	}
	ew.printf("\n%s: %d passed, %d warnings, %d failed, %d skipped\n", verdict, c.Pass, c.Warn, c.Fail, c.Skip)
	return ew.err
}

// errWriter keeps the first write error, so WriteText reads as a list.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, a ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, a...)
	}
}

// block writes a labelled, indented multi-line value.
func (e *errWriter) block(label, text string) {
	for i, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if i == 0 {
			e.printf("      %-5s %s\n", label, line)
		} else {
			e.printf("            %s\n", line)
		}
	}
}

// JUnit XML, as CI systems read it: one testsuite, one testcase per check.
type junitSuite struct {
	XMLName  xml.Name    `xml:"testsuite"`
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

func seconds(ms int64) string { return fmt.Sprintf("%.3f", float64(ms)/1000) }

// WriteJUnit writes r as JUnit XML: a failed check is a failure, a skipped
// one skipped, and a warning passes with "WARN" and the fix in system-out.
func WriteJUnit(w io.Writer, r *herald.CheckReport) error {
	s := junitSuite{Name: "herald check " + r.URL, Tests: len(r.Results), Failures: r.Counts.Fail,
		Skipped: r.Counts.Skip, Time: seconds(r.DurationMS)}
	for _, res := range r.Results {
		c := junitCase{Name: res.Name, Classname: "herald.check", Time: seconds(res.DurationMS)}
		detail := res.Title + "\n\nsent:\n" + res.Sent + "\n\ngot:\n" + res.Got
		switch res.Status {
		case herald.CheckStatusFail:
			c.Failure = &junitFailure{Message: res.Fix, Type: "fail", Text: detail}
		case herald.CheckStatusSkip:
			c.Skipped = &junitSkipped{Message: res.Got}
		case herald.CheckStatusWarn:
			c.SystemOut = "WARN: " + res.Fix + "\n\n" + detail
		}
		s.Cases = append(s.Cases, c)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(&s); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}
