package platform

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/heraldhq/herald"
)

// decodeJSON reads the request body, which must be Content-Type
// application/json and at most MaxBodyBytes long, into dst. Unknown keys,
// values of the wrong JSON type and anything after the first value are
// refused with a message naming the problem.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return herald.Errorf(codeUnsupportedMedia, "Content-Type must be application/json")
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return herald.Errorf(codeUnsupportedMedia, "Content-Type charset must be utf-8")
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return decodeError(err)
		}
		return herald.Errorf(herald.EINVALID, "malformed JSON: the body must hold one JSON object and nothing after it")
	}
	return nil
}

// decodeError turns a decoding error into a *herald.Error that says what is
// wrong and where, without quoting the body.
func decodeError(err error) error {
	var (
		mbe *http.MaxBytesError
		se  *json.SyntaxError
		ute *json.UnmarshalTypeError
		he  *herald.Error
	)
	switch {
	case errors.As(err, &mbe):
		return herald.Errorf(herald.ETOOLARGE, "request body is larger than the limit of %d bytes", mbe.Limit)
	case errors.Is(err, io.EOF):
		return herald.Errorf(herald.EINVALID, "request body is empty; a JSON object is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return herald.Errorf(herald.EINVALID, "malformed JSON: the body ends in the middle of a value")
	case errors.As(err, &se):
		return herald.Errorf(herald.EINVALID, "malformed JSON at byte %d", se.Offset)
	case errors.As(err, &ute):
		if ute.Field == "" {
			return herald.Errorf(herald.EINVALID, "request body must be a JSON object")
		}
		return herald.Errorf(herald.EINVALID, "%s has the wrong JSON type (%s)", ute.Field, ute.Value)
	case errors.As(err, &he):
		return err // from an UnmarshalJSON method of ours
	}
	// encoding/json has no error type for an unknown key, only this text.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return herald.Errorf(herald.EINVALID, "unknown field %s", name)
	}
	return herald.Errorf(herald.EINVALID, "the request body could not be read")
}
