package cohere

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/switchyard-dev/switchyard/internal/provider"
)

const (
	// maxErrorBody bounds how much of an error response is read.
	maxErrorBody = 64 << 10
	// maxMessage bounds an error message taken from raw text.
	maxMessage = 1 << 10
	// maxRetryAfter caps an upstream's Retry-After hint.
	maxRetryAfter = 24 * time.Hour
)

// errorBody is Cohere's error body: {"id":"…","message":"…"}.
type errorBody struct {
	ID      string `json:"id"`
	Message string `json:"message"`
}

// parseError returns the message of an error body, or the body itself.
func parseError(body []byte) string {
	var e errorBody
	msg := ""
	if json.Unmarshal(body, &e) == nil {
		msg = strings.TrimSpace(e.Message)
	}
	if msg == "" {
		msg = string(bytes.TrimSpace(body))
	}
	return provider.ClipMessage(msg, maxMessage)
}

// classify returns OpenRouter's error_type for an error with status and
// message. Cohere has no error codes, so context overflows are recognised
// by their message.
func classify(status int, message string) string {
	msg := strings.ToLower(message)
	if (status == 0 || status < 500) &&
		(strings.Contains(msg, "too many tokens") || strings.Contains(msg, "context")) {
		return "context_length_exceeded"
	}
	switch status {
	case 0:
		return "server"
	case 498: // InvalidToken
		return "authentication"
	case 499: // RequestCancelled
		return "server"
	}
	return provider.ErrorType(status)
}

// statusError builds the error for a non-2xx upstream response. It reads
// at most maxErrorBody bytes of the body; the caller closes it.
func statusError(name string, resp *http.Response, now time.Time) *provider.Error {
	body := provider.ReadErrorBody(resp.Body, maxErrorBody)
	msg := parseError(body)
	e := &provider.Error{
		Provider:   name,
		Status:     resp.StatusCode,
		Type:       classify(resp.StatusCode, msg),
		Message:    msg,
		Raw:        string(body),
		RetryAfter: provider.RetryAfter(resp.Header, now, maxRetryAfter),
	}
	if e.Message == "" {
		e.Message = strings.TrimSpace(fmt.Sprintf("upstream returned status %d %s", resp.StatusCode, http.StatusText(resp.StatusCode)))
	}
	return e
}

// inBandError builds the error for an error body sent with a success
// status.
func inBandError(name string, body []byte) *provider.Error {
	msg := parseError(body)
	e := &provider.Error{
		Provider: name,
		Type:     classify(0, msg),
		Message:  msg,
		Raw:      provider.ClipBytes(body, maxErrorBody),
	}
	if e.Message == "" {
		e.Message = "upstream reported an error"
	}
	return e
}

// streamError builds the error for a message-end event that reports an
// error: finish_reason ERROR (or TIMEOUT) with delta.error.
func streamError(name, finish, message string, raw []byte) *provider.Error {
	message = provider.ClipMessage(strings.TrimSpace(message), maxMessage)
	e := &provider.Error{
		Provider: name,
		Type:     classify(0, message),
		Code:     finish,
		Message:  message,
		Raw:      provider.ClipBytes(raw, maxErrorBody),
	}
	if finish == "TIMEOUT" && e.Type == "server" {
		e.Type = "timeout"
	}
	if e.Message == "" {
		e.Message = "upstream reported an error"
	}
	return e
}
