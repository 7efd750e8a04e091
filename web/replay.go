package web

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/heraldhq/herald"
)

// Bulk replay: the explorer offers to replay every delivery its filter
// matches, as a replay job (herald.ReplayJob) that a replay runner works in
// the background; the job's page shows its progress and refreshes itself
// until the job finishes.

// replayOffer is the explorer's "Replay these" form: the filter as hidden
// fields, and how many deliveries it matches now, by state.
type replayOffer struct {
	Type, State, EndpointID, Since, Until string
	Total                                 int
	ByState                               []stateCount
}

type stateCount struct {
	State herald.DeliveryState
	N     int
}

// replayOffer counts what f matches, for the form's button.
func (s *Server) replayOffer(r *http.Request, f *herald.DeliveryFilter) (*replayOffer, error) {
	counts, err := s.cfg.Replays.DeliveryCountByState(r.Context(), f)
	if herald.ErrorCode(err) == herald.EINVALID {
		return nil, nil // the explorer shows the filter's error already
	}
	if err != nil {
		return nil, fmt.Errorf("count deliveries: %w", err)
	}
	q := r.URL.Query()
	o := &replayOffer{Type: q.Get("type"), State: q.Get("state"), EndpointID: q.Get("endpoint"), Since: q.Get("since"), Until: q.Get("until")}
	for _, st := range herald.DeliveryStates {
		if n := counts[st]; n > 0 {
			o.Total += n
			o.ByState = append(o.ByState, stateCount{st, n})
		}
	}
	return o, nil
}

// replaysEnabled is the error of every replay page when the server has no
// ReplayStore.
func (s *Server) replaysEnabled() error {
	if s.cfg.Replays == nil {
		return herald.Errorf(herald.ENOTFOUND, "Bulk replay is not available on this server.")
	}
	return nil
}

// handleReplayCreate serves POST /ui/customers/{customerId}/replays: a
// replay job for the explorer filter in the form.
func (s *Server) handleReplayCreate(w http.ResponseWriter, r *http.Request) error {
	c, err := s.customerFor(r)
	if err != nil {
		return err
	}
	if err := s.replaysEnabled(); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return herald.Errorf(herald.EINVALID, "The form could not be read.")
	}
	f, msg := parseExplorerFilter(c.ID, r.PostForm)
	if msg != "" {
		return herald.Errorf(herald.EINVALID, "%s", msg)
	}
	if f.EndpointID != "" {
		// The filter is scoped to the customer anyway; this turns another
		// customer's endpoint id into the same "not found" as elsewhere.
		if e, err := s.cfg.Store.EndpointGet(r.Context(), f.EndpointID); herald.ErrorCode(err) == herald.ENOTFOUND || (err == nil && e.CustomerID != c.ID) {
			return herald.Errorf(herald.ENOTFOUND, "endpoint %q not found", f.EndpointID)
		} else if err != nil {
			return fmt.Errorf("get endpoint: %w", err)
		}
	}
	if r.PostForm.Get("confirm") != "yes" {
		// Ask first, saying how many deliveries go out again.
		counts, err := s.cfg.Replays.DeliveryCountByState(r.Context(), &f)
		if herald.ErrorCode(err) == herald.EINVALID {
			return err
		} else if err != nil {
			return fmt.Errorf("count deliveries: %w", err)
		}
		total := 0
		for _, n := range counts {
			total += n
		}
		d := &confirmData{Cust: c, Heading: "Replay these deliveries?",
			Lines: []string{fmt.Sprintf("This sends %d %s again, in the background, each as the same event (the same Herald-Event-Id).",
				total, plural(total, "delivery", "deliveries"))},
			Action: customerPath(c.ID, "replays"), Button: fmt.Sprintf("Replay %d %s", total, plural(total, "delivery", "deliveries")),
			Cancel: customerPath(c.ID, "deliveries") + "?" + explorerQuery(r.PostForm)}
		for _, k := range []string{"type", "state", "endpoint", "since", "until"} {
			d.Hidden = append(d.Hidden, [2]string{k, r.PostForm.Get(k)})
		}
		s.render(w, r, http.StatusOK, "confirm", "Replay · "+c.Name, d)
		return nil
	}
	j := &herald.ReplayJob{CustomerID: c.ID, Filter: f}
	if err := s.cfg.Replays.ReplayJobCreate(r.Context(), j, s.now()); err != nil {
		if herald.ErrorCode(err) == herald.EINVALID {
			return err
		}
		return fmt.Errorf("create replay job: %w", err)
	}
	s.cfg.Logger.InfoContext(r.Context(), "replay job created", slog.String("customer_id", c.ID),
		slog.String("replay_job_id", j.ID), slog.Int("total", j.Total))
	s.cfg.ReplayWakeFunc()
	return redirect(w, r, customerPath(c.ID, "replays", j.ID))
}

// explorerQuery is the explorer's query for the filter fields of form.
func explorerQuery(form url.Values) string {
	q := url.Values{}
	for _, k := range []string{"type", "state", "endpoint", "since", "until"} {
		if v := form.Get(k); v != "" {
			q.Set(k, v)
		}
	}
	return q.Encode()
}

// replayJobFor loads the path's replay job of the path's customer; another
// customer's job is "not found".
func (s *Server) replayJobFor(r *http.Request, c *herald.Customer) (*herald.ReplayJob, error) {
	id := r.PathValue("replayId")
	j, err := s.cfg.Replays.ReplayJobGet(r.Context(), id)
	if herald.ErrorCode(err) == herald.ENOTFOUND || (err == nil && j.CustomerID != c.ID) {
		return nil, herald.Errorf(herald.ENOTFOUND, "replay job %q not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get replay job: %w", err)
	}
	return j, nil
}

// replayJobView is a job with its filter in words.
type replayJobView struct {
	*herald.ReplayJob
	Filter string
}

// Percent is how far the job is, 0 to 100.
func (v replayJobView) Percent() int {
	if v.Finished() || v.Total == 0 {
		return 100
	}
	return min(100, v.Done*100/v.Total)
}

// describeFilter says what a job's filter selects, naming endpoints by URL.
func describeFilter(f *herald.DeliveryFilter, endpointURL map[string]string) string {
	var parts []string
	if f.EventType != "" {
		parts = append(parts, f.EventType.PageName()+" events")
	}
	if len(f.States) > 0 {
		ss := make([]string, len(f.States))
		for i, st := range f.States {
			ss[i] = string(st)
		}
		parts = append(parts, "state "+strings.Join(ss, " or "))
	}
	if f.EndpointID != "" {
		u := endpointURL[f.EndpointID]
		if u == "" {
			u = f.EndpointID + " (deleted)"
		}
		parts = append(parts, "to "+u)
	}
	if !f.Since.IsZero() {
		parts = append(parts, "created from "+f.Since.UTC().Format("2006-01-02 15:04 UTC"))
	}
	if !f.Until.IsZero() {
		parts = append(parts, "created before "+f.Until.UTC().Format("2006-01-02 15:04 UTC"))
	}
	if !f.ChangedSince.IsZero() {
		parts = append(parts, "changed since "+f.ChangedSince.UTC().Format("2006-01-02 15:04 UTC"))
	}
	if len(parts) == 0 {
		return "every delivery"
	}
	return strings.Join(parts, ", ")
}

func (s *Server) endpointURLs(r *http.Request, customerID string) (map[string]string, error) {
	eps, err := s.cfg.Store.EndpointList(r.Context(), customerID)
	if err != nil {
		return nil, fmt.Errorf("list endpoints: %w", err)
	}
	m := make(map[string]string, len(eps))
	for _, e := range eps {
		m[e.ID] = e.URL
	}
	return m, nil
}

type replayListData struct {
	Cust *herald.Customer
	Jobs []replayJobView
}

func (d *replayListData) customer() *herald.Customer { return d.Cust }

// handleReplayList serves GET /ui/customers/{customerId}/replays: the
// customer's replay jobs, newest first.
func (s *Server) handleReplayList(w http.ResponseWriter, r *http.Request) error {
	c, err := s.customerFor(r)
	if err != nil {
		return err
	}
	if err := s.replaysEnabled(); err != nil {
		return err
	}
	js, err := s.cfg.Replays.ReplayJobList(r.Context(), c.ID, 50)
	if err != nil {
		return fmt.Errorf("list replay jobs: %w", err)
	}
	urls, err := s.endpointURLs(r, c.ID)
	if err != nil {
		return err
	}
	d := &replayListData{Cust: c}
	for _, j := range js {
		d.Jobs = append(d.Jobs, replayJobView{ReplayJob: j, Filter: describeFilter(&j.Filter, urls)})
	}
	s.render(w, r, http.StatusOK, "replays", "Replays · "+c.Name, d)
	return nil
}

type replayData struct {
	Cust *herald.Customer
	Job  replayJobView
	// ProgressURL is polled by replay.js until the job finishes.
	ProgressURL string
}

func (d *replayData) customer() *herald.Customer { return d.Cust }

// handleReplayGet serves GET /ui/customers/{customerId}/replays/{replayId}.
func (s *Server) handleReplayGet(w http.ResponseWriter, r *http.Request) error {
	c, err := s.customerFor(r)
	if err != nil {
		return err
	}
	if err := s.replaysEnabled(); err != nil {
		return err
	}
	j, err := s.replayJobFor(r, c)
	if err != nil {
		return err
	}
	urls, err := s.endpointURLs(r, c.ID)
	if err != nil {
		return err
	}
	d := &replayData{Cust: c, Job: replayJobView{ReplayJob: j, Filter: describeFilter(&j.Filter, urls)},
		ProgressURL: customerPath(c.ID, "replays", j.ID, "progress")}
	s.render(w, r, http.StatusOK, "replay", "Replay "+j.ID, d)
	return nil
}

// replayProgress is the JSON of the progress route.
type replayProgress struct {
	State    herald.ReplayJobState `json:"state"`
	Finished bool                  `json:"finished"`
	Total    int                   `json:"total"`
	Done     int                   `json:"done"`
	Replayed int                   `json:"replayed"`
	Skipped  int                   `json:"skipped"`
	Errors   []string              `json:"errors"`
	Percent  int                   `json:"percent"`
}

// handleReplayProgress serves GET
// /ui/customers/{customerId}/replays/{replayId}/progress: the job's
// progress as JSON, for the job page's script.
func (s *Server) handleReplayProgress(w http.ResponseWriter, r *http.Request) error {
	c, err := s.customerFor(r)
	if err != nil {
		return err
	}
	if err := s.replaysEnabled(); err != nil {
		return err
	}
	j, err := s.replayJobFor(r, c)
	if err != nil {
		return err
	}
	v := replayJobView{ReplayJob: j}
	out := replayProgress{State: j.State, Finished: j.Finished(), Total: j.Total, Done: j.Done, Replayed: j.Replayed,
		Skipped: j.Skipped, Errors: j.Errors, Percent: v.Percent()}
	if out.Errors == nil {
		out.Errors = []string{}
	}
	body, err := json.Marshal(&out)
	if err != nil {
		return fmt.Errorf("encode replay progress: %w", err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(body)
	return nil
}
