package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

const testPublicURL = "https://api.example.com"

func compactJSON(t testing.TB, s string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(s)); err != nil {
		t.Fatalf("compact: %v", err)
	}
	return buf.Bytes()
}

func decodeJSON(t testing.TB, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

func TestBuildEventSpecExamples(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		customerID string
		params     EventParams
		want       string
	}{
		{
			name: "application complete", customerID: "6269", want: specAssessmentBody,
			params: EventParams{
				EventType: EventTypeAssessment, SystemID: "12391385", UserID: "1239", JobID: "1385",
				ReturnURL: "https://careers.example.com/jobs/1385/front-line-job-3/assessment?i=1",
			},
		},
		{
			name: "legacy application completed name", customerID: "6269", want: specAssessmentBody,
			params: EventParams{
				EventType: EventTypeApplicationCompleted, SystemID: "12391385", UserID: "1239", PersonID: "1239", JobID: "1385",
				ReturnURL: "https://careers.example.com/jobs/1385/front-line-job-3/assessment?i=1",
			},
		},
		{
			name: "status flow update", customerID: "2187", want: specStatusBody,
			params: EventParams{
				EventType: EventTypeWorkFlowStatusChange, SystemID: "13437", PersonID: "9166", UserID: "9059",
				JobID: "4442", OldStatus: "1753", NewStatus: "20786",
			},
		},
		{
			name: "remote login", customerID: "6268", want: specRemoteLoginBody,
			params: EventParams{EventType: EventTypeRemoteLogin, SystemID: "244", UserID: "244", ReturnURL: "https://customer.example.com"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body, links, err := BuildEvent(testPublicURL+"/", tt.customerID, &tt.params)
			if err != nil {
				t.Fatalf("BuildEvent: %v", err)
			}
			want := compactJSON(t, tt.want)
			if !reflect.DeepEqual(decodeJSON(t, body), decodeJSON(t, want)) {
				t.Fatalf("body =\n%s\nwant\n%s", body, want)
			}
			// Key order follows the captures too.
			if !bytes.Equal(body, want) {
				t.Fatalf("body bytes =\n%s\nwant\n%s", body, want)
			}
			b, err := ParseBody(body)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(links, b.Links) {
				t.Fatalf("links = %+v, body links %+v", links, b.Links)
			}
		})
	}
}

func TestBuildEventJobTypes(t *testing.T) {
	t.Parallel()
	wantLinks := []Link{
		{Rel: "job", Title: "Job Profile", URL: "https://api.example.com/customers/6271/jobs/1181"},
		{Rel: "user", Title: "Posting User", URL: "https://api.example.com/customers/6271/people/1930"},
	}
	tests := []struct {
		typ       EventType
		portalURL string
		want      string
	}{
		{EventTypeJobPostToWeb, "https://careers.example.com/jobs/1181?a=1&b=2",
			`{"systemId":"1181","userId":"1930","customerId":"6271","eventType":"JobPostToWebEvent","portalUrl":"https://careers.example.com/jobs/1181?a=1&b=2"}`},
		{EventTypeViewJobWebPost, "", `{"systemId":"1181","userId":"1930","customerId":"6271","eventType":"ViewJobWebPostEvent"}`},
		{EventTypeJobUnpostToWeb, "", `{"systemId":"1181","userId":"1930","customerId":"6271","eventType":"JobUnpostToWebEvent"}`},
	}
	for _, tt := range tests {
		t.Run(string(tt.typ), func(t *testing.T) {
			t.Parallel()
			body, links, err := BuildEvent(testPublicURL, "6271", &EventParams{EventType: tt.typ, SystemID: "1181", UserID: "1930", PortalURL: tt.portalURL})
			if err != nil {
				t.Fatal(err)
			}
			if string(body) != tt.want {
				t.Fatalf("body = %s\nwant %s", body, tt.want)
			}
			if !reflect.DeepEqual(links, wantLinks) {
				t.Fatalf("links = %+v", links)
			}
			if got := FormatLinkHeader(links); !strings.HasSuffix(got, `;rel="user";title="Posting User",`) {
				t.Fatalf("link header = %s", got)
			}
		})
	}
}

func TestBuildEventOnboard(t *testing.T) {
	t.Parallel()
	body, links, err := BuildEvent(testPublicURL, "6269", &EventParams{
		EventType: EventTypeOnboardPortalTask, SystemID: "555", UserID: "555",
		ReturnURL: "https://portal.example.com/done", IncompleteURL: "https://portal.example.com/later",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"systemId":"555","userId":"555","customerId":"6269","returnUrl":"https://portal.example.com/done","incompleteUrl":"https://portal.example.com/later","eventType":"OnboardPortalTaskEvent","links":[{"rel":"person","title":"Person Profile","url":"https://api.example.com/customers/6269/people/555"},{"rel":"user","title":"Posting User","url":"https://api.example.com/customers/6269/people/555"}]}`
	if string(body) != want {
		t.Fatalf("body = %s\nwant %s", body, want)
	}
	if len(links) != 2 {
		t.Fatalf("links = %+v", links)
	}
}

func TestBuildEventErrors(t *testing.T) {
	t.Parallel()
	okLogin := func() EventParams {
		return EventParams{EventType: EventTypeRemoteLogin, SystemID: "244", UserID: "244", ReturnURL: "https://customer.example.com"}
	}
	tests := []struct {
		name      string
		publicURL string
		customer  string
		mutate    func(p *EventParams)
		field     string
	}{
		{"no type", testPublicURL, "6268", func(p *EventParams) { p.EventType = "" }, "eventType"},
		{"unknown type", testPublicURL, "6268", func(p *EventParams) { p.EventType = "NopeEvent" }, "eventType"},
		{"portalUrl on remote login", testPublicURL, "6268", func(p *EventParams) { p.PortalURL = "https://x.example.com" }, "portalUrl"},
		{"jobId on remote login", testPublicURL, "6268", func(p *EventParams) { p.JobID = "1" }, "jobId"},
		{"missing systemId", testPublicURL, "6268", func(p *EventParams) { p.SystemID = "" }, "systemId"},
		{"missing returnUrl", testPublicURL, "6268", func(p *EventParams) { p.ReturnURL = "" }, "returnUrl"},
		{"relative returnUrl", testPublicURL, "6268", func(p *EventParams) { p.ReturnURL = "/back" }, "returnUrl"},
		{"javascript returnUrl", testPublicURL, "6268", func(p *EventParams) { p.ReturnURL = "javascript:alert(1)" }, "returnUrl"},
		{"id with slash", testPublicURL, "6268", func(p *EventParams) { p.UserID = "../1" }, "userId"},
		{"dot-dot id", testPublicURL, "6268", func(p *EventParams) { p.UserID = ".." }, "userId"},
		{"long id", testPublicURL, "6268", func(p *EventParams) { p.UserID = strings.Repeat("1", 65) }, "userId"},
		{"bad customer", testPublicURL, "62 68", func(*EventParams) {}, "customerId"},
		{"empty customer", testPublicURL, "", func(*EventParams) {}, "customerId"},
		{"bad public url", "ftp://x", "6268", func(*EventParams) {}, "publicUrl"},
		{"public url with query", "https://x/?a=1", "6268", func(*EventParams) {}, "publicUrl"},
		{"status missing", testPublicURL, "6268", func(p *EventParams) {
			*p = EventParams{EventType: EventTypeWorkFlowStatusChange, SystemID: "1", UserID: "2", PersonID: "3", JobID: "4", OldStatus: "5"}
		}, "newStatus"},
		{"status control char", testPublicURL, "6268", func(p *EventParams) {
			*p = EventParams{EventType: EventTypeWorkFlowStatusChange, SystemID: "1", UserID: "2", PersonID: "3", JobID: "4", OldStatus: "5", NewStatus: "a\nb"}
		}, "newStatus"},
		{"assessment without job", testPublicURL, "6268", func(p *EventParams) {
			*p = EventParams{EventType: EventTypeAssessment, SystemID: "1", UserID: "2", ReturnURL: "https://x.example.com"}
		}, "jobId"},
		{"job post without portal", testPublicURL, "6268", func(p *EventParams) {
			*p = EventParams{EventType: EventTypeJobPostToWeb, SystemID: "1", UserID: "2"}
		}, "portalUrl"},
		{"unpost with portal", testPublicURL, "6268", func(p *EventParams) {
			*p = EventParams{EventType: EventTypeJobUnpostToWeb, SystemID: "1", UserID: "2", PortalURL: "https://x.example.com"}
		}, "portalUrl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := okLogin()
			tt.mutate(&p)
			_, _, err := BuildEvent(tt.publicURL, tt.customer, &p)
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want *FieldError", err)
			}
			if fe.Field != tt.field {
				t.Fatalf("field = %q (%v), want %q", fe.Field, err, tt.field)
			}
			if !strings.HasPrefix(err.Error(), tt.field+": ") {
				t.Fatalf("Error() = %q", err.Error())
			}
		})
	}
	if _, _, err := BuildEvent(testPublicURL, "1", nil); err == nil {
		t.Fatal("nil params: want error")
	}
}

func TestEventParamsJSON(t *testing.T) {
	t.Parallel()
	var p EventParams
	in := `{"eventType":"WorkFlowStatusChangeEvent","systemId":"1","userId":"2","personId":"3","jobId":"4","oldStatus":"a","newStatus":"b"}`
	if err := json.Unmarshal([]byte(in), &p); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(&p)
	if string(out) != in {
		t.Fatalf("round trip = %s", out)
	}
}
