package web

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
)

// Charts are drawn here, on the server, as inline SVG: no script, nothing
// from another origin, so the content security policy stays
// "default-src 'self'". Colours come from classes in static/pages.css, not
// from style attributes, which that policy would block. Every chart has a
// text alternative: the SVG's <title> and <desc> (a sentence with the
// totals), and the numbers themselves in a table under a <details>.

// chartSeries is one line, or one layer of stacked bars.
type chartSeries struct {
	Name   string
	Class  string // CSS class: ok, rejected, failed, p50, p99, due, pending
	Values []float64
	// Missing marks points without data (a line has a gap there).
	Missing []bool
}

// chart is a bar chart (stacked) or a line chart over labelled points.
type chart struct {
	ID     string // unique on the page: the ids of <title> and <desc>
	Title  string
	Desc   string   // the text alternative's sentence
	Labels []string // one per point, for the table and the axis
	Series []chartSeries
	Lines  bool // lines instead of stacked bars
	Unit   string
	// Format writes a value in the table and the axis. Default: a whole
	// number.
	Format func(float64) string
	// FirstColumn heads the table's label column. Default: "Time (UTC)".
	FirstColumn string
}

// Chart geometry, in SVG user units; the SVG scales to its box.
const (
	chartW, chartH             = 420.0, 200.0
	chartLeft, chartBottom     = 52.0, 22.0
	chartTop, chartRightMargin = 8.0, 8.0
)

func (c *chart) format(v float64) string {
	if c.Format != nil {
		return c.Format(v)
	}
	return strconv.FormatFloat(math.Round(v), 'f', -1, 64)
}

// max is the largest value drawn: the tallest stack, or the highest point.
func (c *chart) max() float64 {
	top := 0.0
	for i := range c.Labels {
		sum := 0.0
		for _, s := range c.Series {
			if c.Lines {
				top = math.Max(top, s.Values[i])
			} else {
				sum += s.Values[i]
			}
		}
		top = math.Max(top, sum)
	}
	return top
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten, so the axis
// reads well.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// HTML renders the chart: a figure with the SVG and its table.
func (c *chart) HTML() template.HTML {
	esc := template.HTMLEscapeString
	var b strings.Builder
	n := len(c.Labels)
	top := niceCeil(c.max())
	if !c.Lines {
		// Counts: a half-way mark that is whole (5 would mark 2.5, shown
		// rounded as a wrong 3).
		top = max(top, 4)
		if math.Mod(top, 2) != 0 {
			top++
		}
	}
	plotW, plotH := chartW-chartLeft-chartRightMargin, chartH-chartTop-chartBottom
	x := func(i float64) float64 { return chartLeft + plotW*i/float64(max(n, 1)) }
	y := func(v float64) float64 { return chartTop + plotH*(1-v/top) }

	fmt.Fprintf(&b, `<figure class="chart" id="%s">`, esc(c.ID))
	fmt.Fprintf(&b, `<figcaption>%s</figcaption>`, esc(c.Title))
	fmt.Fprintf(&b, `<svg viewBox="0 0 %g %g" role="img" aria-labelledby="%s-t %s-d" class="chart-svg">`,
		chartW, chartH, esc(c.ID), esc(c.ID))
	fmt.Fprintf(&b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, esc(c.ID), esc(c.Title), esc(c.ID), esc(c.Desc))
	// Axis: zero, half and top, with their values.
	for _, f := range []float64{0, 0.5, 1} {
		yy := y(top * f)
		fmt.Fprintf(&b, `<line class="grid" x1="%g" x2="%g" y1="%.1f" y2="%.1f"/>`, chartLeft, chartW-chartRightMargin, yy, yy)
		fmt.Fprintf(&b, `<text class="axis" x="%g" y="%.1f" text-anchor="end">%s</text>`, chartLeft-4, yy+4, esc(c.format(top*f)))
	}
	// First and last labels under the plot.
	if n > 0 {
		fmt.Fprintf(&b, `<text class="axis" x="%g" y="%g">%s</text>`, chartLeft, chartH-6, esc(c.Labels[0]))
		fmt.Fprintf(&b, `<text class="axis" x="%g" y="%g" text-anchor="end">%s</text>`, chartW-chartRightMargin, chartH-6, esc(c.Labels[n-1]))
	}
	if c.Lines {
		for _, s := range c.Series {
			var pts []string
			flush := func() {
				if len(pts) == 1 { // a lone point: a dot
					fmt.Fprintf(&b, `<circle class="%s" r="2.5" cx="%s"/>`, esc(s.Class), strings.Replace(pts[0], ",", `" cy="`, 1))
				} else if len(pts) > 1 {
					fmt.Fprintf(&b, `<polyline class="line %s" points="%s"/>`, esc(s.Class), strings.Join(pts, " "))
				}
				pts = pts[:0]
			}
			for i, v := range s.Values {
				if s.Missing != nil && s.Missing[i] {
					flush()
					continue
				}
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(float64(i)+0.5), y(v)))
			}
			flush()
		}
	} else {
		bw := plotW / float64(max(n, 1))
		for i := range n {
			base := 0.0
			for _, s := range c.Series {
				v := s.Values[i]
				if v <= 0 {
					continue
				}
				fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"/>`,
					esc(s.Class), x(float64(i))+bw*0.1, y(base+v), bw*0.8, y(base)-y(base+v))
				base += v
			}
		}
	}
	b.WriteString(`</svg>`)
	// The legend, then the numbers.
	b.WriteString(`<ul class="legend">`)
	for _, s := range c.Series {
		fmt.Fprintf(&b, `<li><span class="key %s" aria-hidden="true"></span>%s</li>`, esc(s.Class), esc(s.Name))
	}
	b.WriteString(`</ul>`)
	first := c.FirstColumn
	if first == "" {
		first = "Time (UTC)"
	}
	fmt.Fprintf(&b, `<details><summary>%s as a table</summary><div class="table-scroll"><table><thead><tr><th scope="col">%s</th>`, esc(c.Title), esc(first))
	for _, s := range c.Series {
		fmt.Fprintf(&b, `<th scope="col">%s</th>`, esc(s.Name))
	}
	b.WriteString(`</tr></thead><tbody>`)
	for i, l := range c.Labels {
		fmt.Fprintf(&b, `<tr><th scope="row">%s</th>`, esc(l))
		for _, s := range c.Series {
			if s.Missing != nil && s.Missing[i] {
				b.WriteString(`<td>—</td>`)
				continue
			}
			fmt.Fprintf(&b, `<td>%s</td>`, esc(c.format(s.Values[i])))
		}
		b.WriteString(`</tr>`)
	}
	b.WriteString(`</tbody></table></div></details></figure>`)
	return template.HTML(b.String()) // #nosec G203 -- every value above is escaped
}

// bucketLabel names a bucket's start: the hour within a day, the day and
// hour within a week.
func bucketLabel(t time.Time, bucket time.Duration) string {
	t = t.UTC()
	switch {
	case bucket < time.Hour:
		return t.Format("15:04")
	case bucket < 24*time.Hour:
		return t.Format("Jan 2 15:04")
	default:
		return t.Format("Jan 2")
	}
}

// attemptsChart draws delivered, rejected and failed attempts per bucket.
func attemptsChart(id, title string, s *herald.AttemptSeries, bucket time.Duration) *chart {
	c := &chart{ID: id, Title: title}
	ok := chartSeries{Name: "Delivered", Class: "ok"}
	rej := chartSeries{Name: "Rejected (400)", Class: "rejected"}
	fail := chartSeries{Name: "Failed", Class: "failed"}
	var tOK, tRej, tFail int
	for _, b := range s.Buckets {
		c.Labels = append(c.Labels, bucketLabel(b.Start, bucket))
		ok.Values = append(ok.Values, float64(b.Succeeded))
		rej.Values = append(rej.Values, float64(b.Rejected))
		fail.Values = append(fail.Values, float64(b.Failed))
		tOK, tRej, tFail = tOK+b.Succeeded, tRej+b.Rejected, tFail+b.Failed
	}
	c.Series = []chartSeries{ok, rej, fail}
	c.Desc = fmt.Sprintf("%d attempts: %d delivered, %d rejected, %d failed, in %d buckets of %s.",
		tOK+tRej+tFail, tOK, tRej, tFail, len(s.Buckets), span(bucket))
	return c
}

// latencyChart draws the p50 and p99 latency per bucket, in milliseconds.
func latencyChart(id, title string, s *herald.AttemptSeries, bucket time.Duration) *chart {
	c := &chart{ID: id, Title: title, Lines: true, Format: func(v float64) string { return fmtMillis(v) }}
	p50 := chartSeries{Name: "Median (p50)", Class: "p50"}
	p99 := chartSeries{Name: "99th percentile (p99)", Class: "p99"}
	worst := 0.0
	for _, b := range s.Buckets {
		c.Labels = append(c.Labels, bucketLabel(b.Start, bucket))
		none := b.Attempts == 0
		p50.Values = append(p50.Values, float64(b.LatencyP50)/float64(time.Millisecond))
		p99.Values = append(p99.Values, float64(b.LatencyP99)/float64(time.Millisecond))
		p50.Missing, p99.Missing = append(p50.Missing, none), append(p99.Missing, none)
		worst = math.Max(worst, float64(b.LatencyP99)/float64(time.Millisecond))
	}
	c.Series = []chartSeries{p50, p99}
	if worst == 0 {
		c.Desc = "No attempts in this span."
	} else {
		c.Desc = fmt.Sprintf("Latency per bucket of %s; the worst 99th percentile is at most %s. Percentiles are upper bounds of latency classes.",
			span(bucket), fmtMillis(worst))
	}
	return c
}

// fmtMillis writes a latency given in milliseconds.
func fmtMillis(ms float64) string {
	if ms >= 1000 {
		return strconv.FormatFloat(ms/1000, 'f', -1, 64) + " s"
	}
	return strconv.FormatFloat(math.Round(ms), 'f', -1, 64) + " ms"
}

// sparkline draws an endpoint's success rate per bucket as a small line,
// with the sentence that says what it shows as its accessible name.
func sparkline(s *herald.AttemptSeries, bucket time.Duration) template.HTML {
	const w, h = 120.0, 28.0
	n := len(s.Buckets)
	var pts []string
	var segs []string
	low, last, seen := 1.0, -1.0, 0
	for i, b := range s.Buckets {
		if b.Attempts == 0 {
			if len(pts) > 0 {
				segs = append(segs, strings.Join(pts, " "))
				pts = nil
			}
			continue
		}
		rate := float64(b.Succeeded) / float64(b.Attempts)
		low, last = math.Min(low, rate), rate
		seen++
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", w*(float64(i)+0.5)/float64(n), 2+(h-4)*(1-rate)))
	}
	if len(pts) > 0 {
		segs = append(segs, strings.Join(pts, " "))
	}
	var label string
	if seen == 0 {
		label = fmt.Sprintf("No attempts in the last %s.", span(bucket*time.Duration(n)))
	} else {
		label = fmt.Sprintf("Success rate per %s over the last %s: lowest %d%%, latest %d%%.",
			span(bucket), span(bucket*time.Duration(n)), int(low*100), int(last*100))
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="sparkline" viewBox="0 0 %g %g" role="img" aria-label="%s"><title>%s</title>`,
		w, h, template.HTMLEscapeString(label), template.HTMLEscapeString(label))
	fmt.Fprintf(&b, `<line class="grid" x1="0" x2="%g" y1="2" y2="2"/><line class="grid" x1="0" x2="%g" y1="%g" y2="%g"/>`, w, w, h-2, h-2)
	for _, seg := range segs {
		if !strings.Contains(seg, " ") {
			xy := strings.SplitN(seg, ",", 2)
			fmt.Fprintf(&b, `<circle class="p50" r="2" cx="%s" cy="%s"/>`, xy[0], xy[1])
			continue
		}
		fmt.Fprintf(&b, `<polyline class="line p50" points="%s"/>`, seg)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // #nosec G203 -- numbers and an escaped label only
}
