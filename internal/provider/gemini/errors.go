package gemini

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
	// maxRetryAfter caps an upstream's retry hint.
	maxRetryAfter = 24 * time.Hour
)

// statusKinds maps google.rpc canonical codes to their HTTP status and
// OpenRouter's error_type.
var statusKinds = map[string]struct {
	status int
	typ    string
}{
	"INVALID_ARGUMENT":    {400, "invalid_request"},
	"FAILED_PRECONDITION": {400, "invalid_request"},
	"OUT_OF_RANGE":        {400, "invalid_request"},
	"UNAUTHENTICATED":     {401, "authentication"},
	"PERMISSION_DENIED":   {403, "authentication"},
	"NOT_FOUND":           {404, "not_found"},
	"RESOURCE_EXHAUSTED":  {429, "rate_limit_exceeded"},
	"CANCELLED":           {499, "server"},
	"INTERNAL":            {500, "server"},
	"UNKNOWN":             {500, "server"},
	"UNAVAILABLE":         {503, "provider_overloaded"},
	"DEADLINE_EXCEEDED":   {504, "timeout"},
}

// errorBody is google.rpc.Status wrapped in {"error":…}.
type errorBody struct {
	Error *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
		Details []struct {
			Type       string `json:"@type"`
			Reason     string `json:"reason"`
			RetryDelay string `json:"retryDelay"`
		} `json:"details"`
	} `json:"error"`
}

// errorDetails is what an error body says.
type errorDetails struct {
	code       int
	status     string
	message    string
	reason     string
	retryDelay time.Duration
}

// errorObject returns the {"error":…} object of body, which may also be
// wrapped in a JSON array (the non-SSE stream's framing), or nil.
func errorObject(body []byte) *errorBody {
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '[' {
		var arr []json.RawMessage
		if json.Unmarshal(body, &arr) != nil || len(arr) == 0 {
			return nil
		}
		body = arr[0]
	}
	var e errorBody
	if json.Unmarshal(body, &e) != nil || e.Error == nil {
		return nil
	}
	return &e
}

func parseError(body []byte) errorDetails {
	var d errorDetails
	if e := errorObject(body); e != nil {
		d.code, d.status, d.message = e.Error.Code, e.Error.Status, strings.TrimSpace(e.Error.Message)
		for _, det := range e.Error.Details {
			if det.Reason != "" && d.reason == "" {
				d.reason = det.Reason
			}
			if det.RetryDelay != "" {
				if t, err := time.ParseDuration(det.RetryDelay); err == nil && t > 0 {
					d.retryDelay = min(t, maxRetryAfter)
				}
			}
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
	case strings.Contains(msg, "exceeds the maximum number of tokens"), strings.Contains(msg, "context window"),
		strings.Contains(msg, "context length"):
		if status == 0 || status < 500 {
			return "context_length_exceeded"
		}
	case d.reason == "API_KEY_INVALID":
		return "authentication"
	}
	if k, ok := statusKinds[d.status]; ok {
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
		Code:       d.status,
		Message:    d.message,
		Raw:        string(body),
		RetryAfter: provider.RetryAfter(resp.Header, now, maxRetryAfter),
	}
	if e.RetryAfter == 0 {
		e.RetryAfter = d.retryDelay
	}
	if e.Message == "" {
		e.Message = strings.TrimSpace(fmt.Sprintf("upstream returned status %d %s", resp.StatusCode, http.StatusText(resp.StatusCode)))
	}
	return e
}

// inBandError builds the error for an error object in a stream, or an
// error body sent with a success status. Its Status is the body's code,
// else the one the canonical status implies, so that Retryable answers as
// it would for the HTTP error.
func inBandError(name string, body []byte) *provider.Error {
	d := parseError(body)
	status := d.code
	if status < 400 || status > 599 {
		status = statusKinds[d.status].status
	}
	e := &provider.Error{
		Provider:   name,
		Status:     status,
		Type:       d.classify(status),
		Code:       d.status,
		Message:    d.message,
		Raw:        provider.ClipBytes(body, maxErrorBody),
		RetryAfter: d.retryDelay,
	}
	if e.Message == "" {
		e.Message = "upstream reported an error"
	}
	return e
}
