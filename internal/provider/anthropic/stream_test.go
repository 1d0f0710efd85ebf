package anthropic

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

// collect reads a stream to its end.
func collect(t *testing.T, events ...ev) ([]*openai.Chunk, error) {
	t.Helper()
	f := newFake(t, sseAnswer(events...))
	s, err := f.provider(t).ChatStream(context.Background(), chatReq(user("hi")))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if s.Close() != nil || s.Close() != nil {
			t.Error("Close failed")
		}
	}()
	if f.request(t)["stream"] != true {
		t.Error("stream:true not sent")
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
	chunks, err := collect(t, textEvents...)
	if err != io.EOF {
		t.Fatalf("err = %v", err)
	}
	var text strings.Builder
	for i, c := range chunks {
		if c.ID != "msg_1" || c.Model != "claude-x" || c.Object != openai.ObjectChatCompletionChunk || len(c.Choices) != 1 {
			t.Fatalf("chunk %d: %+v", i, c)
		}
		if p := c.Choices[0].Delta.Content; p != nil {
			text.WriteString(*p)
		}
		if i < len(chunks)-1 && (c.Choices[0].FinishReason != nil || c.Usage != nil) {
			t.Errorf("chunk %d finishes early", i)
		}
	}
	if chunks[0].Choices[0].Delta.Role != "assistant" {
		t.Error("first chunk has no role")
	}
	if text.String() != "Hello!" {
		t.Errorf("text %q", text.String())
	}
	last := chunks[len(chunks)-1]
	if deref(last.Choices[0].FinishReason) != "stop" || deref(last.Choices[0].NativeFinishReason) != "end_turn" {
		t.Errorf("finish %q", deref(last.Choices[0].FinishReason))
	}
	u := last.Usage
	if u == nil || u.PromptTokens != 32 || u.CompletionTokens != 15 || u.TotalTokens != 47 || u.CachedTokens() != 5 || u.CacheWriteTokens() != 2 {
		t.Errorf("usage %+v", u)
	}
}

func TestStreamToolCalls(t *testing.T) {
	chunks, err := collect(t, toolEvents...)
	if err != io.EOF {
		t.Fatalf("err = %v", err)
	}
	type call struct{ id, name, args string }
	var calls []call
	var content, reasoning string
	for _, c := range chunks {
		d := c.Choices[0].Delta
		if d.Content != nil {
			content += *d.Content
		}
		if d.Reasoning != nil {
			reasoning += *d.Reasoning
		}
		for _, tc := range d.ToolCalls {
			if tc.Index == nil {
				t.Fatal("tool call delta without index")
			}
			i := *tc.Index
			if i == len(calls) {
				if tc.ID == "" || tc.Type != "function" || tc.Function.Name == "" {
					t.Errorf("first delta of call %d lacks id/type/name: %+v", i, tc)
				}
				calls = append(calls, call{tc.ID, tc.Function.Name, ""})
			} else if i > len(calls) || tc.ID != "" || tc.Function.Name != "" {
				t.Fatalf("unexpected delta %+v", tc)
			}
			calls[i].args += tc.Function.Arguments
		}
	}
	want := []call{{"toolu_A", "get_weather", `{"location": "SF"}`}, {"toolu_B", "get_time", `{}`}}
	if len(calls) != len(want) || calls[0] != want[0] || calls[1] != want[1] {
		t.Errorf("calls %+v", calls)
	}
	if content != "Checking." || reasoning != "hmm" {
		t.Errorf("content %q reasoning %q", content, reasoning)
	}
	last := chunks[len(chunks)-1]
	if deref(last.Choices[0].FinishReason) != "tool_calls" || last.Usage.CompletionTokens != 89 || last.Usage.PromptTokens != 10 {
		t.Errorf("last chunk %+v usage %+v", last.Choices[0], last.Usage)
	}
}

func TestStreamFailures(t *testing.T) {
	truncated := provider.Truncated("Anthropic", finalEvent).Message
	overloaded := ev{"error", `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`}
	tests := []struct {
		name    string
		events  []ev
		typ     string
		status  int
		message string
	}{
		{"error event mid-stream", append(append([]ev{}, textEvents[:4]...), overloaded), "provider_overloaded", 529, "Overloaded"},
		{"error event first", []ev{overloaded}, "provider_overloaded", 529, "Overloaded"},
		{"truncated after delta", textEvents[:4], "provider_unavailable", 0, truncated},
		{"truncated after message_delta", textEvents[:7], "provider_unavailable", 0, truncated},
		{"empty body", nil, "provider_unavailable", 0, truncated},
		{"malformed event", []ev{{"message_start", `{"type":`}}, "server", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chunks, err := collect(t, tt.events...)
			var pe *provider.Error
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v", err)
			}
			if pe.Type != tt.typ || pe.Status != tt.status || (tt.message != "" && pe.Message != tt.message) {
				t.Errorf("error %+v", pe)
			}
			for _, c := range chunks {
				if c.Choices[0].FinishReason != nil {
					t.Error("a failed stream reported a finish reason")
				}
			}
		})
	}
}
