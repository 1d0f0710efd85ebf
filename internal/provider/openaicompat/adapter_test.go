package openaicompat

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
)

func newAdapter(t testing.TB, slug, baseURL string, key provider.Secret) provider.Provider {
	t.Helper()
	p, err := New(provider.Config{
		Slug:       slug,
		Name:       "Test " + slug,
		Protocol:   "openai",
		BaseURL:    baseURL,
		APIKey:     key,
		HTTPClient: &http.Client{},
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p
}

func userRequest(text string) *openai.ChatRequest {
	return &openai.ChatRequest{
		Model:    "client/model",
		Messages: []openai.Message{{Role: "user", Content: openai.TextContent(text)}},
	}
}

func request(chat *openai.ChatRequest) *provider.Request {
	return &provider.Request{Chat: chat, UpstreamModel: "upstream-model"}
}

// result is a stream read to its end.
type result struct {
	chunks    []*openai.Chunk
	text      string
	reasoning string
	finish    string
	native    string
	usage     *openai.Usage
	calls     map[int]*openai.ToolCall
	err       error // the error that ended the stream (io.EOF normally)
}

func drain(t testing.TB, s provider.Stream) result {
	t.Helper()
	defer s.Close()
	r := result{calls: map[int]*openai.ToolCall{}}
	for {
		c, err := s.Next()
		if err != nil {
			r.err = err
			return r
		}
		r.chunks = append(r.chunks, c)
		if c.Usage != nil {
			r.usage = c.Usage
		}
		for _, ch := range c.Choices {
			if d := ch.Delta.Content; d != nil {
				r.text += *d
			}
			if d := ch.Delta.Reasoning; d != nil {
				r.reasoning += *d
			}
			if ch.FinishReason != nil {
				r.finish, r.native = *ch.FinishReason, *ch.NativeFinishReason
			}
			for _, tc := range ch.Delta.ToolCalls {
				i := *tc.Index
				if r.calls[i] == nil {
					r.calls[i] = &openai.ToolCall{ID: tc.ID, Type: tc.Type}
				}
				r.calls[i].Function.Name += tc.Function.Name
				r.calls[i].Function.Arguments += tc.Function.Arguments
			}
		}
	}
}

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		slug, base string
		ok         bool
	}{
		{"openai", "", true},   // public default
		{"vllm", "", true},     // local default
		{"unknown", "", false}, // no default
		{"unknown", "ftp://host/v1", false},
		{"unknown", "http://gpu-box:8000/v1/", true},
	} {
		_, err := New(provider.Config{Slug: tc.slug, BaseURL: tc.base})
		if (err == nil) != tc.ok {
			t.Errorf("New(%q, %q): err = %v, want ok=%v", tc.slug, tc.base, err, tc.ok)
		}
	}
}

func TestChat(t *testing.T) {
	fake := providertest.NewOpenAI(t,
		providertest.WithAPIKey("sk-test"),
		providertest.WithReply("Hello there."),
		providertest.WithUsage(providertest.Usage{PromptTokens: 9, CompletionTokens: 3, CachedTokens: 2}))
	p := newAdapter(t, "openai", fake.URL, "sk-test")

	resp, err := p.Chat(context.Background(), request(userRequest("Hi")))
	if err != nil {
		t.Fatalf("Chat: %v", err)
	}
	if got := *resp.Choices[0].Message.Content; got != "Hello there." {
		t.Errorf("content = %q", got)
	}
	if resp.Model != "upstream-model" || resp.Object != openai.ObjectChatCompletion {
		t.Errorf("model, object = %q, %q", resp.Model, resp.Object)
	}
	c := resp.Choices[0]
	if *c.FinishReason != "stop" || *c.NativeFinishReason != "stop" || c.Message.Role != "assistant" {
		t.Errorf("finish = %q native = %q role = %q", *c.FinishReason, *c.NativeFinishReason, c.Message.Role)
	}
	u := resp.Usage
	if u.PromptTokens != 9 || u.CompletionTokens != 3 || u.TotalTokens != 12 || u.CachedTokens() != 2 {
		t.Errorf("usage = %+v", u)
	}

	req := fake.Last()
	if got := req.Header.Get("Authorization"); got != "Bearer sk-test" {
		t.Errorf("Authorization = %q", got)
	}
	if got := req.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
	if req.JSON["model"] != "upstream-model" || req.JSON["stream"] != nil || req.JSON["stream_options"] != nil {
		t.Errorf("body = %s", req.Body)
	}
}

func TestChatStream(t *testing.T) {
	fake := providertest.NewOpenAI(t,
		providertest.WithReply("Streaming works fine."),
		providertest.WithUsage(providertest.Usage{PromptTokens: 20, CompletionTokens: 4, ReasoningTokens: 1}))
	p := newAdapter(t, "openai", fake.URL, "sk-test")

	s, err := p.ChatStream(context.Background(), request(userRequest("Hi")))
	if err != nil {
		t.Fatalf("ChatStream: %v", err)
	}
	r := drain(t, s)
	if r.err != io.EOF {
		t.Fatalf("stream ended with %v", r.err)
	}
	if r.text != "Streaming works fine." || r.finish != "stop" || r.native != "stop" {
		t.Errorf("text = %q finish = %q native = %q", r.text, r.finish, r.native)
	}
	last := r.chunks[len(r.chunks)-1]
	if last.Usage == nil || len(last.Choices) != 0 || last.Choices == nil {
		t.Fatalf("last chunk = %+v, want usage with choices []", last)
	}
	if u := last.Usage; u.PromptTokens != 20 || u.CompletionTokens != 4 || u.TotalTokens != 24 || u.ReasoningTokens() != 1 {
		t.Errorf("usage = %+v", u)
	}
	for _, c := range r.chunks {
		if c.Object != openai.ObjectChatCompletionChunk || c.Model != "upstream-model" || c.ID == "" {
			t.Errorf("chunk header = %q %q %q", c.Object, c.Model, c.ID)
		}
	}

	req := fake.Last()
	if req.Header.Get("Accept") != "text/event-stream" || req.JSON["stream"] != true {
		t.Errorf("accept = %q stream = %v", req.Header.Get("Accept"), req.JSON["stream"])
	}
	if so, _ := req.JSON["stream_options"].(map[string]any); so["include_usage"] != true {
		t.Errorf("stream_options = %v, want include_usage", req.JSON["stream_options"])
	}
}

func TestChatStreamToolCalls(t *testing.T) {
	fake := providertest.NewOpenAI(t, providertest.WithToolCalls(
		providertest.ToolCall{ID: "call_abc123", Name: "get_weather", Arguments: `{"location":"Boston"}`},
		providertest.ToolCall{Name: "get_time", Arguments: `{"tz":"EST"}`},
	))
	p := newAdapter(t, "openai", fake.URL, "k")
	s, err := p.ChatStream(context.Background(), request(userRequest("weather?")))
	if err != nil {
		t.Fatal(err)
	}
	r := drain(t, s)
	if r.err != io.EOF || r.finish != "tool_calls" {
		t.Fatalf("err = %v finish = %q", r.err, r.finish)
	}
	want := map[int]*openai.ToolCall{
		0: {ID: "call_abc123", Type: "function", Function: openai.FunctionCall{Name: "get_weather", Arguments: `{"location":"Boston"}`}},
		1: {ID: "call_fake1", Type: "function", Function: openai.FunctionCall{Name: "get_time", Arguments: `{"tz":"EST"}`}},
	}
	if !reflect.DeepEqual(r.calls, want) {
		t.Errorf("tool calls = %s", mustJSON(r.calls))
	}
}

func TestHeaders(t *testing.T) {
	fake := providertest.NewOpenAI(t)
	p, err := New(provider.Config{
		Slug: "vllm", BaseURL: fake.URL, HTTPClient: &http.Client{},
		Headers: map[string]string{"X-Static": "s"},
	})
	if err != nil {
		t.Fatal(err)
	}
	req := request(userRequest("Hi"))
	req.Headers = http.Header{"X-Title": {"app"}, "Authorization": {"Bearer client-key"}}
	if _, err := p.Chat(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	h := fake.Last().Header
	if _, ok := h["Authorization"]; ok {
		t.Errorf("Authorization sent without a key: %q", h.Get("Authorization"))
	}
	if h.Get("X-Static") != "s" || h.Get("X-Title") != "app" {
		t.Errorf("headers = %v", h)
	}
}

func TestRequestNotModified(t *testing.T) {
	// Every quirk that rewrites something, on a request carrying all of it.
	chat := &openai.ChatRequest{
		Model:               "client/model",
		Stream:              true,
		StreamOptions:       &openai.StreamOptions{},
		MaxCompletionTokens: openai.Ptr(100),
		Seed:                openai.Ptr(int64(7)),
		TopK:                openai.Ptr(40),
		ToolChoice:          json.RawMessage(`"required"`),
		Models:              []string{"a", "b"},
		Provider:            &openai.ProviderPrefs{Order: []string{"x"}},
		Reasoning:           json.RawMessage(`{"effort":"high"}`),
		Tools:               []openai.Tool{{Type: "function", Function: &openai.FunctionDef{Name: "f"}}},
		Messages: []openai.Message{
			{Role: "user", Content: openai.TextContent("call f")},
			{Role: "assistant", Reasoning: "thought", ToolCalls: []openai.ToolCall{{ID: "call_long_id_1", Type: "function", Function: openai.FunctionCall{Name: "f", Arguments: "{}"}}}},
			{Role: "tool", ToolCallID: "call_long_id_1", Content: openai.TextContent("ok")},
		},
	}
	before := mustJSON(chat)
	for _, slug := range []string{"openai", "mistral", "deepseek", "openrouter", "vllm"} {
		fake := providertest.New(t, providertest.VLLM) // lenient: accepts every field
		p := newAdapter(t, slug, fake.URL, "k")
		if _, err := p.Chat(context.Background(), request(chat)); err != nil {
			t.Fatalf("%s: Chat: %v", slug, err)
		}
		s, err := p.ChatStream(context.Background(), request(chat))
		if err != nil {
			t.Fatalf("%s: ChatStream: %v", slug, err)
		}
		drain(t, s)
		if after := mustJSON(chat); after != before {
			t.Fatalf("%s changed the request:\nbefore %s\nafter  %s", slug, before, after)
		}
	}
}

func TestTransportError(t *testing.T) {
	p := newAdapter(t, "vllm", "http://127.0.0.1:1/v1", "")
	_, err := p.Chat(context.Background(), request(userRequest("Hi")))
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Status != 0 || pe.Type != "provider_unavailable" || !pe.Retryable() {
		t.Fatalf("err = %#v", err)
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func ptrString(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}
