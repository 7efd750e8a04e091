package wire

import (
	"context"
	"testing"
	"time"
)

// TestHMACSignKnownAnswer pins the signature of one fixed request, so a
// change to how the canonical request is built cannot pass by changing
// Sign and VerifyHMAC alike. The expected value was computed apart from
// this package, from spec section 5 with Python's hmac and hashlib, and
// agrees with the strings.Builder implementation Sign had before.
func TestHMACSignKnownAnswer(t *testing.T) {
	t.Parallel()
	req, err := NewRequest(context.Background(), &Request{
		URL: "https://partner.example.com/hooks/icims?tenant=7", EventID: "evt_1", Attempt: 2,
		Body:   []byte(`{"eventType":"WorkFlowStatusChangeEvent"}`),
		Signer: HMACAuth{Username: "partner", Secret: []byte("s3cret")},
	}, time.Date(2017, 10, 18, 14, 53, 40, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	const want = "x-icims-v1-hmac-sha256 user=partner,signedheaders=content-type;host;x-icims-content-sha256;x-icims-date,signature=a7955b1e403ea26fbfbfa13d8559c97c9ce25f8a5588f78484396299cb015648"
	if got := req.Header.Get("Authorization"); got != want {
		t.Errorf("Authorization = %q\nwant            %q", got, want)
	}
	if got := req.Header.Get(HeaderICIMSDate); got != "2017-10-18T14:53:40+0000" {
		t.Errorf("%s = %q", HeaderICIMSDate, got)
	}
}
