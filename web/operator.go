package web

import (
	"cmp"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"time"

	"github.com/heraldhq/herald"
)

// maxOverviewCustomers bounds the customers whose queue the overview
// counts (one count each).
const maxOverviewCustomers = 50

// customerQueue is one customer's pending deliveries.
type customerQueue struct {
	Customer *herald.Customer
	Pending  int
}

type operatorData struct {
	Queue     *herald.QueueStats // nil without a QueueStatsStore
	Customers []customerQueue
	More      bool // customers past maxOverviewCustomers were not counted
	Charts    []template.HTML
	Now       time.Time
}

// handleOperator serves GET /ui/operator: the operator's overview, with
// attempts per minute across customers, the queue depth per customer now,
// and the queue depth over the last 24 hours (QueueDepthStore's samples).
func (s *Server) handleOperator(w http.ResponseWriter, r *http.Request) error {
	if err := requireOperator(r); err != nil {
		return err
	}
	now := s.now()
	d := &operatorData{Now: now}
	if s.cfg.Queue != nil {
		q, err := s.cfg.Queue.DeliveryQueueStats(r.Context(), now)
		if err != nil {
			return fmt.Errorf("queue stats: %w", err)
		}
		d.Queue = q
	}
	if s.cfg.Health != nil {
		until := now.Truncate(time.Minute).Add(time.Minute)
		ss, err := s.cfg.Health.AttemptStats(r.Context(), &herald.AttemptStatsParams{
			Since: until.Add(-time.Hour), Until: until, Bucket: time.Minute})
		if err != nil {
			return fmt.Errorf("attempt stats: %w", err)
		}
		c := attemptsChart("per-minute", "Attempts per minute, last hour, all customers", ss[0], time.Minute)
		d.Charts = append(d.Charts, c.HTML())
	}
	cs, err := s.cfg.Store.CustomerList(r.Context())
	if err != nil {
		return fmt.Errorf("list customers: %w", err)
	}
	if s.cfg.QueueDepth != nil {
		until := now.Truncate(queueDepthBucket).Add(queueDepthBucket)
		p := &herald.QueueDepthParams{Since: until.Add(-queueDepthSpan), Until: until, Bucket: queueDepthBucket}
		samples, err := s.cfg.QueueDepth.QueueDepthList(r.Context(), p)
		if err != nil {
			return fmt.Errorf("list queue depth: %w", err)
		}
		names := make(map[string]string, len(cs))
		for _, c := range cs {
			names[c.ID] = c.Name + " (" + c.ID + ")"
		}
		d.Charts = append(d.Charts, queueDepthChart(p, samples, names).HTML())
	}
	if len(cs) > maxOverviewCustomers {
		cs, d.More = cs[:maxOverviewCustomers], true
	}
	if s.cfg.Replays != nil {
		qc := &chart{ID: "queue", Title: "Pending deliveries per customer, now"}
		pending := chartSeries{Name: "Pending", Class: "pending"}
		total := 0
		for _, c := range cs {
			counts, err := s.cfg.Replays.DeliveryCountByState(r.Context(), &herald.DeliveryFilter{CustomerID: c.ID,
				States: []herald.DeliveryState{herald.DeliveryStatePending}})
			if err != nil {
				return fmt.Errorf("count pending deliveries: %w", err)
			}
			n := counts[herald.DeliveryStatePending]
			d.Customers = append(d.Customers, customerQueue{Customer: c, Pending: n})
			qc.Labels = append(qc.Labels, c.Name+" ("+c.ID+")")
			pending.Values = append(pending.Values, float64(n))
			total += n
		}
		qc.Series = []chartSeries{pending}
		qc.Desc = fmt.Sprintf("%d pending deliveries across %d customers.", total, len(cs))
		qc.FirstColumn = "Customer"
		if len(cs) > 0 {
			d.Charts = append(d.Charts, qc.HTML())
		}
	}
	s.render(w, r, http.StatusOK, "operator", "Overview", d)
	return nil
}

// The queue depth chart: the last 24 hours in buckets of 10 minutes (144
// bars), each customer's largest one-minute sample per bucket, stacked
// for the queueDepthTop customers with the highest peaks and the others.
const (
	queueDepthSpan   = 24 * time.Hour
	queueDepthBucket = 10 * time.Minute
	queueDepthTop    = 5
)

// queueDepthChart draws the samples of p's span as stacked bars: one layer
// per top customer (named by names, customer id to label), one for the
// others. A bucket without samples had nothing pending, or no node was
// sampling; the table says 0 for both.
func queueDepthChart(p *herald.QueueDepthParams, samples []*herald.QueueDepthSample, names map[string]string) *chart {
	n := p.Buckets()
	c := &chart{ID: "queue-depth", Title: "Pending deliveries over the last 24 hours, by customer"}
	peak := map[string]int{}
	for _, smp := range samples {
		peak[smp.CustomerID] = max(peak[smp.CustomerID], smp.Pending)
	}
	ids := make([]string, 0, len(peak))
	for id := range peak {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int { return cmp.Or(cmp.Compare(peak[b], peak[a]), cmp.Compare(a, b)) })
	top := ids[:min(len(ids), queueDepthTop)]
	layer := map[string]int{}
	for i, id := range top {
		name := names[id]
		if name == "" {
			name = id
		}
		c.Series = append(c.Series, chartSeries{Name: name, Class: fmt.Sprintf("q%d", i), Values: make([]float64, n)})
		layer[id] = i
	}
	others := len(ids) > len(top)
	if others {
		c.Series = append(c.Series, chartSeries{Name: fmt.Sprintf("%d %s", len(ids)-len(top), plural(len(ids)-len(top), "other customer", "other customers")), Class: "qothers", Values: make([]float64, n)})
	}
	for i := range n {
		c.Labels = append(c.Labels, bucketLabel(p.Since.Add(time.Duration(i)*p.Bucket), p.Bucket))
	}
	total := make([]float64, n)
	for _, smp := range samples {
		i := int(smp.Start.Sub(p.Since) / p.Bucket)
		if i < 0 || i >= n {
			continue
		}
		l, ok := layer[smp.CustomerID]
		if !ok {
			l = len(c.Series) - 1 // the others
		}
		c.Series[l].Values[i] += float64(smp.Pending)
		total[i] += float64(smp.Pending)
	}
	if len(ids) == 0 {
		c.Series = []chartSeries{{Name: "Pending", Class: "pending", Values: make([]float64, n)}}
		c.Desc = "No deliveries were pending at any minute sampled in the last 24 hours."
		return c
	}
	busiest := 0
	for i := range total {
		if total[i] > total[busiest] {
			busiest = i
		}
	}
	shown := fmt.Sprintf("the %d customers with the highest peaks", len(top))
	if others {
		shown += " and the others together"
	}
	c.Desc = fmt.Sprintf("Each customer's largest count of pending deliveries per %s, sampled once a minute, stacked; %s had some. "+
		"The highest stack is %s, from %s UTC. Bars show %s.",
		span(p.Bucket), fmt.Sprintf("%d %s", len(ids), plural(len(ids), "customer", "customers")), c.format(total[busiest]), c.Labels[busiest], shown)
	return c
}
