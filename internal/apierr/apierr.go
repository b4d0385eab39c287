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
