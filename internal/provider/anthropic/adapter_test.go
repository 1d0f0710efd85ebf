package anthropic

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
		name       string
		body       string
		content    *string
		reasoning  *string
		calls      []openai.ToolCall
		finish     string
		native     string
		usage      openai.Usage
		cached     int
		cacheWrite int
	}{
		{
			name: "text",
			body: `{"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[{"type":"text","text":"Hello"},{"type":"text","text":" there"}],
				"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":3,"cache_creation_input_tokens":4,"cache_read_input_tokens":6}}`,
			content: openai.Ptr("Hello there"), finish: "stop", native: "end_turn",
			usage: openai.Usage{PromptTokens: 20, CompletionTokens: 3, TotalTokens: 23}, cached: 6, cacheWrite: 4,
		},
		{
			name: "thinking and tool_use",
			body: `{"id":"msg_2","type":"message","role":"assistant","model":"claude-x","content":[
				{"type":"thinking","thinking":"plan","signature":"s"},
				{"type":"tool_use","id":"toolu_A","name":"get_weather","input":{"location":"SF"}},
				{"type":"tool_use","id":"toolu_B","name":"now","input":{}}],
				"stop_reason":"tool_use","usage":{"input_tokens":5,"output_tokens":7}}`,
			reasoning: openai.Ptr("plan"),
			calls: []openai.ToolCall{
				{ID: "toolu_A", Type: "function", Function: openai.FunctionCall{Name: "get_weather", Arguments: `{"location":"SF"}`}},
				{ID: "toolu_B", Type: "function", Function: openai.FunctionCall{Name: "now", Arguments: `{}`}},
			},
			finish: "tool_calls", native: "tool_use",
			usage: openai.Usage{PromptTokens: 5, CompletionTokens: 7, TotalTokens: 12},
		},
		{name: "max_tokens", body: `{"id":"m","type":"message","model":"c","content":[{"type":"text","text":"x"}],"stop_reason":"max_tokens","usage":{"input_tokens":1,"output_tokens":1}}`,
			content: openai.Ptr("x"), finish: "length", native: "max_tokens", usage: openai.Usage{PromptTokens: 1, CompletionTokens: 1, TotalTokens: 2}},
		{name: "refusal", body: `{"id":"m","type":"message","model":"c","content":[],"stop_reason":"refusal","usage":{"input_tokens":1,"output_tokens":0}}`,
			finish: "content_filter", native: "refusal", usage: openai.Usage{PromptTokens: 1, TotalTokens: 1}},
		{name: "stop_sequence", body: `{"id":"m","type":"message","model":"c","content":[{"type":"text","text":"x"}],"stop_reason":"stop_sequence","usage":{"input_tokens":1,"output_tokens":1}}`,
			content: openai.Ptr("x"), finish: "stop", native: "stop_sequence", usage: openai.Usage{PromptTokens: 1, CompletionTokens: 1, TotalTokens: 2}},
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
			if u.PromptTokens != tt.usage.PromptTokens || u.CompletionTokens != tt.usage.CompletionTokens || u.TotalTokens != tt.usage.TotalTokens ||
				u.CachedTokens() != tt.cached || u.CacheWriteTokens() != tt.cacheWrite {
				t.Errorf("usage %+v %+v", u, u.PromptTokensDetails)
			}
		})
	}
}

func TestRequestHeaders(t *testing.T) {
	f := newFake(t, jsonAnswer(200, `{"id":"m","type":"message","model":"c","content":[],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}`))
	req := chatReq(user("hi"))
	req.Headers = http.Header{"X-Api-Key": {"stolen"}, "Http-Referer": {"https://app"}}
	if _, err := f.provider(t).Chat(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if f.path != "/v1/messages" {
		t.Errorf("path %q", f.path)
	}
	for k, want := range map[string]string{"X-Api-Key": "sk-test", "Anthropic-Version": "2023-06-01", "Content-Type": "application/json", "Http-Referer": "https://app"} {
		if got := f.header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	body := f.request(t)
	if body["model"] != "claude-x" || body["max_tokens"] != float64(4096) || body["stream"] != nil {
		t.Errorf("body %v", body)
	}
}

func TestNewDefaults(t *testing.T) {
	p, err := New(provider.Config{Slug: "anthropic"})
	if err != nil {
		t.Fatal(err)
	}
	if u := p.(*Adapter).endpoint("claude-x", false).String(); u != "https://api.anthropic.com/v1/messages" {
		t.Errorf("url %q", u)
	}
	if _, err := New(provider.Config{Slug: "x", BaseURL: "not a url"}); err == nil {
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
		{"rate limit", 429, `{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}`,
			[]string{"Retry-After", "12"}, "rate_limit_exceeded", "Number of request tokens has exceeded your per-minute rate limit", 12 * time.Second, true},
		{"overloaded", 529, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_1"}`,
			nil, "provider_overloaded", "Overloaded", 0, true},
		{"prompt too long", 400, `{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 213021 tokens > 200000 maximum"}}`,
			nil, "context_length_exceeded", "prompt is too long: 213021 tokens > 200000 maximum", 0, false},
		{"invalid request", 400, `{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: must be positive"}}`,
			nil, "invalid_request", "max_tokens: must be positive", 0, false},
		{"auth", 401, `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`,
			nil, "authentication", "invalid x-api-key", 0, false},
		{"spend limit", 429, `{"type":"error","error":{"type":"rate_limit_error","message":"spend limit","details":{"error_code":"enforced_spend_limit_reached"}}}`,
			nil, "payment_required", "spend limit", 0, true},
		{"not json", 502, `<html>bad gateway</html>`, nil, "server", "<html>bad gateway</html>", 0, true},
	}
	for _, tt := range tests {
		for _, stream := range []bool{false, true} {
			t.Run(tt.name, func(t *testing.T) {
				f := newFake(t, jsonAnswer(tt.status, tt.body, tt.headers...))
				p := f.provider(t)
				var err error
				if stream {
					_, err = p.ChatStream(context.Background(), chatReq(user("hi")))
				} else {
					_, err = p.Chat(context.Background(), chatReq(user("hi")))
				}
				var pe *provider.Error
				if !errors.As(err, &pe) {
					t.Fatalf("err = %v", err)
				}
				if pe.Status != tt.status || pe.Type != tt.typ || pe.Message != tt.message || pe.Raw != tt.body ||
					pe.RetryAfter != tt.retryAfter || pe.Retryable() != tt.retryable || pe.Provider != "Anthropic" {
					t.Errorf("error %+v", pe)
				}
			})
		}
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
	for _, stream := range []bool{false, true} {
		ctx, cancel := context.WithCancel(context.Background())
		go func() { time.Sleep(20 * time.Millisecond); cancel() }()
		var err error
		if stream {
			_, err = f.provider(t).ChatStream(ctx, chatReq(user("hi")))
		} else {
			_, err = f.provider(t).Chat(ctx, chatReq(user("hi")))
		}
		var pe *provider.Error
		if !errors.As(err, &pe) || !errors.Is(err, context.Canceled) {
			t.Errorf("stream=%v: err = %v", stream, err)
		}
	}
}

func TestContextCancelMidStream(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		sseAnswer(textEvents[:2]...)(w, r)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	s, err := f.provider(t).ChatStream(ctx, chatReq(user("hi")))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Next(); err != nil {
		t.Fatal(err)
	}
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	_, err = s.Next()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if _, err2 := s.Next(); err2 != err {
		t.Errorf("error not sticky: %v", err2)
	}
}

func eqPtr(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
