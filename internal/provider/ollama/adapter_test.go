package ollama

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

// fake is an Ollama /api/chat that answers with a scripted status and body
// and records the last request body.
type fake struct {
	*httptest.Server
	mu     sync.Mutex
	status int
	lines  []string // the body, one element per line
	hang   bool     // flush the lines, then block until the client leaves
	last   map[string]any
	path   string
}

func newFake(t *testing.T, status int, lines ...string) *fake {
	f := &fake{status: status, lines: lines}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.path = r.URL.Path
		f.last = nil
		json.Unmarshal(b, &f.last)
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.WriteHeader(f.status)
		for _, l := range f.lines {
			io.WriteString(w, l+"\n")
		}
		w.(http.Flusher).Flush()
		if f.hang {
			<-r.Context().Done()
		}
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fake) request() map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

func adapter(t *testing.T, base string) provider.Provider {
	t.Helper()
	p, err := New(provider.Config{Slug: "ollama", Name: "Ollama", Protocol: "ollama", BaseURL: base, HTTPClient: &http.Client{}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func req(text string) *provider.Request {
	return &provider.Request{
		Chat:          &openai.ChatRequest{Model: "c/m", Messages: []openai.Message{{Role: "user", Content: openai.TextContent(text)}}},
		UpstreamModel: "llama3.2",
	}
}

type result struct {
	text, reasoning, finish string
	native                  *string
	usage                   *openai.Usage
	calls                   []openai.ToolCall
	err                     error
}

func drain(t *testing.T, s provider.Stream) result {
	t.Helper()
	defer s.Close()
	var r result
	for {
		c, err := s.Next()
		if err != nil {
			r.err = err
			if _, err2 := s.Next(); err2 != err {
				t.Errorf("Next after the end: %v, want %v", err2, err)
			}
			return r
		}
		if c.Usage != nil {
			r.usage = c.Usage
		}
		for _, ch := range c.Choices {
			if ch.Delta.Content != nil {
				r.text += *ch.Delta.Content
			}
			if ch.Delta.Reasoning != nil {
				r.reasoning += *ch.Delta.Reasoning
			}
			r.calls = append(r.calls, ch.Delta.ToolCalls...)
			if ch.FinishReason != nil {
				r.finish, r.native = *ch.FinishReason, ch.NativeFinishReason
			}
		}
	}
}

const doneLine = `{"model":"llama3.2","created_at":"2023-08-04T19:22:45.499127Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","prompt_eval_count":26,"eval_count":282}`

func TestNew(t *testing.T) {
	p, err := New(provider.Config{Slug: "ollama"})
	if err != nil || p.(*Adapter).url != "http://127.0.0.1:11434/api/chat" {
		t.Errorf("default: %v %v", p, err)
	}
	if _, err := New(provider.Config{Slug: "ollama", BaseURL: "localhost:11434"}); err == nil {
		t.Error("relative base URL accepted")
	}
}

func TestRequestTranslation(t *testing.T) {
	f := newFake(t, 200, `{"model":"llama3.2","message":{"role":"assistant","content":"ok"},"done":true,"done_reason":"stop"}`)
	p := adapter(t, f.URL+"/")
	chat := &openai.ChatRequest{
		Model: "c/m",
		Messages: []openai.Message{
			{Role: "developer", Content: openai.TextContent("Be brief.")},
			{Role: "user", Content: openai.PartsContent(
				openai.ContentPart{Type: "text", Text: "What is this?"},
				openai.ContentPart{Type: "image_url", ImageURL: &openai.ImageURL{URL: "data:image/png;base64,iVBORw0KGgo="}})},
			{Role: "assistant", Content: openai.TextContent(""), ToolCalls: []openai.ToolCall{{ID: "call_9", Type: "function", Function: openai.FunctionCall{Name: "get_weather", Arguments: `{"city":"Tokyo"}`}}}},
			{Role: "tool", ToolCallID: "call_9", Content: openai.TextContent("sunny")},
		},
		Tools:          []openai.Tool{{Type: "function", Function: &openai.FunctionDef{Name: "get_weather", Parameters: json.RawMessage(`{"type":"object"}`)}}},
		Temperature:    openai.Ptr(0.5),
		TopP:           openai.Ptr(0.9),
		TopK:           openai.Ptr(40),
		MaxTokens:      openai.Ptr(100),
		Stop:           json.RawMessage(`"END"`),
		Seed:           openai.Ptr(int64(7)),
		ResponseFormat: json.RawMessage(`{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object"}}}`),
	}
	before, _ := json.Marshal(chat)
	if _, err := p.Chat(context.Background(), &provider.Request{Chat: chat, UpstreamModel: "llama3.2"}); err != nil {
		t.Fatalf("Chat: %v", err)
	}
	if after, _ := json.Marshal(chat); string(after) != string(before) {
		t.Error("request modified")
	}
	got, _ := json.Marshal(f.request())
	want := `{"format":{"type":"object"},"messages":[{"content":"Be brief.","role":"system"},{"content":"What is this?","images":["iVBORw0KGgo="],"role":"user"},{"content":"","role":"assistant","tool_calls":[{"function":{"arguments":{"city":"Tokyo"},"name":"get_weather"},"id":"call_9"}]},{"content":"sunny","role":"tool","tool_call_id":"call_9","tool_name":"get_weather"}],"model":"llama3.2","options":{"num_predict":100,"seed":7,"stop":["END"],"temperature":0.5,"top_k":40,"top_p":0.9},"stream":false,"tools":[{"function":{"name":"get_weather","parameters":{"type":"object"}},"type":"function"}]}`
	if string(got) != want {
		t.Errorf("request:\n got %s\nwant %s", got, want)
	}
	if f.path != "/api/chat" {
		t.Errorf("path %q", f.path)
	}

	// json_object → "json"; tool_choice none → no tools.
	chat2 := &openai.ChatRequest{Messages: chat.Messages[:1], Tools: chat.Tools, ToolChoice: json.RawMessage(`"none"`), ResponseFormat: json.RawMessage(`{"type":"json_object"}`)}
	if _, err := p.Chat(context.Background(), &provider.Request{Chat: chat2, UpstreamModel: "m"}); err != nil {
		t.Fatal(err)
	}
	if r := f.request(); r["format"] != "json" || r["tools"] != nil || r["options"] != nil {
		t.Errorf("request: %v", r)
	}
}

func TestChat(t *testing.T) {
	f := newFake(t, 200, `{"model":"llama3.2","created_at":"2023-08-04T19:22:45Z","message":{"role":"assistant","content":"Hello.","thinking":"hmm"},"done":true,"done_reason":"load","prompt_eval_count":9,"eval_count":3}`)
	resp, err := adapter(t, f.URL).Chat(context.Background(), req("Hi"))
	if err != nil {
		t.Fatal(err)
	}
	ch := resp.Choices[0]
	if *ch.Message.Content != "Hello." || *ch.Message.Reasoning != "hmm" || *ch.FinishReason != "stop" || *ch.NativeFinishReason != "load" {
		t.Errorf("choice %+v", ch)
	}
	if resp.Model != "llama3.2" || resp.Created != 1691176965 || resp.Object != "chat.completion" || resp.ID == "" {
		t.Errorf("response %+v", resp)
	}
	if u := resp.Usage; u.PromptTokens != 9 || u.CompletionTokens != 3 || u.TotalTokens != 12 {
		t.Errorf("usage %+v", u)
	}
	if r := f.request(); r["stream"] != false {
		t.Errorf("stream = %v", r["stream"])
	}
}

func TestChatToolCall(t *testing.T) {
	f := newFake(t, 200, `{"model":"m","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"get_weather","arguments":{"city":"Tokyo"}}},{"function":{"name":"now","arguments":{}}}]},"done":true,"done_reason":"stop"}`)
	resp, err := adapter(t, f.URL).Chat(context.Background(), req("Weather?"))
	if err != nil {
		t.Fatal(err)
	}
	ch := resp.Choices[0]
	calls := ch.Message.ToolCalls
	if *ch.FinishReason != "tool_calls" || len(calls) != 2 || ch.Message.Content != nil {
		t.Fatalf("choice %+v", ch)
	}
	if !strings.HasPrefix(calls[0].ID, "call_") || !strings.HasSuffix(calls[0].ID, "_0") || calls[1].ID != strings.TrimSuffix(calls[0].ID, "0")+"1" ||
		calls[0].Type != "function" || calls[0].Function.Name != "get_weather" || calls[0].Function.Arguments != `{"city":"Tokyo"}` || calls[0].Index != nil {
		t.Errorf("calls %+v", calls)
	}
}

func TestChatStream(t *testing.T) {
	f := newFake(t, 200,
		`{"model":"llama3.2","created_at":"2023-08-04T08:52:19.385406455-07:00","message":{"role":"assistant","content":"","thinking":"Let me"},"done":false}`,
		``,
		`{"model":"llama3.2","created_at":"2023-08-04T08:52:19.385406455-07:00","message":{"role":"assistant","content":"The"},"done":false}`,
		`{"model":"llama3.2","created_at":"2023-08-04T08:52:19.385406455-07:00","message":{"role":"assistant","content":" sky is `+strings.Repeat("b", 200<<10)+`"},"done":false}`,
		doneLine)
	s, err := adapter(t, f.URL).ChatStream(context.Background(), req("Why?"))
	if err != nil {
		t.Fatal(err)
	}
	r := drain(t, s)
	if r.err != io.EOF || r.text != "The sky is "+strings.Repeat("b", 200<<10) || r.reasoning != "Let me" || r.finish != "stop" || *r.native != "stop" {
		t.Errorf("stream: finish %q reasoning %q text %d bytes, err %v", r.finish, r.reasoning, len(r.text), r.err)
	}
	if u := r.usage; u == nil || u.PromptTokens != 26 || u.CompletionTokens != 282 || u.TotalTokens != 308 {
		t.Errorf("usage %+v", r.usage)
	}
	if req := f.request(); req["stream"] != true {
		t.Errorf("stream = %v", req["stream"])
	}
}

func TestChatStreamToolCall(t *testing.T) {
	f := newFake(t, 200,
		`{"model":"llama3.2","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"get_weather","arguments":{"city":"Tokyo"}}}]},"done":false}`,
		`{"model":"llama3.2","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"get_time","arguments":{"tz":"JST"}}}]},"done":false}`,
		`{"model":"llama3.2","message":{"role":"assistant","content":""},"done_reason":"stop","done":true,"prompt_eval_count":169,"eval_count":15}`)
	s, err := adapter(t, f.URL).ChatStream(context.Background(), req("Weather?"))
	if err != nil {
		t.Fatal(err)
	}
	r := drain(t, s)
	if r.err != io.EOF || r.finish != "tool_calls" || len(r.calls) != 2 || r.text != "" {
		t.Fatalf("stream %+v", r)
	}
	for i, c := range r.calls {
		if c.Index == nil || *c.Index != i || !strings.HasPrefix(c.ID, "call_") || !strings.HasSuffix(c.ID, "_"+string(rune('0'+i))) || c.Type != "function" {
			t.Errorf("call %d: %+v", i, c)
		}
	}
	if r.calls[0].Function.Arguments != `{"city":"Tokyo"}` || r.calls[1].Function.Name != "get_time" {
		t.Errorf("calls %+v", r.calls)
	}
}

func TestChatStreamLength(t *testing.T) {
	f := newFake(t, 200, `{"model":"m","message":{"role":"assistant","content":"a"},"done":false}`,
		`{"model":"m","message":{"role":"assistant","content":""},"done":true,"done_reason":"length","prompt_eval_count":1,"eval_count":1}`)
	s, err := adapter(t, f.URL).ChatStream(context.Background(), req("x"))
	if err != nil {
		t.Fatal(err)
	}
	if r := drain(t, s); r.finish != "length" || r.err != io.EOF {
		t.Errorf("stream %+v", r)
	}
}

func TestChatStreamInBandError(t *testing.T) {
	f := newFake(t, 200, `{"model":"m","message":{"role":"assistant","content":"a"},"done":false}`,
		`{"error":"an error was encountered while running the model"}`)
	s, err := adapter(t, f.URL).ChatStream(context.Background(), req("x"))
	if err != nil {
		t.Fatal(err)
	}
	r := drain(t, s)
	var pe *provider.Error
	if !errors.As(r.err, &pe) || pe.Message != "an error was encountered while running the model" || pe.Provider != "Ollama" || r.text != "a" {
		t.Errorf("stream %+v, err %v", r, r.err)
	}
}

func TestChatStreamTruncated(t *testing.T) {
	for _, lines := range [][]string{
		{`{"model":"m","message":{"role":"assistant","content":"a"},"done":false}`},
		{},
	} {
		f := newFake(t, 200, lines...)
		s, err := adapter(t, f.URL).ChatStream(context.Background(), req("x"))
		if err != nil {
			t.Fatal(err)
		}
		r := drain(t, s)
		var pe *provider.Error
		if !errors.As(r.err, &pe) || pe.Message != "upstream closed the stream before the done:true line" || !pe.Retryable() {
			t.Errorf("truncated after %d lines: %v", len(lines), r.err)
		}
	}
}

func TestHTTPErrors(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		typ    string
		msg    string
		retry  bool
	}{
		{404, `{"error":"model 'llama9' not found"}`, "not_found", "model 'llama9' not found", false},
		{400, `{"error":"invalid options"}`, "invalid_request", "invalid options", false},
		{429, `{"error":"too many requests"}`, "rate_limit_exceeded", "too many requests", true},
		{500, `oops`, "server", "oops", true},
		{502, ``, "server", "upstream returned status 502 Bad Gateway", true},
	} {
		f := newFake(t, tc.status, tc.body)
		for _, stream := range []bool{false, true} {
			var err error
			if stream {
				_, err = adapter(t, f.URL).ChatStream(context.Background(), req("x"))
			} else {
				_, err = adapter(t, f.URL).Chat(context.Background(), req("x"))
			}
			var pe *provider.Error
			if !errors.As(err, &pe) || pe.Status != tc.status || pe.Type != tc.typ || pe.Message != tc.msg || pe.Retryable() != tc.retry {
				t.Errorf("%d stream=%v: %+v", tc.status, stream, err)
			}
		}
	}
}

func TestChatInBandError(t *testing.T) {
	f := newFake(t, 200, `{"error":"model runner crashed"}`)
	_, err := adapter(t, f.URL).Chat(context.Background(), req("x"))
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Message != "model runner crashed" {
		t.Errorf("err %v", err)
	}
}

func TestChatStreamCancel(t *testing.T) {
	f := newFake(t, 200, `{"model":"m","message":{"role":"assistant","content":"a"},"done":false}`)
	f.hang = true
	ctx, cancel := context.WithCancel(context.Background())
	s, err := adapter(t, f.URL).ChatStream(ctx, req("x"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Next(); err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(20*time.Millisecond, cancel)
	done := make(chan error, 1)
	go func() { _, err := s.Next(); done <- err }()
	select {
	case err := <-done:
		var pe *provider.Error
		if !errors.As(err, &pe) || !errors.Is(err, context.Canceled) {
			t.Errorf("after cancel: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Next did not return after cancel")
	}
}
