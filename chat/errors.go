package chat

import (
	"errors"
	"fmt"
	"time"
)

// Code classifies an error for clients. The catalogue is PROTOCOL.md §3.6.
// Domain packages return codes, never statuses: the HTTP status (and
// Retry-After) is derived in one place in package web (writeError), the
// WebSocket error frame in one place here (errorFrame).
type Code string

const (
	CodeInvalid      Code = "invalid"
	CodeUnauthorized Code = "unauthorized"
	CodeNotFound     Code = "not_found"
	CodeConflict     Code = "conflict"
	CodeRateLimited  Code = "rate_limited"
	CodeUnavailable  Code = "unavailable"
	CodeClosed       Code = "closed"
	CodeInternal     Code = "internal"
)

// Error is an error that is safe to show to a client: Message never contains
// internal details.
type Error struct {
	Code    Code
	Message string
	// RetryAfter, when set, is how long the client should wait before trying
	// again; over HTTP it becomes the Retry-After header.
	RetryAfter time.Duration
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Errorf builds a client-safe error.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrNotFound is returned for a conversation that does not exist and, on
// purpose, for one the caller may not see: the two must look the same.
var ErrNotFound = &Error{Code: CodeNotFound, Message: "no such conversation"}

// ErrorCode returns the client code of err, CodeInternal for anything that is
// not an *Error.
func ErrorCode(err error) Code {
	var se *storeError
	if errors.As(err, &se) {
		return CodeUnavailable
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var closed *ClosedError
	if errors.As(err, &closed) {
		return CodeClosed
	}
	return CodeInternal
}

// PublicMessage returns text about err that may be shown to a client.
func PublicMessage(err error) string {
	var se *storeError
	if errors.As(err, &se) {
		return "the service is briefly unavailable; try again in a moment"
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	var closed *ClosedError
	if errors.As(err, &closed) {
		return closed.Reason
	}
	return "something went wrong on our side"
}

func asError(err error, target **Error) bool           { return errors.As(err, target) }
func asStoreError(err error, target **storeError) bool { return errors.As(err, target) }

// unavailable marks err as a database failure (once: a failure already
// marked keeps its cause).
func unavailable(err error) error {
	var se *storeError
	if errors.As(err, &se) {
		return err
	}
	return &storeError{cause: err}
}

// storeError is a database failure: the client sees "unavailable, retry",
// the log sees the cause.
type storeError struct{ cause error }

func (e *storeError) Error() string { return "storing failed: " + e.cause.Error() }
func (e *storeError) Unwrap() error { return e.cause }
