package anthropic

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/media"
)

// request is the body of POST /messages (and of the Vertex and Bedrock
// invocations, which move model to the URL and add anthropic_version).
type request struct {
	Model            string          `json:"model,omitempty"`
	AnthropicVersion string          `json:"anthropic_version,omitempty"`
	System           []block         `json:"system,omitempty"`
	Messages         []turn          `json:"messages"`
	MaxTokens        int             `json:"max_tokens"`
	Temperature      *float64        `json:"temperature,omitempty"`
	TopP             *float64        `json:"top_p,omitempty"`
	TopK             *int            `json:"top_k,omitempty"`
	StopSequences    []string        `json:"stop_sequences,omitempty"`
	Stream           bool            `json:"stream,omitempty"`
	Tools            []tool          `json:"tools,omitempty"`
	ToolChoice       *toolChoice     `json:"tool_choice,omitempty"`
	Thinking         *thinking       `json:"thinking,omitempty"`
	OutputConfig     *outputConfig   `json:"output_config,omitempty"`
	Metadata         *requestMetdata `json:"metadata,omitempty"`

	// opts tells the reply's decoder what the request asked for.
	opts decodeOptions
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
	// image and document
	Source *source `json:"source,omitempty"`
	Title  string  `json:"title,omitempty"`
	// tool_use
	ID    string          `json:"id,omitempty"`
	Name  string          `json:"name,omitempty"`
	Input json.RawMessage `json:"input,omitempty"`
	// tool_result
	ToolUseID string  `json:"tool_use_id,omitempty"`
	Content   []block `json:"content,omitempty"`
	// thinking and redacted_thinking
	Thinking  *string `json:"thinking,omitempty"`
	Signature string  `json:"signature,omitempty"`
	Data      string  `json:"data,omitempty"`

	CacheControl json.RawMessage `json:"cache_control,omitempty"`
}

// source is an image's or document's source.
type source struct {
	Type      string `json:"type"` // base64, url or text
	MediaType string `json:"media_type,omitempty"`
	Data      string `json:"data,omitempty"`
	URL       string `json:"url,omitempty"`
}

type tool struct {
	Name         string          `json:"name"`
	Description  string          `json:"description,omitempty"`
	InputSchema  json.RawMessage `json:"input_schema"`
	CacheControl json.RawMessage `json:"cache_control,omitempty"`
}

type toolChoice struct {
	Type                   string `json:"type"` // auto, any, tool, none
	Name                   string `json:"name,omitempty"`
	DisableParallelToolUse bool   `json:"disable_parallel_tool_use,omitempty"`
}

// emptySchema is the input_schema of a function declared without parameters.
var emptySchema = json.RawMessage(`{"type":"object","properties":{}}`)

// translator builds upstream requests. inline makes http(s) images and
// files inline (base64) for hosts that do not fetch URLs themselves.
type translator struct {
	ctx    context.Context
	media  *media.Fetcher
	inline bool
	// long texts of the client's, spliced into the body as written
	splice splicer
}

// translate builds the upstream request. It never modifies req.Chat. A
// *media.Error is returned as is; every error is the client's (a 400).
func (t *translator) translate(req *provider.Request, stream bool) (*request, error) {
	c := req.Chat
	if c == nil {
		return nil, errors.New("no chat request")
	}
	rs, err := c.ReasoningRequest()
	if err != nil {
		return nil, err
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
		out.MaxTokens = cmp.Or(req.MaxOutputTokens, DefaultMaxTokens)
	}
	if t := c.Temperature; t != nil && *t > 1 {
		// OpenAI's range is [0, 2]; Anthropic's is [0, 1].
		out.Temperature = openai.Ptr(1.0)
	}
	if c.User != "" {
		out.Metadata = &requestMetdata{UserID: c.User}
	}
	if out.StopSequences, err = openai.ParseStop(c.Stop); err != nil {
		return nil, err
	}

	for i := range c.Messages {
		if err := t.add(out, &c.Messages[i]); err != nil {
			return nil, fmt.Errorf("messages[%d]: %w", i, err)
		}
	}
	out.orderBlocks()

	if err := out.addTools(c); err != nil {
		return nil, err
	}
	if err := out.applyResponseFormat(c.ResponseFormat); err != nil {
		return nil, err
	}
	return out, out.applyReasoning(rs, req.MaxOutputTokens, requireParameters(c))
}

// requireParameters reports provider.require_parameters.
func requireParameters(c *openai.ChatRequest) bool {
	return c.Provider != nil && c.Provider.RequireParameters
}

// addTools translates tools, tool_choice and parallel_tool_calls.
func (r *request) addTools(c *openai.ChatRequest) error {
	for i, t := range c.Tools {
		if t.Type != "function" || t.Function == nil {
			return fmt.Errorf("tools[%d]: unsupported tool type %q", i, t.Type)
		}
		schema := t.Function.Parameters
		if s := bytes.TrimSpace(schema); len(s) == 0 || string(s) == "null" {
			schema = emptySchema
		}
		r.Tools = append(r.Tools, tool{Name: t.Function.Name, Description: t.Function.Description, InputSchema: schema, CacheControl: t.CacheControl})
	}
	if len(r.Tools) == 0 {
		return nil
	}
	tc, err := mapToolChoice(c.ToolChoice)
	if err != nil {
		return err
	}
	if c.ParallelToolCalls != nil && !*c.ParallelToolCalls {
		if tc == nil {
			tc = &toolChoice{Type: "auto"}
		}
		if tc.Type != "none" {
			tc.DisableParallelToolUse = true
		}
	}
	r.ToolChoice = tc
	return nil
}

// add appends one OpenAI message, merging it into the previous turn when
// the roles agree, as Anthropic requires strict alternation.
func (t *translator) add(r *request, m *openai.Message) error {
	switch m.Role {
	case "system", "developer":
		blocks, err := t.contentBlocks(m.Content, false)
		if err != nil {
			return err
		}
		r.System = append(r.System, blocks...)
		return nil
	case "user":
		blocks, err := t.contentBlocks(m.Content, true)
		if err != nil {
			return err
		}
		r.append("user", blocks)
	case "assistant":
		blocks, err := historyBlocks(m)
		if err != nil {
			return err
		}
		content, err := t.contentBlocks(m.Content, false)
		if err != nil {
			return err
		}
		blocks = append(blocks, content...)
		for i, tc := range m.ToolCalls {
			input, err := openai.ToolArguments(tc.Function.Arguments)
			if err != nil {
				return fmt.Errorf("tool_calls[%d]: %w", i, err)
			}
			blocks = append(blocks, block{Type: "tool_use", ID: tc.ID, Name: tc.Function.Name, Input: input})
		}
		r.append("assistant", blocks)
	case "tool":
		inner, err := t.contentBlocks(m.Content, true)
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

// orderBlocks puts each user turn's tool_result blocks and each assistant
// turn's thinking blocks first, as Anthropic wants them.
func (r *request) orderBlocks() {
	for i := range r.Messages {
		m := &r.Messages[i]
		if m.Role == "user" {
			moveFirst(m.Content, isToolResult)
		} else {
			moveFirst(m.Content, isReasoningBlock)
		}
	}
}

func isToolResult(b *block) bool { return b.Type == "tool_result" }

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

// moveFirst moves the blocks matching first before the others, keeping
// each group's order. Blocks already in order (nearly every turn) are
// left as they are, without a copy.
func moveFirst(bs []block, first func(*block) bool) {
	i := 0
	for i < len(bs) && first(&bs[i]) {
		i++
	}
	for i < len(bs) && !first(&bs[i]) {
		i++
	}
	if i == len(bs) {
		return
	}
	sorted := make([]block, 0, len(bs))
	for i := range bs {
		if first(&bs[i]) {
			sorted = append(sorted, bs[i])
		}
	}
	for i := range bs {
		if !first(&bs[i]) {
			sorted = append(sorted, bs[i])
		}
	}
	copy(bs, sorted)
}

// contentBlocks translates message content; allowMedia says whether images
// and files are allowed. Empty text is dropped, since Anthropic rejects
// empty text blocks. A part's cache_control goes to its block; string
// content has none.
func (t *translator) contentBlocks(c openai.Content, allowMedia bool) ([]block, error) {
	if c.IsNull() {
		return nil, nil
	}
	if !c.IsParts() {
		if c.Text == "" {
			return nil, nil
		}
		return []block{t.splice.textBlock(c)}, nil
	}
	var out []block
	for i, p := range c.Parts {
		var b block
		var err error
		switch p.Type {
		case "text":
			if p.Text == "" {
				continue
			}
			b = textBlock(p.Text, p.CacheControl)
		case "image_url", "file":
			if !allowMedia {
				return nil, fmt.Errorf("content[%d]: images and files are only supported in user and tool messages", i)
			}
			if p.Type == "image_url" {
				b, err = t.image(p.ImageURL)
			} else {
				b, err = t.document(p.File)
			}
			b.CacheControl = p.CacheControl
		default:
			err = fmt.Errorf("unsupported content part type %q", p.Type)
		}
		if err != nil {
			var me *media.Error
			if errors.As(err, &me) {
				return nil, err
			}
			return nil, fmt.Errorf("content[%d]: %w", i, err)
		}
		out = append(out, b)
	}
	return out, nil
}

func textBlock(s string, cache json.RawMessage) block {
	return block{Type: "text", Text: &s, CacheControl: cache}
}

// image translates an image_url part: a data: URL is a base64 source, an
// http(s) URL a url source that Anthropic fetches (or, on hosts that do
// not fetch, the gateway inlines).
func (t *translator) image(img *openai.ImageURL) (block, error) {
	if img == nil {
		return block{}, errors.New("image_url part without image_url")
	}
	src, err := t.source(img.URL, "image")
	return block{Type: "image", Source: src}, err
}

// filePart is an OpenAI file content part's payload.
type filePart struct {
	Filename string `json:"filename"`
	FileData string `json:"file_data"`
	FileID   string `json:"file_id"`
}

// document translates a file part (a PDF or plain text) into a document
// block: file_data as a data: URL is a base64 source (text/plain a text
// source), as an http(s) URL a url source.
func (t *translator) document(raw json.RawMessage) (block, error) {
	var f filePart
	if err := json.Unmarshal(raw, &f); err != nil || len(raw) == 0 {
		return block{}, errors.New("file part needs a file object {filename, file_data}")
	}
	if f.FileData == "" {
		if f.FileID != "" {
			return block{}, errors.New("file parts referencing file_id are not supported; send file_data")
		}
		return block{}, errors.New("file part without file_data")
	}
	src, err := t.source(f.FileData, "file")
	if err != nil {
		return block{}, err
	}
	if src.Type == "base64" && src.MediaType == "text/plain" {
		text, err := base64.StdEncoding.DecodeString(src.Data)
		if err != nil {
			return block{}, fmt.Errorf("file_data is not valid base64: %w", err)
		}
		src = &source{Type: "text", MediaType: "text/plain", Data: string(text)}
	} else if src.Type == "base64" && src.MediaType != "application/pdf" {
		return block{}, fmt.Errorf("file type %q is not supported (PDF or plain text only)", src.MediaType)
	}
	return block{Type: "document", Source: src, Title: f.Filename}, nil
}

// source returns the source of a data: or http(s) URL. Data URLs are
// checked (size, base64 form) by the media fetcher.
func (t *translator) source(u, what string) (*source, error) {
	remote := strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")
	switch {
	case remote && !t.inline:
		return &source{Type: "url", URL: u}, nil
	case remote || strings.HasPrefix(u, "data:"):
		mediaType, data, err := t.media.Inline(t.ctx, u)
		if err != nil {
			return nil, err
		}
		if mediaType == "" {
			return nil, fmt.Errorf("%s data URL must be data:<media type>;base64,<data>", what)
		}
		return &source{Type: "base64", MediaType: mediaType, Data: data}, nil
	}
	return nil, fmt.Errorf("%s URL must be a data: or http(s) URL", what)
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
