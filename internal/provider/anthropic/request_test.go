package anthropic

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

func canon(t *testing.T, b []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

func TestTranslate(t *testing.T) {
	call := func(id, name, args string) openai.ToolCall {
		return openai.ToolCall{ID: id, Type: "function", Function: openai.FunctionCall{Name: name, Arguments: args}}
	}
	weather := openai.Tool{Type: "function", Function: &openai.FunctionDef{Name: "get_weather", Description: "Weather", Parameters: json.RawMessage(`{"type":"object","properties":{"location":{"type":"string"}}}`)}}
	noParams := openai.Tool{Type: "function", Function: &openai.FunctionDef{Name: "now"}}
	tests := []struct {
		name string
		chat openai.ChatRequest
		want string
	}{
		{
			name: "system and developer merged into top-level system, defaults",
			chat: openai.ChatRequest{Messages: []openai.Message{
				{Role: "system", Content: openai.TextContent("Be brief.")},
				{Role: "developer", Content: openai.PartsContent(openai.ContentPart{Type: "text", Text: "Use French.", CacheControl: json.RawMessage(`{"type":"ephemeral"}`)})},
				user("Hi"),
			}},
			want: `{"model":"claude-x","max_tokens":4096,
				"system":[{"type":"text","text":"Be brief."},{"type":"text","text":"Use French.","cache_control":{"type":"ephemeral"}}],
				"messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]}]}`,
		},
		{
			name: "consecutive same-role messages merged",
			chat: openai.ChatRequest{Messages: []openai.Message{
				user("a"), user("b"),
				{Role: "assistant", Content: openai.TextContent("c")},
				{Role: "assistant", Content: openai.TextContent("d")},
				user("e"),
			}},
			want: `{"model":"claude-x","max_tokens":4096,"messages":[
				{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},
				{"role":"assistant","content":[{"type":"text","text":"c"},{"type":"text","text":"d"}]},
				{"role":"user","content":[{"type":"text","text":"e"}]}]}`,
		},
		{
			name: "tool calls and results merged into one user turn",
			chat: openai.ChatRequest{Messages: []openai.Message{
				user("weather and time?"),
				{Role: "assistant", Content: openai.TextContent("Checking."), ToolCalls: []openai.ToolCall{
					call("toolu_A", "get_weather", `{"location":"SF"}`), call("toolu_B", "now", ""),
				}},
				{Role: "tool", ToolCallID: "toolu_A", Content: openai.TextContent("sunny")},
				{Role: "tool", ToolCallID: "toolu_B", Content: openai.TextContent("noon")},
				user("thanks"),
			}},
			want: `{"model":"claude-x","max_tokens":4096,"messages":[
				{"role":"user","content":[{"type":"text","text":"weather and time?"}]},
				{"role":"assistant","content":[{"type":"text","text":"Checking."},
					{"type":"tool_use","id":"toolu_A","name":"get_weather","input":{"location":"SF"}},
					{"type":"tool_use","id":"toolu_B","name":"now","input":{}}]},
				{"role":"user","content":[
					{"type":"tool_result","tool_use_id":"toolu_A","content":[{"type":"text","text":"sunny"}]},
					{"type":"tool_result","tool_use_id":"toolu_B","content":[{"type":"text","text":"noon"}]},
					{"type":"text","text":"thanks"}]}]}`,
		},
		{
			name: "images: data URL and https URL",
			chat: openai.ChatRequest{Messages: []openai.Message{{Role: "user", Content: openai.PartsContent(
				openai.ContentPart{Type: "text", Text: "what?"},
				openai.ContentPart{Type: "image_url", ImageURL: &openai.ImageURL{URL: "data:image/png;base64,iVBORw0KGgo="}},
				openai.ContentPart{Type: "image_url", ImageURL: &openai.ImageURL{URL: "https://example.com/cat.jpg"}},
			)}}},
			want: `{"model":"claude-x","max_tokens":4096,"messages":[{"role":"user","content":[
				{"type":"text","text":"what?"},
				{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},
				{"type":"image","source":{"type":"url","url":"https://example.com/cat.jpg"}}]}]}`,
		},
		{
			name: "sampling, stop string, max_completion_tokens over max_tokens, user",
			chat: openai.ChatRequest{
				Messages:            []openai.Message{user("x")},
				MaxTokens:           openai.Ptr(10),
				MaxCompletionTokens: openai.Ptr(20),
				Temperature:         openai.Ptr(0.5),
				TopP:                openai.Ptr(0.9),
				TopK:                openai.Ptr(40),
				Stop:                json.RawMessage(`"END"`),
				User:                "u1",
			},
			want: `{"model":"claude-x","max_tokens":20,"temperature":0.5,"top_p":0.9,"top_k":40,"stop_sequences":["END"],
				"metadata":{"user_id":"u1"},"messages":[{"role":"user","content":[{"type":"text","text":"x"}]}]}`,
		},
		{
			name: "stop array, max_tokens, temperature clamped",
			chat: openai.ChatRequest{Messages: []openai.Message{user("x")}, MaxTokens: openai.Ptr(7), Stop: json.RawMessage(`["a","b"]`), Temperature: openai.Ptr(1.7)},
			want: `{"model":"claude-x","max_tokens":7,"temperature":1,"stop_sequences":["a","b"],"messages":[{"role":"user","content":[{"type":"text","text":"x"}]}]}`,
		},
		{
			name: "tools, tool_choice auto by default absent",
			chat: openai.ChatRequest{Messages: []openai.Message{user("x")}, Tools: []openai.Tool{weather, noParams}},
			want: `{"model":"claude-x","max_tokens":4096,"messages":[{"role":"user","content":[{"type":"text","text":"x"}]}],
				"tools":[{"name":"get_weather","description":"Weather","input_schema":{"type":"object","properties":{"location":{"type":"string"}}}},
					{"name":"now","input_schema":{"type":"object","properties":{}}}]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chat := tt.chat
			before, _ := json.Marshal(&chat)
			got, err := translateReq(&provider.Request{Chat: &chat, UpstreamModel: "claude-x"}, false)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(got)
			if g, w := canon(t, b), canon(t, []byte(tt.want)); g != w {
				t.Errorf("got  %s\nwant %s", g, w)
			}
			after, _ := json.Marshal(&chat)
			if !bytes.Equal(before, after) {
				t.Error("translate modified the client's request")
			}
		})
	}
}

func TestToolChoice(t *testing.T) {
	tools := []openai.Tool{{Type: "function", Function: &openai.FunctionDef{Name: "f"}}}
	tests := []struct {
		choice   string
		parallel *bool
		want     string // tool_choice JSON, "" for absent
	}{
		{``, nil, ``},
		{`"auto"`, nil, `{"type":"auto"}`},
		{`"none"`, nil, `{"type":"none"}`},
		{`"required"`, nil, `{"type":"any"}`},
		{`{"type":"function","function":{"name":"f"}}`, nil, `{"type":"tool","name":"f"}`},
		{``, openai.Ptr(false), `{"type":"auto","disable_parallel_tool_use":true}`},
		{`"required"`, openai.Ptr(false), `{"type":"any","disable_parallel_tool_use":true}`},
		{`"none"`, openai.Ptr(false), `{"type":"none"}`},
		{`"auto"`, openai.Ptr(true), `{"type":"auto"}`},
	}
	for _, tt := range tests {
		t.Run(tt.choice, func(t *testing.T) {
			chat := openai.ChatRequest{Messages: []openai.Message{user("x")}, Tools: tools, ToolChoice: json.RawMessage(tt.choice), ParallelToolCalls: tt.parallel}
			got, err := translateReq(&provider.Request{Chat: &chat, UpstreamModel: "m"}, true)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Stream {
				t.Error("stream not set")
			}
			var g string
			if got.ToolChoice != nil {
				b, _ := json.Marshal(got.ToolChoice)
				g = string(b)
			}
			if g != tt.want {
				t.Errorf("tool_choice = %s, want %s", g, tt.want)
			}
		})
	}
}

func TestTranslateErrors(t *testing.T) {
	tests := []struct {
		name string
		msgs []openai.Message
		chat func(*openai.ChatRequest)
	}{
		{name: "bad arguments", msgs: []openai.Message{{Role: "assistant", ToolCalls: []openai.ToolCall{{ID: "t", Function: openai.FunctionCall{Name: "f", Arguments: "{oops"}}}}}},
		{name: "unknown role", msgs: []openai.Message{{Role: "wizard", Content: openai.TextContent("x")}}},
		{name: "bad image url", msgs: []openai.Message{{Role: "user", Content: openai.PartsContent(openai.ContentPart{Type: "image_url", ImageURL: &openai.ImageURL{URL: "ftp://x"}})}}},
		{name: "audio part", msgs: []openai.Message{{Role: "user", Content: openai.PartsContent(openai.ContentPart{Type: "input_audio"})}}},
		{name: "bad tool_choice", msgs: []openai.Message{user("x")}, chat: func(c *openai.ChatRequest) {
			c.Tools = []openai.Tool{{Type: "function", Function: &openai.FunctionDef{Name: "f"}}}
			c.ToolChoice = json.RawMessage(`"sometimes"`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chat := openai.ChatRequest{Messages: tt.msgs}
			if tt.chat != nil {
				tt.chat(&chat)
			}
			if _, err := translateReq(&provider.Request{Chat: &chat}, false); err == nil {
				t.Fatal("no error")
			}
		})
	}
}
