package herald

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in the api and web packages.
const (
	ECONFLICT     = "conflict"     // the record exists already, or its state forbids the change
	EINTERNAL     = "internal"     // our fault; the details are logged, never shown
	EINVALID      = "invalid"      // the caller's input breaks a rule the message names
	ENOTFOUND     = "not_found"    // no such record for this caller
	EUNAUTHORIZED = "unauthorized" // missing or wrong credentials
	ETOOLARGE     = "too_large"    // the input is over a documented size limit
	EUNAVAILABLE  = "unavailable"  // shutting down or overloaded; try again
)

// Error is an error a user or API caller can act on: a stable Code and a
// Message that is safe to show. Anything that is not an *Error is internal.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("herald error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err if it is, or wraps, an *Error, and
// EINTERNAL for any other non-nil error.
func ErrorCode(err error) string {
	if err == nil {
		// Before e is declared: errors.As makes it escape, and the
		// dispatcher asks this of every attempt's nil error.
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of err if it is, or wraps, an *Error, and
// "Internal error." for anything else, so internal details never leak.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// NotFound is the ENOTFOUND error for a record of that kind and id, worded
// once for every store: `customer "2187" not found`.
func NotFound(kind, id string) *Error {
	return Errorf(ENOTFOUND, "%s %q not found", kind, id)
}

// Exists is the ECONFLICT error for creating a record whose id is taken,
// worded once for every store: `endpoint "ep_..." exists already`.
func Exists(kind, id string) *Error {
	return Errorf(ECONFLICT, "%s %q exists already", kind, id)
}
