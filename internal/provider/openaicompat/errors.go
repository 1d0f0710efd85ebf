package openaicompat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
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

// statusError builds the error for a non-2xx upstream response. It reads
// at most maxErrorBody bytes of the body; the caller closes it.
func statusError(name string, resp *http.Response, now time.Time) *provider.Error {
	body := provider.ReadErrorBody(resp.Body, maxErrorBody)
	d := parseError(body)
	e := &provider.Error{
		Provider:   name,
		Status:     resp.StatusCode,
		Type:       d.classify(resp.StatusCode),
		Code:       d.code,
		Message:    d.message,
		Raw:        string(body),
		RetryAfter: retryAfter(resp.Header, now),
	}
	if e.Message == "" {
		e.Message = strings.TrimSpace(fmt.Sprintf("upstream returned status %d %s", resp.StatusCode, http.StatusText(resp.StatusCode)))
	}
	return e
}

// inBandError builds the error for an error the upstream reported inside
// a successful response: a stream chunk or a 200 body. Status is the
// error's code when that is an HTTP status, else 0.
func inBandError(name string, body []byte) *provider.Error {
	d := parseError(body)
	status := 0
	if n, err := strconv.Atoi(d.code); err == nil && 100 <= n && n <= 599 {
		status = n
	}
	e := &provider.Error{
		Provider: name,
		Status:   status,
		Type:     d.classify(status),
		Code:     d.code,
		Message:  d.message,
		Raw:      string(body),
	}
	if e.Message == "" {
		e.Message = "upstream reported an error"
	}
	return e
}

// errorDetails is what an error body says, whatever its shape.
type errorDetails struct {
	message, typ, code string
	// errorType is OpenRouter's own classification (error.metadata.error_type).
	errorType string
}

// codeTypes refines the status-derived error type by the upstream's error
// code or type, in OpenRouter's error_type vocabulary. OpenAI's
// insufficient_quota arrives as a 429 but is a billing problem, not a
// transient rate limit: it keeps its status (so the router may try
// another provider) and becomes payment_required.
var codeTypes = map[string]string{
	"context_length_exceeded":  "context_length_exceeded",
	"string_above_max_length":  "string_too_long",
	"insufficient_quota":       "payment_required",
	"insufficient_balance":     "payment_required",
	"rate_limit_exceeded":      "rate_limit_exceeded",
	"invalid_api_key":          "authentication",
	"model_not_found":          "not_found",
	"content_policy_violation": "content_policy_violation",
	"content_filter":           "content_policy_violation",
	"overloaded_error":         "provider_overloaded",
}

// contextPhrases identify context-length errors of upstreams that send no
// code for them (DeepSeek, xAI, vLLM).
var contextPhrases = []string{"context length", "context window", "maximum prompt length"}

func (d *errorDetails) classify(status int) string {
	if d.errorType != "" {
		return d.errorType
	}
	for _, c := range [...]string{d.code, d.typ} {
		if t, ok := codeTypes[c]; ok {
			return t
		}
	}
	if status < 500 {
		msg := strings.ToLower(d.message)
		for _, p := range contextPhrases {
			if strings.Contains(msg, p) {
				return "context_length_exceeded"
			}
		}
	}
	if status == 0 {
		return "server"
	}
	return provider.ErrorType(status)
}

// errorShape covers the error bodies of the family: OpenAI's
// {"error":{…}}, {"error":"…"}, vLLM's and Mistral's flat
// {"object":"error","message":…}, FastAPI's {"detail":…} and Groq's
// {"x_groq":{"error":…}}. Every field is raw so that no unexpected type
// makes the whole body unreadable.
type errorShape struct {
	Error    json.RawMessage `json:"error"`
	Message  json.RawMessage `json:"message"`
	Type     json.RawMessage `json:"type"`
	Code     json.RawMessage `json:"code"`
	Detail   json.RawMessage `json:"detail"`
	Metadata json.RawMessage `json:"metadata"`
	XGroq    *struct {
		Error json.RawMessage `json:"error"`
	} `json:"x_groq"`
}

// parseError extracts the upstream's own message, type and code from an
// error body. A body it cannot read yields its text as the message.
func parseError(body []byte) errorDetails {
	var d errorDetails
	var s errorShape
	if json.Unmarshal(body, &s) == nil {
		d.read(&s, 0)
	}
	if d.message == "" {
		d.message = provider.ClipMessage(string(bytes.TrimSpace(body)), maxMessage)
	}
	return d
}

// read fills d from s. Nested error objects are read once: the error of
// the envelope, or a message that is itself an object (Mistral wraps its
// validation errors so).
func (d *errorDetails) read(s *errorShape, depth int) {
	nested := func(raw json.RawMessage) bool {
		var inner errorShape
		if depth > 0 || !truthy(raw) || raw[0] != '{' || json.Unmarshal(raw, &inner) != nil {
			return false
		}
		d.read(&inner, depth+1)
		return true
	}
	switch {
	case nested(s.Error): // {"error":{…}}
	case truthy(s.Error):
		d.message = str(s.Error)
	case s.XGroq != nil && truthy(s.XGroq.Error):
		d.read(&errorShape{Error: s.XGroq.Error}, depth)
	}
	if d.message == "" && !nested(s.Message) {
		d.message = str(s.Message)
	}
	if d.message == "" {
		d.message = detail(s.Detail)
	}
	if d.typ == "" {
		d.typ = str(s.Type)
	}
	if d.code == "" {
		d.code = str(s.Code)
	}
	if d.errorType == "" && len(s.Metadata) > 0 {
		var m struct {
			ErrorType string `json:"error_type"`
		}
		if json.Unmarshal(s.Metadata, &m) == nil {
			d.errorType = m.ErrorType
		}
	}
	d.message = provider.ClipMessage(strings.TrimSpace(d.message), maxMessage)
}

// detail renders FastAPI's detail: a string, or validation errors
// [{"loc":[…],"msg":…}] joined as "loc: msg; …".
func detail(raw json.RawMessage) string {
	if !truthy(raw) {
		return ""
	}
	if raw[0] != '[' {
		return str(raw)
	}
	var items []struct {
		Loc []json.RawMessage `json:"loc"`
		Msg string            `json:"msg"`
	}
	if json.Unmarshal(raw, &items) != nil {
		return string(raw)
	}
	var b strings.Builder
	for i, it := range items {
		if i > 0 {
			b.WriteString("; ")
		}
		for j, l := range it.Loc {
			if j > 0 {
				b.WriteByte('.')
			}
			b.WriteString(str(l))
		}
		if len(it.Loc) > 0 {
			b.WriteString(": ")
		}
		b.WriteString(it.Msg)
	}
	return b.String()
}

// str returns a JSON string's value, a number's text, or "" for anything
// else; objects are returned as their JSON text.
func str(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	switch c := raw[0]; {
	case c == '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	case c == '-' || '0' <= c && c <= '9', c == '{':
		return string(raw)
	}
	return ""
}

// retryAfter reads the upstream's back-off hint: retry-after-ms
// (milliseconds, as OpenAI sends), else Retry-After in seconds (floats
// allowed) or as an HTTP date.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil {
			return provider.RetrySeconds(ms/1000, maxRetryAfter)
		}
	}
	return provider.RetryAfter(h, now, maxRetryAfter)
}
