package cohere

import (
	"context"
	"errors"
	"io"
	"net/http"
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
	if got := f.header.Get("Accept"); got != "text/event-stream" {
		t.Errorf("Accept = %q", got)
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
	for _, tt := range []struct {
		name   string
		events []ev
	}{
		{"plain", textEvents},
		{"with [DONE]", append(append([]ev(nil), textEvents...), ev{"", "[DONE]"})},
		{"data only", func() []ev {
			out := make([]ev, len(textEvents))
			for i, e := range textEvents {
				out[i] = ev{"", e.data}
			}
			return out
		}()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			chunks, err := collect(t, tt.events...)
			if err != io.EOF {
				t.Fatalf("err = %v", err)
			}
			var text strings.Builder
			for i, c := range chunks {
				if c.ID != "29f14a5a" || c.Model != "command-x" || c.Object != openai.ObjectChatCompletionChunk || len(c.Choices) != 1 {
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
			if text.String() != "LLMs" {
				t.Errorf("text = %q", text.String())
			}
			last := chunks[len(chunks)-1]
			if deref(last.Choices[0].FinishReason) != "stop" || deref(last.Choices[0].NativeFinishReason) != "COMPLETE" {
				t.Errorf("finish %q native %q", deref(last.Choices[0].FinishReason), deref(last.Choices[0].NativeFinishReason))
			}
			u := last.Usage
			if u == nil || u.PromptTokens != 71 || u.CompletionTokens != 26 || u.TotalTokens != 97 || u.CachedTokens() != 8 {
				t.Errorf("usage %+v", u)
			}
		})
	}
}

func TestStreamToolCalls(t *testing.T) {
	chunks, err := collect(t, toolEvents...)
	if err != io.EOF {
		t.Fatalf("err = %v", err)
	}
	var reasoning strings.Builder
	type call struct{ id, name, args string }
	calls := map[int]*call{}
	for _, c := range chunks {
		d := c.Choices[0].Delta
		if d.Reasoning != nil {
			reasoning.WriteString(*d.Reasoning)
		}
		for _, tc := range d.ToolCalls {
			if tc.Index == nil {
				t.Fatalf("tool call delta without index: %+v", tc)
			}
			cl := calls[*tc.Index]
			if cl == nil {
				if tc.ID == "" || tc.Type != "function" {
					t.Fatalf("first delta of call %d lacks id/type: %+v", *tc.Index, tc)
				}
				cl = &call{id: tc.ID, name: tc.Function.Name}
				calls[*tc.Index] = cl
			}
			cl.args += tc.Function.Arguments
		}
	}
	if reasoning.String() != "I will check." {
		t.Errorf("reasoning = %q", reasoning.String())
	}
	want := map[int]call{0: {"get_weather_abc", "get_weather", `{"location": "SF"}`}, 1: {"now_xyz", "now", "{}"}}
	if len(calls) != len(want) {
		t.Fatalf("calls %+v", calls)
	}
	for i, w := range want {
		if *calls[i] != w {
			t.Errorf("call %d = %+v, want %+v", i, *calls[i], w)
		}
	}
	last := chunks[len(chunks)-1]
	if deref(last.Choices[0].FinishReason) != "tool_calls" || last.Usage == nil || last.Usage.TotalTokens != 30 {
		t.Errorf("last chunk %+v usage %+v", last.Choices[0], last.Usage)
	}
}

// truncated is the shared truncation message (provider.Truncated).
const truncated = "upstream closed the stream before message-end"

func TestStreamErrors(t *testing.T) {
	start := textEvents[0]
	tests := []struct {
		name    string
		events  []ev
		typ     string
		message string
	}{
		{"message-end error", []ev{start, {"message-end", `{"type":"message-end","delta":{"finish_reason":"ERROR","error":"internal failure"}}`}}, "server", "internal failure"},
		{"message-end context error", []ev{start, {"message-end", `{"type":"message-end","delta":{"finish_reason":"ERROR","error":"too many tokens in prompt"}}`}}, "context_length_exceeded", "too many tokens in prompt"},
		{"truncated", textEvents[:4], "provider_unavailable", truncated},
		{"empty", nil, "provider_unavailable", truncated},
		{"[DONE] before message-end", []ev{start, {"", "[DONE]"}}, "provider_unavailable", truncated},
		{"malformed", []ev{start, {"content-delta", `{not json`}}, "server", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := collect(t, tt.events...)
			var pe *provider.Error
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v (%T), want *provider.Error", err, err)
			}
			if pe.Type != tt.typ || (tt.message != "" && pe.Message != tt.message) || pe.Provider != "Cohere" {
				t.Errorf("error %+v", pe)
			}
		})
	}
}

func TestStreamTimeoutFinish(t *testing.T) {
	chunks, err := collect(t, textEvents[0], ev{"message-end", `{"type":"message-end","delta":{"finish_reason":"MAX_TOKENS","usage":{"tokens":{"input_tokens":1,"output_tokens":2}}}}`})
	if err != io.EOF {
		t.Fatalf("err = %v", err)
	}
	if got := deref(chunks[len(chunks)-1].Choices[0].FinishReason); got != "length" {
		t.Errorf("finish = %q", got)
	}
}

func TestStreamContextCancel(t *testing.T) {
	release := make(chan struct{})
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		io.WriteString(w, "event: message-start\ndata: "+textEvents[0].data+"\n\n")
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
	cancel()
	_, err = s.Next()
	var pe *provider.Error
	if !errors.As(err, &pe) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}
