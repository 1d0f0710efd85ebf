package demo

import (
	"context"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/sse"
)

func TestNonStreamed(t *testing.T) {
	c := start(t, nil, fast("demo-a"))
	resp := post(t, t.Context(), c, "demo-a", chatBody(modelGPT4oMini, "Hello   there,\nrouter!", nil))
	var got openai.ChatResponse
	body := decodeJSON(t, resp, http.StatusOK, &got)

	if got.Object != "chat.completion" || !strings.HasPrefix(got.ID, "chatcmpl-") || got.Model != modelGPT4oMini || got.Created == 0 {
		t.Errorf("envelope = %+v", got)
	}
	if len(got.Choices) != 1 {
		t.Fatalf("choices = %d", len(got.Choices))
	}
	ch := got.Choices[0]
	if ch.Message.Role != "assistant" || ch.Message.Content == nil {
		t.Fatalf("message = %+v", ch.Message)
	}
	text := *ch.Message.Content
	for _, want := range []string{"Simulated reply from Simulated demo-a (demo)", "You asked: «Hello there, router!»"} {
		if !strings.Contains(text, want) {
			t.Errorf("content %q lacks %q", text, want)
		}
	}
	if ch.FinishReason == nil || *ch.FinishReason != "stop" {
		t.Errorf("finish_reason = %v", ch.FinishReason)
	}
	u := got.Usage
	if u == nil {
		t.Fatal("no usage")
	}
	if u.CompletionTokens != countTokens(text) || u.CompletionTokens < 40 || u.CompletionTokens > 150 {
		t.Errorf("completion_tokens = %d, text has %d tokens", u.CompletionTokens, countTokens(text))
	}
	if u.PromptTokens <= 0 || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Errorf("usage = %+v", u)
	}
	// Keys the OpenAI schema requires, even when null.
	for _, key := range []string{`"logprobs":null`, `"refusal":null`, `"finish_reason":"stop"`} {
		if !strings.Contains(string(body), key) {
			t.Errorf("body lacks %s: %s", key, body)
		}
	}
	if resp.Header.Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id")
	}
}

func TestNonStreamedIsDeterministic(t *testing.T) {
	c := start(t, nil, fast("demo-a"))
	var texts [2]string
	for i := range texts {
		var got openai.ChatResponse
		decodeJSON(t, post(t, t.Context(), c, "demo-a", chatBody(modelHaiku, "same question", nil)), http.StatusOK, &got)
		texts[i] = *got.Choices[0].Message.Content
	}
	if texts[0] != texts[1] {
		t.Errorf("replies differ:\n%s\n%s", texts[0], texts[1])
	}
}

func TestStreamed(t *testing.T) {
	c := start(t, nil, fast("demo-a"))
	resp := post(t, t.Context(), c, "demo-a", chatBody(modelGPT4oMini, "Stream me something",
		map[string]any{"stream": true, "stream_options": map[string]any{"include_usage": true}}))
	s := readStream(t, resp)

	if n := len(s.raw); n < 5 || s.raw[n-1] != "[DONE]" {
		t.Fatalf("stream does not end with [DONE]: %q", s.raw)
	}
	first := s.chunks[0]
	if first.Choices[0].Delta.Role != "assistant" || first.Choices[0].Delta.Content == nil || *first.Choices[0].Delta.Content != "" {
		t.Errorf("first chunk = %s", s.raw[0])
	}
	deltas := 0
	for i, ch := range s.chunks {
		if ch.ID != first.ID || ch.Created != first.Created || ch.Object != "chat.completion.chunk" || ch.Model != modelGPT4oMini {
			t.Errorf("chunk %d envelope differs: %s", i, s.raw[i])
		}
		if i > 0 && len(ch.Choices) == 1 && ch.Choices[0].Delta.Content != nil {
			deltas++
		}
	}
	finish := s.chunks[len(s.chunks)-2]
	if fr := finish.Choices[0].FinishReason; fr == nil || *fr != "stop" {
		t.Errorf("finish chunk = %s", s.raw[len(s.raw)-3])
	}
	usageRaw := s.raw[len(s.raw)-2]
	if !strings.Contains(usageRaw, `"choices":[]`) {
		t.Errorf("usage chunk must have empty choices: %s", usageRaw)
	}
	u := s.chunks[len(s.chunks)-1].Usage
	if u == nil {
		t.Fatalf("no usage in %s", usageRaw)
	}
	text := s.content()
	if u.CompletionTokens != deltas || u.CompletionTokens != countTokens(text) {
		t.Errorf("completion_tokens = %d, deltas = %d, text tokens = %d", u.CompletionTokens, deltas, countTokens(text))
	}
	if !strings.Contains(text, "You asked: «Stream me something»") {
		t.Errorf("content = %q", text)
	}
	for _, ch := range s.chunks[:len(s.chunks)-1] {
		if ch.Usage != nil {
			t.Error("usage on a content chunk")
		}
	}
}

func TestStreamedWithoutUsage(t *testing.T) {
	c := start(t, nil, fast("demo-a"))
	s := readStream(t, post(t, t.Context(), c, "demo-a", chatBody(modelGPT4oMini, "hi", map[string]any{"stream": true})))
	for _, ch := range s.chunks {
		if ch.Usage != nil || len(ch.Choices) == 0 {
			t.Fatalf("usage chunk sent without include_usage: %+v", ch)
		}
	}
	if s.raw[len(s.raw)-1] != "[DONE]" {
		t.Error("no [DONE]")
	}
}

func TestMaxTokens(t *testing.T) {
	c := start(t, nil, fast("demo-a"))
	for _, field := range []string{"max_tokens", "max_completion_tokens"} {
		var got openai.ChatResponse
		decodeJSON(t, post(t, t.Context(), c, "demo-a", chatBody(modelGPT4oMini, "hi", map[string]any{field: 7})), http.StatusOK, &got)
		if fr := *got.Choices[0].FinishReason; fr != "length" || got.Usage.CompletionTokens != 7 ||
			countTokens(*got.Choices[0].Message.Content) != 7 {
			t.Errorf("%s: finish %q, usage %+v, content %q", field, fr, got.Usage, *got.Choices[0].Message.Content)
		}
	}
	s := readStream(t, post(t, t.Context(), c, "demo-a", chatBody(modelGPT4oMini, "hi",
		map[string]any{"stream": true, "max_tokens": 3, "stream_options": map[string]any{"include_usage": true}})))
	if n := len(s.chunks); *s.chunks[n-2].Choices[0].FinishReason != "length" || s.chunks[n-1].Usage.CompletionTokens != 3 {
		t.Errorf("stream: %q", s.raw)
	}

	resp := post(t, t.Context(), c, "demo-a", chatBody(modelGPT4oMini, "hi", map[string]any{"max_tokens": 0}))
	var e map[string]any
	checkOpenAIError(t, decodeJSON(t, resp, http.StatusBadRequest, &e), "invalid_request_error")
}

func TestStop(t *testing.T) {
	c := start(t, nil, fast("demo-a"))
	var got openai.ChatResponse
	decodeJSON(t, post(t, t.Context(), c, "demo-a", chatBody(modelGPT4oMini, "hi", map[string]any{"stop": []string{"You asked"}})), http.StatusOK, &got)
	text := *got.Choices[0].Message.Content
	if strings.Contains(text, "You asked") || !strings.HasPrefix(text, "[Simulated reply") || *got.Choices[0].FinishReason != "stop" {
		t.Errorf("content = %q", text)
	}
}

func TestAuth(t *testing.T) {
	c := start(t, nil, fast("demo-a"))
	for _, auth := range []string{"", "Bearer ", "Basic abc"} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, c.BaseURL("demo-a")+"/chat/completions",
			strings.NewReader(`{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e map[string]any
		msg := checkOpenAIError(t, decodeJSON(t, resp, http.StatusUnauthorized, &e), "invalid_request_error")
		resp.Body.Close()
		if !strings.Contains(msg, "API key") {
			t.Errorf("message = %q", msg)
		}
	}
	// Any non-empty token is accepted.
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, c.BaseURL("demo-a")+"/models", nil)
	req.Header.Set("Authorization", "Bearer anything")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status = %d with another token", resp.StatusCode)
	}
}

func TestModelsAndBadRequests(t *testing.T) {
	c := start(t, nil, fast("demo-a"))
	get := func(path string) *http.Response {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, c.BaseURL("demo-a")+path, nil)
		req.Header.Set("Authorization", "Bearer "+c.APIKey())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	var list struct {
		Object string        `json:"object"`
		Data   []modelObject `json:"data"`
	}
	decodeJSON(t, get("/models"), http.StatusOK, &list)
	if list.Object != "list" || len(list.Data) != 2 || list.Data[0].ID != modelGPT4oMini || list.Data[0].Object != "model" || list.Data[0].OwnedBy != "openai" {
		t.Errorf("models = %+v", list)
	}
	var one modelObject
	decodeJSON(t, get("/models/"+modelHaiku), http.StatusOK, &one)
	if one.ID != modelHaiku {
		t.Errorf("model = %+v", one)
	}
	var e map[string]any
	decodeJSON(t, get("/models/"+modelDeepSeek), http.StatusNotFound, &e)
	checkOpenAIError(t, decodeJSON(t, get("/chat/completions"), http.StatusNotFound, &e), "invalid_request_error")

	resp := post(t, t.Context(), c, "demo-a", chatBody(modelDeepSeek, "hi", nil))
	checkOpenAIError(t, decodeJSON(t, resp, http.StatusNotFound, &e), "invalid_request_error")
	resp = post(t, t.Context(), c, "demo-a", map[string]any{"model": modelHaiku, "messages": []any{}})
	checkOpenAIError(t, decodeJSON(t, resp, http.StatusBadRequest, &e), "invalid_request_error")
	resp = post(t, t.Context(), c, "demo-a", "not an object")
	checkOpenAIError(t, decodeJSON(t, resp, http.StatusBadRequest, &e), "invalid_request_error")
}

func TestFailureRate(t *testing.T) {
	overloaded := fast("demo-o")
	overloaded.FailureRate, overloaded.Rand = 1, constRand(0.5)
	limited := fast("demo-l")
	limited.FailureRate, limited.Rand = 1, constRand(0.1)
	random := fast("demo-r")
	random.FailureRate = 1
	c := start(t, nil, overloaded, limited, random)

	var e map[string]any
	for _, stream := range []bool{false, true} {
		resp := post(t, t.Context(), c, "demo-o", chatBody(modelGPT4oMini, "hi", map[string]any{"stream": stream}))
		checkOpenAIError(t, decodeJSON(t, resp, http.StatusServiceUnavailable, &e), "server_error")
	}
	resp := post(t, t.Context(), c, "demo-l", chatBody(modelGPT4oMini, "hi", nil))
	checkOpenAIError(t, decodeJSON(t, resp, http.StatusTooManyRequests, &e), "requests")
	if resp.Header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After = %q", resp.Header.Get("Retry-After"))
	}
	for range 10 {
		resp := post(t, t.Context(), c, "demo-r", chatBody(modelGPT4oMini, "hi", nil))
		if resp.StatusCode != http.StatusServiceUnavailable && resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("status = %d with failure rate 1", resp.StatusCode)
		}
	}
}

func TestMidStreamFailure(t *testing.T) {
	p := fast("demo-m")
	p.MidStreamFailureRate, p.Rand = 1, constRand(0.5)
	c := start(t, nil, p)

	s := readStream(t, post(t, t.Context(), c, "demo-m", chatBody(modelGPT4oMini, "hi", map[string]any{"stream": true})))
	last := s.raw[len(s.raw)-1]
	if !strings.HasPrefix(last, `{"error":{`) || !strings.Contains(last, `"type":"server_error"`) {
		t.Fatalf("last event = %s", last)
	}
	if len(s.raw) < 10 {
		t.Errorf("failed after %d events, want about half-way", len(s.raw))
	}

	var e map[string]any
	resp := post(t, t.Context(), c, "demo-m", chatBody(modelGPT4oMini, "hi", nil))
	checkOpenAIError(t, decodeJSON(t, resp, http.StatusInternalServerError, &e), "server_error")
}

func TestToolCall(t *testing.T) {
	c := start(t, nil, fast("demo-a"))
	tools := []map[string]any{
		{"type": "function", "function": map[string]any{"name": "lookup", "parameters": map[string]any{}}},
		{"type": "function", "function": map[string]any{"name": "get_weather", "parameters": map[string]any{
			"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}, "required": []string{"city"},
		}}},
	}
	question := "What's the weather in New York today?"

	var got openai.ChatResponse
	decodeJSON(t, post(t, t.Context(), c, "demo-a", chatBody(modelGPT4oMini, question, map[string]any{"tools": tools})), http.StatusOK, &got)
	msg := got.Choices[0].Message
	if *got.Choices[0].FinishReason != "tool_calls" || msg.Content != nil || len(msg.ToolCalls) != 1 {
		t.Fatalf("choice = %+v", got.Choices[0])
	}
	tc := msg.ToolCalls[0]
	if !strings.HasPrefix(tc.ID, "call_") || tc.Type != "function" || tc.Function.Name != "get_weather" || tc.Function.Arguments != `{"city":"New York"}` {
		t.Errorf("tool call = %+v", tc)
	}
	if got.Usage.CompletionTokens != countTokens(tc.Function.Arguments) {
		t.Errorf("usage = %+v", got.Usage)
	}

	s := readStream(t, post(t, t.Context(), c, "demo-a", chatBody(modelGPT4oMini, question, map[string]any{"tools": tools, "stream": true})))
	var args strings.Builder
	var id, name string
	for _, ch := range s.chunks {
		for _, d := range ch.Choices[0].Delta.ToolCalls {
			if d.Index == nil || *d.Index != 0 {
				t.Errorf("tool call delta without index 0: %+v", d)
			}
			id += d.ID
			name += d.Function.Name
			args.WriteString(d.Function.Arguments)
		}
	}
	if !strings.HasPrefix(id, "call_") || name != "get_weather" || args.String() != `{"city":"New York"}` {
		t.Errorf("streamed call: id %q name %q args %q", id, name, args.String())
	}
	if fr := s.chunks[len(s.chunks)-1].Choices[0].FinishReason; fr == nil || *fr != "tool_calls" {
		t.Errorf("finish = %q", s.raw)
	}

	// No weather, no call; tool_choice "none" wins over the weather.
	for _, extra := range []map[string]any{{"tools": tools}, {"tools": tools, "tool_choice": "none"}} {
		q := "hello"
		if extra["tool_choice"] != nil {
			q = question
		}
		var got openai.ChatResponse
		decodeJSON(t, post(t, t.Context(), c, "demo-a", chatBody(modelGPT4oMini, q, extra)), http.StatusOK, &got)
		if len(got.Choices[0].Message.ToolCalls) != 0 || *got.Choices[0].FinishReason != "stop" {
			t.Errorf("%v: unexpected tool call %+v", extra, got.Choices[0])
		}
	}
}

func TestPacing(t *testing.T) {
	p := fast("demo-slow")
	p.Latency = 50 * time.Millisecond
	p.TokensPerSecond = 100 // 10ms a token
	c := start(t, nil, p)

	began := time.Now()
	var got openai.ChatResponse
	decodeJSON(t, post(t, t.Context(), c, "demo-slow", chatBody(modelGPT4oMini, "hi", map[string]any{"max_tokens": 20})), http.StatusOK, &got)
	// 50ms to the first token, then 20 tokens at 10ms: at least 250ms.
	if d := time.Since(began); d < 200*time.Millisecond {
		t.Errorf("non-streamed reply took %v, want >= 200ms", d)
	}

	began = time.Now()
	resp := post(t, t.Context(), c, "demo-slow", chatBody(modelGPT4oMini, "hi", map[string]any{"max_tokens": 20, "stream": true}))
	if d := time.Since(began); d < 40*time.Millisecond {
		t.Errorf("headers after %v, want >= the 50ms latency", d)
	}
	readStream(t, resp)
	if d := time.Since(began); d < 200*time.Millisecond {
		t.Errorf("stream took %v, want >= 200ms", d)
	}
}

func TestClientCancelStopsHandler(t *testing.T) {
	logs := &logBuffer{}
	p := fast("demo-slow")
	p.TokensPerSecond = 0.1 // ten seconds a token
	before := runtime.NumGoroutine()
	c, err := Start(t.Context(), []Profile{p}, logs.logger())
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	resp := post(t, ctx, c, "demo-slow", chatBody(modelGPT4oMini, "hi", map[string]any{"stream": true}))
	r := sse.NewReader(resp.Body)
	if _, err := r.Next(); err != nil {
		t.Fatalf("first event: %v", err)
	}
	cancel()
	waitFor(t, "the handler to stop", func() bool {
		return strings.Contains(logs.String(), `"msg":"demo: request done"`)
	})
	if !strings.Contains(logs.String(), `"err":"context canceled"`) {
		t.Errorf("handler did not stop on cancellation: %s", logs.String())
	}

	// With the handler gone, a graceful Close has nothing to wait for.
	closeCtx, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	began := time.Now()
	if err := c.Close(closeCtx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if d := time.Since(began); d > 2*time.Second {
		t.Errorf("Close took %v", d)
	}
	http.DefaultClient.CloseIdleConnections()
	waitFor(t, "goroutines to exit", func() bool { return runtime.NumGoroutine() <= before })
}

func TestCloseCancelsInFlightAfterGrace(t *testing.T) {
	p := fast("demo-slow")
	p.TokensPerSecond = 2
	c, err := Start(t.Context(), []Profile{p}, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp := post(t, t.Context(), c, "demo-slow", chatBody(modelGPT4oMini, "hi", map[string]any{"stream": true}))
	if _, err := sse.NewReader(resp.Body).Next(); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	began := time.Now()
	if err := c.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close = %v, want the grace period's deadline", err)
	}
	if d := time.Since(began); d > 3*time.Second {
		t.Errorf("Close took %v", d)
	}
	// The stream ended early: an error or EOF, never [DONE].
	if rest, _ := io.ReadAll(resp.Body); strings.Contains(string(rest), "[DONE]") {
		t.Errorf("stream completed: %s", rest)
	}
	if err := c.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("second Close = %v, want the first result", err)
	}

	// The servers are gone.
	_, err = http.Get(c.BaseURL("demo-slow") + "/models")
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("GET after Close: %v, want connection refused", err)
	}
}

func TestStartValidates(t *testing.T) {
	bad := map[string][]Profile{
		"none":          nil,
		"no slug":       {{Name: "x", Models: []string{modelHaiku}}},
		"no models":     {{Slug: "x", Name: "x"}},
		"unknown model": {{Slug: "x", Name: "x", Models: []string{"acme/nope"}}},
		"bad rate":      {{Slug: "x", Name: "x", Models: []string{modelHaiku}, FailureRate: 1.5}},
		"duplicate":     {fast("x"), fast("x")},
	}
	for name, profiles := range bad {
		if c, err := Start(t.Context(), profiles, nil); err == nil {
			c.Close(t.Context())
			t.Errorf("%s: Start succeeded", name)
		}
	}
}

func TestMain(m *testing.M) {
	// Keep the default client from pooling connections across tests, so
	// that goroutine counts are comparable.
	http.DefaultClient.Transport = &http.Transport{DisableKeepAlives: true}
	m.Run()
}
