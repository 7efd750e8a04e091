package web

import "strings"

// flashMessages are the confirmations a redirect after a form asks for
// with ?done=<key>. Only these fixed texts are shown, so a link cannot put
// words of its own on a page.
var flashMessages = map[string]string{
	"added":            "Endpoint added.",
	"saved":            "Endpoint saved.",
	"paused":           "Endpoint paused: Herald sends it nothing until you resume it. Events meanwhile are kept as failed deliveries, to replay.",
	"resumed":          "Endpoint resumed.",
	"controls":         "Delivery controls saved.",
	"endpoint-deleted": "Endpoint deleted.",
	"user-added":       "Administrator added.",
	"user-deleted":     "Administrator removed.",
	"signed-out":       "You are signed out.",
	"customer-added":   "Customer added.",
	"customer-renamed": "Customer renamed.",
	"customer-deleted": "Customer deleted, with everything it had.",
	"job-saved":        "Job saved.",
}

// navOf names the navigation entry a path belongs to.
func navOf(path string) string {
	switch {
	case path == "/ui/customers":
		return "customers"
	case path == "/ui/event-types":
		return "event-types"
	case path == "/ui/operator":
		return "operator"
	case !strings.HasPrefix(path, "/ui/customers/"):
		return ""
	}
	rest := strings.TrimPrefix(path, "/ui/customers/")
	_, tail, _ := strings.Cut(rest, "/")
	section, _, _ := strings.Cut(tail, "/")
	switch section {
	case "", "endpoints", "test-events":
		return "notifications"
	case "deliveries", "replays", "users":
		return section
	default:
		return ""
	}
}
