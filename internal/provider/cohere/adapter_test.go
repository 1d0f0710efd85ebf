package cohere

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

func TestChat(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		content   *string
		reasoning *string
		calls     []openai.ToolCall
		finish    string
		native    string
		usage     openai.Usage
		cached    int
	}{
		{
			name: "text",
			body: `{"id":"c1","finish_reason":"COMPLETE","message":{"role":"assistant","content":[{"type":"text","text":"Hello"},{"type":"text","text":" there"}]},
				"usage":{"billed_units":{"input_tokens":5,"output_tokens":3},"tokens":{"input_tokens":71,"output_tokens":3},"cached_tokens":4}}`,
			content: openai.Ptr("Hello there"), finish: "stop", native: "COMPLETE",
			usage: openai.Usage{PromptTokens: 71, CompletionTokens: 3, TotalTokens: 74}, cached: 4,
		},
		{
			name: "tool calls",
			body: `{"id":"c2","finish_reason":"TOOL_CALL","message":{"role":"assistant","tool_plan":"I will check the weather.",
				"tool_calls":[{"id":"get_weather_j3f0","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"SF\"}"}},
				{"id":"now_1","type":"function","function":{"name":"now","arguments":""}}]},
				"usage":{"tokens":{"input_tokens":5,"output_tokens":7}}}`,
			reasoning: openai.Ptr("I will check the weather."),
			calls: []openai.ToolCall{
				{ID: "get_weather_j3f0", Type: "function", Function: openai.FunctionCall{Name: "get_weather", Arguments: `{"location":"SF"}`}},
				{ID: "now_1", Type: "function", Function: openai.FunctionCall{Name: "now", Arguments: `{}`}},
			},
			finish: "tool_calls", native: "TOOL_CALL",
			usage: openai.Usage{PromptTokens: 5, CompletionTokens: 7, TotalTokens: 12},
		},
		{name: "max tokens", body: `{"id":"m","finish_reason":"MAX_TOKENS","message":{"role":"assistant","content":[{"type":"text","text":"x"}]},"usage":{"tokens":{"input_tokens":1,"output_tokens":1}}}`,
			content: openai.Ptr("x"), finish: "length", native: "MAX_TOKENS", usage: openai.Usage{PromptTokens: 1, CompletionTokens: 1, TotalTokens: 2}},
		{name: "stop sequence", body: `{"id":"m","finish_reason":"STOP_SEQUENCE","message":{"role":"assistant","content":[{"type":"text","text":"x"}]},"usage":{"tokens":{"input_tokens":1,"output_tokens":1}}}`,
			content: openai.Ptr("x"), finish: "stop", native: "STOP_SEQUENCE", usage: openai.Usage{PromptTokens: 1, CompletionTokens: 1, TotalTokens: 2}},
		{name: "thinking", body: `{"id":"m","finish_reason":"COMPLETE","message":{"role":"assistant","content":[{"type":"thinking","thinking":"hmm"},{"type":"text","text":"x"}]},"usage":{"billed_units":{"input_tokens":2,"output_tokens":1}}}`,
			content: openai.Ptr("x"), reasoning: openai.Ptr("hmm"), finish: "stop", native: "COMPLETE", usage: openai.Usage{PromptTokens: 2, CompletionTokens: 1, TotalTokens: 3}},
		{name: "timeout", body: `{"id":"m","finish_reason":"TIMEOUT","message":{"role":"assistant","content":[]},"usage":{"tokens":{"input_tokens":1,"output_tokens":0}}}`,
			finish: "error", native: "TIMEOUT", usage: openai.Usage{PromptTokens: 1, TotalTokens: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, jsonAnswer(200, tt.body))
			resp, err := f.provider(t).Chat(context.Background(), chatReq(user("hi")))
			if err != nil {
				t.Fatal(err)
			}
			if resp.Object != openai.ObjectChatCompletion || resp.Model != "command-x" || len(resp.Choices) != 1 {
				t.Fatalf("response %+v", resp)
			}
			c := resp.Choices[0]
			if !eqPtr(c.Message.Content, tt.content) || !eqPtr(c.Message.Reasoning, tt.reasoning) {
				t.Errorf("content %v reasoning %v", deref(c.Message.Content), deref(c.Message.Reasoning))
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

func TestChatSendsRequest(t *testing.T) {
	f := newFake(t, jsonAnswer(200, `{"id":"c","finish_reason":"COMPLETE","message":{"role":"assistant","content":[{"type":"text","text":"ok"}]}}`))
	req := chatReq(user("hi"))
	req.Headers = http.Header{"X-Title": {"app"}, "Authorization": {"Bearer client"}}
	if _, err := f.provider(t).Chat(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if f.path != "/v2/chat" {
		t.Errorf("path = %q", f.path)
	}
	if got := f.header.Get("Authorization"); got != "Bearer co-test" {
		t.Errorf("Authorization = %q", got)
	}
	if f.header.Get("X-Title") != "app" || f.header.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", f.header)
	}
	m := f.request(t)
	if m["model"] != "command-x" || m["stream"] != false {
		t.Errorf("body %v", m)
	}
}

func TestNew(t *testing.T) {
	p, err := New(provider.Config{Slug: "cohere"})
	if err != nil {
		t.Fatal(err)
	}
	if a := p.(*Adapter); a.url != "https://api.cohere.com/v2/chat" || a.name != "cohere" {
		t.Errorf("adapter %+v", a)
	}
	if _, err := New(provider.Config{Slug: "x", BaseURL: "ftp://nope"}); err == nil {
		t.Error("bad base URL accepted")
	}
}

func TestHTTPErrors(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		body       string
		headers    []string
		typ        string
		message    string
		retryAfter time.Duration
		retryable  bool
	}{
		{"429", 429, `{"id":"e1","message":"Too many requests"}`, []string{"Retry-After", "7"}, "rate_limit_exceeded", "Too many requests", 7 * time.Second, true},
		{"400", 400, `{"id":"e2","message":"invalid request: temperature must be >= 0"}`, nil, "invalid_request", "invalid request: temperature must be >= 0", 0, false},
		{"400 too many tokens", 400, `{"message":"too many tokens: size limit exceeded by 1200 tokens"}`, nil, "context_length_exceeded", "too many tokens: size limit exceeded by 1200 tokens", 0, false},
		{"400 context", 400, `{"message":"prompt exceeds the model's context window"}`, nil, "context_length_exceeded", "prompt exceeds the model's context window", 0, false},
		{"401", 401, `{"message":"invalid api token"}`, nil, "authentication", "invalid api token", 0, false},
		{"498", 498, `{"message":"blocked token"}`, nil, "authentication", "blocked token", 0, false},
		{"503 plain text", 503, `service unavailable`, nil, "provider_overloaded", "service unavailable", 0, true},
		{"500 empty", 500, ``, nil, "server", "upstream returned status 500 Internal Server Error", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, jsonAnswer(tt.status, tt.body, tt.headers...))
			p := f.provider(t)
			for _, stream := range []bool{false, true} {
				var err error
				if stream {
					_, err = p.ChatStream(context.Background(), chatReq(user("hi")))
				} else {
					_, err = p.Chat(context.Background(), chatReq(user("hi")))
				}
				var pe *provider.Error
				if !errors.As(err, &pe) {
					t.Fatalf("stream=%v: err = %v", stream, err)
				}
				if pe.Status != tt.status || pe.Type != tt.typ || pe.Message != tt.message || pe.Raw != tt.body ||
					pe.RetryAfter != tt.retryAfter || pe.Retryable() != tt.retryable || pe.Provider != "Cohere" {
					t.Errorf("stream=%v: error %+v", stream, pe)
				}
			}
		})
	}
}

func TestHTTPErrorRawBounded(t *testing.T) {
	big := `{"message":"` + strings.Repeat("x", 100<<10) + `"}`
	f := newFake(t, jsonAnswer(400, big))
	_, err := f.provider(t).Chat(context.Background(), chatReq(user("hi")))
	var pe *provider.Error
	if !errors.As(err, &pe) {
		t.Fatal(err)
	}
	if len(pe.Raw) > maxErrorBody || len(pe.Message) > maxMessage+len("…") {
		t.Errorf("raw %d message %d", len(pe.Raw), len(pe.Message))
	}
}

func TestChatInBandError(t *testing.T) {
	f := newFake(t, jsonAnswer(200, `{"id":"e","message":"something broke"}`))
	_, err := f.provider(t).Chat(context.Background(), chatReq(user("hi")))
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Message != "something broke" {
		t.Fatalf("err = %v", err)
	}
}

func TestChatMalformed(t *testing.T) {
	for _, body := range []string{``, `{not json`} {
		f := newFake(t, jsonAnswer(200, body))
		_, err := f.provider(t).Chat(context.Background(), chatReq(user("hi")))
		var pe *provider.Error
		if !errors.As(err, &pe) || pe.Type != "server" {
			t.Errorf("body %q: err = %v", body, err)
		}
	}
}

func TestChatContextCancel(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := f.provider(t).Chat(ctx, chatReq(user("hi")))
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Type != "timeout" || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}

	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	_, err = f.provider(t).ChatStream(ctx, chatReq(user("hi")))
	if !errors.As(err, &pe) || !errors.Is(err, context.Canceled) {
		t.Fatalf("stream err = %v", err)
	}
}

func TestInvalidRequest(t *testing.T) {
	f := newFake(t, jsonAnswer(200, `{}`))
	req := chatReq(openai.Message{Role: "wizard", Content: openai.TextContent("x")})
	_, err := f.provider(t).Chat(context.Background(), req)
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Status != 400 || pe.Type != "invalid_request" || pe.Retryable() {
		t.Fatalf("err = %v", err)
	}
	if f.body != nil {
		t.Error("invalid request was sent upstream")
	}
}
