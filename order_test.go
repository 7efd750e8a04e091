package herald_test

import (
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

func TestEventSubject(t *testing.T) {
	t.Parallel()
	const ret = "https://partner.example.com/return"
	for _, tc := range []struct {
		params *wire.EventParams
		want   string
	}{
		{&wire.EventParams{EventType: wire.EventTypeAssessment, SystemID: "12391385", UserID: "1239", JobID: "1385", ReturnURL: ret}, "applicantWorkflow:12391385"},
		{&wire.EventParams{EventType: wire.EventTypeApplicationCompleted, SystemID: "12391385", UserID: "1239", JobID: "1385", ReturnURL: ret}, "applicantWorkflow:12391385"},
		{&wire.EventParams{EventType: wire.EventTypeWorkFlowStatusChange, SystemID: "13437", UserID: "9059", PersonID: "9166", JobID: "4442", OldStatus: "1753", NewStatus: "20786"}, "applicantWorkflow:13437"},
		{&wire.EventParams{EventType: wire.EventTypeOnboardPortalTask, SystemID: "9166", UserID: "9166", ReturnURL: ret, IncompleteURL: ret}, "onboardingWorkflow:9166"},
		{&wire.EventParams{EventType: wire.EventTypeJobPostToWeb, SystemID: "1385", UserID: "9059", PortalURL: ret}, "job:1385"},
		{&wire.EventParams{EventType: wire.EventTypeViewJobWebPost, SystemID: "1385", UserID: "9059"}, "job:1385"},
		{&wire.EventParams{EventType: wire.EventTypeJobUnpostToWeb, SystemID: "1385", UserID: "9059"}, "job:1385"},
		{&wire.EventParams{EventType: wire.EventTypeRemoteLogin, SystemID: "244", UserID: "244", ReturnURL: ret}, "person:244"},
	} {
		t.Run(string(tc.params.EventType), func(t *testing.T) {
			t.Parallel()
			body, _, err := wire.BuildEvent("https://api.example.com", "6269", tc.params)
			if err != nil {
				t.Fatalf("build event: %v", err)
			}
			ev := &herald.Event{Type: tc.params.EventType.Canonical(), Body: body}
			if got := herald.EventSubject(ev); got != tc.want {
				t.Fatalf("EventSubject from Body = %q, want %q", got, tc.want)
			}
			// As stores keep events: gzip'd, no Body.
			ev = &herald.Event{Type: tc.params.EventType, BodyGzip: wire.Gzip(body)}
			if got := herald.EventSubject(ev); got != tc.want {
				t.Fatalf("EventSubject from BodyGzip = %q, want %q", got, tc.want)
			}
		})
	}
	if got := herald.EventSubject(&herald.Event{Type: wire.EventTypeAssessment, Body: []byte("not json")}); got != "" {
		t.Fatalf("EventSubject of a body it cannot read = %q, want empty", got)
	}
}

func TestDeliveryFollow(t *testing.T) {
	t.Parallel()
	d1 := &herald.Delivery{ID: "d1", State: herald.DeliveryStatePending}
	d2 := &herald.Delivery{ID: "d2", State: herald.DeliveryStateFailed} // to a disabled endpoint
	d3 := &herald.Delivery{ID: "d3", State: herald.DeliveryStatePending}
	tail := d1.Follow(herald.SubjectTail{Seq: 4})
	tail = d2.Follow(tail)
	tail = d3.Follow(tail)
	if d1.SubjectSeq != 5 || d1.WaitingFor != "" || !d1.NextAttemptAt.IsZero() {
		t.Fatalf("first: seq %d waiting for %q due %v", d1.SubjectSeq, d1.WaitingFor, d1.NextAttemptAt)
	}
	if d2.SubjectSeq != 6 || d2.WaitingFor != "" {
		t.Fatalf("failed one: seq %d waiting for %q, want 6, nothing", d2.SubjectSeq, d2.WaitingFor)
	}
	if d3.SubjectSeq != 7 || d3.WaitingFor != "d1" || !d3.NextAttemptAt.Equal(herald.HoldUntil) {
		t.Fatalf("third: seq %d waiting for %q due %v, want 7, d1, HoldUntil", d3.SubjectSeq, d3.WaitingFor, d3.NextAttemptAt)
	}
	if tail != (herald.SubjectTail{Seq: 7, PendingID: "d3"}) {
		t.Fatalf("tail = %+v", tail)
	}
}

func BenchmarkEventSubject(b *testing.B) {
	body, _, err := wire.BuildEvent("https://api.example.com", "2187", &wire.EventParams{EventType: wire.EventTypeWorkFlowStatusChange,
		SystemID: "13437", UserID: "9059", PersonID: "9166", JobID: "4442", OldStatus: "1753", NewStatus: "20786"})
	if err != nil {
		b.Fatal(err)
	}
	ev := &herald.Event{Type: wire.EventTypeWorkFlowStatusChange, Body: body}
	for b.Loop() {
		if herald.EventSubject(ev) == "" {
			b.Fatal("no subject")
		}
	}
}
