package wire

import (
	"encoding/json"
	"testing"
)

func TestParseBody(t *testing.T) {
	t.Parallel()
	b, err := ParseBody([]byte(specStatusBody))
	if err != nil {
		t.Fatal(err)
	}
	if b.CustomerID != "2187" || b.EventType != EventTypeWorkFlowStatusChange || b.SystemID != "13437" ||
		b.PersonID != "9166" || b.UserID != "9059" || b.JobID != "4442" || b.OldStatus != "1753" || b.NewStatus != "20786" {
		t.Fatalf("body = %+v", b)
	}
	l, ok := b.Link(RelJob)
	if !ok || l.URL != "https://api.example.com/customers/2187/jobs/4442" || l.Title != "Job Profile" {
		t.Fatalf("Link(job) = %+v, %v", l, ok)
	}
	if _, ok := b.Link("nope"); ok {
		t.Fatal("Link(nope) found")
	}
	if b.Extra != nil {
		t.Fatalf("Extra = %v", b.Extra)
	}
}

func TestParseBodyLenient(t *testing.T) {
	t.Parallel()
	b, err := ParseBody([]byte(`{"customerId":6269,"systemId":12391385,"userId":null,"eventType":"ApplicationCompletedEvent","links":null,"newField":{"a":1},"x":"y"}`))
	if err != nil {
		t.Fatal(err)
	}
	if b.CustomerID != "6269" || b.SystemID != "12391385" || b.UserID != "" || b.EventType.Canonical() != EventTypeAssessment {
		t.Fatalf("body = %+v", b)
	}
	if string(b.Extra["newField"]) != `{"a":1}` || string(b.Extra["x"]) != `"y"` {
		t.Fatalf("Extra = %v", b.Extra)
	}
}

func TestParseBodyErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{``, `null`, `[]`, `"x"`, `{"systemId":true}`, `{"systemId":{}}`, `{"links":{}}`, `{"links":[1]}`, `{"links":[{"url":[]}]}`, `{`} {
		if b, err := ParseBody([]byte(in)); err == nil {
			t.Errorf("ParseBody(%s) = %+v, want error", in, b)
		}
	}
}

func TestBuildParseRoundTrip(t *testing.T) {
	t.Parallel()
	p := EventParams{EventType: EventTypeOnboardPortalTask, SystemID: "7", UserID: "7",
		ReturnURL: "https://x.example.com/a?b=\"c\"&d=<e>", IncompleteURL: "https://x.example.com/i"}
	body, links, err := BuildEvent(testPublicURL, "c-1", &p)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(body) {
		t.Fatalf("invalid JSON %s", body)
	}
	b, err := ParseBody(body)
	if err != nil {
		t.Fatal(err)
	}
	if got := paramsOf(b); got != p {
		t.Fatalf("round trip = %+v, want %+v", got, p)
	}
	if len(b.Links) != len(links) {
		t.Fatalf("links %+v vs %+v", b.Links, links)
	}
}

// paramsOf is the inverse of BuildEvent for the fields it keeps.
func paramsOf(b *Body) EventParams {
	return EventParams{
		EventType: b.EventType, SystemID: b.SystemID, UserID: b.UserID, PersonID: b.PersonID, JobID: b.JobID,
		OldStatus: b.OldStatus, NewStatus: b.NewStatus, ReturnURL: b.ReturnURL,
		IncompleteURL: b.IncompleteURL, PortalURL: b.PortalURL,
	}
}
