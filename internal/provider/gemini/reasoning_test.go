package gemini

import (
	"context"
	"encoding/json"
	"io"
	"reflect"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

func TestThinkingConfig(t *testing.T) {
	tests := []struct {
		name      string
		model     string
		reasoning string
		effort    string // reasoning_effort
		maxTokens int
		want      string // generationConfig.thinkingConfig; "" for none
	}{
		{name: "unset leaves the default", model: "gemini-2.5-flash", want: ""},
		{name: "2.5 flash medium without max_tokens", model: "gemini-2.5-flash", effort: "medium",
			want: `{"includeThoughts":true,"thinkingBudget":24576}`},
		{name: "2.5 flash low of max_tokens", model: "gemini-2.5-flash", effort: "low", maxTokens: 10000,
			want: `{"includeThoughts":true,"thinkingBudget":2000}`},
		{name: "2.5 pro explicit budget clamped", model: "gemini-2.5-pro", reasoning: `{"max_tokens":50}`,
			want: `{"includeThoughts":true,"thinkingBudget":128}`},
		{name: "2.5 pro high capped", model: "gemini-2.5-pro", reasoning: `{"effort":"high"}`, maxTokens: 60000,
			want: `{"includeThoughts":true,"thinkingBudget":32768}`},
		{name: "2.5 flash-lite minimal", model: "gemini-2.5-flash-lite", effort: "minimal", maxTokens: 1000,
			want: `{"includeThoughts":true,"thinkingBudget":512}`},
		{name: "2.5 flash none disables", model: "gemini-2.5-flash", effort: "none", want: `{"thinkingBudget":0}`},
		{name: "2.5 pro disabled is the minimum", model: "gemini-2.5-pro", reasoning: `{"enabled":false}`,
			want: `{"thinkingBudget":128}`},
		{name: "exclude", model: "gemini-2.5-flash", reasoning: `{"max_tokens":3000,"exclude":true}`,
			want: `{"thinkingBudget":3000}`},
		{name: "3 flash minimal", model: "gemini-3-flash-preview", effort: "minimal", want: `{"includeThoughts":true,"thinkingLevel":"MINIMAL"}`},
		{name: "3 pro minimal is LOW", model: "gemini-3-pro-preview", effort: "minimal", want: `{"includeThoughts":true,"thinkingLevel":"LOW"}`},
		{name: "3 pro medium is HIGH", model: "gemini-3-pro-preview", effort: "medium", want: `{"includeThoughts":true,"thinkingLevel":"HIGH"}`},
		{name: "3 flash medium", model: "gemini-3-flash-preview", effort: "medium", want: `{"includeThoughts":true,"thinkingLevel":"MEDIUM"}`},
		{name: "3 pro xhigh", model: "gemini-3-pro-preview", effort: "xhigh", want: `{"includeThoughts":true,"thinkingLevel":"HIGH"}`},
		{name: "3 pro low", model: "gemini-3-pro-preview", effort: "low", want: `{"includeThoughts":true,"thinkingLevel":"LOW"}`},
		{name: "3 budget maps to the nearest effort", model: "gemini-3-flash-preview", reasoning: `{"max_tokens":1900}`, maxTokens: 10000,
			want: `{"includeThoughts":true,"thinkingLevel":"LOW"}`},
		{name: "3 none is the least", model: "gemini-3-flash-preview", effort: "none", want: `{"thinkingLevel":"MINIMAL"}`},
		{name: "2.0 does not think", model: "gemini-2.0-flash", effort: "high", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, jsonAnswer(200, okBody))
			chat := &openai.ChatRequest{Messages: []openai.Message{user("x")}, Reasoning: json.RawMessage(tt.reasoning), ReasoningEffort: tt.effort}
			if tt.maxTokens > 0 {
				chat.MaxTokens = openai.Ptr(tt.maxTokens)
			}
			if _, err := f.provider(t).Chat(context.Background(), &provider.Request{Chat: chat, UpstreamModel: tt.model}); err != nil {
				t.Fatal(err)
			}
			gc, _ := f.request(t)["generationConfig"].(map[string]any)
			got := ""
			if tc, ok := gc["thinkingConfig"]; ok {
				got = jsonString(t, tc)
			}
			if got != tt.want {
				t.Errorf("thinkingConfig %s, want %s", got, tt.want)
			}
		})
	}
}

// signedResponse is a Gemini 3 turn: a thought, text carrying a signature,
// and two function calls, the first signed.
const signedResponse = `{"candidates":[{"content":{"role":"model","parts":[
	{"text":"Let me think","thought":true},{"text":" more.","thought":true},
	{"text":"Checking.","thoughtSignature":"U0lHLXRleHQ="},
	{"functionCall":{"name":"get_weather","args":{"loc":"SF"}},"thoughtSignature":"U0lHLWNhbGw="},
	{"functionCall":{"name":"now","args":{}}}]},"finishReason":"STOP"}],
	"usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":5,"thoughtsTokenCount":7,"totalTokenCount":22},"responseId":"resp-A_1"}`

func TestThoughtSignatureRoundTrip(t *testing.T) {
	f := newFake(t, jsonAnswer(200, signedResponse))
	p := f.provider(t)
	resp, err := p.Chat(context.Background(), chatReq(user("weather?")))
	if err != nil {
		t.Fatal(err)
	}
	msg := resp.Choices[0].Message
	if deref(msg.Reasoning) != "Let me think more." || deref(msg.Content) != "Checking." || deref(resp.Choices[0].FinishReason) != "tool_calls" {
		t.Fatalf("message %+v", msg)
	}
	if len(msg.ToolCalls) != 2 || msg.ToolCalls[0].ID != "call_resp-A1_0" || msg.ToolCalls[1].ID != "call_resp-A1_1" || msg.ToolCalls[0].Index != nil {
		t.Fatalf("tool calls %+v", msg.ToolCalls)
	}
	details, err := openai.ParseReasoningDetails(msg.ReasoningDetails)
	if err != nil {
		t.Fatal(err)
	}
	want := []openai.ReasoningDetail{
		{Type: "reasoning.text", Text: "Let me think more.", Format: "google-gemini-v1", Index: 0},
		{Type: "reasoning.encrypted", Data: "U0lHLXRleHQ=", Format: "google-gemini-v1", Index: 1},
		{Type: "reasoning.encrypted", Data: "U0lHLWNhbGw=", ID: "call_resp-A1_0", Format: "google-gemini-v1", Index: 2},
	}
	if !reflect.DeepEqual(details, want) {
		t.Fatalf("reasoning_details\n got %+v\nwant %+v", details, want)
	}

	// The next turn sends the assistant message back as the client got it,
	// plus a detail of another provider, which is dropped.
	back := append(details, openai.ReasoningDetail{Type: "reasoning.encrypted", Data: "other", Format: openai.FormatAnthropic})
	next := chatReq(
		user("weather?"),
		openai.Message{Role: "assistant", Content: openai.TextContent(*msg.Content), ToolCalls: msg.ToolCalls,
			Reasoning: *msg.Reasoning, ReasoningDetails: openai.ReasoningDetailsJSON(back)},
		openai.Message{Role: "tool", ToolCallID: msg.ToolCalls[0].ID, Content: openai.TextContent("sunny")},
		openai.Message{Role: "tool", ToolCallID: msg.ToolCalls[1].ID, Content: openai.TextContent("noon")},
	)
	if _, err := p.Chat(context.Background(), next); err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(`{"contents":[{"role":"user","parts":[{"text":"weather?"}]},
		{"role":"model","parts":[{"text":"Checking.","thoughtSignature":"U0lHLXRleHQ="},
			{"functionCall":{"name":"get_weather","args":{"loc":"SF"}},"thoughtSignature":"U0lHLWNhbGw="},
			{"functionCall":{"name":"now","args":{}}}]},
		{"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"output":"sunny"}}},
			{"functionResponse":{"name":"now","response":{"output":"noon"}}}]}]}`), &body); err != nil {
		t.Fatal(err)
	}
	if got := f.request(t); !reflect.DeepEqual(got, body) {
		t.Errorf("next turn\n got %s\nwant %s", jsonString(t, got), jsonString(t, body))
	}
}

func TestReasoningExclude(t *testing.T) {
	f := newFake(t, jsonAnswer(200, signedResponse))
	req := chatReq(user("x"))
	req.Chat.Reasoning = json.RawMessage(`{"effort":"low","exclude":true}`)
	resp, err := f.provider(t).Chat(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	msg := resp.Choices[0].Message
	details, _ := openai.ParseReasoningDetails(msg.ReasoningDetails)
	if msg.Reasoning != nil || len(details) != 2 || details[0].Type != "reasoning.encrypted" || details[1].ID != "call_resp-A1_0" {
		t.Errorf("reasoning %q details %+v: thought text kept or signatures lost", deref(msg.Reasoning), details)
	}
	if u := resp.Usage; u.CompletionTokens != 12 || u.ReasoningTokens() != 7 {
		t.Errorf("usage %+v: excluded reasoning is still billed", u)
	}
}

func TestStreamReasoningDetails(t *testing.T) {
	chunks, err := collect(t, data(
		`{"candidates":[{"content":{"parts":[{"text":"Plan","thought":true}],"role":"model"}}],"responseId":"r9"}`,
		`{"candidates":[{"content":{"parts":[{"text":" it.","thought":true}],"role":"model"}}],"responseId":"r9"}`,
		`{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{"a":1}},"thoughtSignature":"c2ln"}]}}],"responseId":"r9"}`,
		`{"candidates":[{"content":{"parts":[{"text":"","thoughtSignature":"dGFpbA=="}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":2,"thoughtsTokenCount":4,"totalTokenCount":9},"responseId":"r9"}`,
	)...)
	if err != io.EOF {
		t.Fatalf("err = %v", err)
	}
	var got []openai.ReasoningDetail
	for _, c := range chunks {
		for _, ch := range c.Choices {
			d, err := openai.ParseReasoningDetails(ch.Delta.ReasoningDetails)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, d...)
		}
	}
	want := []openai.ReasoningDetail{
		{Type: "reasoning.text", Text: "Plan", Format: "google-gemini-v1", Index: 0},
		{Type: "reasoning.text", Text: " it.", Format: "google-gemini-v1", Index: 0},
		{Type: "reasoning.encrypted", Data: "c2ln", ID: "call_r9_0", Format: "google-gemini-v1", Index: 1},
		{Type: "reasoning.encrypted", Data: "dGFpbA==", Format: "google-gemini-v1", Index: 2},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("details\n got %+v\nwant %+v", got, want)
	}
	last := chunks[len(chunks)-1].Choices[0]
	if deref(last.FinishReason) != "tool_calls" || chunks[2].Choices[0].Delta.ToolCalls[0].ID != "call_r9_0" {
		t.Errorf("finish %q, calls %+v", deref(last.FinishReason), chunks[2].Choices[0].Delta.ToolCalls)
	}
}
