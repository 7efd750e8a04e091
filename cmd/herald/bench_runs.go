package main

import (
	"context"
	"fmt"
	"io"
	"slices"
)

// benchRuns is `herald bench --runs N`: the same test N times in a row,
// each run with its own baseline and its own proofs, then each run's
// figures on one line and each figure's range over the runs.
//
// Why: the machine's speed moves by a fifth to a half from one minute to
// the next, and a baseline and the run it is divided by meet different
// moments of it, so one run's ratio can be 0.19 and the next one's 0.30
// (docs/performance.md, session 28). A row's figure is a range, and this
// prints it in one command rather than from runs gathered by hand. A run
// that loses an event stops the rest.
func benchRuns(ctx context.Context, c *benchConfig, stdout, stderr io.Writer) error {
	var figs []*benchFigures
	for i := range c.runs {
		fmt.Fprintf(stdout, "=== run %d of %d\n", i+1, c.runs)
		f, err := benchRun(ctx, c, stdout, stderr)
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		figs = append(figs, f)
		fmt.Fprintln(stdout)
	}
	printRuns(stdout, figs)
	return nil
}

// printRuns prints every run's figures, then each figure's lowest, median
// and highest value over the runs.
func printRuns(w io.Writer, runs []*benchFigures) {
	pg := len(runs) > 0 && runs[0].pgMeasured
	// A figure that is 0 in every run was not measured (allocations with
	// several nodes) or is not done (Herald's writes on PostgreSQL): its
	// range says nothing.
	var fs []figure
	for _, f := range comparedFigures(pg) {
		if slices.ContainsFunc(runs, func(r *benchFigures) bool { return f.value(r) != 0 }) {
			fs = append(fs, f)
		}
	}
	fmt.Fprintf(w, "runs: %d of the same test, each with its own baseline\n", len(runs))
	for i, r := range runs {
		fmt.Fprintf(w, "  run %d (baseline %.0f POSTs/s):", i+1, r.basePerSec)
		for _, f := range fs {
			fmt.Fprintf(w, " %s %s;", f.name, f.format(f.value(r)))
		}
		fmt.Fprintf(w, " events twice %d\n", r.dupEvents)
	}
	// The baseline's own range first: how far the machine moved.
	base := figure{name: "baseline POSTs/s", value: func(f *benchFigures) float64 { return f.basePerSec },
		format: func(v float64) string { return fmt.Sprintf("%.0f", v) }}
	for _, f := range append([]figure{base}, fs...) {
		lo, mid, hi := spread(f.over(runs))
		fmt.Fprintf(w, "  %-33s lowest %s, median %s, highest %s\n", f.name+":", f.format(lo), f.format(mid), f.format(hi))
	}
}

// spread returns the lowest, median and highest of vs (the median of an
// even count is the mean of the middle two); zeros for none.
func spread(vs []float64) (lo, mid, hi float64) {
	if len(vs) == 0 {
		return 0, 0, 0
	}
	s := slices.Sorted(slices.Values(vs))
	n := len(s)
	mid = s[n/2]
	if n%2 == 0 {
		mid = (s[n/2-1] + s[n/2]) / 2
	}
	return s[0], mid, s[n-1]
}
