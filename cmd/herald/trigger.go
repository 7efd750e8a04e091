package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/receiver"
	"github.com/heraldhq/herald/wire"
)

// triggerReplyLimit bounds how much of the partner's reply trigger reads.
const triggerReplyLimit = 64 << 10

// runTrigger sends one sample event straight to a partner URL, exactly as
// Herald's dispatcher would (wire.BuildEvent, wire.NewRequest, gzip'd once,
// signed), and prints what came back. It is the partner's own tool, run
// against the partner's own server, so unlike Herald it sends to any
// address the user names, internal ones included. It never follows
// redirects: a 303 is the result.
func runTrigger(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("herald trigger", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: herald trigger <eventType> --url <partner URL> [flags]\n\nEvent types: %s\n\nFlags:\n", triggerTypeList())
		fs.PrintDefaults()
	}
	target := fs.String("url", "", "partner `URL` to POST the event to (required)")
	customer := fs.String("customer", "6269", "customer `id` in the event")
	publicURL := fs.String("public-url", "https://api.example.com", "base `URL` of the platform's REST API, for the links")
	noGzip := fs.Bool("no-gzip", false, "send the body uncompressed (default: Content-Encoding: gzip)")
	timeout := fs.Duration("timeout", 30*time.Second, "request `timeout`")
	eventID := fs.String("event-id", "", "Herald-Event-Id to send (default: a new id)")
	var auth partnerAuthFlags
	auth.register(fs, true)

	// The event type may come before or after the flags.
	typeArg, rest, err := parsePositional(fs, args, "trigger")
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("trigger: unexpected argument %q", rest[0])
	}
	if typeArg == "" {
		return usagef("trigger: no event type given (one of %s)", triggerTypeList())
	}
	typ, ok := triggerParseType(typeArg)
	if !ok {
		return usagef("trigger: unknown event type %q (one of %s)", typeArg, triggerTypeList())
	}
	if *target == "" {
		return usagef("trigger: --url is required")
	}
	if u, err := url.Parse(*target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("trigger: --url must be an absolute http or https URL")
	}
	if *timeout <= 0 {
		return usagef("trigger: --timeout must be positive")
	}
	signer, err := auth.signer()
	if err != nil {
		return err
	}

	now := time.Now()
	body, links, err := wire.BuildEvent(*publicURL, *customer, triggerSample(typ))
	if err != nil {
		var fe *wire.FieldError
		if errors.As(err, &fe) && (fe.Field == "customerId" || fe.Field == "publicUrl") {
			return usagef("trigger: --%s: %s", map[string]string{"customerId": "customer", "publicUrl": "public-url"}[fe.Field], fe.Message)
		}
		return fmt.Errorf("build sample event: %w", err)
	}
	id := *eventID
	if id == "" {
		id = herald.NewID(herald.IDPrefixEvent, now)
	}
	sent := body
	if !*noGzip {
		sent = wire.Gzip(body)
	}
	reqCtx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := wire.NewRequest(reqCtx, &wire.Request{
		URL: *target, EventID: id, Attempt: 1, Body: sent, Gzip: !*noGzip,
		LinkHeader: wire.FormatLinkHeader(links), Signer: signer,
	}, now)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("User-Agent", "herald-trigger/"+buildInfo().Version)

	fmt.Fprintf(stdout, "POST %s\n", *target)
	fmt.Fprintf(stdout, "  event     %s (%s)  customer %s  id %s\n", typ, typ.PageName(), *customer, id)
	if *noGzip {
		fmt.Fprintf(stdout, "  body      %d bytes, not compressed\n", len(body))
	} else {
		fmt.Fprintf(stdout, "  body      %d bytes, gzip'd to %d\n", len(body), len(sent))
	}
	fmt.Fprintf(stdout, "  auth      %s\n", auth.describe())
	fmt.Fprintf(stdout, "  json      %s\n", body)
	fmt.Fprintf(stdout, "  link      %s\n", req.Header.Get("Link"))

	client := &http.Client{
		// A 303 is a result to record, never a hop to take (spec section 2).
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("send event: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, triggerReplyLimit))
	latency := time.Since(start)
	if err != nil {
		return fmt.Errorf("read reply: %w", err)
	}
	// Accept-Encoding is set by hand, so Go does not decompress for us.
	if strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") || wire.IsGzip(raw) {
		if plain, err := wire.Gunzip(raw, triggerReplyLimit); err == nil {
			raw = plain
		}
	}

	fmt.Fprintf(stdout, "\n%s %s  in %s\n", resp.Proto, resp.Status, latency.Round(time.Millisecond))
	if loc := resp.Header.Get("Location"); loc != "" {
		fmt.Fprintf(stdout, "  Location: %s\n", loc)
	}
	if d, ok := wire.ParseErrorReport(raw); ok && resp.StatusCode >= 400 {
		if d.UserMessage != "" {
			fmt.Fprintf(stdout, "  userMessage: %s\n", d.UserMessage)
		}
		if d.DebugErrorMessage != "" {
			fmt.Fprintf(stdout, "  debugErrorMessage: %s\n", d.DebugErrorMessage)
		}
	} else if len(bytes.TrimSpace(raw)) > 0 {
		fmt.Fprintf(stdout, "  body: %s\n", triggerSnippet(raw, 500))
	}

	switch {
	case resp.StatusCode == http.StatusSeeOther && resp.Header.Get("Location") == "":
		return errors.New("partner replied 303 without a Location")
	case resp.StatusCode >= 200 && resp.StatusCode < 300, resp.StatusCode == http.StatusSeeOther:
		return nil
	}
	return fmt.Errorf("partner replied %s", resp.Status)
}

// triggerParseType accepts a wire event type, in any case.
func triggerParseType(s string) (wire.EventType, bool) {
	for _, t := range append(wire.EventTypes[:len(wire.EventTypes):len(wire.EventTypes)], wire.EventTypeApplicationCompleted) {
		if strings.EqualFold(s, string(t)) {
			return t.Canonical(), true
		}
	}
	return "", false
}

func triggerTypeList() string {
	names := make([]string, len(wire.EventTypes))
	for i, t := range wire.EventTypes {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// triggerSample returns realistic parameters for a sample event of type t,
// with the ids of the spec's examples.
func triggerSample(t wire.EventType) *wire.EventParams {
	switch t {
	case wire.EventTypeAssessment:
		return &wire.EventParams{EventType: t, SystemID: "12391385", UserID: "1239", JobID: "1385",
			ReturnURL: "https://careers.example.com/jobs/1385/front-line-job-3/assessment?i=1"}
	case wire.EventTypeWorkFlowStatusChange:
		return &wire.EventParams{EventType: t, SystemID: "13437", PersonID: "9166", UserID: "9059", JobID: "4442",
			OldStatus: "1753", NewStatus: "20786"}
	case wire.EventTypeOnboardPortalTask:
		return &wire.EventParams{EventType: t, SystemID: "9166", UserID: "9166",
			ReturnURL: "https://portal.example.com/onboard/tasks/everify/complete", IncompleteURL: "https://portal.example.com/onboard/tasks"}
	case wire.EventTypeJobPostToWeb:
		return &wire.EventParams{EventType: t, SystemID: "1181", UserID: "1930", PortalURL: "https://careers.example.com/jobs/1181/job"}
	case wire.EventTypeRemoteLogin:
		return &wire.EventParams{EventType: t, SystemID: "244", UserID: "244", ReturnURL: "https://customer.example.com"}
	default: // ViewJobWebPostEvent, JobUnpostToWebEvent
		return &wire.EventParams{EventType: t, SystemID: "1181", UserID: "1930"}
	}
}

func triggerSnippet(b []byte, n int) string {
	s := strings.ToValidUTF8(string(b), "?")
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "..."
	}
	return s
}

// partnerAuthFlags are the --auth flags that listen and trigger share.
type partnerAuthFlags struct {
	mode         string
	username     string
	password     string
	secrets      partnerStringList
	token        string
	tokenURL     string
	clientID     string
	clientSecret string
	scope        string
}

// partnerStringList is a repeatable string flag.
type partnerStringList []string

func (l *partnerStringList) String() string { return strings.Join(*l, ",") }

func (l *partnerStringList) Set(s string) error { *l = append(*l, s); return nil }

func (a *partnerAuthFlags) register(fs *flag.FlagSet, sender bool) {
	modes := "none, basic, hmac, bearer or standard-webhooks"
	if sender {
		modes = "none, basic, hmac, bearer, oauth2 or standard-webhooks"
	}
	fs.StringVar(&a.mode, "auth", "none", "authentication: "+modes)
	fs.StringVar(&a.username, "username", "", "username (basic, hmac)")
	fs.StringVar(&a.password, "password", "", "password (basic)")
	fs.Var(&a.secrets, "secret", "shared secret (hmac), or whsec_ secret (standard-webhooks; repeat the flag for several)")
	fs.StringVar(&a.token, "token", "", "bearer token (bearer)")
	if sender {
		fs.StringVar(&a.tokenURL, "token-url", "", "access-token URL (oauth2)")
		fs.StringVar(&a.clientID, "client-id", "", "client id (oauth2)")
		fs.StringVar(&a.clientSecret, "client-secret", "", "client secret (oauth2)")
		fs.StringVar(&a.scope, "scope", "", "scope (oauth2, optional)")
	}
}

// check returns a usage error naming the first missing or bad flag.
func (a *partnerAuthFlags) check(sender bool) error {
	switch a.mode {
	case "none":
	case "basic":
		if a.username == "" || a.password == "" {
			return usagef("--auth basic needs --username and --password")
		}
	case "hmac":
		if a.username == "" || len(a.secrets) != 1 {
			return usagef("--auth hmac needs --username and one --secret")
		}
		if strings.ContainsAny(a.username, ", =") {
			return usagef("--username cannot contain ',', ' ' or '=' for hmac")
		}
	case "bearer":
		if a.token == "" {
			return usagef("--auth bearer needs --token")
		}
	case "standard-webhooks":
		if len(a.secrets) == 0 {
			return usagef("--auth standard-webhooks needs --secret whsec_...")
		}
		for _, s := range a.secrets {
			if err := wire.ValidateWebhookSecret(s); err != nil {
				return usagef("--secret: %v", err)
			}
		}
	case "oauth2":
		if !sender {
			return usagef("--auth oauth2 is for trigger; listen checks the token with --auth bearer --token")
		}
		if a.tokenURL == "" || a.clientID == "" || a.clientSecret == "" {
			return usagef("--auth oauth2 needs --token-url, --client-id and --client-secret")
		}
	default:
		return usagef("unknown --auth %q", a.mode)
	}
	return nil
}

// signer returns how trigger signs, as Herald's dispatcher would.
func (a *partnerAuthFlags) signer() (wire.Signer, error) {
	if err := a.check(true); err != nil {
		return nil, err
	}
	switch a.mode {
	case "basic":
		return wire.BasicAuth{Username: a.username, Password: a.password}, nil
	case "hmac":
		return wire.HMACAuth{Username: a.username, Secret: []byte(a.secrets[0])}, nil
	case "bearer":
		return wire.BearerToken(a.token), nil
	case "oauth2":
		return &wire.OAuth2TokenSource{TokenURL: a.tokenURL, ClientID: a.clientID, ClientSecret: a.clientSecret, Scope: a.scope,
			Client: &http.Client{Timeout: 30 * time.Second}}, nil
	case "standard-webhooks":
		return wire.StandardWebhooks{Secrets: a.secrets}, nil
	}
	return nil, nil
}

// verifier returns how listen checks requests.
func (a *partnerAuthFlags) verifier() (receiver.Verifier, error) {
	if err := a.check(false); err != nil {
		return nil, err
	}
	switch a.mode {
	case "basic":
		return receiver.Basic(a.username, a.password), nil
	case "hmac":
		return receiver.HMAC(a.username, []byte(a.secrets[0])), nil
	case "bearer":
		return receiver.Bearer(receiver.BearerToken(a.token)), nil
	case "standard-webhooks":
		return receiver.StandardWebhooks(a.secrets...), nil
	}
	return receiver.NoAuth(), nil
}

// describe names the mode without any secret.
func (a *partnerAuthFlags) describe() string {
	switch a.mode {
	case "basic", "hmac":
		return a.mode + " (user " + a.username + ")"
	case "oauth2":
		return "oauth2 (client " + a.clientID + " at " + a.tokenURL + ")"
	case "standard-webhooks":
		return fmt.Sprintf("standard-webhooks (%d secrets)", len(a.secrets))
	}
	return a.mode
}
