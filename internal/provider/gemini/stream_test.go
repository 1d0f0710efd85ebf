package gemini

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

// collect reads a stream to its end.
func collect(t *testing.T, pieces ...string) ([]*openai.Chunk, error) {
	t.Helper()
	f := newFake(t, sseAnswer(pieces...))
	s, err := f.provider(t).ChatStream(context.Background(), chatReq(user("hi")))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if s.Close() != nil || s.Close() != nil {
			t.Error("Close failed")
		}
	}()
	if f.uri != "/v1beta/models/gemini-x:streamGenerateContent?alt=sse" {
		t.Errorf("uri %q", f.uri)
	}
	var out []*openai.Chunk
	for {
		c, err := s.Next()
		if err != nil {
			if _, again := s.Next(); again != err {
				t.Errorf("error not sticky: %v then %v", err, again)
			}
			return out, err
		}
		out = append(out, c)
	}
}

func TestStreamText(t *testing.T) {
	chunks, err := collect(t, data(
		`{"candidates":[{"content":{"parts":[{"text":"thinking","thought":true}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":5,"totalTokenCount":5},"modelVersion":"gemini-x","responseId":"r1"}`,
		`{"candidates":[{"content":{"parts":[{"text":"Hello"}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":5,"totalTokenCount":5},"modelVersion":"gemini-x","responseId":"r1"}`,
		`{"candidates":[{"content":{"parts":[{"text":" there!"}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":5,"cachedContentTokenCount":2,"candidatesTokenCount":3,"thoughtsTokenCount":12,"totalTokenCount":20},"modelVersion":"gemini-x","responseId":"r1"}`,
	)...)
	if err != io.EOF {
		t.Fatalf("err = %v", err)
	}
	var text, reasoning strings.Builder
	for i, c := range chunks {
		if c.ID != "r1" || c.Model != "gemini-x" || c.Object != openai.ObjectChatCompletionChunk {
			t.Fatalf("chunk %d: %+v", i, c)
		}
		if i < len(chunks)-1 && (len(c.Choices) != 1 || c.Choices[0].FinishReason != nil || c.Usage != nil) {
			t.Errorf("chunk %d: %+v", i, c)
		}
		for _, ch := range c.Choices {
			if p := ch.Delta.Content; p != nil {
				text.WriteString(*p)
			}
			if p := ch.Delta.Reasoning; p != nil {
				reasoning.WriteString(*p)
			}
		}
	}
	if chunks[0].Choices[0].Delta.Role != "assistant" || chunks[1].Choices[0].Delta.Role != "" {
		t.Error("role not on the first delta only")
	}
	if text.String() != "Hello there!" || reasoning.String() != "thinking" {
		t.Errorf("text %q reasoning %q", text.String(), reasoning.String())
	}
	last := chunks[len(chunks)-1]
	if len(last.Choices) != 1 || deref(last.Choices[0].FinishReason) != "stop" || deref(last.Choices[0].NativeFinishReason) != "STOP" {
		t.Fatalf("last chunk %+v", last)
	}
	u := last.Usage
	if u == nil || u.PromptTokens != 5 || u.CompletionTokens != 15 || u.TotalTokens != 20 || u.CachedTokens() != 2 || u.ReasoningTokens() != 12 {
		t.Errorf("usage %+v", u)
	}
}

func TestStreamFunctionCall(t *testing.T) {
	chunks, err := collect(t, data(
		`{"candidates":[{"content":{"parts":[{"functionCall":{"name":"get_weather","args":{"location":"Boston"}},"thoughtSignature":"c2ln"}]}}],"usageMetadata":{"trafficType":"ON_DEMAND"}}`,
		`{"candidates":[{"content":{"parts":[{"functionCall":{"name":"now","args":{}}}]}}]}`,
		`{"candidates":[{"content":{"parts":[{"text":""}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":107,"candidatesTokenCount":31,"thoughtsTokenCount":148,"totalTokenCount":286}}`,
	)...)
	if err != io.EOF {
		t.Fatalf("err = %v", err)
	}
	if len(chunks) != 3 {
		t.Fatalf("chunks %d", len(chunks))
	}
	want := []openai.ToolCall{
		{Index: openai.Ptr(0), ID: "call_0", Type: "function", Function: openai.FunctionCall{Name: "get_weather", Arguments: `{"location":"Boston"}`}},
		{Index: openai.Ptr(1), ID: "call_1", Type: "function", Function: openai.FunctionCall{Name: "now", Arguments: `{}`}},
	}
	for i, w := range want {
		tc := chunks[i].Choices[0].Delta.ToolCalls
		if len(tc) != 1 || *tc[0].Index != *w.Index || tc[0].ID != w.ID || tc[0].Type != w.Type || tc[0].Function != w.Function {
			t.Errorf("chunk %d tool calls %+v", i, tc)
		}
	}
	last := chunks[2]
	if deref(last.Choices[0].FinishReason) != "tool_calls" || deref(last.Choices[0].NativeFinishReason) != "STOP" {
		t.Errorf("finish %+v", last.Choices[0])
	}
	if last.Usage == nil || last.Usage.PromptTokens != 107 || last.Usage.CompletionTokens != 179 || last.Usage.TotalTokens != 286 {
		t.Errorf("usage %+v", last.Usage)
	}
}

func TestStreamErrors(t *testing.T) {
	textChunk := data(`{"candidates":[{"content":{"parts":[{"text":"Hi"}],"role":"model"}}],"responseId":"r"}`)[0]
	tests := []struct {
		name   string
		pieces []string
		chunks int
		status int
		typ    string
		code   string
	}{
		{name: "raw error line", pieces: []string{textChunk, `{"error":{"code":500,"message":"Internal error","status":"INTERNAL"}}` + "\n"},
			chunks: 1, status: 500, typ: "server", code: "INTERNAL"},
		{name: "pretty-printed error lines", pieces: []string{textChunk, "{\n  \"error\": {\n    \"code\": 503,\n    \"message\": \"overloaded\",\n    \"status\": \"UNAVAILABLE\"\n  }\n}\n"},
			chunks: 1, status: 503, typ: "provider_overloaded", code: "UNAVAILABLE"},
		{name: "data error", pieces: append([]string{textChunk}, data(`{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED"}}`)...),
			chunks: 1, status: 429, typ: "rate_limit_exceeded", code: "RESOURCE_EXHAUSTED"},
		{name: "truncated", pieces: []string{textChunk}, chunks: 1, typ: "provider_unavailable"},
		{name: "empty", pieces: nil, typ: "provider_unavailable"},
		{name: "malformed", pieces: data(`{"candidates":`), typ: "server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chunks, err := collect(t, tt.pieces...)
			var pe *provider.Error
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v", err)
			}
			if len(chunks) != tt.chunks || pe.Status != tt.status || pe.Type != tt.typ || pe.Code != tt.code || pe.Message == "" {
				t.Errorf("%d chunks, %+v", len(chunks), pe)
			}
			if tt.name == "truncated" && !strings.Contains(pe.Message, "before a finishReason") {
				t.Errorf("message %q", pe.Message)
			}
		})
	}
}

func TestStreamPromptBlocked(t *testing.T) {
	chunks, err := collect(t, data(`{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":4,"totalTokenCount":4}}`)...)
	if err != io.EOF || len(chunks) != 1 {
		t.Fatalf("err = %v, %d chunks", err, len(chunks))
	}
	c := chunks[0].Choices[0]
	if deref(c.FinishReason) != "content_filter" || deref(c.NativeFinishReason) != "SAFETY" || chunks[0].Usage.PromptTokens != 4 {
		t.Errorf("chunk %+v", chunks[0])
	}
}

func TestStreamContextCancel(t *testing.T) {
	release := make(chan struct{})
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, data(`{"candidates":[{"content":{"parts":[{"text":"Hi"}]}}]}`)[0])
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	s, err := f.provider(t).ChatStream(ctx, chatReq(user("hi")))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Next(); err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err = s.Next()
	var pe *provider.Error
	if !errors.As(err, &pe) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %#v", err)
	}
}
