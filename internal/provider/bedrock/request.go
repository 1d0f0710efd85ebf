package bedrock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

// converseRequest is the body of Converse and ConverseStream.
type converseRequest struct {
	Messages        []message        `json:"messages"`
	System          []contentBlock   `json:"system,omitempty"`
	InferenceConfig *inferenceConfig `json:"inferenceConfig,omitempty"`
	ToolConfig      *toolConfig      `json:"toolConfig,omitempty"`
}

type message struct {
	Role    string         `json:"role"`
	Content []contentBlock `json:"content"`
}

// contentBlock is Converse's ContentBlock union: exactly one field is set.
type contentBlock struct {
	Text             *string           `json:"text,omitempty"`
	Image            *imageBlock       `json:"image,omitempty"`
	ToolUse          *toolUse          `json:"toolUse,omitempty"`
	ToolResult       *toolResult       `json:"toolResult,omitempty"`
	ReasoningContent *reasoningContent `json:"reasoningContent,omitempty"`
}

type imageBlock struct {
	Format string `json:"format"`
	Source struct {
		Bytes string `json:"bytes"` // base64
	} `json:"source"`
}

type toolUse struct {
	ToolUseID string          `json:"toolUseId"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
}

type toolResult struct {
	ToolUseID string         `json:"toolUseId"`
	Content   []contentBlock `json:"content"`
}

type reasoningContent struct {
	ReasoningText *struct {
		Text      string `json:"text"`
		Signature string `json:"signature,omitempty"`
	} `json:"reasoningText,omitempty"`
}

type inferenceConfig struct {
	MaxTokens     *int     `json:"maxTokens,omitempty"`
	Temperature   *float64 `json:"temperature,omitempty"`
	TopP          *float64 `json:"topP,omitempty"`
	StopSequences []string `json:"stopSequences,omitempty"`
}

type toolConfig struct {
	Tools      []tool          `json:"tools"`
	ToolChoice json.RawMessage `json:"toolChoice,omitempty"`
}

type tool struct {
	ToolSpec toolSpec `json:"toolSpec"`
}

type toolSpec struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	InputSchema struct {
		JSON json.RawMessage `json:"json"`
	} `json:"inputSchema"`
}

// translate builds the Converse body for req. It does not modify req.
func translate(req *provider.Request) (*converseRequest, error) {
	c := req.Chat
	if c == nil {
		return nil, fmt.Errorf("no chat request")
	}
	out := &converseRequest{Messages: []message{}}
	for i := range c.Messages {
		if err := out.add(&c.Messages[i]); err != nil {
			return nil, fmt.Errorf("messages[%d]: %w", i, err)
		}
	}
	if len(out.Messages) == 0 {
		return nil, fmt.Errorf("messages must contain at least one user or assistant message")
	}

	ic := &inferenceConfig{TopP: c.TopP}
	if n := c.MaxOutputTokens(); n > 0 {
		ic.MaxTokens = &n
	}
	if c.Temperature != nil {
		// OpenAI's range is 0–2, Bedrock's 0–1.
		t := min(max(*c.Temperature, 0), 1)
		ic.Temperature = &t
	}
	stop, err := openai.ParseStop(c.Stop)
	if err != nil {
		return nil, err
	}
	ic.StopSequences = stop
	if ic.MaxTokens != nil || ic.Temperature != nil || ic.TopP != nil || len(ic.StopSequences) > 0 {
		out.InferenceConfig = ic
	}

	choice, err := mapToolChoice(c.ToolChoice)
	if err != nil {
		return nil, err
	}
	if len(c.Tools) > 0 && string(choice) != "none" {
		tc := &toolConfig{}
		for i, t := range c.Tools {
			if t.Type != "function" || t.Function == nil || t.Function.Name == "" {
				return nil, fmt.Errorf("tools[%d]: only function tools with a name are supported", i)
			}
			spec := toolSpec{Name: t.Function.Name, Description: t.Function.Description}
			spec.InputSchema.JSON = t.Function.Parameters
			if p := bytes.TrimSpace(spec.InputSchema.JSON); len(p) == 0 || string(p) == "null" {
				spec.InputSchema.JSON = json.RawMessage(`{"type":"object","properties":{}}`)
			}
			tc.Tools = append(tc.Tools, tool{ToolSpec: spec})
		}
		tc.ToolChoice = choice
		out.ToolConfig = tc
	}
	return out, nil
}

// add appends one OpenAI message, merging it into the previous turn when
// the roles agree.
func (r *converseRequest) add(m *openai.Message) error {
	switch m.Role {
	case "system", "developer":
		blocks, err := contentBlocks(m.Content, false)
		if err != nil {
			return err
		}
		r.System = append(r.System, blocks...)
	case "user":
		blocks, err := contentBlocks(m.Content, true)
		if err != nil {
			return err
		}
		r.append("user", blocks)
	case "assistant":
		var blocks []contentBlock
		// Reasoning history is not replayed: Bedrock requires its signature.
		text, err := contentBlocks(m.Content, false)
		if err != nil {
			return err
		}
		blocks = append(blocks, text...)
		for i, tc := range m.ToolCalls {
			input, err := openai.ToolArguments(tc.Function.Arguments)
			if err != nil {
				return fmt.Errorf("tool_calls[%d]: %w", i, err)
			}
			blocks = append(blocks, contentBlock{ToolUse: &toolUse{ToolUseID: tc.ID, Name: tc.Function.Name, Input: input}})
		}
		r.append("assistant", blocks)
	case "tool":
		if m.ToolCallID == "" {
			return fmt.Errorf("tool message without tool_call_id")
		}
		text := m.Content.PlainText()
		inner := []contentBlock{{Text: &text}}
		r.append("user", []contentBlock{{ToolResult: &toolResult{ToolUseID: m.ToolCallID, Content: inner}}})
	default:
		return fmt.Errorf("unsupported role %q", m.Role)
	}
	return nil
}

func (r *converseRequest) append(role string, blocks []contentBlock) {
	if len(blocks) == 0 {
		return
	}
	if n := len(r.Messages); n > 0 && r.Messages[n-1].Role == role {
		r.Messages[n-1].Content = append(r.Messages[n-1].Content, blocks...)
		return
	}
	r.Messages = append(r.Messages, message{Role: role, Content: blocks})
}

// contentBlocks translates message content. Empty text is dropped, since
// Bedrock rejects blank text blocks.
func contentBlocks(c openai.Content, images bool) ([]contentBlock, error) {
	if c.IsNull() {
		return nil, nil
	}
	if !c.IsParts() {
		if c.Text == "" {
			return nil, nil
		}
		s := c.Text
		return []contentBlock{{Text: &s}}, nil
	}
	var out []contentBlock
	for i, p := range c.Parts {
		switch p.Type {
		case "text":
			if p.Text != "" {
				s := p.Text
				out = append(out, contentBlock{Text: &s})
			}
		case "image_url":
			if !images {
				return nil, fmt.Errorf("content[%d]: images are only supported in user messages", i)
			}
			if p.ImageURL == nil {
				return nil, fmt.Errorf("content[%d]: image_url part without image_url", i)
			}
			img, err := imageFromURL(p.ImageURL.URL)
			if err != nil {
				return nil, fmt.Errorf("content[%d]: %w", i, err)
			}
			out = append(out, contentBlock{Image: img})
		default:
			return nil, fmt.Errorf("content[%d]: unsupported content part type %q", i, p.Type)
		}
	}
	return out, nil
}

// imageFromURL turns a data: URL into an image block. Bedrock does not
// fetch URLs, so http(s) URLs are refused.
func imageFromURL(u string) (*imageBlock, error) {
	if !strings.HasPrefix(u, "data:") {
		return nil, fmt.Errorf("image URL must be a base64 data: URL")
	}
	mediaType, data, ok := openai.ParseDataURL(u)
	if !ok || mediaType == "" {
		return nil, fmt.Errorf("image data URL must be data:<media type>;base64,<data>")
	}
	var format string
	switch strings.ToLower(mediaType) {
	case "image/png":
		format = "png"
	case "image/jpeg", "image/jpg":
		format = "jpeg"
	case "image/gif":
		format = "gif"
	case "image/webp":
		format = "webp"
	default:
		return nil, fmt.Errorf("unsupported image type %q (png, jpeg, gif or webp)", mediaType)
	}
	img := &imageBlock{Format: format}
	img.Source.Bytes = data
	return img, nil
}

// mapToolChoice maps OpenAI's tool_choice to Converse's: auto → {auto:{}},
// required → {any:{}}, a named function → {tool:{name}}. It returns the
// literal "none" for none (the caller omits toolConfig) and nil for unset.
func mapToolChoice(raw json.RawMessage) (json.RawMessage, error) {
	tc, err := openai.ParseToolChoice(raw)
	if tc == nil || err != nil {
		return nil, err
	}
	switch tc.Mode {
	case openai.ToolChoiceAuto:
		return json.RawMessage(`{"auto":{}}`), nil
	case openai.ToolChoiceNone:
		return json.RawMessage(`none`), nil
	case openai.ToolChoiceRequired:
		return json.RawMessage(`{"any":{}}`), nil
	}
	b, _ := json.Marshal(map[string]any{"tool": map[string]string{"name": tc.Name}})
	return b, nil
}
