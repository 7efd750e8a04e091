package wire

import (
	"strings"
	"testing"
)

func TestParseErrorReport(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		in     string
		want   ErrorDetail
		wantOK bool
	}{
		{"spec", specErrorReport, ErrorDetail{
			UserMessage:       "Please provide a valid US SSN before requesting Background Check.",
			DebugErrorMessage: "This request could not be processed because the required field US SSN was not populated.",
		}, true},
		{"placeholder kept", `{"error":{"userMessage":"Missing {{person.usssn}}"}}`, ErrorDetail{UserMessage: "Missing {{person.usssn}}"}, true},
		{"debug only", `{"error":{"debugErrorMessage":"db down"}}`, ErrorDetail{DebugErrorMessage: "db down"}, true},
		{"top level", `{"userMessage":"u","debugErrorMessage":"d"}`, ErrorDetail{UserMessage: "u", DebugErrorMessage: "d"}, true},
		{"rest api errors", `{"errors":[{"errorMessage":"Job not found.","errorCode":2},{"errorMessage":"Again."}]}`, ErrorDetail{UserMessage: "Job not found. Again."}, true},
		{"error string", `{"error":"invalid_request"}`, ErrorDetail{UserMessage: "invalid_request"}, true},
		{"bom and spaces", "\ufeff " + specErrorReport[:0] + `{"error":{"userMessage":" hi "}}`, ErrorDetail{UserMessage: "hi"}, true},
		{"wrong types", `{"error":{"userMessage":5,"debugErrorMessage":["x"]}}`, ErrorDetail{}, false},
		{"errors wrong type", `{"errors":"x","error":{"userMessage":"u"}}`, ErrorDetail{UserMessage: "u"}, true},
		{"html", `<html>Bad Gateway</html>`, ErrorDetail{}, false},
		{"empty", ``, ErrorDetail{}, false},
		{"empty object", `{}`, ErrorDetail{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := ParseErrorReport([]byte(tt.in))
			if got != tt.want || ok != tt.wantOK {
				t.Fatalf("got %+v, %v; want %+v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestParseErrorReportTruncates(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", MaxErrorMessageLength)
	got, ok := ParseErrorReport([]byte(`{"error":{"userMessage":"` + long + `"}}`))
	if !ok || len(got.UserMessage) > MaxErrorMessageLength || !strings.HasPrefix(long, got.UserMessage) {
		t.Fatalf("len = %d, ok = %v", len(got.UserMessage), ok)
	}
}
