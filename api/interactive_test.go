package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
	"github.com/heraldhq/herald/wire"
)

// fakeDeliverer answers every delivery with a 303, or with a partner's
// message when the test says so, and remembers what it was asked.
type fakeDeliverer struct {
	calls       [][]string
	userMessage string
}

func (f *fakeDeliverer) DeliverNow(_ context.Context, ids []string, _ time.Duration) ([]*herald.DeliveryOutcome, error) {
	f.calls = append(f.calls, ids)
	out := make([]*herald.DeliveryOutcome, len(ids))
	for i, id := range ids {
		if f.userMessage != "" {
			out[i] = &herald.DeliveryOutcome{DeliveryID: id, State: herald.DeliveryStateRejected, StatusCode: 400, UserMessage: f.userMessage}
			continue
		}
		out[i] = &herald.DeliveryOutcome{DeliveryID: id, State: herald.DeliveryStateDelivered, StatusCode: 303, Location: "https://vendor.example/a/" + id}
	}
	return out, nil
}

func assessment() *api.EventPublishRequest {
	return &api.EventPublishRequest{EventParams: wire.EventParams{
		EventType: wire.EventTypeAssessment, SystemID: "12391385", UserID: "1239", JobID: "1385",
		ReturnURL: "https://careers.example.com/jobs/1385/assessment?i=1",
	}}
}

func TestInteractivePublish(t *testing.T) {
	t.Parallel()
	fd := &fakeDeliverer{}
	b := setup(t, &setupOpts{Deliverer: fd})
	b.createCustomer(t, "6269")
	b.createEndpoint(t, "6269", wire.EventTypeAssessment, wire.EventTypeWorkFlowStatusChange)

	// AssessmentEvent is interactive by default: the reply carries the link.
	res := b.publish(t, "6269", assessment())
	if !res.Interactive || len(res.Deliveries) != 1 || len(fd.calls) != 1 {
		t.Fatalf("interactive=%v deliveries=%d calls=%d", res.Interactive, len(res.Deliveries), len(fd.calls))
	}
	if d := res.Deliveries[0]; d.Location != "https://vendor.example/a/"+d.ID || d.State != herald.DeliveryStateDelivered || d.StatusCode != 303 {
		t.Fatalf("delivery %+v", d)
	}

	// Status changes are queued unless asked.
	if res := b.publish(t, "6269", statusChange("13437")); res.Interactive || len(fd.calls) != 1 {
		t.Fatalf("status change: interactive=%v calls=%d, want queued", res.Interactive, len(fd.calls))
	}
	yes, no := true, false
	req := statusChange("13438")
	req.Interactive = &yes
	if res := b.publish(t, "6269", req); !res.Interactive || len(fd.calls) != 2 {
		t.Fatalf("status change with interactive=true: interactive=%v calls=%d", res.Interactive, len(fd.calls))
	}
	req = assessment()
	req.Interactive = &no
	if res := b.publish(t, "6269", req); res.Interactive || len(fd.calls) != 2 {
		t.Fatalf("assessment with interactive=false: interactive=%v calls=%d", res.Interactive, len(fd.calls))
	}

	// A partner's message has its {{profileType.field}} placeholders
	// replaced by labels before the caller sees it.
	fd.userMessage = "Please provide {{person.usssn}} before requesting the assessment."
	res = b.publish(t, "6269", assessment())
	got := res.Deliveries[0].UserMessage
	if got == fd.userMessage || got == "" || res.Deliveries[0].State != herald.DeliveryStateRejected {
		t.Fatalf("userMessage %q: want the placeholder replaced", got)
	}
}
