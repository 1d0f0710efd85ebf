package ollama

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/media"
)

// chatRequest is the body of POST /api/chat (protocols.md §7).
type chatRequest struct {
	Model    string          `json:"model"`
	Messages []message       `json:"messages"`
	Tools    []openai.Tool   `json:"tools,omitempty"`
	Stream   bool            `json:"stream"` // Ollama streams unless told not to
	Format   json.RawMessage `json:"format,omitempty"`
	Options  *options        `json:"options,omitempty"`
	// Think is true, false or a level ("low", "medium", "high").
	Think any `json:"think,omitempty"`
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

// encode builds the upstream body for req and reports whether the
// reasoning is to be kept from the client. It never modifies req.Chat.
// Under provider.require_parameters, anything the adapter cannot honour is
// refused.
func (a *Adapter) encode(ctx context.Context, req *provider.Request, stream bool) (body []byte, exclude bool, err error) {
	c := req.Chat
	if c == nil {
		return nil, false, a.invalid("no chat request")
	}
	strict := c.Provider != nil && c.Provider.RequireParameters
	if strict {
		if err := capabilities.Check(c); err != nil {
			return nil, false, a.invalid("%v", err)
		}
	}
	out := chatRequest{Model: req.UpstreamModel, Stream: stream}

	// Ollama has no tool_choice (protocols.md §10.4): "none" is expressed
	// by sending no tools; "required" and a named function cannot be, and
	// are ignored unless the client requires its parameters.
	tc, err := openai.ParseToolChoice(c.ToolChoice)
	if err != nil {
		return nil, false, a.invalid("%v", err)
	}
	switch {
	case tc != nil && tc.Mode == openai.ToolChoiceNone:
	case tc != nil && tc.Mode != openai.ToolChoiceAuto && strict:
		return nil, false, a.invalid("Ollama cannot force tool calls (tool_choice %q), and provider.require_parameters is set", tc.Mode)
	default:
		out.Tools = c.Tools
	}

	r, err := c.ReasoningRequest()
	if err != nil {
		return nil, false, a.invalid("%v", err)
	}
	out.Think = think(r)

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
		return nil, false, a.invalid("stop must be a string or an array of strings")
	}
	if !o.empty() {
		out.Options = &o
	}

	if out.Format, err = format(c.ResponseFormat); err != nil {
		return nil, false, a.invalid("%v", err)
	}

	// Last: the messages may fetch images, which a request refused for
	// another reason should not.
	if out.Messages, err = a.messages(ctx, c.Messages); err != nil {
		return nil, false, err
	}

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return nil, false, fmt.Errorf("ollama: encode request: %w", err)
	}
	return buf.Bytes(), r.Exclude, nil
}

// think maps OpenRouter's reasoning settings to think: nothing when the
// request says nothing (the model's default), false when reasoning is off,
// the level of an effort (minimal → low, xhigh and max → high) for models
// that take levels (others read any level as true), and true for a bare
// budget, which Ollama cannot express.
func think(r openai.Reasoning) any {
	switch {
	case !r.Set:
		return nil
	case !r.Enabled:
		return false
	}
	switch r.Effort {
	case openai.EffortMinimal, openai.EffortLow:
		return "low"
	case openai.EffortMedium:
		return "medium"
	case openai.EffortHigh, openai.EffortXHigh, openai.EffortMax:
		return "high"
	}
	return true
}

// messages translates the conversation. Tool results carry the name of the
// function they answer, found by their tool_call_id in earlier turns;
// assistant reasoning goes back as thinking; images are inlined.
func (a *Adapter) messages(ctx context.Context, in []openai.Message) ([]message, error) {
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
				img, err := a.image(ctx, p.ImageURL.URL)
				if err != nil {
					return nil, err
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
			// The id goes back too, so that the tool results' tool_call_id
			// refers to a call the upstream can see.
			om.ToolCalls = append(om.ToolCalls, toolCall{ID: tc.ID, Function: toolFunction{Name: tc.Function.Name, Arguments: args}})
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

// image returns the raw base64 of an image_url: a data: URL's payload, or
// an http(s) URL fetched through the adapter's media.Fetcher (which
// refuses non-public addresses). A URL that cannot be loaded, or that is
// not an image, is the client's fault: a 400 naming the problem.
func (a *Adapter) image(ctx context.Context, url string) (string, error) {
	mt, data, err := a.media.Inline(ctx, url)
	var me *media.Error
	switch {
	case errors.As(err, &me):
		e := a.invalid("image_url: %v", me)
		e.Err = err
		return "", e
	case err != nil:
		return "", provider.AsError(a.name, err)
	case !strings.HasPrefix(mt, "image/"):
		return "", a.invalid("image_url: %q is not an image", mt)
	}
	return data, nil
}
