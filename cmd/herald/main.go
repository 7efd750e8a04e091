// Command herald is Herald's one binary: the server (serve), its schema
// tool (migrate), SQLite backups (backup, restore), the benchmark (bench),
// and the partner tools (listen, trigger, check). It alone reads flags, the environment and files, builds the
// logger and picks the store; everything else receives what it needs.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	// The Mozilla root certificates, used only when the system has none
	// (a FROM scratch image has no CA bundle), so https partners work
	// anywhere the binary is copied.
	_ "golang.org/x/crypto/x509roots/fallback"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// usageError marks a mistake in the command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

func exitCode(err error, stderr io.Writer) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "herald:", err)
		return 2
	default:
		fmt.Fprintln(stderr, "herald:", err)
		return 1
	}
}

// command is one subcommand. Each lives in its own file.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error
}

// commands lists the subcommands in the order help shows them. Files add
// themselves here through init-free registration in commandList, so the
// whole surface is on one screen.
func commandList() []command {
	return []command{
		{"serve", "run Herald: API, dispatcher and store", runServe},
		{"migrate", "apply database migrations and exit", runMigrate},
		{"backup", "write a consistent copy of the SQLite database while Herald runs", runBackup},
		{"restore", "replace the SQLite database with a checked backup (Herald stopped)", runRestore},
		{"rotate-encryption-key", "seal endpoint secrets with a new HERALD_ENCRYPTION_KEY and exit", runRotateEncryptionKey},
		{"bench", "measure end-to-end delivery throughput against plain HTTP", runBench},
		{"listen", "run a local partner endpoint that prints the events it receives", runListen},
		{"trigger", "send one sample event straight to a partner URL", runTrigger},
		{"check", "check that a partner endpoint is ready for production", runCheck},
		{"healthcheck", "exit 0 if a running Herald is ready (for container health checks)", runHealthcheck},
		{"version", "print the version, commit and build date", runVersion},
	}
}

// run is main without the process: tests call it with their own arguments,
// streams and context.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stdout)
		if len(args) == 0 {
			return usagef("no command given")
		}
		return nil
	}
	for _, c := range commandList() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdin, stdout, stderr)
		}
	}
	printUsage(stderr)
	return usagef("unknown command %q", args[0])
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Herald: iCIMS-compatible Integration Events.\n\nUsage: herald <command> [flags]\n\nCommands:")
	for _, c := range commandList() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'herald <command> -h' for a command's flags.")
}

// parsePositional parses args with fs, allowing the command's one
// positional argument before or after the flags (`herald check URL -v` and
// `herald check -v URL`). It returns that argument ("" if none), whatever
// else was left over, and a usage error naming the command.
func parsePositional(fs *flag.FlagSet, args []string, command string) (string, []string, error) {
	var pos string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		pos, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", nil, err
		}
		return "", nil, usagef("%s: %v", command, err)
	}
	rest := fs.Args()
	if pos == "" && len(rest) > 0 {
		pos, rest = rest[0], rest[1:]
	}
	return pos, rest, nil
}
