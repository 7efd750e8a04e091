// Command assessment-partner is an example assessment vendor built on
// package receiver: the kind of partner a customer configures for
// Application Complete events.
//
// When a candidate finishes an application, Herald POSTs an AssessmentEvent.
// The partner verifies it (x-icims-v1 HMAC), fetches the candidate and the
// job through the event's links with its own partner credentials (OAuth 2.0
// client credentials, or Basic), and answers 303 with the address of an
// assessment page it serves, where Herald sends the candidate. When the
// candidate finishes, it posts the result back to the workflow's
// assessmentresults and sends the candidate to the event's returnUrl.
//
// See README.md for how to run it against a local Herald.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintln(os.Stderr, "assessment-partner:", err)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "assessment-partner:", err)
		os.Exit(1)
	}
}

// usageError is a bad flag or setting: exit code 2.
type usageError struct{ error }

// run parses the configuration from args and the environment, then serves
// until ctx is cancelled.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, listen, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, nil))

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", listen, err)
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://" + ln.Addr().String()
	}
	h, err := newServer(cfg)
	if err != nil {
		ln.Close()
		return usageError{err}
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		// An event handler fetches from Herald before it answers: allow
		// for that, within Herald's own 30 s timeout.
		WriteTimeout:   45 * time.Second,
		IdleTimeout:    120 * time.Second,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	cfg.Logger.InfoContext(ctx, "assessment partner listening",
		slog.String("events_url", cfg.PublicURL+eventsPath), slog.String("herald_url", cfg.HeraldURL),
		slog.String("auth", cfg.Auth), slog.String("credentials", cfg.Credentials))

	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// parseConfig reads flags, each defaulting to its environment variable.
// It returns the configuration and the address to listen on.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, string, error) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("assessment-partner", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: assessment-partner [flags]\n\nAn example assessment vendor for Herald's Application Complete events.\nEvery flag can also be set with the environment variable shown.\n\nFlags:")
		fs.PrintDefaults()
	}
	cfg := &config{}
	listen := fs.String("listen", env("ASSESS_LISTEN", "127.0.0.1:9100"), "`address` to listen on (ASSESS_LISTEN)")
	fs.StringVar(&cfg.PublicURL, "public-url", env("ASSESS_PUBLIC_URL", ""), "this partner's base `URL` as candidates' browsers reach it (ASSESS_PUBLIC_URL); default: http://<listen address>")
	fs.StringVar(&cfg.HeraldURL, "herald-url", env("ASSESS_HERALD_URL", "http://127.0.0.1:8080"), "Herald's platform API base `URL`; event links must point under it (ASSESS_HERALD_URL)")
	fs.StringVar(&cfg.Auth, "auth", env("ASSESS_AUTH", authHMAC), "how Herald authenticates its events: hmac, basic or none (ASSESS_AUTH)")
	fs.StringVar(&cfg.AuthUsername, "auth-username", env("ASSESS_AUTH_USERNAME", "herald"), "username Herald signs with (hmac) or sends (basic) (ASSESS_AUTH_USERNAME)")
	fs.StringVar(&cfg.AuthSecret, "auth-secret", env("ASSESS_AUTH_SECRET", ""), "HMAC shared secret or Basic password; prefer the environment variable (ASSESS_AUTH_SECRET)")
	fs.StringVar(&cfg.Credentials, "credentials", env("ASSESS_CREDENTIALS", credentialsOAuth2), "how the partner authenticates to Herald: oauth2 or basic (ASSESS_CREDENTIALS)")
	fs.StringVar(&cfg.ClientID, "client-id", env("ASSESS_CLIENT_ID", ""), "partner client id from POST /api/v1/customers/{id}/partners (ASSESS_CLIENT_ID)")
	fs.StringVar(&cfg.ClientSecret, "client-secret", env("ASSESS_CLIENT_SECRET", ""), "partner client secret; prefer the environment variable (ASSESS_CLIENT_SECRET)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, "", err
		}
		return nil, "", usageError{err}
	}
	if fs.NArg() > 0 {
		return nil, "", usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	// Check now, so a mistake is a usage error rather than a failed start.
	if err := cfg.withDefaults().validate(); err != nil {
		return nil, "", usageError{err}
	}
	return cfg, *listen, nil
}
