package chat

import (
	"errors"
	"fmt"
	"time"
)

// Code classifies an error for clients. The catalogue is PROTOCOL.md §3.6; the
// HTTP status and WebSocket error frame are both derived from it in one place.
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

// HTTPStatus maps an error to its HTTP status.
func HTTPStatus(err error) int {
	switch ErrorCode(err) {
	case CodeInvalid:
		return 400
	case CodeUnauthorized:
		return 401
	case CodeNotFound:
		return 404
	case CodeConflict:
		return 409
	case CodeRateLimited:
		return 429
	case CodeUnavailable, CodeClosed:
		return 503
	default:
		return 500
	}
}

func asError(err error, target **Error) bool           { return errors.As(err, target) }
func asStoreError(err error, target **storeError) bool { return errors.As(err, target) }
