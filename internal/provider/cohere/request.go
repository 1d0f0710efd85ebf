package cohere

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

// request is the body of POST /v2/chat.
type request struct {
	Model            string          `json:"model"`
	Messages         []message       `json:"messages"`
	Tools            []openai.Tool   `json:"tools,omitempty"`
	ToolChoice       string          `json:"tool_choice,omitempty"` // REQUIRED or NONE
	MaxTokens        *int            `json:"max_tokens,omitempty"`
	Temperature      *float64        `json:"temperature,omitempty"`
	P                *float64        `json:"p,omitempty"`
	K                *int            `json:"k,omitempty"`
	StopSequences    []string        `json:"stop_sequences,omitempty"`
	Seed             *int64          `json:"seed,omitempty"`
	FrequencyPenalty *float64        `json:"frequency_penalty,omitempty"`
	PresencePenalty  *float64        `json:"presence_penalty,omitempty"`
	ResponseFormat   *responseFormat `json:"response_format,omitempty"`
	Thinking         *thinking       `json:"thinking,omitempty"`
	Stream           bool            `json:"stream"`

	// exclude asks for reasoning that is not returned to the client
	// (reasoning.exclude); it is not sent.
	exclude bool
}

// thinking is Cohere's reasoning switch: {"type":"enabled","token_budget":N}
// or {"type":"disabled"}.
type thinking struct {
	Type        string `json:"type"`
	TokenBudget int    `json:"token_budget,omitempty"`
}

// Reasoning budgets: the output cap assumed when the request has none, and
// the bounds of a token_budget.
const (
	defaultMaxTokens  = 8192
	minThinkingBudget = 1024
	maxThinkingBudget = 32000
)

// message is one request message of any role.
type message struct {
	Role       string            `json:"role"`
	Content    json.RawMessage   `json:"content,omitempty"` // string or content blocks
	ToolCalls  []openai.ToolCall `json:"tool_calls,omitempty"`
	ToolPlan   string            `json:"tool_plan,omitempty"`
	ToolCallID string            `json:"tool_call_id,omitempty"`
}

// contentBlock is a user content block: text or image_url.
type contentBlock struct {
	Type     string           `json:"type"`
	Text     *string          `json:"text,omitempty"`
	ImageURL *openai.ImageURL `json:"image_url,omitempty"`
}

// responseFormat is {"type":"text"} or {"type":"json_object","json_schema":{…}}.
type responseFormat struct {
	Type       string          `json:"type"`
	JSONSchema json.RawMessage `json:"json_schema,omitempty"`
}

// emptySchema is the parameters of a function declared without them;
// Cohere requires parameters.
var emptySchema = json.RawMessage(`{"type":"object","properties":{}}`)

// translate builds the upstream request. It never modifies req.Chat.
func translate(req *provider.Request, stream bool) (*request, error) {
	c := req.Chat
	if c == nil {
		return nil, fmt.Errorf("cohere: no chat request")
	}
	out := &request{
		Model:            req.UpstreamModel,
		Temperature:      c.Temperature,
		P:                c.TopP,
		K:                c.TopK,
		Seed:             c.Seed,
		FrequencyPenalty: c.FrequencyPenalty,
		PresencePenalty:  c.PresencePenalty,
		Stream:           stream,
	}
	if out.Model == "" {
		out.Model = c.Model
	}
	if n := c.MaxOutputTokens(); n > 0 {
		out.MaxTokens = openai.Ptr(n)
	}
	stop, err := openai.ParseStop(c.Stop)
	if err != nil {
		return nil, err
	}
	out.StopSequences = stop
	if out.ResponseFormat, err = mapResponseFormat(c.ResponseFormat); err != nil {
		return nil, err
	}
	if out.Thinking, out.exclude, err = mapReasoning(c); err != nil {
		return nil, err
	}

	for i := range c.Messages {
		m, err := translateMessage(&c.Messages[i])
		if err != nil {
			return nil, fmt.Errorf("messages[%d]: %w", i, err)
		}
		out.Messages = append(out.Messages, m)
	}

	for i, t := range c.Tools {
		if t.Type != "function" || t.Function == nil || t.Function.Name == "" {
			return nil, fmt.Errorf("tools[%d]: only function tools with a name are supported", i)
		}
		f := *t.Function // copy: never touch the caller's definition
		f.Strict = nil
		if len(bytes.TrimSpace(f.Parameters)) == 0 || string(bytes.TrimSpace(f.Parameters)) == "null" {
			f.Parameters = emptySchema
		}
		out.Tools = append(out.Tools, openai.Tool{Type: "function", Function: &f})
	}
	choice, only, err := mapToolChoice(c.ToolChoice)
	if err != nil {
		return nil, err
	}
	if only != "" {
		if c.Provider != nil && c.Provider.RequireParameters {
			return nil, fmt.Errorf("tool_choice: Cohere cannot force a named function (only REQUIRED or NONE), and provider.require_parameters is set")
		}
		var kept []openai.Tool
		for _, t := range out.Tools {
			if t.Function.Name == only {
				kept = append(kept, t)
			}
		}
		if len(kept) == 0 {
			return nil, fmt.Errorf("tool_choice: function %q is not among the tools", only)
		}
		out.Tools = kept
	}
	if len(out.Tools) > 0 || choice == "NONE" {
		out.ToolChoice = choice
	}
	return out, nil
}

// translateMessage maps one OpenAI message to Cohere's.
func translateMessage(m *openai.Message) (message, error) {
	switch m.Role {
	case "system", "developer":
		return textMessage("system", m.Content.PlainText())
	case "user":
		content, err := userContent(m.Content)
		if err != nil {
			return message{}, err
		}
		return message{Role: "user", Content: content}, nil
	case "assistant":
		out := message{Role: "assistant"}
		if text := m.Content.PlainText(); text != "" {
			out.Content, _ = json.Marshal(text)
		}
		for i, tc := range m.ToolCalls {
			if tc.ID == "" || tc.Function.Name == "" {
				return message{}, fmt.Errorf("tool_calls[%d]: id and function name are required", i)
			}
			args := tc.Function.Arguments
			if args == "" {
				args = "{}"
			}
			out.ToolCalls = append(out.ToolCalls, openai.ToolCall{
				ID:       tc.ID,
				Type:     "function",
				Function: openai.FunctionCall{Name: tc.Function.Name, Arguments: args},
			})
		}
		// Earlier reasoning goes back as the tool plan it came from;
		// Cohere takes no thinking blocks in history, so reasoning of a
		// turn without tool calls is dropped.
		if len(out.ToolCalls) > 0 {
			out.ToolPlan = m.Reasoning
		}
		if out.Content == nil && len(out.ToolCalls) == 0 {
			out.Content = json.RawMessage(`""`)
		}
		return out, nil
	case "tool":
		if m.ToolCallID == "" {
			return message{}, fmt.Errorf("tool message without tool_call_id")
		}
		out, err := textMessage("tool", m.Content.PlainText())
		out.ToolCallID = m.ToolCallID
		return out, err
	}
	return message{}, fmt.Errorf("unsupported role %q", m.Role)
}

func textMessage(role, text string) (message, error) {
	b, err := json.Marshal(text)
	return message{Role: role, Content: b}, err
}

// userContent is a string, or blocks when the content has images.
func userContent(c openai.Content) (json.RawMessage, error) {
	if !c.IsParts() {
		return json.Marshal(c.Text)
	}
	blocks := make([]contentBlock, 0, len(c.Parts))
	for i, p := range c.Parts {
		switch p.Type {
		case "text":
			blocks = append(blocks, contentBlock{Type: "text", Text: openai.Ptr(p.Text)})
		case "image_url":
			if p.ImageURL == nil || p.ImageURL.URL == "" {
				return nil, fmt.Errorf("content[%d]: image_url part without image_url", i)
			}
			img := *p.ImageURL
			blocks = append(blocks, contentBlock{Type: "image_url", ImageURL: &img})
		default:
			return nil, fmt.Errorf("content[%d]: unsupported content part type %q", i, p.Type)
		}
	}
	return json.Marshal(blocks)
}

// mapToolChoice maps OpenAI's tool_choice: auto → omitted, none → NONE,
// required → REQUIRED, and a named function → REQUIRED with only that
// tool (returned as only), since Cohere cannot force a named tool. The
// caller refuses the named form under provider.require_parameters; without
// it the request degrades to REQUIRED over that one tool.
func mapToolChoice(raw json.RawMessage) (choice, only string, err error) {
	tc, err := openai.ParseToolChoice(raw)
	if tc == nil || err != nil {
		return "", "", err
	}
	switch tc.Mode {
	case openai.ToolChoiceNone:
		return "NONE", "", nil
	case openai.ToolChoiceRequired:
		return "REQUIRED", "", nil
	case openai.ToolChoiceFunction:
		return "REQUIRED", tc.Name, nil
	}
	return "", "", nil
}

// mapResponseFormat maps OpenAI's response_format: text, json_object, and
// json_schema (whose schema becomes json_schema of a json_object format).
func mapResponseFormat(raw json.RawMessage) (*responseFormat, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var rf struct {
		Type       string `json:"type"`
		JSONSchema *struct {
			Schema json.RawMessage `json:"schema"`
		} `json:"json_schema"`
	}
	if err := json.Unmarshal(raw, &rf); err != nil {
		return nil, fmt.Errorf("response_format: %w", err)
	}
	switch rf.Type {
	case "text":
		return nil, nil
	case "json_object":
		return &responseFormat{Type: "json_object"}, nil
	case "json_schema":
		if rf.JSONSchema == nil || len(rf.JSONSchema.Schema) == 0 {
			return nil, fmt.Errorf("response_format: json_schema without schema")
		}
		return &responseFormat{Type: "json_object", JSONSchema: rf.JSONSchema.Schema}, nil
	}
	return nil, fmt.Errorf("response_format: unsupported type %q", rf.Type)
}

// mapReasoning maps OpenRouter's reasoning settings to Cohere's thinking:
// nothing when the request says nothing (the model's default), disabled
// when reasoning is off, else enabled with a budget of the requested
// max_tokens or the effort's share of the output cap (defaultMaxTokens
// without one), within [minThinkingBudget, maxThinkingBudget]. exclude
// reports reasoning to be computed but not returned.
func mapReasoning(c *openai.ChatRequest) (t *thinking, exclude bool, err error) {
	r, err := c.ReasoningRequest()
	if err != nil || !r.Set {
		return nil, r.Exclude, err
	}
	if !r.Enabled {
		return &thinking{Type: "disabled"}, r.Exclude, nil
	}
	maxTokens := c.MaxOutputTokens()
	if maxTokens <= 0 {
		maxTokens = defaultMaxTokens
	}
	return &thinking{Type: "enabled", TokenBudget: r.Budget(maxTokens, minThinkingBudget, maxThinkingBudget)}, r.Exclude, nil
}
