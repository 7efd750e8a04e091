package herald

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/heraldhq/herald/wire"
)

// The event catalogue: what each event type is, when it fires and what a
// partner receives, for the UI's catalogue page and GET
// /api/v1/event-types. The example bodies are built with wire, as real
// events are, so they are byte for byte what a partner receives.

// EventTypeDoc describes one event type.
type EventTypeDoc struct {
	Type wire.EventType
	// Name is the name the Event Notifications page shows (iCIMS's page
	// name).
	Name string
	// Fires says when the platform sends it.
	Fires string
	// SuccessReply is what a partner answers when it accepts it.
	SuccessReply string
	// FollowedBy says who follows a 303's Location; "nobody" when no one
	// does.
	FollowedBy string
	// Interactive: a person usually waits for the partner's reply.
	Interactive bool
	// Schema is a JSON Schema (2020-12) of the body Herald sends.
	Schema json.RawMessage
	// Example is an example body, compact, as sent (before gzip).
	Example json.RawMessage
	// Headers are the example's request headers, in a stable order,
	// without the endpoint's authentication header.
	Headers [][2]string
}

// eventTypeFacts are the spec's catalogue (section 3), one entry per type.
var eventTypeFacts = map[wire.EventType]struct{ fires, reply, followedBy string }{
	wire.EventTypeAssessment: {"A candidate finishes the online application (screening and EEO questions included) on a customer's career portal.",
		"303 with Location (or 200)", "the candidate's browser"},
	wire.EventTypeWorkFlowStatusChange: {"A user moves a candidate or new hire into a status the endpoint lists as a trigger (every status when it lists none).",
		"200 (303 allowed)", "the recruiter (optional popup)"},
	wire.EventTypeOnboardPortalTask: {"A new hire begins a verification task (E-Verify, I-9) on the onboarding portal.",
		"303 with Location", "the new hire"},
	wire.EventTypeJobPostToWeb: {"A user posts a job externally, to a partner's board or aggregator.",
		"303 with Location", "the posting user"},
	wire.EventTypeViewJobWebPost: {"A user edits or opens an externally posted job.",
		"303 with Location", "the user"},
	wire.EventTypeJobUnpostToWeb: {"A user cancels an external posting.",
		"200", "nobody"},
	wire.EventTypeRemoteLogin: {"A user clicks a partner's integration link inside the platform.",
		"303 with Location", "the user"},
}

// ExampleEventParams returns the parameters of an example event of type t,
// with the ids of the spec's examples and URLs under publicURL.
func ExampleEventParams(t wire.EventType, publicURL, customerID string) *wire.EventParams {
	back := publicURL + "/portal/" + customerID
	p := &wire.EventParams{EventType: t, SystemID: "12391385", UserID: "1239"}
	switch t {
	case wire.EventTypeAssessment:
		p.JobID, p.ReturnURL = "1385", back+"/jobs/1385/front-line-job/assessment"
	case wire.EventTypeWorkFlowStatusChange:
		p.SystemID, p.UserID, p.PersonID, p.JobID, p.OldStatus, p.NewStatus = "13437", "9059", "9166", "4442", "D10103", "D10104"
	case wire.EventTypeOnboardPortalTask:
		p.SystemID, p.ReturnURL, p.IncompleteURL = "1239", back+"/onboard/1239?task=complete", back+"/onboard/1239?task=incomplete"
	case wire.EventTypeJobPostToWeb:
		p.SystemID, p.UserID, p.PortalURL = "1385", "244", back+"/jobs/1385/front-line-job"
	case wire.EventTypeViewJobWebPost, wire.EventTypeJobUnpostToWeb:
		p.SystemID, p.UserID = "1385", "244"
	case wire.EventTypeRemoteLogin:
		p.SystemID, p.UserID, p.ReturnURL = "244", "244", publicURL
	}
	return p
}

// EventCatalog describes every event type Herald sends, in catalogue
// order, with examples for customerID built against publicURL (the base
// of the links in bodies).
func EventCatalog(publicURL, customerID string) ([]*EventTypeDoc, error) {
	out := make([]*EventTypeDoc, 0, len(wire.EventTypes))
	for _, t := range wire.EventTypes {
		facts := eventTypeFacts[t]
		d := &EventTypeDoc{Type: t, Name: t.PageName(), Fires: facts.fires, SuccessReply: facts.reply,
			FollowedBy: facts.followedBy, Interactive: t.Interactive()}
		body, links, err := wire.BuildEvent(publicURL, customerID, ExampleEventParams(t, publicURL, customerID))
		if err != nil {
			return nil, fmt.Errorf("example %s event: %w", t, err)
		}
		d.Example = body
		if d.Schema, err = bodySchema(t, body); err != nil {
			return nil, fmt.Errorf("schema of %s: %w", t, err)
		}
		req, err := wire.NewRequest(context.Background(), &wire.Request{URL: "https://partner.example/hook",
			EventID: "evt_01JZ8K9Q1M5YV3T7R2W4X6B8CD", Attempt: 1, Body: wire.Gzip(body), Gzip: true,
			LinkHeader: wire.FormatLinkHeader(links)}, time.Time{})
		if err != nil {
			return nil, fmt.Errorf("example %s request: %w", t, err)
		}
		for k, vs := range req.Header {
			for _, v := range vs {
				d.Headers = append(d.Headers, [2]string{k, v})
			}
		}
		slices.SortFunc(d.Headers, func(a, b [2]string) int { return bytes.Compare([]byte(a[0]), []byte(b[0])) })
		out = append(out, d)
	}
	return out, nil
}

// bodySchema writes the JSON Schema of the bodies of type t from an
// example of them: every key Herald sends for the type is required, every
// value is a string (ids are strings on the wire) except links. Unknown
// keys are allowed: receivers must ignore them (spec section 4).
func bodySchema(t wire.EventType, example []byte) (json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(example, &fields); err != nil {
		return nil, err
	}
	props := map[string]any{}
	required := []string{}
	for k := range fields {
		required = append(required, k)
		switch k {
		case "eventType":
			props[k] = map[string]any{"const": string(t)}
		case "links":
			props[k] = map[string]any{"type": "array", "items": map[string]any{
				"type": "object", "required": []string{"rel", "title", "url"},
				"properties": map[string]any{"rel": map[string]string{"type": "string"},
					"title": map[string]string{"type": "string"}, "url": map[string]string{"type": "string", "format": "uri"}}}}
		case "returnUrl", "incompleteUrl", "portalUrl":
			props[k] = map[string]string{"type": "string", "format": "uri"}
		default:
			props[k] = map[string]string{"type": "string"}
		}
	}
	slices.Sort(required)
	return json.MarshalIndent(map[string]any{
		"$schema": "https://json-schema.org/draft/2020-12/schema", "title": t.PageName() + " (" + string(t) + ")",
		"type": "object", "required": required, "properties": props, "additionalProperties": true,
	}, "", "  ")
}
