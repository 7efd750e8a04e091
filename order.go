package herald

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/heraldhq/herald/wire"
)

// Ordered delivery per subject (Endpoint.Ordered).
//
// For an ordered endpoint, the deliveries of one subject (EventSubject) are
// attempted one at a time, in publish order. The whole rule lives in three
// moves that every store makes inside the transaction that already does
// the work, so claims need no predicate of their own:
//
//  1. Publish (Delivery.Follow): a pending delivery of an ordered endpoint
//     whose subject already has a pending delivery to that endpoint waits
//     for the latest of them: WaitingFor holds its id and NextAttemptAt is
//     HoldUntil, so no claim takes it (claims take due deliveries only,
//     through the index they already use). Deliveries of unordered
//     endpoints have no subject and pay nothing.
//  2. Final outcome (DeliveryRecordAttempts): when a delivery becomes
//     final (delivered, rejected, failed, dead), the delivery waiting for
//     it, if any, is released: WaitingFor cleared, due at once. So a head
//     that fails for good does not block its subject forever; the next one
//     goes.
//  3. Retry and replay (DeliveryRetry, ReplayJobStep) send a delivery at
//     once, as asked. One that was waiting is sent out of order: it stops
//     waiting, and whoever waited for it waits for what it waited for
//     instead (an unlink from the chain), so the rest of the subject keeps
//     its order. A retried head keeps its place (its follower still waits
//     for it); a retried final delivery waits for nothing, and is sent
//     again after newer ones: that is what a replay asks for.
//
// Each pending delivery waits for at most one other, and at most one waits
// for it, so a subject's pending deliveries form one chain whose head alone
// is claimable. On PostgreSQL, moves 1 to 3 for one (endpoint, subject)
// take a transaction-scoped advisory lock on it, in one order, so two nodes
// publishing or recording for one subject at once see each other's rows.
// SQLite has one writer and needs no lock.

// HoldUntil is the NextAttemptAt of a delivery that waits for an earlier one
// of its subject (WaitingFor set): later than any claim's now, so claims
// pass over it without a predicate of their own. It is a finite time, on a
// millisecond, that both stores keep exactly.
var HoldUntil = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// Subject kinds: what an event is about (spec section 9, "Order per
// subject").
const (
	SubjectKindApplicantWorkflow  = "applicantWorkflow"
	SubjectKindOnboardingWorkflow = "onboardingWorkflow"
	SubjectKindJob                = "job"
	SubjectKindPerson             = "person"
)

// maxSubjectBody bounds the body EventSubject decompresses; Herald builds
// bodies of a few KB.
const maxSubjectBody = 1 << 20

// EventSubject returns the resource an event is about, as "<kind>:<id>":
// the applicant workflow of an AssessmentEvent or WorkFlowStatusChangeEvent,
// the onboarding workflow of an OnboardPortalTaskEvent, the job of the
// three job events, the person of a RemoteLoginEvent. Every type carries
// that record's id in systemId (spec section 4; wire.BuildEvent): for an
// onboarding workflow it is the new hire's, who has one onboarding at a
// time. The kind keeps a job and a person with the same id apart.
//
// It reads Body, or BodyGzip when Body is empty (as stores keep events),
// and returns "" for an event it cannot read or of an unknown type, which
// is then delivered without order. This is the one place that says what a
// subject is.
func EventSubject(ev *Event) string {
	var kind string
	switch ev.Type.Canonical() {
	case wire.EventTypeAssessment, wire.EventTypeWorkFlowStatusChange:
		kind = SubjectKindApplicantWorkflow
	case wire.EventTypeOnboardPortalTask:
		kind = SubjectKindOnboardingWorkflow
	case wire.EventTypeJobPostToWeb, wire.EventTypeViewJobWebPost, wire.EventTypeJobUnpostToWeb:
		kind = SubjectKindJob
	case wire.EventTypeRemoteLogin:
		kind = SubjectKindPerson
	default:
		return ""
	}
	body := ev.Body
	if len(body) == 0 {
		var err error
		if body, err = wire.Gunzip(ev.BodyGzip, maxSubjectBody); err != nil {
			return ""
		}
	}
	if id := topLevelString(body, "systemId"); id != "" {
		return kind + ":" + id
	}
	return ""
}

// topLevelString returns the string value of key in the JSON object body,
// or "" if body is not an object or has no such string. It stops at the
// key, which Herald's bodies put first, rather than decoding the rest, as
// it runs for every delivery to an ordered endpoint in the publish
// transaction.
func topLevelString(body []byte, key string) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return ""
		}
		if k, _ := t.(string); k == key {
			var v string
			if dec.Decode(&v) != nil {
				return ""
			}
			return v
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return ""
		}
	}
	return ""
}

// SubjectKey names one ordered queue: an endpoint and a subject.
type SubjectKey struct {
	EndpointID string
	Subject    string
}

// SubjectTail is what a store knows of an ordered queue just before it adds
// to it: the highest SubjectSeq given out (0 if none) and the pending
// delivery with the highest SubjectSeq ("" if none is pending).
type SubjectTail struct {
	Seq       int64
	PendingID string
}

// Follow places d, a new delivery of an ordered endpoint (Subject set), at
// the end of its queue, whose tail is t, and returns the queue's new tail.
// d gets the next SubjectSeq; if it is pending and an earlier delivery of
// its subject is pending, it waits for the latest of them (WaitingFor,
// NextAttemptAt = HoldUntil). A delivery failed from the start (a disabled
// endpoint) waits for nothing and holds nothing. Stores call it for each
// such delivery in publish order, inside the publish transaction (and, on
// PostgreSQL, under the queue's lock), so this is the one place where order
// is decided.
func (d *Delivery) Follow(t SubjectTail) SubjectTail {
	d.SubjectSeq = t.Seq + 1
	next := SubjectTail{Seq: d.SubjectSeq, PendingID: t.PendingID}
	if d.State != DeliveryStatePending {
		return next
	}
	if t.PendingID != "" {
		d.WaitingFor = t.PendingID
		d.NextAttemptAt = HoldUntil
	}
	next.PendingID = d.ID
	return next
}

// Waiting reports whether d is held back behind an earlier delivery of its
// subject (WaitingFor), rather than due or scheduled.
func (d *Delivery) Waiting() bool { return d.WaitingFor != "" }
