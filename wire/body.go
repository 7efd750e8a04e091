package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Body is a parsed event body: what a receiver gets. Ids sent as JSON numbers
// (some senders do) are kept as their decimal text. Keys the contract does
// not name are kept, undecoded, in Extra, so nothing a sender adds is lost.
type Body struct {
	CustomerID string
	// EventType is the type as sent; use EventType.Canonical to treat
	// ApplicationCompletedEvent as AssessmentEvent.
	EventType     EventType
	SystemID      string
	UserID        string
	PersonID      string
	JobID         string
	OldStatus     string
	NewStatus     string
	ReturnURL     string
	IncompleteURL string
	PortalURL     string
	Links         []Link
	Extra         map[string]json.RawMessage
}

// Link returns the first link with the relation rel.
func (b *Body) Link(rel string) (Link, bool) {
	for _, l := range b.Links {
		if l.Rel == rel {
			return l, true
		}
	}
	return Link{}, false
}

func (b *Body) stringFields() map[string]*string {
	return map[string]*string{
		"customerId": &b.CustomerID, "eventType": (*string)(&b.EventType),
		"systemId": &b.SystemID, "userId": &b.UserID, "personId": &b.PersonID, "jobId": &b.JobID,
		"oldStatus": &b.OldStatus, "newStatus": &b.NewStatus,
		"returnUrl": &b.ReturnURL, "incompleteUrl": &b.IncompleteURL, "portalUrl": &b.PortalURL,
	}
}

// ParseBody parses an event body (decompressed JSON). It is lenient the way
// the contract asks receivers to be: unknown keys are kept in Extra, ids may
// be strings or numbers, null counts as absent, and link objects may carry
// their keys in any order. It fails on anything that is not a JSON object,
// and on a known key of the wrong JSON type. It does not check that the
// event type is known or that the type's fields are present: that is the
// receiver's business.
func ParseBody(data []byte) (*Body, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("parse event body: %w", err)
	}
	if raw == nil {
		return nil, errors.New("parse event body: not a JSON object")
	}
	b := &Body{}
	fields := b.stringFields()
	for k, v := range raw {
		if dst, ok := fields[k]; ok {
			s, err := stringOrNumber(v)
			if err != nil {
				return nil, fmt.Errorf("parse event body: %s: %w", k, err)
			}
			*dst = s
			continue
		}
		if k == "links" {
			links, err := parseLinks(v)
			if err != nil {
				return nil, fmt.Errorf("parse event body: links: %w", err)
			}
			b.Links = links
			continue
		}
		if b.Extra == nil {
			b.Extra = make(map[string]json.RawMessage)
		}
		b.Extra[k] = v
	}
	return b, nil
}

var errNotString = errors.New("must be a string or a number")

func stringOrNumber(v json.RawMessage) (string, error) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "", errNotString
	}
	switch v[0] {
	case '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", err
		}
		return s, nil
	case 'n': // null
		return "", nil
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		var n json.Number
		if err := json.Unmarshal(v, &n); err != nil {
			return "", err
		}
		return n.String(), nil
	}
	return "", errNotString
}

func parseLinks(v json.RawMessage) ([]Link, error) {
	var raw []map[string]json.RawMessage
	if err := json.Unmarshal(v, &raw); err != nil {
		return nil, err
	}
	if len(raw) == 0 {
		return nil, nil
	}
	links := make([]Link, 0, len(raw))
	for i, m := range raw {
		var l Link
		for k, dst := range map[string]*string{"rel": &l.Rel, "title": &l.Title, "url": &l.URL} {
			if rv, ok := m[k]; ok {
				s, err := stringOrNumber(rv)
				if err != nil {
					return nil, fmt.Errorf("link %d: %s: %w", i, k, err)
				}
				*dst = s
			}
		}
		links = append(links, l)
	}
	return links, nil
}
