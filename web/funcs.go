package web

import (
	"html/template"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// funcs are the template helpers.
var funcs = template.FuncMap{
	"pageName":    func(t wire.EventType) string { return t.PageName() },
	"statusLabel": herald.WorkflowStatusLabel,
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"datetime": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"ms":       func(d time.Duration) string { return d.Round(time.Millisecond).String() },
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
