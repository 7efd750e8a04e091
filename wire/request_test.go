package wire

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"
)

func TestNewRequest(t *testing.T) {
	t.Parallel()
	body := Gzip([]byte(specRemoteLoginBody))
	req, err := NewRequest(context.Background(), &Request{
		URL: "https://partner.example.com/hook", EventID: "evt_1", Attempt: 3,
		Body: body, Gzip: true, LinkHeader: specLinkHeader, Signer: BearerToken("t"),
	}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"Content-Type": "application/json", "Accept-Encoding": "gzip,deflate", "Content-Encoding": "gzip",
		"Link": specLinkHeader, HeaderEventID: "evt_1", HeaderAttempt: "3", "Authorization": "Bearer t",
	}
	for k, v := range want {
		if got := req.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	// NewRequest and Sign write the header map directly; a key not in
	// canonical form would be invisible to Header.Get and sent as is.
	signed, err := NewRequest(context.Background(), &Request{
		URL: "https://partner.example.com/hook", EventID: "evt_1", Attempt: 1, Body: body, Gzip: true,
		LinkHeader: specLinkHeader, TraceParent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", Test: true,
		Signer: HMACAuth{Username: "u", Secret: []byte("s")},
	}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(signed.Header) != 11 {
		t.Errorf("%d headers, want 11: %v", len(signed.Header), signed.Header)
	}
	for k, v := range signed.Header {
		if k != http.CanonicalHeaderKey(k) || len(v) != 1 {
			t.Errorf("header %q = %q: want a canonical key with one value", k, v)
		}
	}
	if req.Method != "POST" || req.ContentLength != int64(len(body)) || req.GetBody == nil {
		t.Fatalf("method %s, length %d, GetBody %v", req.Method, req.ContentLength, req.GetBody != nil)
	}
	rc, _ := req.GetBody()
	again, _ := io.ReadAll(rc)
	if string(again) != string(body) {
		t.Fatal("GetBody returned other bytes")
	}

	plain, err := NewRequest(context.Background(), &Request{URL: "http://127.0.0.1/", Body: []byte("{}")}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"Content-Encoding", "Link", HeaderEventID, HeaderAttempt, "Authorization"} {
		if v := plain.Header.Get(k); v != "" {
			t.Errorf("%s = %q, want none", k, v)
		}
	}
	if _, err := NewRequest(context.Background(), &Request{}, testNow); err == nil {
		t.Fatal("no URL: want error")
	}
	if _, err := NewRequest(context.Background(), &Request{URL: "://bad"}, testNow); err == nil {
		t.Fatal("bad URL: want error")
	}
}

// BenchmarkNewRequestHMAC builds and signs one event POST the way the
// dispatcher does for every attempt to an HMAC endpoint.
func BenchmarkNewRequestHMAC(b *testing.B) {
	r := &Request{
		URL: "http://127.0.0.1:8080/hooks/assessments", EventID: "evt_01JD0000000000000000000000", Attempt: 1,
		Body: Gzip([]byte(specAssessmentBody)), Gzip: true,
		LinkHeader:  `<https://api.example.com/customers/1/people/2>; rel="person"`,
		TraceParent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
		Signer:      HMACAuth{Username: "partner", Secret: []byte("0123456789abcdef0123456789abcdef")},
	}
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewRequest(context.Background(), r, now); err != nil {
			b.Fatal(err)
		}
	}
}
