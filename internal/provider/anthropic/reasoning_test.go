package anthropic

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

func TestReasoningRequest(t *testing.T) {
	tools := []openai.Tool{{Type: "function", Function: &openai.FunctionDef{Name: "f"}}}
	tests := []struct {
		name string
		chat func(*openai.ChatRequest)
		// want holds the expected values of these top-level fields, as
		// JSON; "" means absent.
		want map[string]string
		err  bool
	}{
		{
			name: "effort high: a share of the default cap, which stays",
			chat: func(c *openai.ChatRequest) { c.Reasoning = json.RawMessage(`{"effort":"high"}`) },
			want: map[string]string{"thinking": `{"type":"enabled","budget_tokens":3276}`, "max_tokens": `4096`},
		},
		{
			name: "explicit budget, client cap, sampling dropped",
			chat: func(c *openai.ChatRequest) {
				c.Reasoning = json.RawMessage(`{"max_tokens":5000}`)
				c.MaxTokens = openai.Ptr(1000)
				c.Temperature, c.TopP, c.TopK = openai.Ptr(0.3), openai.Ptr(0.9), openai.Ptr(5)
			},
			want: map[string]string{"thinking": `{"type":"enabled","budget_tokens":5000}`, "max_tokens": `6000`, "temperature": "", "top_p": "", "top_k": ""},
		},
		{
			name: "budget clamped up to 1024",
			chat: func(c *openai.ChatRequest) { c.ReasoningEffort = "minimal"; c.MaxCompletionTokens = openai.Ptr(2000) },
			want: map[string]string{"thinking": `{"type":"enabled","budget_tokens":1024}`, "max_tokens": `2000`},
		},
		{
			name: "a cap within the minimum budget is raised above it",
			chat: func(c *openai.ChatRequest) { c.ReasoningEffort = "low"; c.MaxTokens = openai.Ptr(500) },
			want: map[string]string{"thinking": `{"type":"enabled","budget_tokens":1024}`, "max_tokens": `1524`},
		},
		{
			name: "budget clamped down to 128000",
			chat: func(c *openai.ChatRequest) { c.Reasoning = json.RawMessage(`{"max_tokens":500000}`) },
			want: map[string]string{"thinking": `{"type":"enabled","budget_tokens":128000}`, "max_tokens": `132096`},
		},
		{
			name: "enabled alone is medium",
			chat: func(c *openai.ChatRequest) { c.Reasoning = json.RawMessage(`{"enabled":true}`) },
			want: map[string]string{"thinking": `{"type":"enabled","budget_tokens":2048}`, "max_tokens": `4096`},
		},
		{
			name: "disabled sends no thinking and keeps sampling",
			chat: func(c *openai.ChatRequest) {
				c.Reasoning = json.RawMessage(`{"enabled":false}`)
				c.Temperature = openai.Ptr(0.3)
			},
			want: map[string]string{"thinking": "", "max_tokens": `4096`, "temperature": `0.3`},
		},
		{
			name: "effort none sends no thinking",
			chat: func(c *openai.ChatRequest) { c.ReasoningEffort = "none" },
			want: map[string]string{"thinking": "", "max_tokens": `4096`},
		},
		{
			name: "forced tool degrades to auto",
			chat: func(c *openai.ChatRequest) {
				c.ReasoningEffort = "low"
				c.Tools, c.ToolChoice = tools, json.RawMessage(`"required"`)
			},
			want: map[string]string{"tool_choice": `{"type":"auto"}`},
		},
		{
			name: "named tool degrades to auto, keeping disable_parallel_tool_use",
			chat: func(c *openai.ChatRequest) {
				c.ReasoningEffort = "low"
				c.Tools, c.ToolChoice = tools, json.RawMessage(`{"type":"function","function":{"name":"f"}}`)
				c.ParallelToolCalls = openai.Ptr(false)
			},
			want: map[string]string{"tool_choice": `{"type":"auto","disable_parallel_tool_use":true}`},
		},
		{
			name: "tool_choice none is kept",
			chat: func(c *openai.ChatRequest) {
				c.ReasoningEffort = "low"
				c.Tools, c.ToolChoice = tools, json.RawMessage(`"none"`)
			},
			want: map[string]string{"tool_choice": `{"type":"none"}`},
		},
		{
			name: "forced tool under require_parameters",
			chat: func(c *openai.ChatRequest) {
				c.ReasoningEffort = "low"
				c.Tools, c.ToolChoice = tools, json.RawMessage(`"required"`)
				c.Provider = &openai.ProviderPrefs{RequireParameters: true}
			},
			err: true,
		},
		{
			name: "json_object tool under require_parameters",
			chat: func(c *openai.ChatRequest) {
				c.ReasoningEffort = "low"
				c.ResponseFormat = json.RawMessage(`{"type":"json_object"}`)
				c.Provider = &openai.ProviderPrefs{RequireParameters: true}
			},
			err: true,
		},
		{name: "unknown effort", chat: func(c *openai.ChatRequest) { c.ReasoningEffort = "extreme" }, err: true},
		{name: "effort and max_tokens", chat: func(c *openai.ChatRequest) { c.Reasoning = json.RawMessage(`{"effort":"low","max_tokens":10}`) }, err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, jsonAnswer(200, `{"id":"m","type":"message","model":"c","content":[],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}`))
			req := chatReq(user("x"))
			tt.chat(req.Chat)
			_, err := f.provider(t).Chat(context.Background(), req)
			if tt.err {
				var pe *provider.Error
				if !errors.As(err, &pe) || pe.Status != 400 || pe.Type != "invalid_request" || pe.Retryable() {
					t.Fatalf("err = %v", err)
				}
				if f.body != nil {
					t.Error("an invalid request reached the upstream")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var body map[string]json.RawMessage
			if err := json.Unmarshal(f.body, &body); err != nil {
				t.Fatal(err)
			}
			for k, want := range tt.want {
				if got := string(body[k]); (want == "" && got != "") || (want != "" && canon(t, []byte(got)) != canon(t, []byte(want))) {
					t.Errorf("%s = %s, want %s", k, got, want)
				}
			}
		})
	}
}

// thinkingReply is a reply with two signed thinking blocks, a redacted
// one and text.
const thinkingReply = `{"id":"msg_r","type":"message","role":"assistant","model":"claude-x","content":[
	{"type":"thinking","thinking":"First, ","signature":"sig-1"},
	{"type":"redacted_thinking","data":"ENCRYPTED"},
	{"type":"thinking","thinking":"then.","signature":"sig-2"},
	{"type":"text","text":"42"}],
	"stop_reason":"end_turn","usage":{"input_tokens":3,"output_tokens":30,"output_tokens_details":{"thinking_tokens":20}}}`

var thinkingDetails = []openai.ReasoningDetail{
	{Type: "reasoning.text", Text: "First, ", Signature: "sig-1", Format: "anthropic-claude-v1", Index: 0},
	{Type: "reasoning.encrypted", Data: "ENCRYPTED", Format: "anthropic-claude-v1", Index: 1},
	{Type: "reasoning.text", Text: "then.", Signature: "sig-2", Format: "anthropic-claude-v1", Index: 2},
}

func TestReasoningResponse(t *testing.T) {
	for _, exclude := range []bool{false, true} {
		f := newFake(t, jsonAnswer(200, thinkingReply))
		req := chatReq(user("q"))
		if exclude {
			req.Chat.Reasoning = json.RawMessage(`{"effort":"low","exclude":true}`)
		}
		resp, err := f.provider(t).Chat(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		m := resp.Choices[0].Message
		if deref(m.Content) != "42" || resp.Usage.ReasoningTokens() != 20 || resp.Usage.CompletionTokens != 30 {
			t.Errorf("exclude=%v: content %q usage %+v", exclude, deref(m.Content), resp.Usage)
		}
		if exclude {
			if m.Reasoning != nil || m.ReasoningDetails != nil {
				t.Errorf("excluded reasoning returned: %v %s", deref(m.Reasoning), m.ReasoningDetails)
			}
			continue
		}
		if deref(m.Reasoning) != "First, then." {
			t.Errorf("reasoning %q", deref(m.Reasoning))
		}
		got, err := openai.ParseReasoningDetails(m.ReasoningDetails)
		if err != nil || len(got) != len(thinkingDetails) {
			t.Fatalf("details %s: %v", m.ReasoningDetails, err)
		}
		for i := range got {
			if got[i] != thinkingDetails[i] {
				t.Errorf("detail %d = %+v, want %+v", i, got[i], thinkingDetails[i])
			}
		}
	}
}

// TestReasoningRoundTrip sends a reply's reasoning_details back on the
// next turn: they must become the assistant turn's first blocks, with the
// signatures unchanged.
func TestReasoningRoundTrip(t *testing.T) {
	f := newFake(t, jsonAnswer(200, thinkingReply))
	p := f.provider(t)
	first, err := p.Chat(context.Background(), chatReq(user("q")))
	if err != nil {
		t.Fatal(err)
	}
	m := first.Choices[0].Message
	// The client sends the message back as OpenRouter clients do.
	var back openai.Message
	raw, _ := json.Marshal(m)
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	req := chatReq(user("q"), back, user("and?"))
	req.Chat.ReasoningEffort = "low"
	if _, err := p.Chat(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	var body struct {
		Messages []turn `json:"messages"`
	}
	if err := json.Unmarshal(f.body, &body); err != nil {
		t.Fatal(err)
	}
	want := `[{"type":"thinking","thinking":"First, ","signature":"sig-1"},{"type":"redacted_thinking","data":"ENCRYPTED"},
		{"type":"thinking","thinking":"then.","signature":"sig-2"},{"type":"text","text":"42"}]`
	got, _ := json.Marshal(body.Messages[1].Content)
	if body.Messages[1].Role != "assistant" || canon(t, got) != canon(t, []byte(want)) {
		t.Errorf("assistant turn %s\nwant %s", got, want)
	}
}

// TestStreamReasoningRoundTrip merges streamed reasoning_details by index
// (as a client does) and sends them back.
func TestStreamReasoningRoundTrip(t *testing.T) {
	events := []ev{
		{"message_start", `{"type":"message_start","message":{"id":"msg_s","type":"message","role":"assistant","content":[],"model":"claude-x","usage":{"input_tokens":4,"output_tokens":1}}}`},
		{"content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}`},
		{"content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me "}}`},
		{"content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"think."}}`},
		{"content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBsig"}}`},
		{"content_block_stop", `{"type":"content_block_stop","index":0}`},
		{"content_block_start", `{"type":"content_block_start","index":1,"content_block":{"type":"redacted_thinking","data":"OPAQUE"}}`},
		{"content_block_stop", `{"type":"content_block_stop","index":1}`},
		{"content_block_start", `{"type":"content_block_start","index":2,"content_block":{"type":"text","text":""}}`},
		{"content_block_delta", `{"type":"content_block_delta","index":2,"delta":{"type":"text_delta","text":"Done"}}`},
		{"content_block_stop", `{"type":"content_block_stop","index":2}`},
		{"message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":12}}`},
		{"message_stop", `{"type":"message_stop"}`},
	}
	chunks, err := collect(t, events...)
	if err != io.EOF {
		t.Fatal(err)
	}
	var reasoning, content string
	merged := map[int]*openai.ReasoningDetail{}
	var order []int
	for _, c := range chunks {
		d := c.Choices[0].Delta
		if d.Reasoning != nil {
			reasoning += *d.Reasoning
		}
		if d.Content != nil {
			content += *d.Content
		}
		details, err := openai.ParseReasoningDetails(d.ReasoningDetails)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range details {
			if x.Format != openai.FormatAnthropic {
				t.Errorf("detail format %q", x.Format)
			}
			m, ok := merged[x.Index]
			if !ok {
				m = &openai.ReasoningDetail{Type: x.Type, Format: x.Format, Index: x.Index}
				merged[x.Index] = m
				order = append(order, x.Index)
			}
			m.Text += x.Text
			m.Data += x.Data
			if x.Signature != "" {
				m.Signature = x.Signature
			}
		}
	}
	if reasoning != "Let me think." || content != "Done" || len(order) != 2 {
		t.Fatalf("reasoning %q content %q details %v", reasoning, content, order)
	}
	if d := merged[0]; d.Type != "reasoning.text" || d.Text != "Let me think." || d.Signature != "EqQBsig" {
		t.Errorf("detail 0 %+v", d)
	}
	if d := merged[1]; d.Type != "reasoning.encrypted" || d.Data != "OPAQUE" {
		t.Errorf("detail 1 %+v", d)
	}

	back := openai.Message{Role: "assistant", Content: openai.TextContent(content),
		ReasoningDetails: openai.ReasoningDetailsJSON([]openai.ReasoningDetail{*merged[0], *merged[1]})}
	got, err := translateReq(chatReq(user("q"), back, user("more")), false)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got.Messages[1].Content)
	want := `[{"type":"thinking","thinking":"Let me think.","signature":"EqQBsig"},{"type":"redacted_thinking","data":"OPAQUE"},{"type":"text","text":"Done"}]`
	if canon(t, b) != canon(t, []byte(want)) {
		t.Errorf("assistant turn %s", b)
	}
}

func TestStreamReasoningExcluded(t *testing.T) {
	f := newFake(t, sseAnswer(toolEvents...))
	req := chatReq(user("hi"))
	req.Chat.Reasoning = json.RawMessage(`{"enabled":true,"exclude":true}`)
	s, err := f.provider(t).ChatStream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for {
		c, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if d := c.Choices[0].Delta; d.Reasoning != nil || d.ReasoningDetails != nil {
			t.Errorf("excluded reasoning streamed: %+v", d)
		}
	}
}

func TestReasoningHistory(t *testing.T) {
	tests := []struct {
		name    string
		details string
		text    string // Message.Reasoning
		want    string // the assistant turn's content
	}{
		{"other formats dropped",
			`[{"type":"reasoning.text","text":"g","signature":"gsig","format":"google-gemini-v1","index":0},
			  {"type":"reasoning.encrypted","data":"o","format":"openai-responses-v1","index":1},
			  {"type":"reasoning.text","text":"a","signature":"asig","format":"anthropic-claude-v1","index":2}]`, "",
			`[{"type":"thinking","thinking":"a","signature":"asig"},{"type":"text","text":"ok"}]`},
		{"empty format accepted, summaries dropped",
			`[{"type":"reasoning.summary","summary":"s","index":0},{"type":"reasoning.text","text":"t","signature":"x","index":1}]`, "",
			`[{"type":"thinking","thinking":"t","signature":"x"},{"type":"text","text":"ok"}]`},
		{"unsigned text dropped", `[{"type":"reasoning.text","text":"t","format":"anthropic-claude-v1","index":0}]`, "",
			`[{"type":"text","text":"ok"}]`},
		{"reasoning string alone dropped", ``, "I thought", `[{"type":"text","text":"ok"}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			back := openai.Message{Role: "assistant", Content: openai.TextContent("ok"), Reasoning: tt.text, ReasoningDetails: json.RawMessage(tt.details)}
			got, err := translateReq(chatReq(user("q"), back), false)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(got.Messages[1].Content)
			if canon(t, b) != canon(t, []byte(tt.want)) {
				t.Errorf("got  %s\nwant %s", b, tt.want)
			}
		})
	}
	bad := openai.Message{Role: "assistant", Content: openai.TextContent("ok"), ReasoningDetails: json.RawMessage(`{"not":"an array"}`)}
	f := newFake(t, jsonAnswer(http.StatusOK, `{}`))
	_, err := f.provider(t).Chat(context.Background(), chatReq(user("q"), bad))
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Status != 400 {
		t.Errorf("malformed reasoning_details: %v", err)
	}
}

// TestThinkingTokensLimit: the endpoint's maximum output bounds max_tokens,
// and the budget stays below it.
func TestThinkingTokensLimit(t *testing.T) {
	high := openai.Reasoning{Set: true, Enabled: true, Effort: "high"}
	for _, tt := range []struct {
		rs                        openai.Reasoning
		capTokens, limit          int
		wantMaxTokens, wantBudget int
	}{
		{high, 64000, 64000, 64000, 51200},
		{openai.Reasoning{Set: true, Enabled: true, MaxTokens: 100000}, 8000, 32000, 32000, 16000},
		{high, 500, 0, 1524, 1024},
	} {
		m, b := ThinkingTokens(tt.rs, tt.capTokens, tt.limit)
		if m != tt.wantMaxTokens || b != tt.wantBudget || b >= m {
			t.Errorf("ThinkingTokens(%+v, %d, %d) = %d, %d; want %d, %d", tt.rs, tt.capTokens, tt.limit, m, b, tt.wantMaxTokens, tt.wantBudget)
		}
	}
}
