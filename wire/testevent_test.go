package wire

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"testing"
)

func TestBuildTestEvent(t *testing.T) {
	t.Parallel()
	p := &EventParams{EventType: EventTypeRemoteLogin, SystemID: "herald-test-1a2b", UserID: "herald-test-1a2b", ReturnURL: "https://customer.example.com"}
	test, testLinks, err := BuildTestEvent(testPublicURL, "6268", p)
	if err != nil {
		t.Fatal(err)
	}
	// The same bytes as a real event with the same ids would have: build
	// one with ids of the same length and compare the rest.
	real := *p
	real.SystemID, real.UserID = "xxxxxx-xxxx-1a2b", "xxxxxx-xxxx-1a2b"
	body, links, err := BuildEvent(testPublicURL, "6268", &real)
	if err != nil {
		t.Fatal(err)
	}
	if got := bytes.ReplaceAll(test, []byte("herald-test-"), []byte("xxxxxx-xxxx-")); !bytes.Equal(got, body) {
		t.Errorf("test body %s differs from the real body %s beyond the ids", test, body)
	}
	if len(testLinks) != len(links) {
		t.Errorf("links %v, want %d", testLinks, len(links))
	}

	var fe *FieldError
	if _, _, err := BuildEvent(testPublicURL, "6268", p); !errors.As(err, &fe) || fe.Field != "systemId" {
		t.Errorf("BuildEvent with a test id = %v, want a systemId FieldError", err)
	}
	up := *p
	up.SystemID = "HERALD-TEST-1"
	if _, _, err := BuildEvent(testPublicURL, "6268", &up); !errors.As(err, &fe) {
		t.Errorf("BuildEvent with an upper-case test id = %v, want refused", err)
	}
	if _, _, err := BuildTestEvent(testPublicURL, "6268", &real); !errors.As(err, &fe) || fe.Field != "systemId" {
		t.Errorf("BuildTestEvent with a real id = %v, want a systemId FieldError", err)
	}
}

func TestTestEventHeader(t *testing.T) {
	t.Parallel()
	req, err := NewRequest(context.Background(), &Request{URL: "https://partner.example.com/hook", Body: []byte("{}"), Test: true}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if got := req.Header.Get(HeaderTest); got != "true" || !IsTestEvent(req.Header) {
		t.Errorf("Herald-Test = %q, IsTestEvent %v", got, IsTestEvent(req.Header))
	}
	if IsTestEvent(http.Header{}) || IsTestEvent(http.Header{"Herald-Test": {"false"}}) {
		t.Error("IsTestEvent true without Herald-Test: true")
	}
	for _, id := range []string{"herald-test-1", "Herald-Test-x"} {
		if !IsTestID(id) {
			t.Errorf("IsTestID(%q) = false", id)
		}
	}
	for _, id := range []string{"", "herald-test", "12391385", "xherald-test-1"} {
		if IsTestID(id) {
			t.Errorf("IsTestID(%q) = true", id)
		}
	}
}
