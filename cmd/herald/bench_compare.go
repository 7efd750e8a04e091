package main

import (
	"context"
	"fmt"
	"io"
	"time"
)

// benchCompare is `herald bench --compare B`: the same test run with two
// builds in turn, A (--herald-binary, default this one) and B, c.pairs
// times each, then each pair's figures and B's as a ratio of A's.
//
// Why: on a shared machine the same build's rate can move by a third from
// one minute to the next, more than most changes are worth. Runs of A and B
// one after the other see about the same machine, so the ratio within a
// pair is worth far more than two figures from different minutes; the
// order alternates (AB, BA, AB, ...) so a machine getting busier or quieter
// favours neither. Every run keeps its own proofs (nothing lost,
// duplicates counted per event) and its own baseline, and one that loses
// an event stops the comparison.
func benchCompare(ctx context.Context, c *benchConfig, stdout, stderr io.Writer) error {
	builds := [2]string{c.binary, c.compare}
	var figs [2][]*benchFigures
	for i := range c.pairs {
		order := [2]int{0, 1}
		if i%2 == 1 {
			order = [2]int{1, 0}
		}
		for _, b := range order {
			fmt.Fprintf(stdout, "=== pair %d of %d, %s: %s\n", i+1, c.pairs, "AB"[b:b+1], builds[b])
			run := *c
			run.binary = builds[b]
			f, err := benchRun(ctx, &run, stdout, stderr)
			if err != nil {
				return fmt.Errorf("pair %d, %s: %w", i+1, "AB"[b:b+1], err)
			}
			figs[b] = append(figs[b], f)
			fmt.Fprintln(stdout)
		}
	}
	fmt.Fprintf(stdout, "comparison: A = %s\n            B = %s\n", builds[0], builds[1])
	printComparison(stdout, figs[0], figs[1])
	return nil
}

// figure is one of benchFigures' measures, as --compare reports it.
type figure struct {
	name         string
	value        func(*benchFigures) float64
	format       func(float64) string
	higherBetter bool
}

func comparedFigures(pg bool) []figure {
	rate := func(v float64) string { return fmt.Sprintf("%.0f/s", v) }
	ms := func(v float64) string { return fmt.Sprintf("%.1f ms", v) }
	us := func(v float64) string { return fmt.Sprintf("%.0f µs", v) }
	fs := []figure{
		{"deliveries/s", func(f *benchFigures) float64 { return f.deliveredPerSec }, rate, true},
		{"ratio to baseline", func(f *benchFigures) float64 { return f.ratio }, func(v float64) string { return fmt.Sprintf("%.3f", v) }, true},
		{"p50", func(f *benchFigures) float64 { return msOf(f.p50) }, ms, false},
		{"p99", func(f *benchFigures) float64 { return msOf(f.p99) }, ms, false},
		{"Herald CPU/delivery", func(f *benchFigures) float64 { return usOf(f.heraldCPU) }, us, false},
	}
	if pg {
		fs = append(fs, figure{"PostgreSQL CPU/delivery", func(f *benchFigures) float64 { return usOf(f.pgCPU) }, us, false})
	}
	return fs
}

func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func usOf(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// pairStats summarises B÷A over the pairs: the mean, the range, and in how
// many pairs B was better (higher or lower, as the figure wants).
type pairStats struct {
	mean, min, max float64
	better, pairs  int
}

// A pair whose A figure is 0 has no ratio and is left out.
func comparePairs(a, b []float64, higherBetter bool) pairStats {
	var st pairStats
	for i := range min(len(a), len(b)) {
		if a[i] == 0 {
			continue
		}
		r := b[i] / a[i]
		if st.pairs == 0 || r < st.min {
			st.min = r
		}
		if st.pairs == 0 || r > st.max {
			st.max = r
		}
		st.pairs++
		st.mean += r
		if (higherBetter && r > 1) || (!higherBetter && r < 1) {
			st.better++
		}
	}
	if st.pairs > 0 {
		st.mean /= float64(st.pairs)
	}
	return st
}

// printComparison prints every pair's figures, then B÷A for each figure.
func printComparison(w io.Writer, a, b []*benchFigures) {
	pg := len(a) > 0 && a[0].pgMeasured
	fs := comparedFigures(pg)
	for i := range min(len(a), len(b)) {
		fmt.Fprintf(w, "  pair %d (baseline %.0f / %.0f POSTs/s):", i+1, a[i].basePerSec, b[i].basePerSec)
		for _, f := range fs {
			fmt.Fprintf(w, " %s %s / %s;", f.name, f.format(f.value(a[i])), f.format(f.value(b[i])))
		}
		fmt.Fprintf(w, " events twice %d / %d\n", a[i].dupEvents, b[i].dupEvents)
	}
	for _, f := range fs {
		av, bv := make([]float64, len(a)), make([]float64, len(b))
		for i := range a {
			av[i] = f.value(a[i])
		}
		for i := range b {
			bv[i] = f.value(b[i])
		}
		st := comparePairs(av, bv, f.higherBetter)
		if st.pairs == 0 {
			continue
		}
		word := "lower"
		if f.higherBetter {
			word = "higher"
		}
		fmt.Fprintf(w, "  B÷A %-24s mean %.3f (%.3f to %.3f); B %s in %d of %d pairs\n",
			f.name+":", st.mean, st.min, st.max, word, st.better, st.pairs)
	}
}
