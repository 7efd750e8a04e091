package wire_test

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldhq/herald/wire"
)

// A test event, as `herald check` sends it: the body of a real event with
// reserved ids, and the Herald-Test header. A partner recognises it by
// either and answers it without acting on it.
func ExampleBuildTestEvent() {
	body, _, err := wire.BuildTestEvent("https://api.example.com", "6268", &wire.EventParams{
		EventType: wire.EventTypeRemoteLogin, SystemID: "herald-test-3f9c2a71", UserID: "herald-test-3f9c2a71",
		ReturnURL: "https://herald-test.invalid",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	req, err := wire.NewRequest(context.Background(), &wire.Request{
		URL: "https://partner.example.com/events", EventID: "evt_1", Body: body, Test: true,
	}, time.Now())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(body))
	fmt.Println(wire.IsTestEvent(req.Header), wire.IsTestID("herald-test-3f9c2a71"))

	// Real events cannot use the reserved ids.
	_, _, err = wire.BuildEvent("https://api.example.com", "6268", &wire.EventParams{
		EventType: wire.EventTypeRemoteLogin, SystemID: "herald-test-1", UserID: "244", ReturnURL: "https://customer.example.com",
	})
	fmt.Println(err)
	// Output:
	// {"systemId":"herald-test-3f9c2a71","customerId":"6268","links":[{"rel":"user","title":"Posting User","url":"https://api.example.com/customers/6268/people/herald-test-3f9c2a71"}],"eventType":"RemoteLoginEvent","returnUrl":"https://herald-test.invalid","userId":"herald-test-3f9c2a71"}
	// true true
	// systemId: cannot start with herald-test-: those ids are reserved for test events
}
