package cohere

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

func TestTranslateReasoning(t *testing.T) {
	tests := []struct {
		name string
		in   string // extra top-level fields of the request
		want string // thinking as JSON; "-" means absent
	}{
		{"unset", ``, "-"},
		{"effort high with cap", `"max_tokens":10000,"reasoning":{"effort":"high"}`, `{"type":"enabled","token_budget":8000}`},
		{"effort low default cap", `"reasoning_effort":"low"`, `{"type":"enabled","token_budget":1638}`},
		{"budget", `"reasoning":{"max_tokens":3000}`, `{"type":"enabled","token_budget":3000}`},
		{"budget clamped low", `"reasoning":{"max_tokens":10}`, `{"type":"enabled","token_budget":1024}`},
		{"budget clamped high", `"reasoning":{"max_tokens":100000}`, `{"type":"enabled","token_budget":32000}`},
		{"enabled", `"reasoning":{"enabled":true}`, `{"type":"enabled","token_budget":4096}`},
		{"disabled", `"reasoning":{"enabled":false}`, `{"type":"disabled"}`},
		{"effort none", `"reasoning_effort":"none"`, `{"type":"disabled"}`},
		{"exclude still thinks", `"reasoning":{"effort":"medium","exclude":true}`, `{"type":"enabled","token_budget":4096}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"messages":[{"role":"user","content":"hi"}]`
			if tt.in != "" {
				body += "," + tt.in
			}
			m := wire(t, mustChat(t, body+"}"), false)
			got, ok := m["thinking"]
			if tt.want == "-" {
				if ok {
					t.Errorf("thinking = %v, want absent", got)
				}
				return
			}
			if !reflect.DeepEqual(got, jsonOf(t, tt.want)) {
				g, _ := json.Marshal(got)
				t.Errorf("thinking = %s, want %s", g, tt.want)
			}
		})
	}
}

// requireParams marks a request with provider.require_parameters.
func requireParams(req *provider.Request) *provider.Request {
	req.Chat.Provider = &openai.ProviderPrefs{RequireParameters: true}
	return req
}

func TestInvalidRequests(t *testing.T) {
	tools := []openai.Tool{{Type: "function", Function: &openai.FunctionDef{Name: "now"}}}
	tests := []struct {
		name string
		mod  func(*provider.Request) *provider.Request
		want string // in the message
	}{
		{"bad reasoning effort", func(r *provider.Request) *provider.Request {
			r.Chat.ReasoningEffort = "huge"
			return r
		}, "reasoning.effort"},
		{"named tool_choice under require_parameters", func(r *provider.Request) *provider.Request {
			r.Chat.Tools, r.Chat.ToolChoice = tools, json.RawMessage(`{"type":"function","function":{"name":"now"}}`)
			return requireParams(r)
		}, "named function"},
		{"logit_bias under require_parameters", func(r *provider.Request) *provider.Request {
			r.Chat.LogitBias = json.RawMessage(`{"1":2}`)
			return requireParams(r)
		}, "logit_bias"},
		{"file under require_parameters", func(r *provider.Request) *provider.Request {
			r.Chat.Messages = []openai.Message{{Role: "user", Content: openai.PartsContent(openai.ContentPart{Type: "file"})}}
			return requireParams(r)
		}, "file inputs"},
		{"parallel_tool_calls under require_parameters", func(r *provider.Request) *provider.Request {
			r.Chat.Tools, r.Chat.ParallelToolCalls = tools, openai.Ptr(false)
			return requireParams(r)
		}, "parallel_tool_calls"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, jsonAnswer(200, `{}`))
			p := f.provider(t)
			for _, stream := range []bool{false, true} {
				var err error
				if stream {
					_, err = p.ChatStream(context.Background(), tt.mod(chatReq(user("hi"))))
				} else {
					_, err = p.Chat(context.Background(), tt.mod(chatReq(user("hi"))))
				}
				var pe *provider.Error
				if !errors.As(err, &pe) || pe.Status != 400 || pe.Type != "invalid_request" || !strings.Contains(pe.Message, tt.want) {
					t.Errorf("stream=%v: err = %v", stream, err)
				}
			}
			if f.body != nil {
				t.Error("invalid request was sent upstream")
			}
		})
	}
}

func TestRequireParametersAllowsSupported(t *testing.T) {
	f := newFake(t, jsonAnswer(200, `{"id":"c","finish_reason":"COMPLETE","message":{"role":"assistant","content":[{"type":"text","text":"ok"}]}}`))
	req := requireParams(chatReq(openai.Message{Role: "user", Content: openai.PartsContent(
		openai.ContentPart{Type: "text", Text: "look"},
		openai.ContentPart{Type: "image_url", ImageURL: &openai.ImageURL{URL: "https://example.com/cat.png"}})}))
	req.Chat.Tools = []openai.Tool{{Type: "function", Function: &openai.FunctionDef{Name: "now"}}}
	req.Chat.ToolChoice = json.RawMessage(`"required"`)
	req.Chat.ReasoningEffort = "low"
	req.Chat.ResponseFormat = json.RawMessage(`{"type":"json_object"}`)
	if _, err := f.provider(t).Chat(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	m := f.request(t)
	if m["tool_choice"] != "REQUIRED" || m["thinking"] == nil || m["response_format"] == nil {
		t.Errorf("body %v", m)
	}
}

func TestImagesPassThrough(t *testing.T) {
	for _, url := range []string{"https://example.com/cat.png", "data:image/png;base64,iVBORw0KGgo="} {
		m := wire(t, &openai.ChatRequest{Messages: []openai.Message{{Role: "user", Content: openai.PartsContent(
			openai.ContentPart{Type: "image_url", ImageURL: &openai.ImageURL{URL: url}})}}}, false)
		want := jsonOf(t, `[{"role":"user","content":[{"type":"image_url","image_url":{"url":"`+url+`"}}]}]`)
		if !reflect.DeepEqual(m["messages"], want) {
			t.Errorf("%s: messages %v", url, m["messages"])
		}
	}
}

func TestReasoningHistory(t *testing.T) {
	m := wire(t, mustChat(t, `{"messages":[{"role":"user","content":"hi"},
		{"role":"assistant","content":"hello","reasoning":"greet back"},
		{"role":"assistant","content":null,"reasoning":"need time","tool_calls":[{"id":"now_1","type":"function","function":{"name":"now","arguments":""}}]}]}`), false)
	want := jsonOf(t, `[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"},
		{"role":"assistant","tool_plan":"need time","tool_calls":[{"id":"now_1","type":"function","function":{"name":"now","arguments":"{}"}}]}]`)
	if !reflect.DeepEqual(m["messages"], want) {
		g, _ := json.Marshal(m["messages"])
		t.Errorf("messages %s", g)
	}
}

const thinkingBody = `{"id":"m","finish_reason":"COMPLETE","message":{"role":"assistant","tool_plan":"plan. ","content":[{"type":"thinking","thinking":"hmm"},{"type":"text","text":"x"}]},"usage":{"tokens":{"input_tokens":2,"output_tokens":1}}}`

var thinkingEvents = []ev{
	textEvents[0],
	{"content-start", `{"type":"content-start","index":0,"delta":{"message":{"content":{"type":"thinking","thinking":""}}}}`},
	{"content-delta", `{"type":"content-delta","index":0,"delta":{"message":{"content":{"thinking":"let me "}}}}`},
	{"content-delta", `{"type":"content-delta","index":0,"delta":{"message":{"content":{"thinking":"think"}}}}`},
	{"content-end", `{"type":"content-end","index":0}`},
	{"content-start", `{"type":"content-start","index":1,"delta":{"message":{"content":{"type":"text","text":""}}}}`},
	{"content-delta", `{"type":"content-delta","index":1,"delta":{"message":{"content":{"text":"42"}}}}`},
	{"content-end", `{"type":"content-end","index":1}`},
	textEvents[len(textEvents)-1],
	{"", "[DONE]"},
}

func TestReasoningResponse(t *testing.T) {
	for _, tt := range []struct {
		name      string
		reasoning string // JSON reasoning field of the request
		want      *string
		stream    string
	}{
		{"returned", ``, openai.Ptr("plan. hmm"), "let me think"},
		{"excluded", `{"effort":"low","exclude":true}`, nil, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := func() *provider.Request {
				r := chatReq(user("hi"))
				r.Chat.Reasoning = json.RawMessage(tt.reasoning)
				return r
			}
			f := newFake(t, jsonAnswer(200, thinkingBody))
			resp, err := f.provider(t).Chat(context.Background(), req())
			if err != nil {
				t.Fatal(err)
			}
			if msg := resp.Choices[0].Message; !eqPtr(msg.Reasoning, tt.want) || deref(msg.Content) != "x" {
				t.Errorf("reasoning %q content %q", deref(msg.Reasoning), deref(msg.Content))
			}

			f = newFake(t, sseAnswer(thinkingEvents...))
			s, err := f.provider(t).ChatStream(context.Background(), req())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var reasoning, text strings.Builder
			for {
				c, err := s.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				d := c.Choices[0].Delta
				if d.Reasoning != nil {
					reasoning.WriteString(*d.Reasoning)
				}
				if d.Content != nil {
					text.WriteString(*d.Content)
				}
			}
			if reasoning.String() != tt.stream || text.String() != "42" {
				t.Errorf("stream reasoning %q text %q", reasoning.String(), text.String())
			}
		})
	}
}

func TestUsageCachedTokens(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		name                     string
		u                        usage
		prompt, completion, cach int
	}{
		{"tokens include cached", usage{Tokens: &tokenCounts{InputTokens: 71, OutputTokens: 26}, BilledUnits: &tokenCounts{InputTokens: 5, OutputTokens: 26}, CachedTokens: f(60)}, 71, 26, 60},
		{"billed only, below cached", usage{BilledUnits: &tokenCounts{InputTokens: 5, OutputTokens: 3}, CachedTokens: f(64)}, 64, 3, 64},
		{"no cache", usage{Tokens: &tokenCounts{InputTokens: 9, OutputTokens: 1}}, 9, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := tt.u.openai()
			if u.PromptTokens != tt.prompt || u.CompletionTokens != tt.completion || u.TotalTokens != tt.prompt+tt.completion || u.CachedTokens() != tt.cach {
				t.Errorf("usage %+v details %+v", u, u.PromptTokensDetails)
			}
		})
	}
}

func TestStreamErrorFinishWithoutMessage(t *testing.T) {
	_, err := collect(t, textEvents[0], ev{"message-end", `{"type":"message-end","delta":{"finish_reason":"ERROR"}}`})
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Code != "ERROR" || pe.Message != "upstream reported an error" {
		t.Fatalf("err = %v", err)
	}
}

func TestCapabilities(t *testing.T) {
	p, err := New(provider.Config{Slug: "cohere"})
	if err != nil {
		t.Fatal(err)
	}
	d, ok := p.(provider.Describer)
	if !ok {
		t.Fatal("adapter is not a provider.Describer")
	}
	c := d.Capabilities()
	if !c.Tools || !c.Images || c.Files || !c.JSONMode || !c.StructuredOutputs || !c.Reasoning || c.ReasoningDetails || c.PromptCaching {
		t.Errorf("capabilities %+v", c)
	}
	chat := &openai.ChatRequest{LogitBias: json.RawMessage(`{"1":1}`)}
	if err := c.Check(chat); err == nil || !strings.Contains(err.Error(), "logit_bias") {
		t.Errorf("Check(logit_bias) = %v", err)
	}
}
