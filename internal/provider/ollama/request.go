package ollama

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

// chatRequest is the body of POST /api/chat (protocols.md §7).
type chatRequest struct {
	Model    string          `json:"model"`
	Messages []message       `json:"messages"`
	Tools    []openai.Tool   `json:"tools,omitempty"`
	Stream   bool            `json:"stream"` // Ollama streams unless told not to
	Format   json.RawMessage `json:"format,omitempty"`
	Options  *options        `json:"options,omitempty"`
}

type message struct {
	Role       string     `json:"role"`
	Content    string     `json:"content"`
	Thinking   string     `json:"thinking,omitempty"`
	Images     []string   `json:"images,omitempty"`
	ToolCalls  []toolCall `json:"tool_calls,omitempty"`
	ToolName   string     `json:"tool_name,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
}

type toolCall struct {
	ID       string       `json:"id,omitempty"`
	Function toolFunction `json:"function"`
}

type toolFunction struct {
	Index     *int            `json:"index,omitempty"`
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"` // an object, not a string
}

type options struct {
	Temperature      *float64 `json:"temperature,omitempty"`
	TopP             *float64 `json:"top_p,omitempty"`
	TopK             *int     `json:"top_k,omitempty"`
	MinP             *float64 `json:"min_p,omitempty"`
	NumPredict       *int     `json:"num_predict,omitempty"`
	Stop             []string `json:"stop,omitempty"`
	Seed             *int64   `json:"seed,omitempty"`
	PresencePenalty  *float64 `json:"presence_penalty,omitempty"`
	FrequencyPenalty *float64 `json:"frequency_penalty,omitempty"`
	RepeatPenalty    *float64 `json:"repeat_penalty,omitempty"`
}

func (o *options) empty() bool {
	return o.Temperature == nil && o.TopP == nil && o.TopK == nil && o.MinP == nil &&
		o.NumPredict == nil && len(o.Stop) == 0 && o.Seed == nil &&
		o.PresencePenalty == nil && o.FrequencyPenalty == nil && o.RepeatPenalty == nil
}

// invalid is the error of a request Ollama cannot express.
func (a *Adapter) invalid(format string, args ...any) *provider.Error {
	return &provider.Error{
		Provider: a.name,
		Status:   http.StatusBadRequest,
		Type:     "invalid_request",
		Message:  fmt.Sprintf(format, args...),
	}
}

// encode builds the upstream body for req. It never modifies req.Chat.
func (a *Adapter) encode(req *provider.Request, stream bool) ([]byte, error) {
	c := req.Chat
	body := chatRequest{Model: req.UpstreamModel, Stream: stream}

	msgs, err := a.messages(c.Messages)
	if err != nil {
		return nil, err
	}
	body.Messages = msgs

	// Ollama has no tool_choice: "none" is expressed by sending no tools,
	// anything else by sending them (protocols.md §10.4).
	if !bytes.Equal(bytes.TrimSpace(c.ToolChoice), []byte(`"none"`)) {
		body.Tools = c.Tools
	}

	o := options{
		Temperature:      c.Temperature,
		TopP:             c.TopP,
		TopK:             c.TopK,
		MinP:             c.MinP,
		Seed:             c.Seed,
		PresencePenalty:  c.PresencePenalty,
		FrequencyPenalty: c.FrequencyPenalty,
		RepeatPenalty:    c.RepetitionPenalty,
	}
	if n := c.MaxOutputTokens(); n > 0 {
		o.NumPredict = &n
	}
	if o.Stop, err = openai.ParseStop(c.Stop); err != nil {
		return nil, a.invalid("stop must be a string or an array of strings")
	}
	if !o.empty() {
		body.Options = &o
	}

	if body.Format, err = format(c.ResponseFormat); err != nil {
		return nil, a.invalid("%v", err)
	}

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(body); err != nil {
		return nil, fmt.Errorf("ollama: encode request: %w", err)
	}
	return buf.Bytes(), nil
}

// messages translates the conversation. Tool results carry the name of the
// function they answer, found by their tool_call_id in earlier turns.
func (a *Adapter) messages(in []openai.Message) ([]message, error) {
	out := make([]message, 0, len(in))
	names := make(map[string]string) // tool call id → function name
	for _, m := range in {
		om := message{Role: m.Role, Thinking: m.Reasoning}
		switch m.Role {
		case "developer":
			om.Role = "system"
		case "tool":
			om.ToolCallID = m.ToolCallID
			om.ToolName = names[m.ToolCallID]
			if om.ToolName == "" {
				om.ToolName = m.Name
			}
		}
		if m.Role != "assistant" {
			om.Thinking = ""
		}
		for _, p := range m.Content.Parts {
			switch p.Type {
			case "text":
			case "image_url":
				if p.ImageURL == nil {
					return nil, a.invalid("image_url part without an image_url")
				}
				_, img, ok := openai.ParseDataURL(p.ImageURL.URL)
				if !ok {
					return nil, a.invalid("Ollama accepts images only as base64 data: URLs")
				}
				om.Images = append(om.Images, img)
			default:
				return nil, a.invalid("Ollama does not accept %q content parts", p.Type)
			}
		}
		om.Content = m.Content.PlainText()
		for _, tc := range m.ToolCalls {
			args, err := openai.ToolArguments(tc.Function.Arguments)
			if err != nil {
				return nil, a.invalid("arguments of tool call %q are not a JSON object", tc.ID)
			}
			if tc.ID != "" {
				names[tc.ID] = tc.Function.Name
			}
			om.ToolCalls = append(om.ToolCalls, toolCall{Function: toolFunction{Name: tc.Function.Name, Arguments: args}})
		}
		out = append(out, om)
	}
	return out, nil
}

// format translates response_format: json_object → "json", json_schema →
// the schema itself, text → nothing.
func format(raw json.RawMessage) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	var rf struct {
		Type       string `json:"type"`
		JSONSchema *struct {
			Schema json.RawMessage `json:"schema"`
		} `json:"json_schema"`
	}
	if err := json.Unmarshal(raw, &rf); err != nil {
		return nil, fmt.Errorf("response_format: %v", err)
	}
	switch rf.Type {
	case "", "text":
		return nil, nil
	case "json_object":
		return json.RawMessage(`"json"`), nil
	case "json_schema":
		if rf.JSONSchema == nil || len(bytes.TrimSpace(rf.JSONSchema.Schema)) == 0 {
			return json.RawMessage(`"json"`), nil
		}
		return rf.JSONSchema.Schema, nil
	}
	return nil, fmt.Errorf("response_format type %q is not supported", rf.Type)
}
