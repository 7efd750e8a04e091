package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// maxShownBody bounds the decompressed event body shown; real bodies are
// a few kilobytes.
const maxShownBody = 1 << 20

// explorerData is the delivery explorer: the filter as typed, one page of
// results, and the link to the next page.
type explorerData struct {
	Cust      *herald.Customer
	Endpoints []*herald.Endpoint
	Types     []wire.EventType
	States    []herald.DeliveryState
	// Filter values, as typed.
	Type, State, EndpointID, Since, Until string
	// Search values, as typed: event id, delivery id, systemId, person.
	EventID, DeliveryID, SystemID, PersonID string
	Deliveries                              []*herald.Delivery
	// EndpointURL names each delivery's endpoint ("" when deleted).
	EndpointURL map[string]string
	// UserMessage is the partner's message of each rejected delivery on
	// the page (its last attempt's Error Reporting userMessage).
	UserMessage map[string]string
	// Searching: a search key is set, which a bulk replay cannot filter
	// by, so none is offered.
	Searching bool
	NextURL   string
	Error     string
	// Replay offers a bulk replay of everything the filter matches; nil
	// when the server has no ReplayStore or the filter is bad.
	Replay *replayOffer
}

func (d *explorerData) customer() *herald.Customer { return d.Cust }

// maxSearchValue bounds a search value of the explorer: ids are short.
const maxSearchValue = 200

// timeLayout is the value format of <input type="datetime-local">, read and
// shown in UTC (the page says so).
const timeLayout = "2006-01-02T15:04"

// parseExplorerFilter reads the explorer's filter (type, state, endpoint,
// since, until) from q. msg is a message for the person, empty when every
// value is good; a bad value does not filter.
func parseExplorerFilter(customerID string, q url.Values) (f herald.DeliveryFilter, msg string) {
	f = herald.DeliveryFilter{CustomerID: customerID, EndpointID: q.Get("endpoint")}
	if v := q.Get("type"); v != "" {
		if t := wire.EventType(v); t.Valid() {
			f.EventType = t
		} else {
			msg = "Choose an event type from the list."
		}
	}
	if v := q.Get("state"); v != "" {
		if st := herald.DeliveryState(v); st.Valid() {
			f.States = []herald.DeliveryState{st}
		} else {
			msg = "Choose a state from the list."
		}
	}
	for _, t := range []struct {
		v   string
		dst *time.Time
	}{{q.Get("since"), &f.Since}, {q.Get("until"), &f.Until}} {
		if t.v == "" {
			continue
		}
		v, err := time.Parse(timeLayout, t.v)
		if err != nil {
			msg = "Enter times as YYYY-MM-DDTHH:MM."
			continue
		}
		*t.dst = v
	}
	return f, msg
}

// handleDeliveryList serves GET /ui/customers/{customerId}/deliveries.
func (s *Server) handleDeliveryList(w http.ResponseWriter, r *http.Request) error {
	c, err := s.customerFor(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	d := &explorerData{Cust: c, Types: wire.EventTypes, States: herald.DeliveryStates,
		Type: q.Get("type"), State: q.Get("state"), EndpointID: q.Get("endpoint"), Since: q.Get("since"), Until: q.Get("until"),
		EventID: strings.TrimSpace(q.Get("event")), DeliveryID: strings.TrimSpace(q.Get("delivery")),
		SystemID: strings.TrimSpace(q.Get("system")), PersonID: strings.TrimSpace(q.Get("person")),
		EndpointURL: map[string]string{}, UserMessage: map[string]string{}}
	if d.Endpoints, err = s.cfg.Store.EndpointList(r.Context(), c.ID); err != nil {
		return fmt.Errorf("list endpoints: %w", err)
	}
	for _, e := range d.Endpoints {
		d.EndpointURL[e.ID] = e.URL
	}
	f, msg := parseExplorerFilter(c.ID, q)
	p := &herald.DeliveryListParams{CustomerID: c.ID, EndpointID: f.EndpointID, EventType: f.EventType, States: f.States,
		Since: f.Since, Until: f.Until, Cursor: q.Get("cursor"), Limit: 50,
		EventID: d.EventID, DeliveryID: d.DeliveryID, SystemID: d.SystemID, PersonID: d.PersonID}
	d.Searching = p.EventID != "" || p.DeliveryID != "" || p.SystemID != "" || p.PersonID != ""
	status := http.StatusOK
	bad := func(msg string) { d.Error, status = msg, http.StatusBadRequest }
	if msg != "" {
		bad(msg)
	}
	for _, v := range []string{p.EventID, p.DeliveryID, p.SystemID, p.PersonID} {
		if len(v) > maxSearchValue {
			bad(fmt.Sprintf("Search values are at most %d characters.", maxSearchValue))
		}
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		bad("The start of the date range must be before its end.")
	}
	if d.Error == "" {
		res, err := s.cfg.Store.DeliveryList(r.Context(), p)
		if herald.ErrorCode(err) == herald.EINVALID {
			bad(herald.ErrorMessage(err))
		} else if err != nil {
			return fmt.Errorf("list deliveries: %w", err)
		} else {
			d.Deliveries = res.Deliveries
			// A 400's row shows the partner's message: the last
			// attempt's, one read per rejected delivery of the page.
			for _, dl := range res.Deliveries {
				if dl.State != herald.DeliveryStateRejected {
					continue
				}
				full, err := s.cfg.Store.DeliveryGet(r.Context(), dl.ID)
				if err != nil {
					return fmt.Errorf("get delivery: %w", err)
				}
				if n := len(full.AttemptLog); n > 0 {
					d.UserMessage[dl.ID] = herald.ReplaceFieldPlaceholders(full.AttemptLog[n-1].UserMessage)
				}
			}
			if res.NextCursor != "" {
				q.Set("cursor", res.NextCursor)
				d.NextURL = customerPath(c.ID, "deliveries") + "?" + q.Encode()
			}
		}
	}
	if d.Error == "" && s.cfg.Replays != nil && !d.Searching {
		if d.Replay, err = s.replayOffer(r, &f); err != nil {
			return err
		}
	}
	s.render(w, r, status, "deliveries", "Deliveries · "+c.Name, d)
	return nil
}

// attemptView is one attempt with its request headers in a stable order.
type attemptView struct {
	*herald.Attempt
	Headers [][2]string
}

type deliveryData struct {
	Cust     *herald.Customer
	Delivery *herald.Delivery
	Endpoint *herald.Endpoint // nil if deleted
	Event    *herald.Event
	Body     string // the event body as sent, decompressed and indented
	Attempts []attemptView
	// Retried: the page follows a Retry now made at RetriedAt, and says
	// what has become of it.
	Retried   bool
	RetriedAt time.Time
	Now       time.Time
}

// RetryAttempted reports whether an attempt was made since the retry.
func (d *deliveryData) RetryAttempted() bool {
	return d.Retried && !d.Delivery.LastAttemptAt.Before(d.RetriedAt.Truncate(time.Millisecond))
}

func (d *deliveryData) customer() *herald.Customer { return d.Cust }

// deliveryFor loads the path's delivery of the path's customer.
func (s *Server) deliveryFor(r *http.Request, c *herald.Customer) (*herald.Delivery, error) {
	id := r.PathValue("deliveryId")
	d, err := s.cfg.Store.DeliveryGet(r.Context(), id)
	if herald.ErrorCode(err) == herald.ENOTFOUND || (err == nil && d.CustomerID != c.ID) {
		return nil, herald.Errorf(herald.ENOTFOUND, "delivery %q not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get delivery: %w", err)
	}
	return d, nil
}

// handleDeliveryGet serves GET /ui/customers/{customerId}/deliveries/{deliveryId}.
func (s *Server) handleDeliveryGet(w http.ResponseWriter, r *http.Request) error {
	c, err := s.customerFor(r)
	if err != nil {
		return err
	}
	d, err := s.deliveryFor(r, c)
	if err != nil {
		return err
	}
	ev, err := s.cfg.Store.EventGet(r.Context(), d.EventID)
	if err != nil {
		return fmt.Errorf("get event: %w", err)
	}
	data := &deliveryData{Cust: c, Delivery: d, Event: ev, Now: s.now()}
	if ms, err := strconv.ParseInt(r.URL.Query().Get("retried"), 10, 64); err == nil && ms > 0 {
		data.Retried, data.RetriedAt = true, time.UnixMilli(ms).UTC()
	}
	if e, err := s.cfg.Store.EndpointGet(r.Context(), d.EndpointID); err == nil {
		data.Endpoint = e
	} else if herald.ErrorCode(err) != herald.ENOTFOUND {
		return fmt.Errorf("get endpoint: %w", err)
	}
	body, err := wire.Gunzip(ev.BodyGzip, maxShownBody)
	if err != nil {
		return fmt.Errorf("decompress event body: %w", err)
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, body, "", "  ") == nil {
		data.Body = pretty.String()
	} else {
		data.Body = string(body)
	}
	for _, a := range d.AttemptLog {
		v := attemptView{Attempt: a}
		for k, val := range a.RequestHeaders {
			v.Headers = append(v.Headers, [2]string{k, val})
		}
		slices.SortFunc(v.Headers, func(x, y [2]string) int {
			if x[0] < y[0] {
				return -1
			}
			if x[0] > y[0] {
				return 1
			}
			return 0
		})
		data.Attempts = append(data.Attempts, v)
	}
	slices.Reverse(data.Attempts) // newest first
	s.render(w, r, http.StatusOK, "delivery", "Delivery "+d.ID, data)
	return nil
}

// handleDeliveryRetry serves POST
// /ui/customers/{customerId}/deliveries/{deliveryId}/retry.
func (s *Server) handleDeliveryRetry(w http.ResponseWriter, r *http.Request) error {
	c, err := s.customerFor(r)
	if err != nil {
		return err
	}
	d, err := s.deliveryFor(r, c)
	if err != nil {
		return err
	}
	if _, err := s.cfg.Store.DeliveryRetry(r.Context(), d.ID, s.now()); err != nil {
		if herald.ErrorCode(err) == herald.ECONFLICT {
			return herald.Errorf(herald.ECONFLICT, "An attempt of this delivery is in flight; try again in a moment.")
		}
		return fmt.Errorf("retry delivery: %w", err)
	}
	s.cfg.WakeFunc()
	return redirect(w, r, customerPath(c.ID, "deliveries", d.ID)+"?"+url.Values{"retried": {strconv.FormatInt(s.now().UnixMilli(), 10)}}.Encode())
}
