package web

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// funcs are the template helpers.
var funcs = template.FuncMap{
	// excerpt and paragraphs show a job's plain-text description (text.go).
	"excerpt":     func(s string) string { return excerpt(s, excerptRunes) },
	"paragraphs":  paragraphs,
	"pageName":    func(t wire.EventType) string { return t.PageName() },
	"statusLabel": herald.WorkflowStatusLabel,
	// taskStatus names an onboarding task's status for the new hire.
	"taskStatus": func(st herald.OnboardTaskStatus) string {
		switch st {
		case herald.OnboardTaskStatusNotStarted:
			return "Not started"
		case herald.OnboardTaskStatusInProgress:
			return "Started, waiting for the provider's result"
		case herald.OnboardTaskStatusComplete:
			return "Done"
		}
		return string(st)
	},
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"datetime": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"ms":       func(d time.Duration) string { return d.Round(time.Millisecond).String() },
	// pct shows a ratio from 0 to 1 as a whole percentage, rounded down
	// so that 99.9% never reads as 100%.
	"pct": func(f float64) string { return strconv.Itoa(int(f*100)) + "%" },
	// span shows a duration the way a person reads it: "2h15m", "3d4h".
	"span": span,
	// ago is the span from t to now, for "failing for ...".
	"ago": func(t, now time.Time) string { return span(now.Sub(t)) },
	"customerPath": func(id string, rest ...string) string {
		return customerPath(id, rest...)
	},
	"portalPath": func(customerID string, rest ...string) string {
		p := "/portal/" + customerID
		for _, r := range rest {
			p += "/" + r
		}
		return p
	},
	// stateClass picks the badge colour of a delivery state.
	"stateClass": func(s herald.DeliveryState) string { return "state-" + string(s) },
	"statusOK":   func(code int) bool { return code >= 200 && code < 400 },
	"join":       strings.Join,
	// breakURL lets a long URL wrap only between its parts (after "/",
	// "?", "&", "="), never inside a host name or a word.
	"breakURL": func(u string) template.HTML {
		var b strings.Builder
		for _, r := range u {
			b.WriteString(template.HTMLEscapeString(string(r)))
			if r == '/' || r == '?' || r == '&' || r == '=' {
				b.WriteString("<wbr>")
			}
		}
		return template.HTML(b.String()) // #nosec G203 -- escaped
	},
	// id shows a long id short (prefix, an ellipsis, the last 8
	// characters), with the whole id on hover and when copied (ids.js).
	"id": func(id string) template.HTML {
		short := id
		if i := strings.IndexByte(id, '_'); i >= 0 && len(id)-i > 12 {
			short = id[:i+1] + "…" + id[len(id)-8:]
		}
		e := template.HTMLEscapeString
		return template.HTML(`<code class="id" title="` + e(id) + `" data-id="` + e(id) + `">` + e(short) + `</code>`) // #nosec G203 -- escaped
	},
	"typesLabel": func(ts []wire.EventType) string {
		out := make([]string, len(ts))
		for i, t := range ts {
			out[i] = t.PageName()
		}
		return strings.Join(out, ", ")
	},
	"pathTail": func(u string) string {
		// the job page's path under its portal, for a local link
		if i := strings.Index(u, "/portal/"); i >= 0 {
			return u[i:]
		}
		return u
	},
}

// span formats d coarsely: seconds under a minute, then minutes, then
// hours and minutes up to two days ("24h", "2h05m"), then days and hours.
func span(d time.Duration) string {
	h, m := int(d.Hours()), int(d.Minutes())%60
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d.Seconds())) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + "m"
	case d < 48*time.Hour && m == 0:
		return strconv.Itoa(h) + "h"
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", h, m)
	case h%24 == 0:
		return strconv.Itoa(h/24) + "d"
	default:
		return fmt.Sprintf("%dd%dh", h/24, h%24)
	}
}
