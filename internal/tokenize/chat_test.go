package tokenize

import (
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/openai"
)

// TestChat checks Chat's sums by hand. Token counts of the pieces (equal in
// o200k_base and cl100k_base): "system", "user", "assistant", "tool" 1 each;
// "You are terse." 4; "Hello, world!" 4; "get_weather" 2;
// `{"city":"Paris"}` 5; "call_1" 3; "18C" 2.
func TestChat(t *testing.T) {
	c := New()
	system := openai.Message{Role: "system", Content: openai.TextContent("You are terse.")}
	hello := openai.Message{Role: "user", Content: openai.TextContent("Hello, world!")}
	for _, tc := range []struct {
		name   string
		family string
		msgs   []openai.Message
		want   int
	}{
		// (3 + 1 + 4) + (3 + 1 + 4) + 3 reply priming.
		{"two messages", "GPT", []openai.Message{system, hello}, 19},
		// ceil(19 × 5/4) = 24 beats the byte floor ceil(37/4) = 10.
		{"estimated family", "Claude", []openai.Message{system, hello}, 24},
		// 3 + 1 + 4 (text part) + 1105 (image) + 3.
		{"image part", "GPT", []openai.Message{{Role: "user", Content: openai.PartsContent(
			openai.ContentPart{Type: "text", Text: "Hello, world!"},
			openai.ContentPart{Type: "image_url", ImageURL: &openai.ImageURL{URL: "https://example.com/a.png"}},
		)}}, 1116},
		// assistant: 3 + 1 + 2 + 5; tool: 3 + 1 + 3 (id) + 2; priming 3.
		{"tool turn", "GPT", []openai.Message{
			{Role: "assistant", ToolCalls: []openai.ToolCall{{ID: "call_1", Type: "function", Function: openai.FunctionCall{Name: "get_weather", Arguments: `{"city":"Paris"}`}}}},
			{Role: "tool", ToolCallID: "call_1", Content: openai.TextContent("18C")},
		}, 23},
		// 3 + 1 + ceil(3000/3) for an opaque file part, + 3.
		{"file part", "GPT", []openai.Message{{Role: "user", Content: openai.PartsContent(
			openai.ContentPart{Type: "file", File: []byte(`"` + strings.Repeat("A", 2998) + `"`)},
		)}}, 1007},
	} {
		req := &openai.ChatRequest{Messages: tc.msgs}
		if got := c.Chat(tc.family, req); got != tc.want {
			t.Errorf("%s: Chat = %d, want %d", tc.name, got, tc.want)
		}
		if bound := ChatBound(req); bound < tc.want {
			t.Errorf("%s: ChatBound = %d < Chat %d", tc.name, bound, tc.want)
		}
	}
}

// TestChatTools checks that tool definitions count as their JSON.
func TestChatTools(t *testing.T) {
	c := New()
	req := &openai.ChatRequest{Messages: []openai.Message{{Role: "user", Content: openai.TextContent("Hello, world!")}}}
	base := c.Chat("GPT", req)
	req.Tools = []openai.Tool{{Type: "function", Function: &openai.FunctionDef{Name: "get_weather", Parameters: []byte(`{"type":"object"}`)}}}
	if got := c.Chat("GPT", req); got <= base+5 {
		t.Errorf("Chat with a tool = %d, want well above %d", got, base)
	}
}

// TestChatBound checks the bound against both shipped encodings and the
// estimate over the whole corpus, and pins one sum: (3 + 6 + 14) + (3 + 4
// + 13) + 3 bytes-as-tokens.
func TestChatBound(t *testing.T) {
	c := New()
	req := &openai.ChatRequest{Messages: []openai.Message{
		{Role: "system", Content: openai.TextContent("You are terse.")},
		{Role: "user", Content: openai.TextContent("Hello, world!")},
	}}
	if got := ChatBound(req); got != 46 {
		t.Errorf("ChatBound = %d, want 46", got)
	}
	for name, text := range corpus(t) {
		req := &openai.ChatRequest{Messages: []openai.Message{{Role: "user", Content: openai.TextContent(text)}}}
		bound := ChatBound(req)
		for _, family := range []string{"GPT", "Claude", "Llama2"} {
			if n := c.Chat(family, req); n > bound {
				t.Errorf("%s %s: Chat %d > ChatBound %d", family, name, n, bound)
			}
		}
	}
}

func BenchmarkChatBound(b *testing.B) {
	req := &openai.ChatRequest{Messages: []openai.Message{
		{Role: "user", Content: openai.TextContent(strings.Repeat("Switchyard routes each request to the best endpoint. ", 40))},
	}}
	b.ReportAllocs()
	for b.Loop() {
		ChatBound(req)
	}
}

func BenchmarkChat(b *testing.B) {
	c := New()
	req := &openai.ChatRequest{Messages: []openai.Message{
		{Role: "system", Content: openai.TextContent("You are a helpful assistant that answers briefly.")},
		{Role: "user", Content: openai.TextContent(strings.Repeat("Switchyard routes each request to the best endpoint. ", 40))},
	}}
	c.Chat("GPT", req) // load the encoding outside the timing
	b.ReportAllocs()
	for b.Loop() {
		c.Chat("GPT", req)
	}
}
