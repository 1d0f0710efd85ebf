package bedrock

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

func collect(t *testing.T, s provider.Stream) ([]*openai.Chunk, error) {
	t.Helper()
	defer s.Close()
	var out []*openai.Chunk
	for {
		c, err := s.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, err
		}
		out = append(out, c)
	}
}

func streamFrom(t *testing.T, data []byte) (provider.Stream, error) {
	return streamReq(t, data, chatReq(t, `{"messages":[{"role":"user","content":"hi"}],"stream":true}`))
}

func streamReq(t *testing.T, data []byte, req *provider.Request) (provider.Stream, error) {
	srv, c := fake(t, 200, map[string]string{"Content-Type": "application/vnd.amazon.eventstream"}, data)
	a := newTest(t, srv.URL, "key")
	s, err := a.ChatStream(context.Background(), req)
	if rawPath, h, _ := c.get(); err == nil && (!strings.HasSuffix(rawPath, "/converse-stream") || h.Get("Accept") != "application/vnd.amazon.eventstream") {
		t.Fatalf("path %q headers %v", rawPath, h)
	}
	return s, err
}

func TestStreamText(t *testing.T) {
	data := encodeFrames(t, []frame{
		{"event", "messageStart", `{"role":"assistant"}`},
		{"event", "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Hel"},"p":"abcdefgh"}`},
		{"event", "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"lo"}}`},
		{"event", "contentBlockStop", `{"contentBlockIndex":0}`},
		{"event", "messageStop", `{"stopReason":"end_turn"}`},
		{"event", "metadata", `{"usage":{"inputTokens":12,"outputTokens":3,"totalTokens":15},"metrics":{"latencyMs":412}}`},
	})
	s, err := streamFrom(t, data)
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := collect(t, s)
	if err != nil {
		t.Fatal(err)
	}
	var text string
	for _, c := range chunks {
		if c.Choices[0].Delta.Content != nil {
			text += *c.Choices[0].Delta.Content
		}
	}
	last := chunks[len(chunks)-1]
	if text != "Hello" || *last.Choices[0].FinishReason != "stop" || last.Usage.PromptTokens != 12 || last.Usage.CompletionTokens != 3 {
		t.Fatalf("text %q last %+v", text, last)
	}
	if chunks[0].Choices[0].Delta.Role != "assistant" {
		t.Fatal("no role chunk")
	}
}

func TestStreamToolUse(t *testing.T) {
	data := encodeFrames(t, []frame{
		{"event", "messageStart", `{"role":"assistant"}`},
		{"event", "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Checking."}}`},
		{"event", "contentBlockStop", `{"contentBlockIndex":0}`},
		{"event", "contentBlockStart", `{"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"tooluse_abc","name":"get_weather"}}}`},
		{"event", "contentBlockDelta", `{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"city\":"}}}`},
		{"event", "contentBlockDelta", `{"contentBlockIndex":1,"delta":{"toolUse":{"input":"\"Paris\"}"}}}`},
		{"event", "contentBlockStop", `{"contentBlockIndex":1}`},
		{"event", "messageStop", `{"stopReason":"tool_use"}`},
		{"event", "metadata", `{"usage":{"inputTokens":80,"outputTokens":20,"totalTokens":100}}`},
	})
	s, err := streamFrom(t, data)
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := collect(t, s)
	if err != nil {
		t.Fatal(err)
	}
	var args, id, name string
	for _, c := range chunks {
		for _, tc := range c.Choices[0].Delta.ToolCalls {
			if *tc.Index != 0 {
				t.Fatalf("index %d", *tc.Index)
			}
			args += tc.Function.Arguments
			if tc.ID != "" {
				id, name = tc.ID, tc.Function.Name
			}
		}
	}
	last := chunks[len(chunks)-1]
	if args != `{"city":"Paris"}` || id != "tooluse_abc" || name != "get_weather" || *last.Choices[0].FinishReason != "tool_calls" || last.Usage.TotalTokens != 100 {
		t.Fatalf("args %q id %q name %q last %+v", args, id, name, last)
	}
}

func TestStreamErrors(t *testing.T) {
	start := frame{"event", "messageStart", `{"role":"assistant"}`}
	good := encodeFrames(t, []frame{start, {"event", "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"x"}}`}})
	corrupt := bytes.Clone(good)
	corrupt[len(corrupt)-10] ^= 0xff // inside the second frame's payload
	tests := []struct {
		name   string
		data   []byte
		status int
		typ    string
	}{
		{"throttling", encodeFrames(t, []frame{start, {"exception", "throttlingException", `{"message":"slow down"}`}}), 429, "rate_limit_exceeded"},
		{"modelStream", encodeFrames(t, []frame{start, {"exception", "modelStreamErrorException", `{"message":"boom","originalStatusCode":500}`}}), 424, "server"},
		{"unavailable", encodeFrames(t, []frame{start, {"exception", "serviceUnavailableException", `{"message":"later"}`}}), 503, "provider_overloaded"},
		{"validation", encodeFrames(t, []frame{start, {"exception", "validationException", `{"message":"bad"}`}}), 400, "invalid_request"},
		{"errorMessage", encodeFrames(t, []frame{start, {"error", "InternalFailure", "it broke"}}), 500, "server"},
		{"metadataFirst", encodeFrames(t, []frame{start, {"event", "metadata", `{"usage":{}}`}}), 0, "provider_unavailable"},
		{"malformed", encodeFrames(t, []frame{start, {"event", "contentBlockDelta", `{"delta":`}}), 0, "server"},
		{"truncated", good, 0, "provider_unavailable"},
		{"truncatedMidFrame", good[:len(good)-5], 0, "provider_unavailable"},
		{"noMetadata", encodeFrames(t, []frame{start, {"event", "messageStop", `{"stopReason":"end_turn"}`}}), 0, "provider_unavailable"},
		{"crc", corrupt, 0, "server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := streamFrom(t, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			_, err = collect(t, s)
			var pe *provider.Error
			if !errors.As(err, &pe) || pe.Status != tt.status || pe.Type != tt.typ {
				t.Fatalf("err = %#v", err)
			}
			if _, again := s.Next(); again == nil {
				t.Fatal("error not sticky")
			}
		})
	}
}

// assembled is a stream folded the way a client folds it.
type assembled struct {
	content, reasoning string
	details            []openai.ReasoningDetail
	calls              map[int]*openai.ToolCall
	finish, native     string
	usage              *openai.Usage
}

func assemble(t *testing.T, chunks []*openai.Chunk) assembled {
	t.Helper()
	a := assembled{calls: map[int]*openai.ToolCall{}}
	for _, c := range chunks {
		ch := c.Choices[0]
		d := ch.Delta
		if d.Content != nil {
			a.content += *d.Content
		}
		if d.Reasoning != nil {
			a.reasoning += *d.Reasoning
		}
		if len(d.ReasoningDetails) > 0 {
			ds, err := openai.ParseReasoningDetails(d.ReasoningDetails)
			if err != nil {
				t.Fatal(err)
			}
			a.details = append(a.details, ds...)
		}
		for _, tc := range d.ToolCalls {
			if a.calls[*tc.Index] == nil {
				a.calls[*tc.Index] = &openai.ToolCall{ID: tc.ID, Function: openai.FunctionCall{Name: tc.Function.Name}}
			}
			a.calls[*tc.Index].Function.Arguments += tc.Function.Arguments
		}
		if ch.FinishReason != nil {
			a.finish, a.native = *ch.FinishReason, *ch.NativeFinishReason
		}
		if c.Usage != nil {
			a.usage = c.Usage
		}
	}
	return a
}

func TestStreamReasoningAndJSON(t *testing.T) {
	reasoning := []frame{
		{"event", "messageStart", `{"role":"assistant"}`},
		{"event", "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"Let me "}}}`},
		{"event", "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"reasoningContent":{"text":"think."}}}`},
		{"event", "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"reasoningContent":{"signature":"sig1"}}}`},
		{"event", "contentBlockStop", `{"contentBlockIndex":0}`},
		{"event", "contentBlockDelta", `{"contentBlockIndex":1,"delta":{"reasoningContent":{"redactedContent":"UkVE"}}}`},
		{"event", "contentBlockStop", `{"contentBlockIndex":1}`},
		{"event", "contentBlockDelta", `{"contentBlockIndex":2,"delta":{"text":"Done."}}`},
		{"event", "contentBlockStop", `{"contentBlockIndex":2}`},
		{"event", "messageStop", `{"stopReason":"end_turn"}`},
		{"event", "metadata", `{"usage":{"inputTokens":5,"outputTokens":7,"totalTokens":112,"cacheReadInputTokens":100}}`},
	}
	jsonTool := []frame{
		{"event", "messageStart", `{"role":"assistant"}`},
		{"event", "contentBlockStart", `{"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":"tu1","name":"json_response"}}}`},
		{"event", "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"toolUse":{"input":"{\"a\":"}}}`},
		{"event", "contentBlockDelta", `{"contentBlockIndex":0,"delta":{"toolUse":{"input":"1}"}}}`},
		{"event", "contentBlockStop", `{"contentBlockIndex":0}`},
		{"event", "messageStop", `{"stopReason":"tool_use"}`},
		{"event", "metadata", `{"usage":{"inputTokens":5,"outputTokens":7,"totalTokens":12}}`},
	}
	tests := []struct {
		name, req          string
		frames             []frame
		content, reasoning string
		details            []openai.ReasoningDetail
		finish, native     string
		prompt, cached     int
	}{
		{
			name: "reasoning", req: `{"messages":[{"role":"user","content":"hi"}],"reasoning":{"effort":"low"}}`, frames: reasoning,
			content: "Done.", reasoning: "Let me think.",
			details: []openai.ReasoningDetail{
				{Type: "reasoning.text", Text: "Let me ", Format: "anthropic-claude-v1", Index: 0},
				{Type: "reasoning.text", Text: "think.", Format: "anthropic-claude-v1", Index: 0},
				{Type: "reasoning.text", Signature: "sig1", Format: "anthropic-claude-v1", Index: 0},
				{Type: "reasoning.encrypted", Data: "UkVE", Format: "anthropic-claude-v1", Index: 1},
			},
			finish: "stop", native: "end_turn", prompt: 105, cached: 100,
		},
		{
			name: "exclude", req: `{"messages":[{"role":"user","content":"hi"}],"reasoning":{"effort":"low","exclude":true}}`, frames: reasoning,
			content: "Done.", finish: "stop", native: "end_turn", prompt: 105, cached: 100,
		},
		{
			name: "jsonObject", req: `{"messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_object"}}`, frames: jsonTool,
			content: `{"a":1}`, finish: "stop", native: "tool_use", prompt: 5,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := streamReq(t, encodeFrames(t, tt.frames), chatReq(t, tt.req))
			if err != nil {
				t.Fatal(err)
			}
			chunks, err := collect(t, s)
			if err != nil {
				t.Fatal(err)
			}
			got := assemble(t, chunks)
			if got.content != tt.content || got.reasoning != tt.reasoning || len(got.calls) != 0 {
				t.Fatalf("content %q reasoning %q calls %v", got.content, got.reasoning, got.calls)
			}
			if len(got.details) != len(tt.details) {
				t.Fatalf("details %+v", got.details)
			}
			for i := range tt.details {
				if got.details[i] != tt.details[i] {
					t.Fatalf("details[%d] = %+v, want %+v", i, got.details[i], tt.details[i])
				}
			}
			if got.finish != tt.finish || got.native != tt.native || got.usage.PromptTokens != tt.prompt || got.usage.CachedTokens() != tt.cached {
				t.Fatalf("finish %s/%s usage %+v", got.finish, got.native, got.usage)
			}
		})
	}
}
