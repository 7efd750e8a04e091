package main

// Placeholders until each subcommand lands in its own file. Each returns a
// clear error rather than pretending to work.

import (
	"context"
	"errors"
	"io"
)

var errNotBuilt = errors.New("this command is not built yet")

func runMigrate(context.Context, []string, io.Reader, io.Writer, io.Writer) error { return errNotBuilt }
func runBench(context.Context, []string, io.Reader, io.Writer, io.Writer) error   { return errNotBuilt }
