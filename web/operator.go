package web

import (
	"fmt"
	"html/template"
	"net/http"
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
// attempts per minute across customers and the queue depth per customer.
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
