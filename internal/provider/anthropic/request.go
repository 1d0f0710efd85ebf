package anthropic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

// request is the body of POST /messages.
type request struct {
	Model         string          `json:"model"`
	System        []block         `json:"system,omitempty"`
	Messages      []turn          `json:"messages"`
	MaxTokens     int             `json:"max_tokens"`
	Temperature   *float64        `json:"temperature,omitempty"`
	TopP          *float64        `json:"top_p,omitempty"`
	TopK          *int            `json:"top_k,omitempty"`
	StopSequences []string        `json:"stop_sequences,omitempty"`
	Stream        bool            `json:"stream,omitempty"`
	Tools         []tool          `json:"tools,omitempty"`
	ToolChoice    *toolChoice     `json:"tool_choice,omitempty"`
	Metadata      *requestMetdata `json:"metadata,omitempty"`
}

type requestMetdata struct {
	UserID string `json:"user_id,omitempty"`
}

// turn is one message: role user or assistant.
type turn struct {
	Role    string  `json:"role"`
	Content []block `json:"content"`
}

// block is a request content block of any type.
type block struct {
	Type string `json:"type"`
	// text
	Text *string `json:"text,omitempty"`
	// image
	Source *imageSource `json:"source,omitempty"`
	// tool_use
	ID    string          `json:"id,omitempty"`
	Name  string          `json:"name,omitempty"`
	Input json.RawMessage `json:"input,omitempty"`
	// tool_result
	ToolUseID string  `json:"tool_use_id,omitempty"`
	Content   []block `json:"content,omitempty"`

	CacheControl json.RawMessage `json:"cache_control,omitempty"`
}

type imageSource struct {
	Type      string `json:"type"` // base64 or url
	MediaType string `json:"media_type,omitempty"`
	Data      string `json:"data,omitempty"`
	URL       string `json:"url,omitempty"`
}

type tool struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema"`
}

type toolChoice struct {
	Type                   string `json:"type"` // auto, any, tool, none
	Name                   string `json:"name,omitempty"`
	DisableParallelToolUse bool   `json:"disable_parallel_tool_use,omitempty"`
}

// emptySchema is the input_schema of a function declared without parameters.
var emptySchema = json.RawMessage(`{"type":"object","properties":{}}`)

// translate builds the upstream request. It never modifies req.Chat.
func translate(req *provider.Request, stream bool) (*request, error) {
	c := req.Chat
	if c == nil {
		return nil, fmt.Errorf("anthropic: no chat request")
	}
	out := &request{
		Model:       req.UpstreamModel,
		MaxTokens:   c.MaxOutputTokens(),
		TopP:        c.TopP,
		TopK:        c.TopK,
		Stream:      stream,
		Temperature: c.Temperature,
	}
	if out.Model == "" {
		out.Model = c.Model
	}
	if out.MaxTokens <= 0 {
		out.MaxTokens = DefaultMaxTokens
	}
	if t := c.Temperature; t != nil && *t > 1 {
		// OpenAI's range is [0, 2]; Anthropic's is [0, 1].
		out.Temperature = openai.Ptr(1.0)
	}
	if c.User != "" {
		out.Metadata = &requestMetdata{UserID: c.User}
	}
	stop, err := openai.ParseStop(c.Stop)
	if err != nil {
		return nil, err
	}
	out.StopSequences = stop

	for i := range c.Messages {
		if err := out.add(&c.Messages[i]); err != nil {
			return nil, fmt.Errorf("messages[%d]: %w", i, err)
		}
	}
	for i := range out.Messages {
		if out.Messages[i].Role == "user" {
			toolResultsFirst(out.Messages[i].Content)
		}
	}

	for i, t := range c.Tools {
		if t.Type != "function" || t.Function == nil {
			return nil, fmt.Errorf("tools[%d]: unsupported tool type %q", i, t.Type)
		}
		schema := t.Function.Parameters
		if len(bytes.TrimSpace(schema)) == 0 || string(bytes.TrimSpace(schema)) == "null" {
			schema = emptySchema
		}
		out.Tools = append(out.Tools, tool{Name: t.Function.Name, Description: t.Function.Description, InputSchema: schema})
	}
	if len(out.Tools) > 0 {
		tc, err := mapToolChoice(c.ToolChoice)
		if err != nil {
			return nil, err
		}
		if c.ParallelToolCalls != nil && !*c.ParallelToolCalls {
			if tc == nil {
				tc = &toolChoice{Type: "auto"}
			}
			if tc.Type != "none" {
				tc.DisableParallelToolUse = true
			}
		}
		out.ToolChoice = tc
	}
	return out, nil
}

// add appends one OpenAI message, merging it into the previous turn when
// the roles agree, as Anthropic requires strict alternation.
func (r *request) add(m *openai.Message) error {
	switch m.Role {
	case "system", "developer":
		blocks, err := contentBlocks(m.Content, false)
		if err != nil {
			return err
		}
		r.System = append(r.System, blocks...)
		return nil
	case "user":
		blocks, err := contentBlocks(m.Content, true)
		if err != nil {
			return err
		}
		r.append("user", blocks)
	case "assistant":
		blocks, err := contentBlocks(m.Content, false)
		if err != nil {
			return err
		}
		for i, tc := range m.ToolCalls {
			input, err := openai.ToolArguments(tc.Function.Arguments)
			if err != nil {
				return fmt.Errorf("tool_calls[%d]: %w", i, err)
			}
			blocks = append(blocks, block{Type: "tool_use", ID: tc.ID, Name: tc.Function.Name, Input: input})
		}
		r.append("assistant", blocks)
	case "tool":
		inner, err := contentBlocks(m.Content, true)
		if err != nil {
			return err
		}
		if inner == nil {
			inner = []block{} // an empty result is still a result
		}
		r.append("user", []block{{Type: "tool_result", ToolUseID: m.ToolCallID, Content: inner}})
	default:
		return fmt.Errorf("unsupported role %q", m.Role)
	}
	return nil
}

func (r *request) append(role string, blocks []block) {
	if len(blocks) == 0 {
		return
	}
	if n := len(r.Messages); n > 0 && r.Messages[n-1].Role == role {
		r.Messages[n-1].Content = append(r.Messages[n-1].Content, blocks...)
		return
	}
	r.Messages = append(r.Messages, turn{Role: role, Content: blocks})
}

// toolResultsFirst moves a user turn's tool_result blocks before its other
// blocks (keeping each group's order): Anthropic wants results first.
func toolResultsFirst(bs []block) {
	sorted := make([]block, 0, len(bs))
	for _, b := range bs {
		if b.Type == "tool_result" {
			sorted = append(sorted, b)
		}
	}
	for _, b := range bs {
		if b.Type != "tool_result" {
			sorted = append(sorted, b)
		}
	}
	copy(bs, sorted)
}

// contentBlocks translates message content. Empty text is dropped, since
// Anthropic rejects empty text blocks.
func contentBlocks(c openai.Content, images bool) ([]block, error) {
	if c.IsNull() {
		return nil, nil
	}
	if !c.IsParts() {
		if c.Text == "" {
			return nil, nil
		}
		return []block{textBlock(c.Text, nil)}, nil
	}
	var out []block
	for i, p := range c.Parts {
		switch p.Type {
		case "text":
			if p.Text != "" {
				out = append(out, textBlock(p.Text, p.CacheControl))
			}
		case "image_url":
			if !images {
				return nil, fmt.Errorf("content[%d]: images are only supported in user and tool messages", i)
			}
			if p.ImageURL == nil {
				return nil, fmt.Errorf("content[%d]: image_url part without image_url", i)
			}
			src, err := imageFromURL(p.ImageURL.URL)
			if err != nil {
				return nil, fmt.Errorf("content[%d]: %w", i, err)
			}
			out = append(out, block{Type: "image", Source: src, CacheControl: p.CacheControl})
		default:
			return nil, fmt.Errorf("content[%d]: unsupported content part type %q", i, p.Type)
		}
	}
	return out, nil
}

func textBlock(s string, cache json.RawMessage) block {
	return block{Type: "text", Text: &s, CacheControl: cache}
}

// imageFromURL turns a data: URL into a base64 source and an http(s) URL
// into a url source.
func imageFromURL(u string) (*imageSource, error) {
	if strings.HasPrefix(u, "data:") {
		mediaType, data, ok := openai.ParseDataURL(u)
		if !ok || mediaType == "" {
			return nil, fmt.Errorf("image data URL must be data:<media type>;base64,<data>")
		}
		return &imageSource{Type: "base64", MediaType: mediaType, Data: data}, nil
	}
	if strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") {
		return &imageSource{Type: "url", URL: u}, nil
	}
	return nil, fmt.Errorf("image URL must be a data: or http(s) URL")
}

// mapToolChoice maps OpenAI's tool_choice: auto, none, required → any, and
// a named function → tool.
func mapToolChoice(raw json.RawMessage) (*toolChoice, error) {
	tc, err := openai.ParseToolChoice(raw)
	if tc == nil || err != nil {
		return nil, err
	}
	switch tc.Mode {
	case openai.ToolChoiceRequired:
		return &toolChoice{Type: "any"}, nil
	case openai.ToolChoiceFunction:
		return &toolChoice{Type: "tool", Name: tc.Name}, nil
	}
	return &toolChoice{Type: tc.Mode}, nil
}
