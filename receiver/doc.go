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
// Like package wire, it imports the standard library only, so it adds
// nothing to a partner's build. It never calls back into the platform.
package receiver
