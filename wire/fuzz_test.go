package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func FuzzParseLinkHeader(f *testing.F) {
	for _, s := range []string{
		specLinkHeader, strings.TrimSuffix(specLinkHeader, ","), "",
		`<https://x/1>; rel="job"; title="Job Profile", <https://x/2>; rel=user`,
		`https://x/1;rel="a\"b";title="c,d"`, `<https://x/a,b>;rel=next`, `;;,,<`, `"`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		links, err := ParseLinkHeader(h)
		if err != nil {
			return
		}
		if len(links) > MaxLinks {
			t.Fatalf("%d links", len(links))
		}
		// What was parsed survives our format, when it can be written in it.
		for _, l := range links {
			if l.URL == "" {
				t.Fatalf("empty URL in %+v", links)
			}
			if strings.ContainsAny(l.URL, ",;") || strings.HasPrefix(l.URL, "<") ||
				strings.ContainsFunc(l.URL+l.Rel+l.Title, isControl) {
				return
			}
		}
		again, err := ParseLinkHeader(FormatLinkHeader(links))
		if err != nil || !reflect.DeepEqual(again, links) {
			t.Fatalf("round trip of %q: %+v, %v; want %+v", h, again, err, links)
		}
	})
}

func FuzzLinkRoundTrip(f *testing.F) {
	f.Add("https://api.example.com/customers/6271/jobs/1181", "job", "Job Profile")
	f.Add("https://x/a b", `we"ird\`, "t,i;t=le")
	f.Fuzz(func(t *testing.T, url, rel, title string) {
		url = strings.TrimSpace(url)
		if url == "" || strings.ContainsAny(url, ",;") || strings.HasPrefix(url, "<") ||
			strings.ContainsFunc(url+rel+title, isControl) || len(url)+len(rel)+len(title) > 4000 {
			t.Skip()
		}
		in := []Link{{Rel: rel, Title: title, URL: url}, {Rel: "user", Title: "Posting User", URL: "https://x/2"}}
		got, err := ParseLinkHeader(FormatLinkHeader(in))
		if err != nil || !reflect.DeepEqual(got, in) {
			t.Fatalf("round trip: %+v, %v; want %+v", got, err, in)
		}
	})
}

func FuzzParseBody(f *testing.F) {
	for _, s := range []string{specAssessmentBody, specStatusBody, specRemoteLoginBody, specHMACBody,
		`{"customerId":6269,"links":null,"x":[1,2]}`, `{}`, `[]`, `{"links":[{"url":1e400}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBody(data)
		if err != nil {
			return
		}
		if b == nil {
			t.Fatal("nil body without error")
		}
		for k := range b.Extra {
			if _, known := b.stringFields()[k]; known || k == "links" {
				t.Fatalf("known key %q in Extra", k)
			}
		}
	})
}

func FuzzBuildParseRoundTrip(f *testing.F) {
	f.Add("AssessmentEvent", "6269", "12391385", "1239", "", "1385", "", "", "https://careers.example.com/a?i=1", "", "")
	f.Add("WorkFlowStatusChangeEvent", "2187", "13437", "9059", "9166", "4442", "1753", "20786", "", "", "")
	f.Add("OnboardPortalTaskEvent", "1", "2", "2", "", "", "", "", "https://x.example.com/a", "https://x.example.com/b", "")
	f.Add("JobPostToWebEvent", "1", "2", "3", "", "", "", "", "", "", "https://x.example.com/p?a=\"1\"&b=<2>")
	f.Add("RemoteLoginEvent", "6268", "244", "244", "", "", "", "", "https://customer.example.com", "", "")
	f.Fuzz(func(t *testing.T, typ, customer, systemID, userID, personID, jobID, oldStatus, newStatus, returnURL, incompleteURL, portalURL string) {
		p := EventParams{EventType: EventType(typ), SystemID: systemID, UserID: userID, PersonID: personID, JobID: jobID,
			OldStatus: oldStatus, NewStatus: newStatus, ReturnURL: returnURL, IncompleteURL: incompleteURL, PortalURL: portalURL}
		body, links, err := BuildEvent(testPublicURL, customer, &p)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FieldError", err)
			}
			return
		}
		if !json.Valid(body) {
			t.Fatalf("invalid JSON: %s", body)
		}
		b, err := ParseBody(body)
		if err != nil {
			t.Fatalf("ParseBody(BuildEvent) = %v", err)
		}
		want := p
		want.EventType = p.EventType.Canonical()
		if want.EventType == EventTypeAssessment {
			// Not body fields: they travel only in the job and person links.
			if l, _ := b.Link(RelJob); !strings.HasSuffix(l.URL, "/jobs/"+p.JobID) {
				t.Fatalf("job link %q does not name job %q", l.URL, p.JobID)
			}
			want.PersonID, want.JobID = "", ""
		}
		if got := paramsOf(b); got != want || b.CustomerID != customer {
			t.Fatalf("round trip = %+v (customer %q), want %+v", got, b.CustomerID, want)
		}
		if b.Links != nil && !reflect.DeepEqual(b.Links, links) {
			t.Fatalf("body links %+v, want %+v", b.Links, links)
		}
		again, err := ParseLinkHeader(FormatLinkHeader(links))
		if err != nil || !reflect.DeepEqual(again, links) {
			t.Fatalf("link header round trip: %+v, %v", again, err)
		}
	})
}

func FuzzParseErrorReport(f *testing.F) {
	for _, s := range []string{specErrorReport, `{"errors":[{"errorMessage":"Job not found.","errorCode":2}]}`,
		`{"error":"x"}`, `{"userMessage":"u"}`, `<html>`, ``, "\ufeff{}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, ok := ParseErrorReport(data)
		if ok != (d.UserMessage != "" || d.DebugErrorMessage != "") {
			t.Fatalf("ok = %v for %+v", ok, d)
		}
		if len(d.UserMessage) > MaxErrorMessageLength || len(d.DebugErrorMessage) > MaxErrorMessageLength {
			t.Fatal("message too long")
		}
	})
}

func FuzzGunzip(f *testing.F) {
	f.Add(Gzip([]byte(specAssessmentBody)), int64(1<<20))
	f.Add(Gzip(make([]byte, 1<<16)), int64(100))
	f.Add([]byte{0x1f, 0x8b}, int64(10))
	f.Add([]byte("{}"), int64(10))
	f.Fuzz(func(t *testing.T, data []byte, limit int64) {
		limit = min(max(limit, -1), 1<<20)
		out, err := Gunzip(data, limit)
		if err != nil {
			return
		}
		if int64(len(out)) > max(limit, 0) {
			t.Fatalf("%d bytes over limit %d", len(out), limit)
		}
		if again, err := Gunzip(Gzip(out), int64(len(out))); err != nil || !bytes.Equal(again, out) {
			t.Fatalf("re-gzip round trip: %v", err)
		}
	})
}

func FuzzVerifyHMACHeader(f *testing.F) {
	signed := newSignedRequest(f, HMACAuth{Username: "partner", Secret: []byte("s3cret")}, "https://p.example.com/hook", []byte(specHMACBody), false)
	f.Add(signed.Header.Get("Authorization"), signed.Header.Get(HeaderICIMSDate), signed.Header.Get(HeaderICIMSContentSHA256))
	f.Add("x-icims-v1-hmac-sha256 user=a , signedheaders=host;x-icims-date;x-icims-content-sha256, signature=00", "2017-10-18T14:53:40+0000", specHMACSHA256)
	f.Add("x-icims-v1-hmac-sha256 ,,=,", "", "")
	f.Add("Basic YTpi", "x", "y")
	f.Fuzz(func(t *testing.T, auth, date, hash string) {
		r, err := http.NewRequest("POST", "https://p.example.com/hook", nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", auth)
		r.Header.Set(HeaderICIMSDate, date)
		r.Header.Set(HeaderICIMSContentSHA256, hash)
		r.Host = "p.example.com"
		user, err := VerifyHMAC(r, []byte(specHMACBody), hmacSecrets, testNow, 5*time.Minute)
		if err == nil {
			// Only the real signature can pass.
			got, _ := parseHMACAuthorization(auth)
			want, _ := parseHMACAuthorization(signed.Header.Get("Authorization"))
			if user != "partner" || got.Signature != want.Signature {
				t.Fatalf("forged header accepted: %q", auth)
			}
		}
	})
}

func FuzzVerifyStandardWebhooksHeaders(f *testing.F) {
	f.Add(swMsgID, "1614265330", swExpected)
	f.Add(swMsgID, "1614265330", "v1,a v1,b v2,c "+swExpected)
	f.Add("", "", "")
	f.Add("x", "-9223372036854775808", "v1,")
	f.Fuzz(func(t *testing.T, id, ts, sig string) {
		h := http.Header{}
		h.Set(HeaderWebhookID, id)
		h.Set(HeaderWebhookTimestamp, ts)
		h.Set(HeaderWebhookSignature, sig)
		err := VerifyStandardWebhooks(h, []byte(swPayload), []string{swSecret}, time.Unix(swTimestamp, 0), 5*time.Minute)
		if err == nil && (id != swMsgID || !strings.Contains(sig, strings.TrimPrefix(swExpected, "v1,"))) {
			t.Fatalf("accepted forged headers %q %q %q", id, ts, sig)
		}
	})
}
