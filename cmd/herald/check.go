package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/conformance"
	"github.com/heraldhq/herald/wire"
)

// runCheck runs the conformance battery against a partner URL and prints
// the report. Like trigger it is the partner's own tool, so it sends to any
// address the user names, internal ones included. It returns an error (exit
// 1) when any check fails, after printing the report.
func runCheck(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("herald check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: herald check <partner URL> [flags]\n\n"+
			"Sends test events (Herald-Test: true, ids starting with %s) to the partner\n"+
			"endpoint exactly as Herald does, and reports whether it behaves as the\n"+
			"contract asks. Exit status 1 when any check fails.\n\nEvent types: %s\n\nFlags:\n",
			wire.TestIDPrefix, triggerTypeList())
		fs.PrintDefaults()
	}
	var types partnerStringList
	fs.Var(&types, "event-type", "event `type` the partner handles (repeat, or comma-separate; default all seven)")
	format := fs.String("format", conformance.FormatText, "report `format`: text, json or junit")
	verbose := fs.Bool("v", false, "text report: show what was sent and got for passing checks too")
	customer := fs.String("customer", conformance.DefaultCustomerID, "customer `id` in the events")
	publicURL := fs.String("public-url", conformance.DefaultPublicURL, "base `URL` of the platform's REST API, for the links")
	deadline := fs.Duration("deadline", herald.DefaultInteractiveDeadline, "a reply later than this `duration` fails")
	slow := fs.Duration("slow", conformance.DefaultSlowAfter, "a reply later than this `duration` warns")
	budget := fs.Duration("budget", conformance.DefaultBudget, "start no request after this `duration`; the rest are skipped")
	var auth partnerAuthFlags
	auth.register(fs, true)

	// The URL may come before or after the flags.
	target, rest, err := parsePositional(fs, args, "check")
	if err != nil {
		return err
	}
	switch {
	case len(rest) > 0:
		return usagef("check: unexpected argument %q", rest[0])
	case target == "":
		return usagef("check: no partner URL given")
	}
	if u, err := url.Parse(target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("check: the partner URL must be an absolute http or https URL")
	}
	switch *format {
	case conformance.FormatText, conformance.FormatJSON, conformance.FormatJUnit:
	default:
		return usagef("check: --format must be text, json or junit")
	}
	if *deadline <= 0 || *slow <= 0 || *budget <= 0 {
		return usagef("check: --deadline, --slow and --budget must be positive")
	}
	var eventTypes []wire.EventType
	for _, list := range types {
		for s := range strings.SplitSeq(list, ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			typ, ok := triggerParseType(s)
			if !ok {
				return usagef("check: unknown --event-type %q (one of %s)", s, triggerTypeList())
			}
			eventTypes = append(eventTypes, typ)
		}
	}
	signer, err := auth.signer()
	if err != nil {
		return err
	}

	battery, err := conformance.New(conformance.Config{
		// Redirects are never followed; the battery sees to that.
		Client:     &http.Client{},
		Deadline:   *deadline,
		SlowAfter:  *slow,
		Budget:     *budget,
		PublicURL:  *publicURL,
		CustomerID: *customer,
		UserAgent:  "herald-check/" + version,
	})
	if err != nil {
		var fe *wire.FieldError
		if errors.As(err, &fe) {
			return usagef("check: --%s: %s", map[string]string{"customerId": "customer", "publicUrl": "public-url"}[fe.Field], fe.Message)
		}
		return usagef("check: %v", err)
	}
	report, err := battery.Run(ctx, &conformance.Target{URL: target, Signer: signer, EventTypes: eventTypes})
	if err != nil {
		return fmt.Errorf("check: %w", err)
	}
	if err := conformance.WriteReport(stdout, report, *format, *verbose); err != nil {
		return fmt.Errorf("check: write report: %w", err)
	}
	if !report.Passed {
		return fmt.Errorf("check: %d of %d checks failed", report.Counts.Fail, len(report.Results))
	}
	return nil
}
