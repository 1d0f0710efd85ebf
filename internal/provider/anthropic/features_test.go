package anthropic

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/media"
)

// body translates chat and returns the upstream body's fields named keys,
// re-encoded canonically.
func bodyFields(t *testing.T, chat *openai.ChatRequest, keys ...string) map[string]string {
	t.Helper()
	got, err := translateReq(&provider.Request{Chat: chat, UpstreamModel: "claude-x"}, false)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got)
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		if m[k] != nil {
			out[k] = canon(t, m[k])
		}
	}
	return out
}

func TestResponseFormatRequest(t *testing.T) {
	weather := openai.Tool{Type: "function", Function: &openai.FunctionDef{Name: "w"}}
	jsonTool := `{"name":"json_response","description":"Respond with a JSON object: the input of this tool is your reply.","input_schema":{"type":"object"}}`
	tests := []struct {
		name   string
		format string
		tools  []openai.Tool
		choice string
		want   map[string]string
	}{
		{"json_schema → output_config", `{"type":"json_schema","json_schema":{"name":"x","strict":true,"schema":{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}}}`, nil, "",
			map[string]string{"output_config": `{"format":{"type":"json_schema","schema":{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}}}`}},
		{"json_object → forced tool", `{"type":"json_object"}`, nil, "",
			map[string]string{"tools": `[` + jsonTool + `]`, "tool_choice": `{"type":"tool","name":"json_response"}`}},
		{"json_object with client tools → any", `{"type":"json_object"}`, []openai.Tool{weather}, "",
			map[string]string{"tools": `[{"name":"w","input_schema":{"type":"object","properties":{}}},` + jsonTool + `]`, "tool_choice": `{"type":"any"}`}},
		{"json_object keeps the client's tool_choice", `{"type":"json_object"}`, []openai.Tool{weather}, `"auto"`,
			map[string]string{"tool_choice": `{"type":"auto"}`}},
		{"text → nothing", `{"type":"text"}`, nil, "", map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chat := &openai.ChatRequest{Messages: []openai.Message{user("x")}, ResponseFormat: json.RawMessage(tt.format), Tools: tt.tools}
			if tt.choice != "" {
				chat.ToolChoice = json.RawMessage(tt.choice)
			}
			got := bodyFields(t, chat, "output_config", "tools", "tool_choice")
			for k, w := range tt.want {
				if got[k] != canon(t, []byte(w)) {
					t.Errorf("%s = %s\nwant %s", k, got[k], w)
				}
			}
			if len(tt.want) == 0 && len(got) != 0 {
				t.Errorf("unexpected fields %v", got)
			}
		})
	}
	for _, bad := range []string{`{"type":"json_schema"}`, `{"type":"yaml"}`, `"json"`} {
		chat := &openai.ChatRequest{Messages: []openai.Message{user("x")}, ResponseFormat: json.RawMessage(bad)}
		if _, err := translateReq(&provider.Request{Chat: chat}, false); err == nil {
			t.Errorf("response_format %s accepted", bad)
		}
	}
	clash := &openai.ChatRequest{Messages: []openai.Message{user("x")}, ResponseFormat: json.RawMessage(`{"type":"json_object"}`),
		Tools: []openai.Tool{{Type: "function", Function: &openai.FunctionDef{Name: jsonToolName}}}}
	if _, err := translateReq(&provider.Request{Chat: clash}, false); err == nil {
		t.Error("a client tool named json_response accepted")
	}
}

func TestJSONObjectReply(t *testing.T) {
	jsonObject := func(r *provider.Request) *provider.Request {
		r.Chat.ResponseFormat = json.RawMessage(`{"type":"json_object"}`)
		return r
	}
	t.Run("non-streamed", func(t *testing.T) {
		f := newFake(t, jsonAnswer(200, `{"id":"m","type":"message","model":"c","content":[{"type":"tool_use","id":"toolu_1","name":"json_response","input":{"a":1}}],
			"stop_reason":"tool_use","usage":{"input_tokens":1,"output_tokens":1}}`))
		resp, err := f.provider(t).Chat(context.Background(), jsonObject(chatReq(user("x"))))
		if err != nil {
			t.Fatal(err)
		}
		c := resp.Choices[0]
		if deref(c.Message.Content) != `{"a":1}` || len(c.Message.ToolCalls) != 0 || deref(c.FinishReason) != "stop" || deref(c.NativeFinishReason) != "tool_use" {
			t.Errorf("choice %+v content %q", c, deref(c.Message.Content))
		}
	})
	t.Run("streamed", func(t *testing.T) {
		f := newFake(t, sseAnswer(
			ev{"message_start", `{"type":"message_start","message":{"id":"m","model":"c","content":[],"usage":{"input_tokens":1,"output_tokens":1}}}`},
			ev{"content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_1","name":"json_response","input":{}}}`},
			ev{"content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":""}}`},
			ev{"content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"a\":"}}`},
			ev{"content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"1}"}}`},
			ev{"content_block_stop", `{"type":"content_block_stop","index":0}`},
			ev{"message_delta", `{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":5}}`},
			ev{"message_stop", `{"type":"message_stop"}`},
		))
		s, err := f.provider(t).ChatStream(context.Background(), jsonObject(chatReq(user("x"))))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var content string
		var last *openai.Chunk
		for {
			c, err := s.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := c.Choices[0].Delta; d.Content != nil {
				content += *d.Content
			} else if d.ToolCalls != nil {
				t.Errorf("tool call streamed: %+v", d.ToolCalls)
			}
			last = c
		}
		if content != `{"a":1}` || deref(last.Choices[0].FinishReason) != "stop" {
			t.Errorf("content %q finish %q", content, deref(last.Choices[0].FinishReason))
		}
	})
}

func TestContentParts(t *testing.T) {
	pdf := "data:application/pdf;base64,JVBERi0xLjQK"
	eph := json.RawMessage(`{"type":"ephemeral"}`)
	file := func(v string) json.RawMessage { return json.RawMessage(v) }
	tests := []struct {
		name  string
		parts []openai.ContentPart
		want  string
	}{
		{"cache_control on text, image and file parts",
			[]openai.ContentPart{
				{Type: "text", Text: "doc:", CacheControl: eph},
				{Type: "image_url", ImageURL: &openai.ImageURL{URL: "https://example.com/a.png"}, CacheControl: eph},
				{Type: "file", File: file(`{"filename":"a.pdf","file_data":"` + pdf + `"}`), CacheControl: json.RawMessage(`{"type":"ephemeral","ttl":"1h"}`)},
			},
			`[{"type":"text","text":"doc:","cache_control":{"type":"ephemeral"}},
			  {"type":"image","source":{"type":"url","url":"https://example.com/a.png"},"cache_control":{"type":"ephemeral"}},
			  {"type":"document","title":"a.pdf","source":{"type":"base64","media_type":"application/pdf","data":"JVBERi0xLjQK"},"cache_control":{"type":"ephemeral","ttl":"1h"}}]`},
		{"file by URL",
			[]openai.ContentPart{{Type: "file", File: file(`{"file_data":"https://example.com/paper.pdf"}`)}},
			`[{"type":"document","source":{"type":"url","url":"https://example.com/paper.pdf"}}]`},
		{"plain-text file",
			[]openai.ContentPart{{Type: "file", File: file(`{"filename":"n.txt","file_data":"data:text/plain;base64,aGVsbG8="}`)}},
			`[{"type":"document","title":"n.txt","source":{"type":"text","media_type":"text/plain","data":"hello"}}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chat := &openai.ChatRequest{Messages: []openai.Message{{Role: "user", Content: openai.PartsContent(tt.parts...)}}}
			got, err := translateReq(&provider.Request{Chat: chat}, false)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(got.Messages[0].Content)
			if canon(t, b) != canon(t, []byte(tt.want)) {
				t.Errorf("got  %s\nwant %s", b, tt.want)
			}
		})
	}
	for name, raw := range map[string]string{
		"file_id":       `{"file_id":"file-abc"}`,
		"no data":       `{"filename":"x"}`,
		"not a pdf":     `{"file_data":"data:image/png;base64,iVBORw0KGgo="}`,
		"ftp":           `{"file_data":"ftp://example.com/x.pdf"}`,
		"not an object": `"x"`,
	} {
		chat := &openai.ChatRequest{Messages: []openai.Message{{Role: "user", Content: openai.PartsContent(openai.ContentPart{Type: "file", File: file(raw)})}}}
		if _, err := translateReq(&provider.Request{Chat: chat}, false); err == nil {
			t.Errorf("%s: file part accepted", name)
		}
	}
}

// TestMediaErrors: a data: URL the media fetcher refuses is a 400 naming
// the problem.
func TestMediaErrors(t *testing.T) {
	f := newFake(t, jsonAnswer(200, `{}`))
	p, err := New(provider.Config{Slug: "anthropic", BaseURL: f.srv.URL, APIKey: "k", HTTPClient: f.srv.Client(), Media: media.New(media.Options{MaxBytes: 4})})
	if err != nil {
		t.Fatal(err)
	}
	req := chatReq(openai.Message{Role: "user", Content: openai.PartsContent(openai.ContentPart{Type: "image_url", ImageURL: &openai.ImageURL{URL: "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg=="}})})
	_, err = p.Chat(context.Background(), req)
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Status != 400 || pe.Type != "invalid_request" || !strings.Contains(pe.Message, "data: URL") {
		t.Errorf("err = %v", err)
	}
}

func TestStopReasons(t *testing.T) {
	for native, want := range map[string]string{
		"end_turn": "stop", "stop_sequence": "stop", "pause_turn": "stop", "refusal": "content_filter",
		"max_tokens": "length", "model_context_window_exceeded": "length", "tool_use": "stop", "something_new": "stop",
	} {
		for _, stream := range []bool{false, true} {
			var finish, gotNative string
			if stream {
				chunks, err := collect(t,
					ev{"message_start", `{"type":"message_start","message":{"id":"m","model":"c","content":[],"usage":{"input_tokens":1}}}`},
					ev{"message_delta", `{"type":"message_delta","delta":{"stop_reason":"` + native + `"},"usage":{"output_tokens":1}}`},
					ev{"message_stop", `{"type":"message_stop"}`})
				if err != io.EOF {
					t.Fatal(err)
				}
				last := chunks[len(chunks)-1].Choices[0]
				finish, gotNative = deref(last.FinishReason), deref(last.NativeFinishReason)
			} else {
				f := newFake(t, jsonAnswer(200, `{"id":"m","type":"message","model":"c","content":[],"stop_reason":"`+native+`","usage":{"input_tokens":1,"output_tokens":1}}`))
				resp, err := f.provider(t).Chat(context.Background(), chatReq(user("x")))
				if err != nil {
					t.Fatal(err)
				}
				finish, gotNative = deref(resp.Choices[0].FinishReason), deref(resp.Choices[0].NativeFinishReason)
			}
			if finish != want || gotNative != native {
				t.Errorf("stream=%v %s: finish %q native %q, want %q", stream, native, finish, gotNative, want)
			}
		}
	}
}

// TestStreamUsage: message_delta's cumulative counts replace
// message_start's; prompt_tokens includes cache reads and writes.
func TestStreamUsage(t *testing.T) {
	chunks, err := collect(t,
		ev{"message_start", `{"type":"message_start","message":{"id":"m","model":"c","content":[],"usage":{"input_tokens":100,"output_tokens":1,"cache_read_input_tokens":1000,"cache_creation_input_tokens":50}}}`},
		ev{"content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":"hi"}}`},
		ev{"message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":40,"input_tokens":110,"cache_read_input_tokens":1200,"output_tokens_details":{"thinking_tokens":25}}}`},
		ev{"message_stop", `{"type":"message_stop"}`})
	if err != io.EOF {
		t.Fatal(err)
	}
	u := chunks[len(chunks)-1].Usage
	// 110 + 1200 (read, cumulative) + 50 (write, from message_start).
	if u.PromptTokens != 1360 || u.CachedTokens() != 1200 || u.CacheWriteTokens() != 50 ||
		u.CompletionTokens != 40 || u.ReasoningTokens() != 25 || u.TotalTokens != 1400 {
		t.Errorf("usage %+v %+v %+v", u, u.PromptTokensDetails, u.CompletionTokensDetails)
	}
	for _, c := range chunks[:len(chunks)-1] {
		if c.Usage != nil {
			t.Error("usage before the last chunk")
		}
	}
}

func TestRequireParameters(t *testing.T) {
	tests := []struct {
		name string
		chat func(*openai.ChatRequest)
		ok   bool
	}{
		{"supported parameters pass", func(c *openai.ChatRequest) {
			c.Temperature, c.TopK = openai.Ptr(0.5), openai.Ptr(3)
			c.ResponseFormat = json.RawMessage(`{"type":"json_object"}`)
		}, true},
		{"logit_bias refused", func(c *openai.ChatRequest) { c.LogitBias = json.RawMessage(`{"1":2}`) }, false},
		{"seed refused", func(c *openai.ChatRequest) { c.Seed = openai.Ptr(int64(1)) }, false},
		{"n>1 refused", func(c *openai.ChatRequest) { c.N = openai.Ptr(2) }, false},
		{"frequency_penalty refused", func(c *openai.ChatRequest) { c.FrequencyPenalty = openai.Ptr(0.1) }, false},
	}
	for _, tt := range tests {
		for _, require := range []bool{false, true} {
			f := newFake(t, jsonAnswer(200, `{"id":"m","type":"message","model":"c","content":[],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}`))
			req := chatReq(user("x"))
			req.Chat.Provider = &openai.ProviderPrefs{RequireParameters: require}
			tt.chat(req.Chat)
			_, err := f.provider(t).Chat(context.Background(), req)
			var pe *provider.Error
			switch {
			case tt.ok || !require:
				if err != nil {
					t.Errorf("%s (require=%v): %v", tt.name, require, err)
				}
			case !errors.As(err, &pe) || pe.Status != http.StatusBadRequest || !strings.Contains(pe.Message, "require_parameters"):
				t.Errorf("%s: err = %v", tt.name, err)
			}
		}
	}
	caps := (&Adapter{}).Capabilities()
	if !caps.Reasoning || !caps.ReasoningDetails || !caps.Files || !caps.StructuredOutputs || !caps.PromptCaching || !caps.CacheWriteUsage {
		t.Errorf("capabilities %+v", caps)
	}
}

// TestToolCacheControl: cache_control on a tool definition caches the
// tools up to it, as Anthropic documents.
func TestToolCacheControl(t *testing.T) {
	chat := &openai.ChatRequest{
		Messages: []openai.Message{{Role: "user", Content: openai.TextContent("hi")}},
		Tools: []openai.Tool{
			{Type: "function", Function: &openai.FunctionDef{Name: "a"}},
			{Type: "function", Function: &openai.FunctionDef{Name: "b"}, CacheControl: json.RawMessage(`{"type":"ephemeral"}`)},
		},
	}
	got, err := translateReq(&provider.Request{Chat: chat}, false)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got.Tools)
	want := `[{"name":"a","input_schema":{"type":"object","properties":{}}},{"name":"b","input_schema":{"type":"object","properties":{}},"cache_control":{"type":"ephemeral"}}]`
	if canon(t, b) != canon(t, []byte(want)) {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}
