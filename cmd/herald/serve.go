package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/heraldhq/herald/dispatch"
)

// runServe is `herald serve`: flags, each also an environment variable.
func runServe(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", stderr)
	listen := fs.String("listen", envDefault("HERALD_LISTEN", "127.0.0.1:8080"), "address to listen on (HERALD_LISTEN)")
	dataDir := fs.String("data", envDefault("HERALD_DATA", "./herald-data"), "data directory: SQLite database, lock, admin token (HERALD_DATA)")
	database := fs.String("database", envDefault("HERALD_DATABASE", ""), "empty for SQLite in --data, or postgres://user@host/db for PostgreSQL (HERALD_DATABASE)")
	publicURL := fs.String("public-url", envDefault("HERALD_PUBLIC_URL", ""), "base of the links in event bodies (default http://<listen address>) (HERALD_PUBLIC_URL)")
	allow := fs.String("allow-destinations", envDefault("HERALD_ALLOW_DESTINATIONS", ""), "comma-separated CIDRs Herald may deliver to although they are internal, e.g. 127.0.0.0/8 (HERALD_ALLOW_DESTINATIONS)")
	logFormat := fs.String("log-format", envDefault("HERALD_LOG_FORMAT", "text"), "text or json (HERALD_LOG_FORMAT)")
	logLevel := fs.String("log-level", envDefault("HERALD_LOG_LEVEL", "info"), "debug, info, warn or error (HERALD_LOG_LEVEL)")
	nodeID := fs.String("node-id", envDefault("HERALD_NODE_ID", ""), "name of this node in delivery leases (default hostname-pid) (HERALD_NODE_ID)")
	reqTimeout, err := envDuration("HERALD_REQUEST_TIMEOUT", 30*time.Second)
	if err != nil {
		return err
	}
	lease, err := envDuration("HERALD_LEASE", 5*time.Minute)
	if err != nil {
		return err
	}
	shutdown, err := envDuration("HERALD_SHUTDOWN_TIMEOUT", 10*time.Second)
	if err != nil {
		return err
	}
	fs.DurationVar(&reqTimeout, "request-timeout", reqTimeout, "timeout of one delivery attempt (HERALD_REQUEST_TIMEOUT)")
	fs.DurationVar(&lease, "lease", lease, "how long a claimed delivery stays this node's; must exceed the request timeout by 15s (HERALD_LEASE)")
	fs.DurationVar(&shutdown, "shutdown-timeout", shutdown, "how long attempts in flight may finish at shutdown (HERALD_SHUTDOWN_TIMEOUT)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}

	logger, err := newLogger(stderr, *logFormat, *logLevel)
	if err != nil {
		return err
	}
	prefixes, err := dispatch.ParseAllowDestinations(*allow)
	if err != nil {
		return usagef("%v", err)
	}
	n, err := startNode(ctx, serverConfig{
		Listen:            *listen,
		DataDir:           *dataDir,
		Database:          *database,
		PublicURL:         strings.TrimRight(*publicURL, "/"),
		AllowDestinations: prefixes,
		AdminToken:        envDefault("HERALD_ADMIN_TOKEN", ""),
		RequestTimeout:    reqTimeout,
		LeaseDuration:     lease,
		ShutdownTimeout:   shutdown,
		NodeID:            *nodeID,
		Logger:            logger,
		Stdout:            stdout,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Herald listening on %s\n", n.baseURL)
	return n.run(ctx)
}

// newLogger builds the process logger: the one place that picks a handler.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usagef("--log-level: %q is not debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usagef("--log-format: %q is not text or json", format)
}
