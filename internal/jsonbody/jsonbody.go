// Package jsonbody reads JSON request bodies strictly and turns every way
// they can be wrong into a *herald.Error a caller can act on. The management
// API and the platform API share it, so both refuse the same mistakes with
// the same words.
package jsonbody

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/heraldhq/herald"
)

// UnsupportedMediaType is the error code of a body that is not
// Content-Type application/json (HTTP 415).
const UnsupportedMediaType = "unsupported_media_type"

// Decode reads the request body, which must be Content-Type
// application/json and at most limit bytes long, into dst. It is strict:
// unknown keys, values of the wrong JSON type and anything after the first
// JSON value are refused. Every failure is a *herald.Error whose message
// names the problem and never quotes the body.
func Decode(w http.ResponseWriter, r *http.Request, dst any, limit int64) error {
	if err := checkContentType(r.Header.Get("Content-Type")); err != nil {
		return err
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	// One JSON value only: "{...} {...}" or "{...} x" is a malformed body,
	// not a body with ignorable trailing bytes.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return decodeError(err)
		}
		return herald.Errorf(herald.EINVALID, "malformed JSON: the body must hold one JSON object and nothing after it")
	}
	return nil
}

// checkContentType returns UnsupportedMediaType unless ct is
// application/json, with at most a UTF-8 charset.
func checkContentType(ct string) error {
	if ct == "" {
		return herald.Errorf(UnsupportedMediaType, "Content-Type application/json is required")
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return herald.Errorf(UnsupportedMediaType, "Content-Type must be application/json")
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return herald.Errorf(UnsupportedMediaType, "Content-Type charset must be utf-8")
	}
	return nil
}

// decodeError turns an encoding/json or body-reading error into a
// *herald.Error that says what is wrong and where.
func decodeError(err error) error {
	var (
		mbe *http.MaxBytesError
		se  *json.SyntaxError
		ute *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &mbe):
		return herald.Errorf(herald.ETOOLARGE, "request body is larger than the limit of %d bytes", mbe.Limit)
	case errors.Is(err, io.EOF):
		return herald.Errorf(herald.EINVALID, "request body is empty; a JSON object is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return herald.Errorf(herald.EINVALID, "malformed JSON: the body ends in the middle of a value")
	case errors.As(err, &se):
		return herald.Errorf(herald.EINVALID, "malformed JSON at byte %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "json: "))
	case errors.As(err, &ute):
		if ute.Field == "" {
			return herald.Errorf(herald.EINVALID, "request body must be %s, not JSON %s", describeType(ute.Type), ute.Value)
		}
		return herald.Errorf(herald.EINVALID, "%s must be %s, not JSON %s", ute.Field, describeType(ute.Type), ute.Value)
	}
	// encoding/json has no error type for an unknown key, only this text
	// ("json: unknown field \"x\""); matching it is the one way to tell.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return herald.Errorf(herald.EINVALID, "unknown field %s", name)
	}
	var he *herald.Error
	if errors.As(err, &he) {
		return err // from an UnmarshalJSON method of ours
	}
	// A read error other than the limit: the connection broke mid-body.
	return herald.Errorf(herald.EINVALID, "reading request body: %s", err.Error())
}

// describeType names the JSON a Go type takes, for error messages.
func describeType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return fmt.Sprintf("a %s", t.Kind())
}
