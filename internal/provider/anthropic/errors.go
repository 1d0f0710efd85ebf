package anthropic

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

// errorKinds maps Anthropic's error types to their HTTP status and
// OpenRouter's error_type.
var errorKinds = map[string]struct {
	status int
	typ    string
}{
	"invalid_request_error": {400, "invalid_request"},
	"authentication_error":  {401, "authentication"},
	"billing_error":         {402, "payment_required"},
	"permission_error":      {403, "permission_denied"},
	"not_found_error":       {404, "not_found"},
	"request_too_large":     {413, "payload_too_large"},
	"rate_limit_error":      {429, "rate_limit_exceeded"},
	"api_error":             {500, "server"},
	"timeout_error":         {504, "timeout"},
	"overloaded_error":      {529, "provider_overloaded"},
}

// errorBody is {"type":"error","error":{"type","message","details"}}.
type errorBody struct {
	Type  string `json:"type"`
	Error *struct {
		Type    string `json:"type"`
		Message string `json:"message"`
		Details *struct {
			ErrorCode string `json:"error_code"`
		} `json:"details"`
	} `json:"error"`
}

// errorDetails is what an error body says.
type errorDetails struct {
	typ, message, code string
}

func parseError(body []byte) errorDetails {
	var d errorDetails
	var e errorBody
	if json.Unmarshal(body, &e) == nil && e.Error != nil {
		d.typ, d.message = e.Error.Type, strings.TrimSpace(e.Error.Message)
		if e.Error.Details != nil {
			d.code = e.Error.Details.ErrorCode
		}
	}
	if d.message == "" {
		d.message = string(bytes.TrimSpace(body))
	}
	d.message = provider.ClipMessage(d.message, maxMessage)
	return d
}

// classify returns OpenRouter's error_type for an error with status.
func (d *errorDetails) classify(status int) string {
	msg := strings.ToLower(d.message)
	switch {
	case strings.Contains(msg, "prompt is too long"), strings.Contains(msg, "context window"),
		strings.Contains(msg, "context length"):
		if status == 0 || status < 500 {
			return "context_length_exceeded"
		}
	case d.code == "enforced_spend_limit_reached":
		return "payment_required"
	}
	if k, ok := errorKinds[d.typ]; ok {
		return k.typ
	}
	if status == 0 {
		return "server"
	}
	return provider.ErrorType(status)
}

// statusError builds the error for a non-2xx upstream response. It reads
// at most maxErrorBody bytes of the body; the caller closes it.
func statusError(name string, resp *http.Response, now time.Time) *provider.Error {
	body := provider.ReadErrorBody(resp.Body, maxErrorBody)
	d := parseError(body)
	e := &provider.Error{
		Provider:   name,
		Status:     resp.StatusCode,
		Type:       d.classify(resp.StatusCode),
		Code:       d.typ,
		Message:    d.message,
		Raw:        string(body),
		RetryAfter: provider.RetryAfter(resp.Header, now, maxRetryAfter),
	}
	if d.code != "" {
		e.Code = d.code
	}
	if e.Message == "" {
		e.Message = strings.TrimSpace(fmt.Sprintf("upstream returned status %d %s", resp.StatusCode, http.StatusText(resp.StatusCode)))
	}
	return e
}

// inBandError builds the error for an error event in a stream, or an
// error body sent with a success status. Its Status is the one Anthropic
// documents for the error type (529 for overloaded_error), so that
// Retryable answers as it would for the HTTP error.
func inBandError(name string, body []byte) *provider.Error {
	d := parseError(body)
	status := errorKinds[d.typ].status
	e := &provider.Error{
		Provider: name,
		Status:   status,
		Type:     d.classify(status),
		Code:     d.typ,
		Message:  d.message,
		Raw:      provider.ClipBytes(body, maxErrorBody),
	}
	if d.code != "" {
		e.Code = d.code
	}
	if e.Message == "" {
		e.Message = "upstream reported an error"
	}
	return e
}
