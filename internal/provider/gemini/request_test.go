package gemini

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

const okBody = `{"candidates":[{"content":{"role":"model","parts":[{"text":"ok"}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":1,"candidatesTokenCount":1,"totalTokenCount":2},"modelVersion":"gemini-x","responseId":"r"}`

func TestTranslate(t *testing.T) {
	weather := openai.Tool{Type: "function", Function: &openai.FunctionDef{Name: "get_weather", Description: "Weather",
		Parameters: json.RawMessage(`{"type":"object","properties":{"loc":{"type":"string"}},"required":["loc"],"additionalProperties":false}`)}}
	tests := []struct {
		name   string
		chat   openai.ChatRequest
		want   string // the upstream body, as JSON
		errSub bool
	}{
		{
			name: "system and merging",
			chat: openai.ChatRequest{Messages: []openai.Message{
				{Role: "system", Content: openai.TextContent("Be brief.")},
				{Role: "developer", Content: openai.TextContent("Be kind.")},
				user("a"), user("b"),
				{Role: "assistant", Content: openai.TextContent("c")},
				{Role: "assistant", Content: openai.TextContent("d")},
				user("e"),
			}},
			want: `{"contents":[{"role":"user","parts":[{"text":"a"},{"text":"b"}]},{"role":"model","parts":[{"text":"c"},{"text":"d"}]},{"role":"user","parts":[{"text":"e"}]}],
				"systemInstruction":{"parts":[{"text":"Be brief."},{"text":"Be kind."}]}}`,
		},
		{
			name: "tools and tool results",
			chat: openai.ChatRequest{
				Messages: []openai.Message{
					user("weather and time?"),
					{Role: "assistant", ToolCalls: []openai.ToolCall{
						{ID: "call_0", Type: "function", Function: openai.FunctionCall{Name: "get_weather", Arguments: `{"loc":"SF"}`}},
						{ID: "fc-upstream", Type: "function", Function: openai.FunctionCall{Name: "now", Arguments: ``}},
					}},
					{Role: "tool", ToolCallID: "call_0", Content: openai.TextContent(`{"temp":20}`)},
					{Role: "tool", ToolCallID: "fc-upstream", Content: openai.TextContent("noon")},
				},
				Tools:      []openai.Tool{weather},
				ToolChoice: json.RawMessage(`"required"`),
			},
			want: `{"contents":[{"role":"user","parts":[{"text":"weather and time?"}]},
				{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"loc":"SF"}}},{"functionCall":{"id":"fc-upstream","name":"now","args":{}}}]},
				{"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"temp":20}}},{"functionResponse":{"id":"fc-upstream","name":"now","response":{"output":"noon"}}}]}],
				"tools":[{"functionDeclarations":[{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"loc":{"type":"string"}},"required":["loc"]}}]}],
				"toolConfig":{"functionCallingConfig":{"mode":"ANY"}}}`,
		},
		{
			name: "named tool_choice",
			chat: openai.ChatRequest{Messages: []openai.Message{user("x")}, Tools: []openai.Tool{weather},
				ToolChoice: json.RawMessage(`{"type":"function","function":{"name":"get_weather"}}`)},
			want: `{"contents":[{"role":"user","parts":[{"text":"x"}]}],
				"tools":[{"functionDeclarations":[{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"loc":{"type":"string"}},"required":["loc"]}}]}],
				"toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["get_weather"]}}}`,
		},
		{
			name: "tool_choice none",
			chat: openai.ChatRequest{Messages: []openai.Message{user("x")}, Tools: []openai.Tool{{Type: "function", Function: &openai.FunctionDef{Name: "f"}}},
				ToolChoice: json.RawMessage(`"none"`)},
			want: `{"contents":[{"role":"user","parts":[{"text":"x"}]}],"tools":[{"functionDeclarations":[{"name":"f"}]}],"toolConfig":{"functionCallingConfig":{"mode":"NONE"}}}`,
		},
		{
			name: "images and files",
			chat: openai.ChatRequest{Messages: []openai.Message{{Role: "user", Content: openai.PartsContent(
				openai.ContentPart{Type: "text", Text: "look"},
				openai.ContentPart{Type: "image_url", ImageURL: &openai.ImageURL{URL: "data:image/png;base64,AAAA"}},
				openai.ContentPart{Type: "image_url", ImageURL: &openai.ImageURL{URL: "gs://bucket/cat.webp"}},
				openai.ContentPart{Type: "image_url", ImageURL: &openai.ImageURL{URL: "gs://bucket/cat"}},
				openai.ContentPart{Type: "file", File: json.RawMessage(`{"filename":"a.pdf","file_data":"data:application/pdf;base64,JVBERi0="}`)},
				openai.ContentPart{Type: "file", File: json.RawMessage(`{"filename":"b.pdf","file_data":"gs://bucket/b"}`)},
			)}}},
			want: `{"contents":[{"role":"user","parts":[{"text":"look"},{"inlineData":{"mimeType":"image/png","data":"AAAA"}},
				{"fileData":{"mimeType":"image/webp","fileUri":"gs://bucket/cat.webp"}},{"fileData":{"mimeType":"image/jpeg","fileUri":"gs://bucket/cat"}},
				{"inlineData":{"mimeType":"application/pdf","data":"JVBERi0="}},{"fileData":{"mimeType":"application/pdf","fileUri":"gs://bucket/b"}}]}]}`,
		},
		{
			name:   "image in an assistant message",
			chat:   openai.ChatRequest{Messages: []openai.Message{user("x"), {Role: "assistant", Content: openai.PartsContent(openai.ContentPart{Type: "image_url", ImageURL: &openai.ImageURL{URL: "data:image/png;base64,AAAA"}})}}},
			errSub: true,
		},
		{
			name:   "file_id",
			chat:   openai.ChatRequest{Messages: []openai.Message{{Role: "user", Content: openai.PartsContent(openai.ContentPart{Type: "file", File: json.RawMessage(`{"file_id":"f1"}`)})}}},
			errSub: true,
		},
		{
			name:   "ftp image",
			chat:   openai.ChatRequest{Messages: []openai.Message{{Role: "user", Content: openai.PartsContent(openai.ContentPart{Type: "image_url", ImageURL: &openai.ImageURL{URL: "ftp://x/y.png"}})}}},
			errSub: true,
		},
		{
			name:   "bad reasoning",
			chat:   openai.ChatRequest{Messages: []openai.Message{user("x")}, Reasoning: json.RawMessage(`{"effort":"extreme"}`)},
			errSub: true,
		},
		{
			name: "generationConfig",
			chat: openai.ChatRequest{Messages: []openai.Message{user("x")},
				MaxTokens: openai.Ptr(100), Temperature: openai.Ptr(0.5), TopP: openai.Ptr(0.9), TopK: openai.Ptr(40),
				Stop: json.RawMessage(`"END"`), N: openai.Ptr(2), Seed: openai.Ptr(int64(7)),
				ResponseFormat: json.RawMessage(`{"type":"json_schema","json_schema":{"name":"s","strict":true,"schema":{"type":"object","properties":{"a":{"type":"integer"}},"additionalProperties":false}}}`)},
			want: `{"contents":[{"role":"user","parts":[{"text":"x"}]}],"generationConfig":{"maxOutputTokens":100,"temperature":0.5,"topP":0.9,"topK":40,
				"stopSequences":["END"],"candidateCount":2,"seed":7,"responseMimeType":"application/json","responseSchema":{"type":"object","properties":{"a":{"type":"integer"}}}}}`,
		},
		{
			name: "json_object",
			chat: openai.ChatRequest{Messages: []openai.Message{user("x")}, MaxCompletionTokens: openai.Ptr(5), ResponseFormat: json.RawMessage(`{"type":"json_object"}`)},
			want: `{"contents":[{"role":"user","parts":[{"text":"x"}]}],"generationConfig":{"maxOutputTokens":5,"responseMimeType":"application/json"}}`,
		},
		{
			name:   "unknown tool_call_id",
			chat:   openai.ChatRequest{Messages: []openai.Message{user("x"), {Role: "tool", ToolCallID: "nope", Content: openai.TextContent("r")}}},
			errSub: true,
		},
		{
			name:   "bad role",
			chat:   openai.ChatRequest{Messages: []openai.Message{{Role: "robot", Content: openai.TextContent("x")}}},
			errSub: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, jsonAnswer(200, okBody))
			before := jsonString(t, &tt.chat)
			_, err := f.provider(t).Chat(context.Background(), &provider.Request{Chat: &tt.chat, UpstreamModel: "gemini-x"})
			if after := jsonString(t, &tt.chat); after != before {
				t.Errorf("request mutated:\n%s\n%s", before, after)
			}
			if tt.errSub {
				pe, ok := err.(*provider.Error)
				if !ok || pe.Type != "invalid_request" || pe.Retryable() {
					t.Fatalf("err = %#v, want non-retryable invalid_request", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var want map[string]any
			if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
				t.Fatal(err)
			}
			if got := f.request(t); !reflect.DeepEqual(got, want) {
				t.Errorf("body\n got %s\nwant %s", jsonString(t, got), jsonString(t, want))
			}
			if f.uri != "/v1beta/models/gemini-x:generateContent" {
				t.Errorf("uri %q", f.uri)
			}
			if f.header.Get("X-Goog-Api-Key") != "g-key" {
				t.Errorf("api key header %q", f.header.Get("X-Goog-Api-Key"))
			}
		})
	}
}
