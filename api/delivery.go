package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// MaxDeliveryListLimit is the largest page of deliveries one call returns.
const MaxDeliveryListLimit = 500

// handleDeliveryList serves GET /api/v1/customers/{customerId}/deliveries.
func (s *Server) handleDeliveryList(w http.ResponseWriter, r *http.Request) error {
	p, err := parseDeliveryListQuery(r.URL.RawQuery)
	if err != nil {
		return err
	}
	c, err := s.customer(r)
	if err != nil {
		return err
	}
	p.CustomerID = c.ID
	res, err := s.cfg.Store.DeliveryList(r.Context(), p)
	if err != nil {
		return fmt.Errorf("list deliveries: %w", err)
	}
	out := DeliveryList{Data: make([]Delivery, 0, len(res.Deliveries)), NextCursor: res.NextCursor}
	for _, d := range res.Deliveries {
		out.Data = append(out.Data, deliveryJSON(d))
	}
	return writeJSON(w, http.StatusOK, &out)
}

// maxSearchValue bounds an id searched for: ids are short.
const maxSearchValue = 200

// parseDeliveryListQuery reads the query of a delivery list (documented at
// DeliveryListQuery). Unknown and repeated parameters are refused, so a
// misspelt filter is an error rather than a silently unfiltered list.
func parseDeliveryListQuery(raw string) (*herald.DeliveryListParams, error) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return nil, herald.Errorf(herald.EINVALID, "malformed query string")
	}
	p := &herald.DeliveryListParams{}
	for key, vs := range q {
		if len(vs) > 1 && key != "state" {
			return nil, herald.Errorf(herald.EINVALID, "query parameter %s is given more than once", key)
		}
		v := vs[0]
		switch key {
		case "state":
			for _, v := range vs {
				for st := range strings.SplitSeq(v, ",") {
					state := herald.DeliveryState(strings.TrimSpace(st))
					if !state.Valid() {
						return nil, herald.Errorf(herald.EINVALID, "state: %q is not one of pending, delivered, rejected, failed, dead", state)
					}
					p.States = append(p.States, state)
				}
			}
		case "eventType":
			t := wire.EventType(v).Canonical()
			if !t.Valid() {
				return nil, herald.Errorf(herald.EINVALID, "eventType: %q is not a known event type", v)
			}
			p.EventType = t
		case "endpoint":
			p.EndpointID = v
		case "since", "until":
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return nil, herald.Errorf(herald.EINVALID, "%s must be an RFC 3339 time such as 2024-05-01T12:00:00Z", key)
			}
			if key == "since" {
				p.Since = t.UTC()
			} else {
				p.Until = t.UTC()
			}
		case "limit":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > MaxDeliveryListLimit {
				return nil, herald.Errorf(herald.EINVALID, "limit must be an integer from 1 to %d", MaxDeliveryListLimit)
			}
			p.Limit = n
		case "cursor":
			p.Cursor = v
		case "eventId", "deliveryId", "systemId", "personId":
			if len(v) > maxSearchValue {
				return nil, herald.Errorf(herald.EINVALID, "%s cannot be longer than %d characters", key, maxSearchValue)
			}
			switch key {
			case "eventId":
				p.EventID = v
			case "deliveryId":
				p.DeliveryID = v
			case "systemId":
				p.SystemID = v
			default:
				p.PersonID = v
			}
		default:
			return nil, herald.Errorf(herald.EINVALID, "unknown query parameter %q; known: state, eventType, endpoint, since, until, eventId, deliveryId, systemId, personId, limit, cursor", key)
		}
	}
	if !p.Since.IsZero() && !p.Until.IsZero() && !p.Since.Before(p.Until) {
		return nil, herald.Errorf(herald.EINVALID, "since must be before until")
	}
	return p, nil
}

// handleDeliveryGet serves GET /api/v1/deliveries/{deliveryId}.
func (s *Server) handleDeliveryGet(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("deliveryId")
	d, err := s.cfg.Store.DeliveryGet(r.Context(), id)
	if err != nil {
		return deliveryError("get delivery", id, err)
	}
	out := deliveryDetailJSON(d)
	return writeJSON(w, http.StatusOK, &out)
}

// handleDeliveryRetry serves POST /api/v1/deliveries/{deliveryId}/retry:
// the delivery becomes pending and due now, whatever its state, and the
// dispatcher is woken to attempt it.
func (s *Server) handleDeliveryRetry(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("deliveryId")
	d, err := s.cfg.Store.DeliveryRetry(r.Context(), id, s.now())
	if err != nil {
		return deliveryError("retry delivery", id, err)
	}
	if s.cfg.WakeFunc != nil {
		s.cfg.WakeFunc()
	}
	out := deliveryJSON(d)
	return writeJSON(w, http.StatusAccepted, &out)
}

// deliveryError words a store error about one delivery for the caller.
func deliveryError(op, id string, err error) error {
	switch herald.ErrorCode(err) {
	case herald.ENOTFOUND:
		return herald.Errorf(herald.ENOTFOUND, "delivery %q not found", id)
	case herald.ECONFLICT:
		return herald.Errorf(herald.ECONFLICT, "delivery %q has an attempt in flight; try again when it ends", id)
	}
	return fmt.Errorf("%s: %w", op, err)
}

func deliveryJSON(d *herald.Delivery) Delivery {
	out := Delivery{
		ID:             d.ID,
		EventID:        d.EventID,
		EndpointID:     d.EndpointID,
		CustomerID:     d.CustomerID,
		EventType:      d.EventType,
		State:          d.State,
		AttemptCount:   d.Attempts,
		LastStatusCode: d.LastStatusCode,
		LastError:      d.LastError,
		Location:       d.Location,
		CreatedAt:      d.CreatedAt.UTC(),
		UpdatedAt:      d.UpdatedAt.UTC(),
		Subject:        d.Subject,
		WaitingFor:     d.WaitingFor,
	}
	// A waiting delivery is not due at any time (its NextAttemptAt is
	// herald.HoldUntil): WaitingFor says what it waits for.
	if d.State == herald.DeliveryStatePending && !d.NextAttemptAt.IsZero() && !d.Waiting() {
		t := d.NextAttemptAt.UTC()
		out.NextAttemptAt = &t
	}
	if !d.LastAttemptAt.IsZero() {
		t := d.LastAttemptAt.UTC()
		out.LastAttemptAt = &t
	}
	return out
}

func deliveryDetailJSON(d *herald.Delivery) DeliveryDetail {
	out := DeliveryDetail{Delivery: deliveryJSON(d), Attempts: make([]Attempt, 0, len(d.AttemptLog))}
	for _, a := range d.AttemptLog {
		out.Attempts = append(out.Attempts, Attempt{
			Number:            a.Number,
			At:                a.At.UTC(),
			StatusCode:        a.StatusCode,
			Location:          a.Location,
			UserMessage:       a.UserMessage,
			DebugErrorMessage: a.DebugErrorMessage,
			Error:             a.Error,
			LatencyMs:         a.Latency.Milliseconds(),
			ResponseBody:      a.ResponseBody,
			RequestHeaders:    redactHeaders(a.RequestHeaders),
		})
	}
	return out
}

// redactHeaders returns a copy of recorded request headers in which Basic
// and Bearer credentials are replaced by REDACTED. The dispatcher records
// them redacted already; this is a second guard, because those two carry
// the secret itself (an HMAC or Standard Webhooks signature does not).
func redactHeaders(h map[string]string) map[string]string {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string]string, len(h))
	for k, v := range h {
		if strings.EqualFold(k, "Authorization") || strings.EqualFold(k, "Proxy-Authorization") {
			scheme, _, _ := strings.Cut(v, " ")
			if strings.EqualFold(scheme, "Basic") || strings.EqualFold(scheme, "Bearer") {
				v = scheme + " REDACTED"
			}
		}
		out[k] = v
	}
	return out
}
