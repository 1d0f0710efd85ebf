package router

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/switchyard-dev/switchyard/internal/apierr"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

// attemptsError is a request's failure with the routing attempts made
// before it, for the generation record.
type attemptsError struct {
	err      error
	attempts []Attempt
}

func (e *attemptsError) Error() string { return e.err.Error() }
func (e *attemptsError) Unwrap() error { return e.err }

// withAttempts attaches attempts (if any) to err.
func withAttempts(err error, attempts []Attempt) error {
	if len(attempts) == 0 {
		return err
	}
	return &attemptsError{err: err, attempts: attempts}
}

// AttemptsOf returns the routing attempts made before Chat or ChatStream
// failed with err: every endpoint tried, in order; none when the request
// failed before any was tried.
func AttemptsOf(err error) []Attempt {
	var ae *attemptsError
	if errors.As(err, &ae) {
		return ae.attempts
	}
	return nil
}

// failure builds the client error after every attempt failed: the last
// upstream error, with the others listed in metadata.previous_errors.
func failure(attempts []Attempt) error {
	last := attempts[len(attempts)-1]
	var pe *provider.Error
	if !errors.As(last.Err, &pe) {
		return apierr.Wrap(apierr.Upstream, last.Err, "upstream request failed")
	}
	e := UpstreamError(pe)
	if len(attempts) > 1 {
		prev := make([]map[string]any, 0, len(attempts)-1)
		for _, a := range attempts[:len(attempts)-1] {
			entry := map[string]any{"provider": a.Name, "model": a.Model, "status": a.Status}
			var ape *provider.Error
			if errors.As(a.Err, &ape) {
				entry["code"] = ape.Type
				entry["message"] = ape.Message
			}
			prev = append(prev, entry)
		}
		e.With("previous_errors", prev)
	}
	return e
}

// UpstreamError converts an upstream failure into the client error: the
// upstream's own reason in the message (never an opaque "Provider returned
// error"), and provider_name, raw, error_type and provider_code in metadata.
func UpstreamError(pe *provider.Error) *apierr.Error {
	e := &apierr.Error{Kind: kindOf(pe), Cause: pe, RetryAfter: pe.RetryAfter}
	switch {
	case pe.Status != 0:
		e.Message = fmt.Sprintf("%s returned %d: %s", pe.Provider, pe.Status, pe.Message)
	default:
		e.Message = fmt.Sprintf("%s: %s", pe.Provider, pe.Message)
	}
	e.With("provider_name", pe.Provider).With("error_type", orDefault(pe.Type, "unmapped"))
	if pe.Raw != "" {
		e.With("raw", pe.Raw)
	}
	if pe.Code != "" {
		e.With("provider_code", pe.Code)
	}
	return e
}

// kindOf is the one mapping from an upstream failure to a client status.
// The upstream's verdict on the request itself (400, 413, 422) is the
// client's to fix and passes through; failures of the upstream or of our
// credentials with it are a bad gateway.
func kindOf(pe *provider.Error) apierr.Kind {
	switch {
	case pe.Type == "timeout" || pe.Status == http.StatusRequestTimeout || pe.Status == http.StatusGatewayTimeout:
		return apierr.Timeout
	case pe.Status == http.StatusTooManyRequests || pe.Type == "rate_limit_exceeded":
		return apierr.RateLimited
	case pe.Status == http.StatusBadRequest || pe.Status == http.StatusUnprocessableEntity:
		return apierr.InvalidRequest
	case pe.Status == http.StatusRequestEntityTooLarge:
		return apierr.TooLarge
	case pe.Status == http.StatusServiceUnavailable || pe.Status == 529:
		return apierr.Unavailable
	}
	return apierr.Upstream
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
