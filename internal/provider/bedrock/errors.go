package bedrock

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
	maxErrorBody  = 64 << 10
	maxMessage    = 1 << 10
	maxRetryAfter = 24 * time.Hour
)

// exceptionKinds maps Bedrock's exception names (lower-cased, so that
// HTTP error types and event-stream member names agree) to their HTTP
// status and OpenRouter's error_type.
var exceptionKinds = map[string]struct {
	status int
	typ    string
}{
	"validationexception":           {400, "invalid_request"},
	"unrecognizedclientexception":   {403, "authentication"},
	"invalidsignatureexception":     {403, "authentication"},
	"accessdeniedexception":         {403, "permission_denied"},
	"resourcenotfoundexception":     {404, "not_found"},
	"modeltimeoutexception":         {408, "timeout"},
	"modelerrorexception":           {424, "server"},
	"modelstreamerrorexception":     {424, "server"},
	"throttlingexception":           {429, "rate_limit_exceeded"},
	"modelnotreadyexception":        {429, "provider_overloaded"},
	"servicequotaexceededexception": {429, "rate_limit_exceeded"},
	"internalserverexception":       {500, "server"},
	"serviceunavailableexception":   {503, "provider_overloaded"},
}

// errorBody is {"message": …} (sometimes "Message", sometimes "__type").
type errorBody struct {
	Message  string `json:"message"`
	MessageU string `json:"Message"`
	Type     string `json:"__type"`
}

// errorName strips the namespace from "Name:namespace" or "ns#Name".
func errorName(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '#'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

func parseBody(body []byte) (typ, msg string) {
	var e errorBody
	if json.Unmarshal(body, &e) == nil {
		typ, msg = errorName(e.Type), strings.TrimSpace(e.Message)
		if msg == "" {
			msg = strings.TrimSpace(e.MessageU)
		}
	}
	if msg == "" {
		msg = string(bytes.TrimSpace(body))
	}
	return typ, provider.ClipMessage(msg, maxMessage)
}

// classify returns OpenRouter's error_type for exception typ with status.
func classify(typ, msg string, status int) string {
	lower := strings.ToLower(msg)
	if (status == 0 || status < 500) && (strings.Contains(lower, "input is too long") ||
		strings.Contains(lower, "too many input tokens") || strings.Contains(lower, "context length") ||
		strings.Contains(lower, "context window")) {
		return "context_length_exceeded"
	}
	if k, ok := exceptionKinds[strings.ToLower(typ)]; ok {
		return k.typ
	}
	if status == 0 {
		return "server"
	}
	return provider.ErrorType(status)
}

// statusError builds the error for a non-2xx upstream response.
func statusError(name string, resp *http.Response, now time.Time) *provider.Error {
	body := provider.ReadErrorBody(resp.Body, maxErrorBody)
	typ, msg := parseBody(body)
	if h := errorName(resp.Header.Get("X-Amzn-Errortype")); h != "" {
		typ = h
	}
	e := &provider.Error{
		Provider:   name,
		Status:     resp.StatusCode,
		Type:       classify(typ, msg, resp.StatusCode),
		Code:       typ,
		Message:    msg,
		Raw:        string(body),
		RetryAfter: provider.RetryAfter(resp.Header, now, maxRetryAfter),
	}
	if e.Message == "" {
		e.Message = strings.TrimSpace(fmt.Sprintf("upstream returned status %d %s", resp.StatusCode, http.StatusText(resp.StatusCode)))
	}
	return e
}

// exceptionError builds the error for an exception frame of a stream. Its
// Status is the one Bedrock documents for the exception, so that
// Retryable answers as it would for the HTTP error.
func exceptionError(name, typ string, payload []byte) *provider.Error {
	_, msg := parseBody(payload)
	k, ok := exceptionKinds[strings.ToLower(typ)]
	status := k.status
	if !ok {
		status = http.StatusInternalServerError
	}
	e := &provider.Error{
		Provider: name,
		Status:   status,
		Type:     classify(typ, msg, status),
		Code:     typ,
		Message:  msg,
		Raw:      provider.ClipBytes(payload, maxErrorBody),
	}
	if e.Message == "" {
		e.Message = "upstream reported " + typ
	}
	return e
}
