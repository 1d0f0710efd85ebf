package openaicompat

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
)

func TestQuirksFor(t *testing.T) {
	for slug, want := range map[string]string{
		"openai":          known["openai"].BaseURL,
		"OpenAI":          known["openai"].BaseURL,
		"xai":             known["x-ai"].BaseURL,
		"together_ai":     known["together"].BaseURL,
		"deepinfra/turbo": known["deepinfra"].BaseURL,
		"llamacpp":        known["llama.cpp"].BaseURL,
		"my-gpu-box":      "",
	} {
		if got := QuirksFor(slug).BaseURL; got != want {
			t.Errorf("QuirksFor(%q).BaseURL = %q, want %q", slug, got, want)
		}
	}
	if QuirksFor("unknown") != defaultQuirks {
		t.Error("unknown slug does not get the defaults")
	}
}

// richRequest carries every field a quirk touches.
func richRequest() *openai.ChatRequest {
	return &openai.ChatRequest{
		Model:             "client/model",
		MaxTokens:         openai.Ptr(50),
		Seed:              openai.Ptr(int64(42)),
		TopK:              openai.Ptr(40),
		MinP:              openai.Ptr(0.1),
		TopA:              openai.Ptr(0.2),
		RepetitionPenalty: openai.Ptr(1.1),
		ReasoningEffort:   "low",
		User:              "user-1",
		Logprobs:          openai.Ptr(true),
		TopLogprobs:       openai.Ptr(2),
		Metadata:          json.RawMessage(`{"k":"v"}`),
		ToolChoice:        json.RawMessage(`"required"`),
		Tools:             []openai.Tool{{Type: "function", Function: &openai.FunctionDef{Name: "f"}}},
		Models:            []string{"a/b"},
		Route:             "fallback",
		Provider:          &openai.ProviderPrefs{ZDR: true},
		Reasoning:         json.RawMessage(`{"effort":"low"}`),
		Usage:             json.RawMessage(`{"include":true}`),
		SessionID:         "s1",
		Transforms:        []string{"middle-out"},
		Plugins:           json.RawMessage(`[{"id":"web"}]`),
		Preset:            json.RawMessage(`"email"`),
		Messages: []openai.Message{
			{Role: "user", Content: openai.TextContent("call f")},
			{Role: "assistant", Content: openai.Content{}, Reasoning: "thinking", ToolCalls: []openai.ToolCall{
				{ID: "call_0123456789abcdef", Type: "function", Function: openai.FunctionCall{Name: "f", Arguments: "{}"}},
				{ID: "Abc123xyZ", Type: "function", Function: openai.FunctionCall{Name: "f", Arguments: "{}"}},
			}},
			{Role: "tool", ToolCallID: "call_0123456789abcdef", Content: openai.TextContent("1")},
			{Role: "tool", ToolCallID: "Abc123xyZ", Content: openai.TextContent("2")},
		},
	}
}

func TestRequestQuirks(t *testing.T) {
	openRouterOnly := []string{"provider", "reasoning", "session_id", "transforms"}
	neverSent := []string{"models", "route", "usage", "plugins", "preset"}
	tests := []struct {
		slug    string
		stream  bool
		present map[string]any // field → value (nil: any value)
		absent  []string
	}{
		{"openai", true,
			map[string]any{"max_completion_tokens": 50.0, "seed": 42.0, "reasoning_effort": "low", "tool_choice": "required",
				"user": "user-1", "logprobs": true, "metadata": nil, "stream_options": map[string]any{"include_usage": true}},
			append([]string{"max_tokens", "top_k", "min_p", "top_a", "repetition_penalty"}, openRouterOnly...)},
		{"mistral", true,
			map[string]any{"max_tokens": 50.0, "random_seed": 42.0, "tool_choice": "any", "reasoning_effort": "low"},
			append([]string{"seed", "stream_options", "top_k", "min_p", "top_a", "repetition_penalty",
				"user", "logprobs", "top_logprobs", "metadata"}, openRouterOnly...)},
		{"deepseek", false,
			map[string]any{"max_tokens": 50.0, "seed": 42.0},
			[]string{"max_completion_tokens", "top_k", "stream_options"}},
		{"vllm", true,
			map[string]any{"max_tokens": 50.0, "top_k": 40.0, "min_p": 0.1, "repetition_penalty": 1.1, "stream_options": nil},
			append([]string{"top_a"}, openRouterOnly...)},
		{"perplexity", true,
			map[string]any{"max_tokens": 50.0, "top_k": 40.0},
			[]string{"stream_options", "min_p"}},
		{"openrouter", true,
			map[string]any{"provider": map[string]any{"zdr": true}, "reasoning": map[string]any{"effort": "low"},
				"session_id": "s1", "transforms": nil, "top_a": 0.2, "top_k": 40.0, "stream_options": nil},
			nil},
	}
	for _, tc := range tests {
		t.Run(tc.slug, func(t *testing.T) {
			fake := providertest.New(t, providertest.VLLM) // lenient: records whatever it gets
			p := newAdapter(t, tc.slug, fake.URL, "k")
			req := request(richRequest())
			var err error
			if tc.stream {
				var s provider.Stream
				if s, err = p.ChatStream(context.Background(), req); err == nil {
					drain(t, s)
				}
			} else {
				_, err = p.Chat(context.Background(), req)
			}
			if err != nil {
				t.Fatal(err)
			}
			body := fake.Last().JSON
			for k, want := range tc.present {
				got, ok := body[k]
				if !ok || want != nil && mustJSON(got) != mustJSON(want) {
					t.Errorf("%s = %s, want %s", k, mustJSON(got), mustJSON(want))
				}
			}
			for _, k := range append(tc.absent, neverSent...) {
				if v, ok := body[k]; ok {
					t.Errorf("%s sent: %s", k, mustJSON(v))
				}
			}
			if body["model"] != "upstream-model" {
				t.Errorf("model = %v", body["model"])
			}
			_, keptReasoning := body["messages"].([]any)[1].(map[string]any)["reasoning"]
			if keptReasoning != (tc.slug == "openrouter") {
				t.Errorf("assistant reasoning forwarded = %v", keptReasoning)
			}
		})
	}
}

func TestMistralToolCallIDs(t *testing.T) {
	orig := "call_0123456789abcdef"
	var ids toolIDs
	short := ids.shorten(orig)
	if !isShortID(short) || ids.shorten(orig) != short {
		t.Fatalf("shorten(%q) = %q, not a stable 9-char id", orig, short)
	}

	// The strict fake refuses ids that are not [a-zA-Z0-9]{9}; the first
	// answer echoes the rewritten id, the second makes a call of its own.
	fake := providertest.New(t, providertest.Mistral)
	fake.Enqueue(providertest.WithToolCalls(providertest.ToolCall{ID: short, Name: "f", Arguments: `{"a":1}`}))
	p := newAdapter(t, "mistral", fake.URL, "k")
	chat := richRequest()
	chat.TopK, chat.MinP, chat.TopA, chat.RepetitionPenalty = nil, nil, nil, nil

	resp, err := p.Chat(context.Background(), request(chat))
	if err != nil {
		t.Fatalf("Chat: %v", err)
	}
	if got := resp.Choices[0].Message.ToolCalls[0].ID; got != orig {
		t.Errorf("echoed id = %q, want the client's %q", got, orig)
	}
	msgs := fake.Last().JSON["messages"].([]any)
	sent := []any{
		msgs[1].(map[string]any)["tool_calls"].([]any)[0].(map[string]any)["id"],
		msgs[1].(map[string]any)["tool_calls"].([]any)[1].(map[string]any)["id"],
		msgs[2].(map[string]any)["tool_call_id"],
		msgs[3].(map[string]any)["tool_call_id"],
	}
	if want := []any{short, "Abc123xyZ", short, "Abc123xyZ"}; mustJSON(sent) != mustJSON(want) {
		t.Errorf("ids sent = %v, want %v", sent, want)
	}

	fake.Enqueue(providertest.WithToolCalls(providertest.ToolCall{Name: "f", Arguments: `{}`}))
	s, err := p.ChatStream(context.Background(), request(chat))
	if err != nil {
		t.Fatalf("ChatStream: %v", err)
	}
	r := drain(t, s)
	if r.err != io.EOF || r.calls[0].ID != "FakeCall0" || r.usage == nil {
		t.Errorf("err = %v, id = %q, usage = %v", r.err, r.calls[0].ID, r.usage)
	}
}

func TestStrictUpstreams(t *testing.T) {
	// What the adapter sends passes the validation of the real servers.
	for _, tc := range []struct {
		slug    string
		dialect providertest.Dialect
	}{
		{"openai", providertest.OpenAI},
		{"mistral", providertest.Mistral},
	} {
		fake := providertest.New(t, tc.dialect)
		p := newAdapter(t, tc.slug, fake.URL, "k")
		if _, err := p.Chat(context.Background(), request(richRequest())); err != nil {
			t.Errorf("%s: Chat: %v", tc.slug, err)
		}
		s, err := p.ChatStream(context.Background(), request(richRequest()))
		if err != nil {
			t.Fatalf("%s: ChatStream: %v", tc.slug, err)
		}
		if r := drain(t, s); r.err != io.EOF || r.usage == nil {
			t.Errorf("%s: stream err = %v usage = %v", tc.slug, r.err, r.usage)
		}
	}
	// And the fakes do refuse what the quirks remove.
	fake := providertest.New(t, providertest.Mistral)
	p := newAdapter(t, "vllm", fake.URL, "k") // no Mistral quirks
	_, err := p.Chat(context.Background(), request(richRequest()))
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Status != 422 || pe.Message != "body.logprobs: Extra inputs are not permitted" {
		t.Errorf("err = %v", err)
	}
}

func TestDeepSeek(t *testing.T) {
	opts := []providertest.Option{
		providertest.WithReasoning("Let me ", "think."),
		providertest.WithReply("42"),
		providertest.WithUsage(providertest.Usage{PromptTokens: 100, CompletionTokens: 10, CachedTokens: 64, ReasoningTokens: 6}),
	}
	fake := providertest.New(t, providertest.DeepSeek, opts...)
	p := newAdapter(t, "deepseek", fake.URL, "k")

	resp, err := p.Chat(context.Background(), request(userRequest("?")))
	if err != nil {
		t.Fatalf("Chat (body starts with blank lines): %v", err)
	}
	m := resp.Choices[0].Message
	if ptrString(m.Reasoning) != "Let me think." || ptrString(m.Content) != "42" {
		t.Errorf("reasoning = %q content = %q", ptrString(m.Reasoning), ptrString(m.Content))
	}
	if resp.Usage.CachedTokens() != 64 || resp.Usage.ReasoningTokens() != 6 {
		t.Errorf("usage = %s", mustJSON(resp.Usage))
	}

	s, err := p.ChatStream(context.Background(), request(userRequest("?")))
	if err != nil {
		t.Fatal(err)
	}
	r := drain(t, s)
	if r.err != io.EOF || r.reasoning != "Let me think." || r.text != "42" || r.usage.CachedTokens() != 64 {
		t.Errorf("stream: err = %v reasoning = %q text = %q usage = %s", r.err, r.reasoning, r.text, mustJSON(r.usage))
	}
}

func TestGroqUsage(t *testing.T) {
	fake := providertest.New(t, providertest.Groq,
		providertest.WithUsage(providertest.Usage{PromptTokens: 30, CompletionTokens: 5}))
	p := newAdapter(t, "groq", fake.URL, "k")

	s, err := p.ChatStream(context.Background(), request(userRequest("?")))
	if err != nil {
		t.Fatal(err)
	}
	r := drain(t, s)
	var onFinish *openai.Usage
	for _, c := range r.chunks {
		if len(c.Choices) > 0 && c.Choices[0].FinishReason != nil {
			onFinish = c.Usage
		}
	}
	if r.err != io.EOF || onFinish == nil || onFinish.PromptTokens != 30 || onFinish.TotalTokens != 35 {
		t.Errorf("err = %v, usage on the finish chunk = %v", r.err, onFinish)
	}
}

func TestTogetherEOS(t *testing.T) {
	fake := providertest.New(t, providertest.Together)
	p := newAdapter(t, "together", fake.URL, "k")
	s, err := p.ChatStream(context.Background(), request(userRequest("?")))
	if err != nil {
		t.Fatal(err)
	}
	if r := drain(t, s); r.err != io.EOF || r.finish != "stop" || r.native != "eos" {
		t.Errorf("err = %v finish = %q native = %q", r.err, r.finish, r.native)
	}
}

func TestMistralShapes(t *testing.T) {
	// Magistral's array content with thinking chunks, arguments as an
	// object, finish_reason model_length, usage spelled its own way.
	body := `{"id":"x","object":"chat.completion","created":1,"model":"magistral-medium",
	  "choices":[{"index":0,"finish_reason":"model_length","message":{"role":"assistant",
	    "content":[{"type":"thinking","thinking":[{"type":"text","text":"Hmm."}],"closed":true},{"type":"text","text":"Done."}],
	    "tool_calls":[{"id":"AbCdEfGh1","type":"function","function":{"name":"f","arguments":{"x":1}}}]}}],
	  "usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7,"num_cached_tokens":3}}`
	fake := providertest.New(t, providertest.Mistral, providertest.WithRawBody(body))
	p := newAdapter(t, "mistral", fake.URL, "k")
	resp, err := p.Chat(context.Background(), request(userRequest("?")))
	if err != nil {
		t.Fatal(err)
	}
	c := resp.Choices[0]
	if ptrString(c.Message.Content) != "Done." || ptrString(c.Message.Reasoning) != "Hmm." {
		t.Errorf("content = %q reasoning = %q", ptrString(c.Message.Content), ptrString(c.Message.Reasoning))
	}
	if got := c.Message.ToolCalls[0].Function.Arguments; got != `{"x":1}` {
		t.Errorf("arguments = %q", got)
	}
	if *c.FinishReason != "length" || *c.NativeFinishReason != "model_length" || resp.Usage.CachedTokens() != 3 {
		t.Errorf("finish = %q/%q cached = %d", *c.FinishReason, *c.NativeFinishReason, resp.Usage.CachedTokens())
	}
}

func TestFinish(t *testing.T) {
	for native, want := range map[string]string{
		"stop": "stop", "eos": "stop", "length": "length", "model_length": "length",
		"tool_calls": "tool_calls", "function_call": "tool_calls", "content_filter": "content_filter",
		"error": "error", "insufficient_system_resource": "error", "abort": "error",
		"something_new": "stop",
	} {
		n := native
		got, gotNative := finish(&n)
		if *got != want || gotNative != &n {
			t.Errorf("finish(%q) = %q, %v", native, *got, gotNative)
		}
	}
	if r, n := finish(nil); r != nil || n != nil {
		t.Error("finish(nil) != nil")
	}
}
