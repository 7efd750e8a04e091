package receiver_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/heraldhq/herald/receiver"
	"github.com/heraldhq/herald/wire"
)

// A partner endpoint for Application Complete events, verified with
// x-icims-v1 HMAC, answering with a link to the candidate's assessment.
func ExampleNewHandler() {
	secret := []byte("shared-secret")

	mux := receiver.NewMux()
	mux.HandleFunc(wire.EventTypeAssessment, func(ctx context.Context, e *receiver.Event) receiver.Reply {
		a := e.Assessment()
		fmt.Printf("customer %s: candidate %s applied to job %s\n", e.CustomerID, a.CandidateID, a.JobID)
		return receiver.SeeOther("https://assess.example.com/start?workflow=" + a.ApplicantWorkflowID)
	})
	srv := httptest.NewServer(receiver.NewHandler(receiver.Config{
		Verifier: receiver.HMAC("herald", secret),
	}, mux))
	defer srv.Close()

	// The platform's side: what Herald sends.
	body, links, _ := wire.BuildEvent("https://api.example.com", "6269", &wire.EventParams{
		EventType: wire.EventTypeAssessment, SystemID: "12391385", UserID: "1239", JobID: "1385",
		ReturnURL: "https://careers.example.com/jobs/1385/assessment?i=1",
	})
	req, _ := wire.NewRequest(context.Background(), &wire.Request{
		URL: srv.URL, EventID: "evt_1", Attempt: 1, Body: wire.Gzip(body), Gzip: true,
		LinkHeader: wire.FormatLinkHeader(links), Signer: wire.HMACAuth{Username: "herald", Secret: secret},
	}, time.Now())
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("Location"))
	// Output:
	// customer 6269: candidate 1239 applied to job 1385
	// 303 https://assess.example.com/start?workflow=12391385
}

// Route by customer and event type; answer the Error Reporting Standard.
func ExampleMux() {
	mux := receiver.NewMux()
	mux.HandleFunc(wire.EventTypeWorkFlowStatusChange, func(ctx context.Context, e *receiver.Event) receiver.Reply {
		s := e.StatusChange()
		if s.NewStatus != "20786" {
			return receiver.OK() // not a status this partner acts on
		}
		return receiver.BadRequest("Please provide a valid US SSN before requesting Background Check.",
			"person "+s.PersonID+" has no {{person.usssn}}")
	})
	// A customer with its own integration.
	mux.HandleCustomerFunc("2187", "", func(ctx context.Context, e *receiver.Event) receiver.Reply {
		return receiver.Unavailable("Down for maintenance until 6 PM.", "")
	})

	for _, customer := range []string{"6269", "2187"} {
		r := mux.ServeEvent(context.Background(), &receiver.Event{
			CustomerID: customer, Type: wire.EventTypeWorkFlowStatusChange,
			Body: &wire.Body{NewStatus: "20786", PersonID: "9166"},
		})
		fmt.Println(customer, r.Status, r.UserMessage)
	}
	// Output:
	// 6269 400 Please provide a valid US SSN before requesting Background Check.
	// 2187 503 Down for maintenance until 6 PM.
}

// Process each event once, even when the platform retries after a lost
// reply or a user repeats an action.
func ExampleDedup() {
	calls := 0
	handler := receiver.Dedup(receiver.HandlerFunc(func(ctx context.Context, e *receiver.Event) receiver.Reply {
		calls++
		return receiver.SeeOther(fmt.Sprintf("https://partner.example.com/session/%d", calls))
	}), &receiver.MemoryDedupStore{}, 24*time.Hour)

	e := &receiver.Event{ID: "evt_1", Type: wire.EventTypeRemoteLogin, Body: &wire.Body{}}
	for range 2 {
		r := handler.ServeEvent(context.Background(), e)
		fmt.Println(r.Status, r.Location)
	}
	fmt.Println("processed", calls, "time")
	// Output:
	// 303 https://partner.example.com/session/1
	// 303 https://partner.example.com/session/1
	// processed 1 time
}
