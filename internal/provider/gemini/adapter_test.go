package gemini

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

func TestChat(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		content   string
		reasoning string
		calls     []openai.ToolCall
		finish    string
		native    string
		usage     openai.Usage
		cached    int
	}{
		{
			name: "text with thoughts",
			body: `{"candidates":[{"content":{"role":"model","parts":[{"text":"plan","thought":true},{"text":"Hello"},{"text":" there"}]},"finishReason":"STOP","index":0}],
				"usageMetadata":{"promptTokenCount":10,"cachedContentTokenCount":4,"candidatesTokenCount":3,"thoughtsTokenCount":5,"toolUsePromptTokenCount":2,"totalTokenCount":20},"modelVersion":"gemini-x","responseId":"r1"}`,
			content: "Hello there", reasoning: "plan", finish: "stop", native: "STOP",
			usage: openai.Usage{PromptTokens: 12, CompletionTokens: 8, TotalTokens: 20}, cached: 4,
		},
		{
			name: "function calls finish tool_calls on STOP",
			body: `{"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"loc": "SF"}}},{"functionCall":{"id":"up-1","name":"now"}}]},"finishReason":"STOP"}],
				"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":7,"totalTokenCount":12},"modelVersion":"gemini-x","responseId":"r2"}`,
			content: "<nil>", reasoning: "<nil>",
			calls: []openai.ToolCall{
				{ID: "call_r2_0", Type: "function", Function: openai.FunctionCall{Name: "get_weather", Arguments: `{"loc":"SF"}`}},
				{ID: "up-1", Type: "function", Function: openai.FunctionCall{Name: "now", Arguments: `{}`}},
			},
			finish: "tool_calls", native: "STOP", usage: openai.Usage{PromptTokens: 5, CompletionTokens: 7, TotalTokens: 12},
		},
		{name: "max tokens", body: `{"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":"MAX_TOKENS"}],"usageMetadata":{"promptTokenCount":1,"candidatesTokenCount":1,"totalTokenCount":2}}`,
			content: "x", reasoning: "<nil>", finish: "length", native: "MAX_TOKENS", usage: openai.Usage{PromptTokens: 1, CompletionTokens: 1, TotalTokens: 2}},
		{name: "safety", body: `{"candidates":[{"finishReason":"SAFETY"}],"usageMetadata":{"promptTokenCount":1,"totalTokenCount":1}}`,
			content: "<nil>", reasoning: "<nil>", finish: "content_filter", native: "SAFETY", usage: openai.Usage{PromptTokens: 1, TotalTokens: 1}},
		{name: "prompt blocked", body: `{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"},"usageMetadata":{"promptTokenCount":3,"totalTokenCount":3}}`,
			content: "<nil>", reasoning: "<nil>", finish: "content_filter", native: "PROHIBITED_CONTENT", usage: openai.Usage{PromptTokens: 3, TotalTokens: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, jsonAnswer(200, tt.body))
			resp, err := f.provider(t).Chat(context.Background(), chatReq(user("hi")))
			if err != nil {
				t.Fatal(err)
			}
			if resp.Object != openai.ObjectChatCompletion || len(resp.Choices) != 1 {
				t.Fatalf("response %+v", resp)
			}
			c := resp.Choices[0]
			if deref(c.Message.Content) != tt.content || deref(c.Message.Reasoning) != tt.reasoning {
				t.Errorf("content %q reasoning %q", deref(c.Message.Content), deref(c.Message.Reasoning))
			}
			if len(c.Message.ToolCalls) != len(tt.calls) {
				t.Fatalf("tool calls %+v", c.Message.ToolCalls)
			}
			for i := range tt.calls {
				if g, w := c.Message.ToolCalls[i], tt.calls[i]; g.ID != w.ID || g.Type != w.Type || g.Function != w.Function {
					t.Errorf("tool call %d = %+v, want %+v", i, g, w)
				}
			}
			if deref(c.FinishReason) != tt.finish || deref(c.NativeFinishReason) != tt.native {
				t.Errorf("finish %q native %q", deref(c.FinishReason), deref(c.NativeFinishReason))
			}
			u := resp.Usage
			if u == nil || u.PromptTokens != tt.usage.PromptTokens || u.CompletionTokens != tt.usage.CompletionTokens ||
				u.TotalTokens != tt.usage.TotalTokens || u.CachedTokens() != tt.cached {
				t.Errorf("usage %+v", u)
			}
		})
	}
}

func TestHTTPErrors(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		headers   []string
		typ, code string
		retry     time.Duration
		retryable bool
	}{
		{
			name: "429 with retry info", status: 429,
			body: `{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"34s"}]}}`,
			typ:  "rate_limit_exceeded", code: "RESOURCE_EXHAUSTED", retry: 34 * time.Second, retryable: true,
		},
		{
			name: "429 with header", status: 429, headers: []string{"Retry-After", "3"},
			body: `{"error":{"code":429,"message":"slow down","status":"RESOURCE_EXHAUSTED"}}`,
			typ:  "rate_limit_exceeded", code: "RESOURCE_EXHAUSTED", retry: 3 * time.Second, retryable: true,
		},
		{name: "400 invalid", status: 400, body: `{"error":{"code":400,"message":"bad field","status":"INVALID_ARGUMENT"}}`,
			typ: "invalid_request", code: "INVALID_ARGUMENT"},
		{name: "400 context", status: 400, body: `{"error":{"code":400,"message":"The input token count (1300000) exceeds the maximum number of tokens allowed (1048575).","status":"INVALID_ARGUMENT"}}`,
			typ: "context_length_exceeded", code: "INVALID_ARGUMENT"},
		{name: "400 bad key", status: 400, body: `{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}}`,
			typ: "authentication", code: "INVALID_ARGUMENT"},
		{name: "403", status: 403, body: `{"error":{"code":403,"message":"denied","status":"PERMISSION_DENIED"}}`, typ: "authentication", code: "PERMISSION_DENIED"},
		{name: "503", status: 503, body: `{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}`,
			typ: "provider_overloaded", code: "UNAVAILABLE", retryable: true},
		{name: "502 not json", status: 502, body: `<html>bad gateway</html>`, typ: "server", retryable: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, jsonAnswer(tt.status, tt.body, tt.headers...))
			for _, stream := range []bool{false, true} {
				var err error
				if stream {
					_, err = f.provider(t).ChatStream(context.Background(), chatReq(user("hi")))
				} else {
					_, err = f.provider(t).Chat(context.Background(), chatReq(user("hi")))
				}
				var pe *provider.Error
				if !errors.As(err, &pe) {
					t.Fatalf("stream=%v: err = %v", stream, err)
				}
				if pe.Status != tt.status || pe.Type != tt.typ || pe.Code != tt.code || pe.RetryAfter != tt.retry ||
					pe.Retryable() != tt.retryable || pe.Raw != tt.body || pe.Message == "" {
					t.Errorf("stream=%v: %+v", stream, pe)
				}
			}
		})
	}
}

func TestContextCancel(t *testing.T) {
	release := make(chan struct{})
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := f.provider(t).Chat(ctx, chatReq(user("hi")))
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Type != "timeout" || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %#v", err)
	}
}

func TestNew(t *testing.T) {
	if _, err := New(provider.Config{BaseURL: "not a url"}); err == nil {
		t.Error("bad base URL accepted")
	}
	p, err := New(provider.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if u := p.(*Adapter).endpoint("gemini-x", true); u != DefaultBaseURL+"/models/gemini-x:streamGenerateContent?alt=sse" {
		t.Errorf("endpoint %q", u)
	}
}
