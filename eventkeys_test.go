package herald_test

import (
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// searchKeysBothWays returns the search keys of the event NewEvent makes
// from p as a publish finds them (NewEvent knows them from p) and as they
// are read from its body alone; ok is false if NewEvent refused p.
func searchKeysBothWays(t *testing.T, p *wire.EventParams) (fromParams, fromBody [2]string, ok bool) {
	ev, err := herald.NewEvent("https://herald.example", "c1", p, time.Now(), wire.Gzip)
	if err != nil {
		return fromParams, fromBody, false
	}
	fromParams[0], fromParams[1] = herald.EventSearchKeys(ev)
	fromBody[0], fromBody[1] = herald.EventSearchKeys(&herald.Event{Type: ev.Type, Body: ev.Body})
	return fromParams, fromBody, true
}

// TestEventSearchKeysFromParamsMatchTheBody: the search keys NewEvent
// sets from its params are the ones EventSearchKeys reads from the body,
// for every event type, with and without an optional personId (which an
// Assessment's body leaves out, its person being its userId).
func TestEventSearchKeysFromParamsMatchTheBody(t *testing.T) {
	t.Parallel()
	for _, p := range searchKeySeeds() {
		fromParams, fromBody, ok := searchKeysBothWays(t, &p)
		if !ok {
			t.Fatalf("NewEvent refused %+v", p)
		}
		if fromParams != fromBody {
			t.Errorf("%s: search keys %q from the params, %q from the body", p.EventType, fromParams, fromBody)
		}
	}
}

// FuzzEventSearchKeys: whatever params NewEvent accepts, the search keys
// it sets are the ones its body gives.
func FuzzEventSearchKeys(f *testing.F) {
	for _, p := range searchKeySeeds() {
		f.Add(string(p.EventType), p.SystemID, p.UserID, p.PersonID, p.JobID)
	}
	f.Fuzz(func(t *testing.T, eventType, systemID, userID, personID, jobID string) {
		p := wire.EventParams{EventType: wire.EventType(eventType), SystemID: systemID, UserID: userID, PersonID: personID,
			JobID: jobID, OldStatus: "S1", NewStatus: "S2", ReturnURL: "https://a.example/r",
			IncompleteURL: "https://a.example/i", PortalURL: "https://a.example/p"}
		// Leave out what the type does not take, so that more inputs
		// reach the comparison.
		for range 2 {
			fromParams, fromBody, ok := searchKeysBothWays(t, &p)
			if ok && fromParams != fromBody {
				t.Fatalf("%+v: search keys %q from the params, %q from the body", p, fromParams, fromBody)
			}
			p.OldStatus, p.NewStatus, p.IncompleteURL, p.PortalURL, p.PersonID, p.JobID = "", "", "", "", "", ""
		}
	})
}

func searchKeySeeds() []wire.EventParams {
	return []wire.EventParams{
		{EventType: wire.EventTypeAssessment, SystemID: "w1", UserID: "u1", JobID: "j1", ReturnURL: "https://a.example/r"},
		{EventType: wire.EventTypeAssessment, SystemID: "w1", UserID: "u1", PersonID: "p1", JobID: "j1", ReturnURL: "https://a.example/r"},
		{EventType: wire.EventTypeWorkFlowStatusChange, SystemID: "w1", UserID: "u1", PersonID: "p1", JobID: "j1", OldStatus: "S1", NewStatus: "S2"},
		{EventType: wire.EventTypeOnboardPortalTask, SystemID: "p1", UserID: "u1", ReturnURL: "https://a.example/r", IncompleteURL: "https://a.example/i"},
		{EventType: wire.EventTypeJobPostToWeb, SystemID: "j1", UserID: "u1", PortalURL: "https://a.example/p"},
		{EventType: wire.EventTypeViewJobWebPost, SystemID: "j1", UserID: "u1"},
		{EventType: wire.EventTypeJobUnpostToWeb, SystemID: "j1", UserID: "u1"},
		{EventType: wire.EventTypeRemoteLogin, SystemID: "s1", UserID: "u1", ReturnURL: "https://a.example/r"},
	}
}
