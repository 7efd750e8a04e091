// Package receiver is the partner side of Integration Events: an
// http.Handler that reads an event POST the way the contract asks (body
// limit, gzip, authentication, lenient JSON), hands a typed Event to the
// partner's code, and writes the reply the platform understands (200, 303
// with a Location, or 400/500/503 with an Error Reporting body).
//
// A minimal partner endpoint:
//
//	mux := receiver.NewMux()
//	mux.HandleFunc(wire.EventTypeAssessment, func(ctx context.Context, e *receiver.Event) receiver.Reply {
//		a := e.Assessment()
//		url := startAssessment(ctx, e.CustomerID, a.CandidateID, a.JobID, a.ReturnURL)
//		return receiver.SeeOther(url)
//	})
//	http.Handle("POST /icims/events", receiver.NewHandler(receiver.Config{
//		Verifier: receiver.HMAC("herald", secret),
//	}, mux))
//
// # Duplicates and what authentication covers
//
// Events arrive more than once (a retry after a lost reply, a user
// repeating an action), so a partner deduplicates (Dedup). Which key to
// trust depends on what the endpoint's authentication signs:
//
//   - Standard Webhooks signs webhook-id, webhook-timestamp and the body
//     together. webhook-id is Herald's event id (the same value as
//     Herald-Event-Id) and the same on every retry: key on it (Dedup's
//     DedupKey reads Herald-Event-Id; check the two match, or key on
//     webhook-id yourself).
//   - HMAC (x-icims-v1) signs the date, the Content-Type, the host and the
//     body's SHA-256, but not Herald-Event-Id or Herald-Attempt: a request
//     captured and replayed within the tolerance (5 minutes) can carry any
//     event id. Key on the body (DedupBy with BodyDedupKey): the body has
//     no id or timestamp, so a retry has the very same bytes, and a replay
//     cannot change them without breaking the signature.
//   - Basic and OAuth 2.0 sign nothing: every header and the body are
//     whatever the sender sent. Key on the body (BodyDedupKey) too, and
//     treat the event as a pointer: fetch the records its links name
//     before acting on them.
//
// Like package wire, it imports the standard library only, so it adds
// nothing to a partner's build. It never calls back into the platform.
package receiver
