// Package apierr defines the errors Switchyard returns to API clients. Each
// error has a Kind; Kind.Status is the one place a kind becomes an HTTP
// status. The client-facing message is kept apart from the logged cause.
package apierr

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Kind classifies an error for the client.
type Kind int

// Kinds, each mapped to a status by Kind.Status.
const (
	Internal        Kind = iota // 500: a bug or an unexpected failure
	InvalidRequest              // 400: bad JSON, missing fields, unknown model
	Unauthorized                // 401: missing, unknown or disabled key
	PaymentRequired             // 402: no credits left
	Forbidden                   // 403: a key that may not call this endpoint
	NotFound                    // 404: no endpoint for the model, unknown resource
	Timeout                     // 408: the upstream did not answer in time
	TooLarge                    // 413: body over the configured limit
	RateLimited                 // 429: upstream or platform rate limit
	Upstream                    // 502: the upstream failed or answered garbage
	Unavailable                 // 503: nothing can serve the request right now
	Gone                        // 410: a retired model
)

// Status returns the HTTP status of k.
func (k Kind) Status() int {
	switch k {
	case InvalidRequest:
		return http.StatusBadRequest
	case Unauthorized:
		return http.StatusUnauthorized
	case PaymentRequired:
		return http.StatusPaymentRequired
	case Forbidden:
		return http.StatusForbidden
	case NotFound:
		return http.StatusNotFound
	case Timeout:
		return http.StatusRequestTimeout
	case TooLarge:
		return http.StatusRequestEntityTooLarge
	case RateLimited:
		return http.StatusTooManyRequests
	case Upstream:
		return http.StatusBadGateway
	case Unavailable:
		return http.StatusServiceUnavailable
	case Gone:
		return http.StatusGone
	}
	return http.StatusInternalServerError
}

// Error is an error destined for an API client.
type Error struct {
	Kind Kind
	// Message is shown to the client. It must never contain secrets.
	Message string
	// Metadata is rendered as error.metadata (provider_name, raw, error_type, …).
	Metadata map[string]any
	// RetryAfter, when positive, is sent as a Retry-After header.
	RetryAfter time.Duration
	// Cause is logged, never shown.
	Cause error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %v", e.Message, e.Cause)
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Cause }

// New returns an error of kind k with a client message.
func New(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an error of kind k with a client message and a logged cause.
func Wrap(k Kind, cause error, message string) *Error {
	return &Error{Kind: k, Message: message, Cause: cause}
}

// With adds a metadata entry and returns e.
func (e *Error) With(key string, value any) *Error {
	if e.Metadata == nil {
		e.Metadata = make(map[string]any)
	}
	e.Metadata[key] = value
	return e
}

// From returns err as an *Error, treating anything else as Internal with a
// generic message (the cause is logged, not shown).
func From(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Kind: Internal, Message: "internal error", Cause: err}
}
