package platform

import (
	"net/http"
	"strings"
	"testing"

	"github.com/heraldhq/herald/wire"
)

// TestLoadDemoTour loads the demo customer and runs every step of its tour
// against the API: each fires its event type.
func TestLoadDemoTour(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	d, err := LoadDemo(t.Context(), tb.store, "demo", tb.srv.URL)
	if err != nil {
		t.Fatalf("load demo: %v", err)
	}
	if _, err := LoadDemo(t.Context(), tb.store, "demo", tb.srv.URL); err == nil {
		t.Fatalf("loading the demo twice succeeded")
	}
	if len(d.Applicants) != 4 || d.Applicants[3].Status != "D10105" {
		t.Fatalf("applicants = %+v", d.Applicants)
	}
	seen := map[string]bool{}
	for _, line := range d.Tour(tb.srv.URL) {
		if strings.HasPrefix(line, "#") {
			continue
		}
		// curl -s -X METHOD -H ... -H ... URL [-d 'BODY']
		f := strings.Fields(line)
		method, url := f[3], ""
		for _, x := range f {
			if strings.HasPrefix(x, tb.srv.URL) {
				url = x
			}
		}
		body := ""
		if i := strings.Index(line, " -d '"); i >= 0 {
			body = strings.TrimSuffix(line[i+5:], "'")
		}
		if body == "" && method == "POST" {
			body = "{}"
		}
		resp := tb.do(t, method, url, adminAuth, body)
		if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
			wantStatus(t, resp, http.StatusOK)
		}
		var out ActionResponse
		decode(t, resp, &out)
		seen[out.EventType] = true
	}
	for _, typ := range wire.EventTypes {
		if !seen[string(typ)] {
			t.Fatalf("the tour fired no %s", typ)
		}
	}
}
