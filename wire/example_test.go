package wire_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/heraldhq/herald/wire"
)

// Build the body and Link header of an Application Complete event.
func ExampleBuildEvent() {
	body, links, err := wire.BuildEvent("https://api.example.com", "6269", &wire.EventParams{
		EventType: wire.EventTypeAssessment,
		SystemID:  "12391385", // the applicant workflow
		UserID:    "1239",     // the candidate
		JobID:     "1385",
		ReturnURL: "https://careers.example.com/jobs/1385/assessment?i=1",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(body))
	fmt.Println(wire.FormatLinkHeader(links[:2]))

	// Input errors name the field.
	_, _, err = wire.BuildEvent("https://api.example.com", "6268", &wire.EventParams{
		EventType: wire.EventTypeRemoteLogin, SystemID: "244", UserID: "244",
		ReturnURL: "https://customer.example.com", PortalURL: "https://jobs.example.com",
	})
	fmt.Println(err)
	// Output:
	// {"systemId":"12391385","userId":"1239","customerId":"6269","returnUrl":"https://careers.example.com/jobs/1385/assessment?i=1","eventType":"AssessmentEvent","links":[{"rel":"applicantWorkflow","title":"Applicant Workflow","url":"https://api.example.com/customers/6269/applicantworkflows/12391385"},{"rel":"job","title":"Job Profile","url":"https://api.example.com/customers/6269/jobs/1385"},{"rel":"person","title":"Person Profile","url":"https://api.example.com/customers/6269/people/1239"},{"rel":"user","title":"Posting User","url":"https://api.example.com/customers/6269/people/1239"}]}
	// https://api.example.com/customers/6269/applicantworkflows/12391385;rel="applicantWorkflow";title="Applicant Workflow",https://api.example.com/customers/6269/jobs/1385;rel="job";title="Job Profile",
	// portalUrl: is not used by RemoteLoginEvent; leave it out
}

// Sign a request with x-icims-v1 HMAC, as Herald does, and verify it, as a
// partner does.
func ExampleHMACAuth() {
	body := []byte(`{"systemId":"244","customerId":"6268","eventType":"RemoteLoginEvent"}`)
	sentAt := time.Date(2017, 10, 18, 14, 53, 40, 0, time.UTC)
	req, err := wire.NewRequest(context.Background(), &wire.Request{
		URL:    "https://partner.example.com/icims/events",
		Body:   body,
		Signer: wire.HMACAuth{Username: "herald", Secret: []byte("shared-secret")},
	}, sentAt)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("x-icims-date:", req.Header.Get("x-icims-date"))
	fmt.Println("x-icims-content-sha256:", req.Header.Get("x-icims-content-sha256"))

	// The partner's side.
	received := httptest.NewRequest("POST", req.URL.String(), bytes.NewReader(body))
	received.Header = req.Header
	secretFor := func(user string) ([]byte, bool) { return []byte("shared-secret"), user == "herald" }
	user, err := wire.VerifyHMAC(received, body, secretFor, sentAt.Add(time.Minute), 5*time.Minute)
	fmt.Println("verified:", user, err)
	_, err = wire.VerifyHMAC(received, body, secretFor, sentAt.Add(time.Hour), 5*time.Minute)
	fmt.Println("an hour later:", err)
	// Output:
	// x-icims-date: 2017-10-18T14:53:40+0000
	// x-icims-content-sha256: 51a358c681f7e084416ae83b383e3a6c328101bd8df60b2c85cef675755f3364
	// verified: herald <nil>
	// an hour later: signature timestamp too old
}
