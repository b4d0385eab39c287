// Package apierr is livesell's one error shape for every HTTP API:
//
//	{"error": {"code": "sold_out", "message": "product p1 is sold out"}}
//
// A handler returns an *Error (or wraps one with %w); the Fiber error handler
// installed by the server maps it to its status in one place. Anything that is
// not an *Error becomes a 500 with a generic message, and the cause is logged,
// never shown.
package apierr

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Error is an API error with a stable code from the catalogue.
type Error struct {
	// Status is the HTTP status; E and New take it from the catalogue.
	Status int
	// Code is stable and machine-readable, e.g. "invalid_sdp".
	Code Code
	// Message is for people; it never contains secrets.
	Message string
	// RetryAfter, when positive, is sent as a Retry-After header.
	RetryAfter time.Duration
	// Err is the cause, logged but never sent.
	Err error
}

// E returns the error of code with a message made of format and args (the
// catalogue's default message when format is empty). A code that is not in
// the catalogue becomes an internal error: it is a bug, never shown.
func E(code Code, format string, args ...any) *Error {
	ent, ok := byCode[code]
	if !ok {
		return Internal(fmt.Errorf("apierr: code %q is not in the catalogue", code))
	}
	msg := ent.Message
	if format != "" {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{Status: ent.Status, Code: code, Message: msg, RetryAfter: ent.RetryAfter}
}

// New returns the error of code with the catalogue's default message.
func New(code Code) *Error { return E(code, "") }

// Wrap returns the error of code with its default message, recording cause
// for the logs.
func Wrap(code Code, cause error) *Error { return E(code, "").WithCause(cause) }

func (e *Error) Error() string {
	if e.Err != nil {
		return string(e.Code) + ": " + e.Message + ": " + e.Err.Error()
	}
	return string(e.Code) + ": " + e.Message
}

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, apierr.New(apierr.CodeSoldOut)) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// WithCause returns a copy of e that records cause for the logs.
func (e *Error) WithCause(cause error) *Error {
	c := *e
	c.Err = cause
	return &c
}

// WithRetryAfter returns a copy of e that asks the client to retry after d.
func (e *Error) WithRetryAfter(d time.Duration) *Error {
	c := *e
	c.RetryAfter = d
	return &c
}

// RetryAfterHeader is the Retry-After value in whole seconds (at least 1).
func (e *Error) RetryAfterHeader() string {
	s := int(e.RetryAfter.Round(time.Second) / time.Second)
	if s < 1 {
		s = 1
	}
	return strconv.Itoa(s)
}

// CodeOf returns the catalogue code of err ("internal" for an error that
// is not an *Error).
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// Body is the JSON document sent for an error.
type Body struct {
	Error BodyError `json:"error"`
}

// BodyError is the inner object of Body.
type BodyError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Body returns the JSON document for e.
func (e *Error) Body() Body { return Body{Error: BodyError{Code: string(e.Code), Message: e.Message}} }

// The helpers below choose a status by hand and are kept only while callers
// move to E and New; they will be removed.

func newf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: Code(code), Message: fmt.Sprintf(format, args...)}
}

// BadRequest is a 400: the request is malformed.
//
// Deprecated: use E with a catalogue code.
func BadRequest(code, format string, args ...any) *Error {
	return newf(http.StatusBadRequest, code, format, args...)
}

// Unauthorized is a 401: credentials are missing or invalid.
//
// Deprecated: use E with a catalogue code.
func Unauthorized(code, format string, args ...any) *Error {
	return newf(http.StatusUnauthorized, code, format, args...)
}

// Forbidden is a 403: the credentials are valid but not allowed to do this.
//
// Deprecated: use E with a catalogue code.
func Forbidden(code, format string, args ...any) *Error {
	return newf(http.StatusForbidden, code, format, args...)
}

// NotFound is a 404.
//
// Deprecated: use E with a catalogue code.
func NotFound(code, format string, args ...any) *Error {
	return newf(http.StatusNotFound, code, format, args...)
}

// MethodNotAllowed is a 405.
//
// Deprecated: use E with a catalogue code.
func MethodNotAllowed(format string, args ...any) *Error {
	return newf(http.StatusMethodNotAllowed, "method_not_allowed", format, args...)
}

// Conflict is a 409: the request clashes with the resource's state.
//
// Deprecated: use E with a catalogue code.
func Conflict(code, format string, args ...any) *Error {
	return newf(http.StatusConflict, code, format, args...)
}

// PreconditionFailed is a 412: a conditional request's ETag did not match.
//
// Deprecated: use E with a catalogue code.
func PreconditionFailed(code, format string, args ...any) *Error {
	return newf(http.StatusPreconditionFailed, code, format, args...)
}

// TooLarge is a 413: the body is over the limit.
//
// Deprecated: use E with a catalogue code.
func TooLarge(format string, args ...any) *Error {
	return newf(http.StatusRequestEntityTooLarge, "body_too_large", format, args...)
}

// UnsupportedMediaType is a 415: the Content-Type is not accepted.
//
// Deprecated: use E with a catalogue code.
func UnsupportedMediaType(format string, args ...any) *Error {
	return newf(http.StatusUnsupportedMediaType, "unsupported_media_type", format, args...)
}

// Unprocessable is a 422: well-formed but not acceptable.
//
// Deprecated: use E with a catalogue code.
func Unprocessable(code, format string, args ...any) *Error {
	return newf(http.StatusUnprocessableEntity, code, format, args...)
}

// PreconditionRequired is a 428: a conditional header is required.
//
// Deprecated: use E with a catalogue code.
func PreconditionRequired(code, format string, args ...any) *Error {
	return newf(http.StatusPreconditionRequired, code, format, args...)
}

// TooManyRequests is a 429: a rate limit was hit.
//
// Deprecated: use E with a catalogue code.
func TooManyRequests(code, format string, args ...any) *Error {
	return newf(http.StatusTooManyRequests, code, format, args...)
}

// Unavailable is a 503: the node cannot take the request now.
//
// Deprecated: use E with a catalogue code.
func Unavailable(code, format string, args ...any) *Error {
	return newf(http.StatusServiceUnavailable, code, format, args...)
}

// Internal is a 500 whose cause is logged and never shown.
func Internal(cause error) *Error {
	return &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "internal server error", Err: cause}
}

// From returns the *Error in err's chain, or an Internal error wrapping err.
func From(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal(err)
}
