package wire

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// ErrorReport is the Error Reporting Standard body a partner may send with a
// 400, 500 or 503 (spec section 6).
type ErrorReport struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the content of an ErrorReport. UserMessage is shown to the
// acting user; it may hold {{profileType.fieldId}} placeholders that the
// platform replaces with the customer's field label. DebugErrorMessage is
// for logs.
type ErrorDetail struct {
	UserMessage       string `json:"userMessage"`
	DebugErrorMessage string `json:"debugErrorMessage,omitempty"`
}

// MaxErrorMessageLength bounds each message ParseErrorReport returns, in bytes.
const MaxErrorMessageLength = 2000

// ParseErrorReport reads a partner's error body. It is tolerant, because
// partners get it slightly wrong: it accepts the standard
// {"error":{"userMessage","debugErrorMessage"}}, the same two keys at the top
// level, and the REST API's {"errors":[{"errorMessage"}]}; it ignores other
// keys and values of the wrong type, skips a UTF-8 byte order mark, and
// shortens each message to MaxErrorMessageLength bytes. ok is false when no
// message was found.
func ParseErrorReport(body []byte) (ErrorDetail, bool) {
	body = bytes.TrimPrefix(bytes.TrimSpace(body), []byte("\xef\xbb\xbf"))
	var raw struct {
		Error             json.RawMessage `json:"error"`
		UserMessage       json.RawMessage `json:"userMessage"`
		DebugErrorMessage json.RawMessage `json:"debugErrorMessage"`
		Errors            []struct {
			ErrorMessage json.RawMessage `json:"errorMessage"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		// A wrongly typed "errors" fails the whole decode; try without it.
		var fallback struct {
			Error             json.RawMessage `json:"error"`
			UserMessage       json.RawMessage `json:"userMessage"`
			DebugErrorMessage json.RawMessage `json:"debugErrorMessage"`
		}
		if json.Unmarshal(body, &fallback) != nil {
			return ErrorDetail{}, false
		}
		raw.Error, raw.UserMessage, raw.DebugErrorMessage = fallback.Error, fallback.UserMessage, fallback.DebugErrorMessage
		raw.Errors = nil
	}
	var d ErrorDetail
	var inner struct {
		UserMessage       json.RawMessage `json:"userMessage"`
		DebugErrorMessage json.RawMessage `json:"debugErrorMessage"`
	}
	if len(raw.Error) > 0 && json.Unmarshal(raw.Error, &inner) == nil {
		d.UserMessage = jsonText(inner.UserMessage)
		d.DebugErrorMessage = jsonText(inner.DebugErrorMessage)
	} else if s := jsonText(raw.Error); s != "" {
		// {"error":"text"}, as OAuth-style servers write.
		d.UserMessage = s
	}
	if d.UserMessage == "" && d.DebugErrorMessage == "" {
		d.UserMessage = jsonText(raw.UserMessage)
		d.DebugErrorMessage = jsonText(raw.DebugErrorMessage)
	}
	if d.UserMessage == "" && d.DebugErrorMessage == "" {
		var msgs []string
		for _, e := range raw.Errors {
			if s := jsonText(e.ErrorMessage); s != "" {
				msgs = append(msgs, s)
			}
		}
		d.UserMessage = strings.Join(msgs, " ")
	}
	d.UserMessage = truncate(d.UserMessage, MaxErrorMessageLength)
	d.DebugErrorMessage = truncate(d.DebugErrorMessage, MaxErrorMessageLength)
	return d, d.UserMessage != "" || d.DebugErrorMessage != ""
}

// jsonText returns a JSON string's value, trimmed, or "" for anything else.
func jsonText(v json.RawMessage) string {
	var s string
	if len(v) == 0 || json.Unmarshal(v, &s) != nil {
		return ""
	}
	return strings.TrimSpace(strings.ToValidUTF8(s, "\uFFFD"))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
