package web_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// axePath is where .ci/run installs axe-core (npm); HERALD_AXE_JS names
// another copy.
const axePath = "../.cache/axe/node_modules/axe-core/axe.min.js"

var axeSource = sync.OnceValues(func() (string, error) {
	p := os.Getenv("HERALD_AXE_JS")
	if p == "" {
		p = axePath
	}
	b, err := os.ReadFile(p)
	return string(b), err
})

// axeViolation is one rule axe-core found broken, with where.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any `json:"target"`
	} `json:"nodes"`
}

// checkAxe runs axe-core (WCAG 2.1 A and AA rules) on the current page and
// reports each violation as an error of t. Without axe-core it skips the
// check, except under CI, where .ci/run installs it.
func checkAxe(ctx context.Context, tg *chromedp.Target, t *testing.T, page string) error {
	t.Helper()
	src, err := axeSource()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("axe-core is required in CI: %v", err)
		}
		t.Logf("no axe-core (%v): accessibility of %s not checked", err, page)
		return nil
	}
	// Runtime.evaluate is not subject to the page's CSP, so the page's
	// policy ("default-src 'self'") need not change for the test.
	if _, err := chromedp.Evaluate[chromedp.Void](src)(ctx, tg); err != nil {
		return fmt.Errorf("load axe-core into %s: %w", page, err)
	}
	vs, err := chromedp.Evaluate[[]axeViolation](
		`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}).then(r => r.violations)`,
		chromedp.EvalAwaitPromise)(ctx, tg)
	if err != nil {
		return fmt.Errorf("axe-core on %s: %w", page, err)
	}
	for _, v := range vs {
		var where []string
		for _, n := range v.Nodes {
			for _, tg := range n.Target {
				if s, ok := tg.(string); ok {
					where = append(where, s)
				}
			}
		}
		t.Errorf("axe on %s: %s (%s): %s at %s", page, v.ID, v.Impact, v.Help, strings.Join(where, ", "))
	}
	t.Logf("axe: %s checked, %d violations", page, len(vs))
	return nil
}
