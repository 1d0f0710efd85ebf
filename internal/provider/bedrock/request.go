package bedrock

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/anthropic"
	"github.com/switchyard-dev/switchyard/internal/provider/media"
)

// converseRequest is the body of Converse and ConverseStream.
type converseRequest struct {
	Messages                     []message        `json:"messages"`
	System                       []contentBlock   `json:"system,omitempty"`
	InferenceConfig              *inferenceConfig `json:"inferenceConfig,omitempty"`
	ToolConfig                   *toolConfig      `json:"toolConfig,omitempty"`
	AdditionalModelRequestFields json.RawMessage  `json:"additionalModelRequestFields,omitempty"`
	OutputConfig                 *outputConfig    `json:"outputConfig,omitempty"`
}

type message struct {
	Role    string         `json:"role"`
	Content []contentBlock `json:"content"`
}

// contentBlock is Converse's ContentBlock union: exactly one field is set.
type contentBlock struct {
	Text             *string           `json:"text,omitempty"`
	Image            *imageBlock       `json:"image,omitempty"`
	Document         *documentBlock    `json:"document,omitempty"`
	ToolUse          *toolUse          `json:"toolUse,omitempty"`
	ToolResult       *toolResult       `json:"toolResult,omitempty"`
	ReasoningContent *reasoningContent `json:"reasoningContent,omitempty"`
	CachePoint       *cachePoint       `json:"cachePoint,omitempty"`
}

// source is an inline image or document: base64 bytes, as Converse's JSON
// protocol encodes blobs.
type source struct {
	Bytes string `json:"bytes"`
}

type imageBlock struct {
	Format string `json:"format"`
	Source source `json:"source"`
}

type documentBlock struct {
	Format string `json:"format"`
	Name   string `json:"name"`
	Source source `json:"source"`
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

// reasoningContent is a reasoning block: signed text, or redacted content
// (an opaque base64 blob).
type reasoningContent struct {
	ReasoningText   *reasoningText `json:"reasoningText,omitempty"`
	RedactedContent string         `json:"redactedContent,omitempty"`
}

type reasoningText struct {
	Text      string `json:"text"`
	Signature string `json:"signature,omitempty"`
}

type cachePoint struct {
	Type string `json:"type"`
	TTL  string `json:"ttl,omitempty"`
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

// tool is Converse's Tool union: a toolSpec, or a cachePoint that caches
// the tool definitions before it.
type tool struct {
	ToolSpec   *toolSpec   `json:"toolSpec,omitempty"`
	CachePoint *cachePoint `json:"cachePoint,omitempty"`
}

type toolSpec struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	InputSchema struct {
		JSON json.RawMessage `json:"json"`
	} `json:"inputSchema"`
}

// outputConfig holds Converse's native structured output.
type outputConfig struct {
	TextFormat *textFormat `json:"textFormat,omitempty"`
}

type textFormat struct {
	Type      string `json:"type"` // json_schema
	Structure struct {
		JSONSchema jsonSchema `json:"jsonSchema"`
	} `json:"structure"`
}

type jsonSchema struct {
	Schema      string `json:"schema"` // the schema as a JSON string
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
}

const (
	// jsonToolName is the forced tool of response_format json_object.
	jsonToolName = "json_response"
	// defaultThinkingMaxTokens is the output cap a thinking budget is
	// taken from when neither the client nor the catalog sets one.
	defaultThinkingMaxTokens = anthropic.DefaultMaxTokens
)

// options are what decoding a response needs to know about its request.
type options struct {
	exclude  bool   // reasoning is kept from the client
	jsonTool bool   // the answer is the input of the forced json_response tool
	format   string // the reasoning_details format of this model's reasoning
}

// isAnthropic reports whether a Bedrock model id (or inference profile id)
// names an Anthropic model.
func isAnthropic(model string) bool {
	return strings.Contains(strings.ToLower(model), "anthropic.")
}

// translate builds the Converse body for req, loading media with fetcher.
// It does not modify req.
func translate(ctx context.Context, req *provider.Request, fetcher *media.Fetcher) (*converseRequest, options, error) {
	c := req.Chat
	if c == nil {
		return nil, options{}, errors.New("no chat request")
	}
	reasoning, err := c.ReasoningRequest()
	if err != nil {
		return nil, options{}, err
	}
	t := &translator{ctx: ctx, media: fetcher, anthropic: isAnthropic(req.UpstreamModel)}
	opts := options{exclude: reasoning.Exclude, format: openai.FormatUnknown}
	if t.anthropic {
		opts.format = openai.FormatAnthropic
	}
	out := &converseRequest{Messages: []message{}}
	for i := range c.Messages {
		if err := t.add(out, &c.Messages[i]); err != nil {
			return nil, options{}, fmt.Errorf("messages[%d]: %w", i, err)
		}
	}
	if len(out.Messages) == 0 {
		return nil, options{}, errors.New("messages must contain at least one user or assistant message")
	}
	if err := out.setInference(c); err != nil {
		return nil, options{}, err
	}
	thinking := reasoning.Enabled && t.anthropic
	switch {
	case thinking:
		out.setThinking(c, reasoning, req.MaxOutputTokens)
	case reasoning.Enabled && c.Provider != nil && c.Provider.RequireParameters:
		return nil, options{}, fmt.Errorf("reasoning is only translated for Anthropic models on Bedrock, and provider.require_parameters is set")
	}
	if err := out.setTools(c); err != nil {
		return nil, options{}, err
	}
	userTools := out.ToolConfig != nil
	if opts.jsonTool, err = out.setResponseFormat(c.ResponseFormat, userTools, thinking); err != nil {
		return nil, options{}, err
	}
	if !userTools {
		out.keepHistoryTools(t)
	}
	if ic := out.InferenceConfig; ic.MaxTokens == nil && ic.Temperature == nil && ic.TopP == nil && len(ic.StopSequences) == 0 {
		out.InferenceConfig = nil
	}
	return out, opts, nil
}

// setInference sets inferenceConfig from the sampling parameters.
func (r *converseRequest) setInference(c *openai.ChatRequest) error {
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
		return err
	}
	ic.StopSequences = stop
	r.InferenceConfig = ic
	return nil
}

// setThinking enables Anthropic extended thinking with a budget from the
// reasoning request and max tokens above it (anthropic.ThinkingTokens:
// Anthropic requires max_tokens > budget_tokens; limit is the endpoint's
// maximum output), and drops temperature and topP, which Anthropic does not
// accept with thinking.
func (r *converseRequest) setThinking(c *openai.ChatRequest, reasoning openai.Reasoning, limit int) {
	visible := c.MaxOutputTokens()
	if visible <= 0 {
		visible = cmp.Or(limit, defaultThinkingMaxTokens)
	}
	maxTokens, budget := anthropic.ThinkingTokens(reasoning, visible, limit)
	r.InferenceConfig.MaxTokens = &maxTokens
	r.InferenceConfig.Temperature, r.InferenceConfig.TopP = nil, nil
	r.AdditionalModelRequestFields, _ = json.Marshal(map[string]any{
		"thinking": map[string]any{"type": "enabled", "budget_tokens": budget},
	})
}

// setTools translates tools and tool_choice. tool_choice none has no
// Converse equivalent: the tools are left out (see keepHistoryTools).
func (r *converseRequest) setTools(c *openai.ChatRequest) error {
	choice, err := openai.ParseToolChoice(c.ToolChoice)
	if err != nil {
		return err
	}
	if len(c.Tools) == 0 || (choice != nil && choice.Mode == openai.ToolChoiceNone) {
		return nil
	}
	tc := &toolConfig{}
	for i, tl := range c.Tools {
		if tl.Type != "function" || tl.Function == nil || tl.Function.Name == "" {
			return fmt.Errorf("tools[%d]: only function tools with a name are supported", i)
		}
		spec := toolSpec{Name: tl.Function.Name, Description: tl.Function.Description}
		spec.InputSchema.JSON = tl.Function.Parameters
		if p := bytes.TrimSpace(spec.InputSchema.JSON); len(p) == 0 || string(p) == "null" {
			spec.InputSchema.JSON = json.RawMessage(`{"type":"object","properties":{}}`)
		}
		tc.Tools = append(tc.Tools, tool{ToolSpec: &spec})
		if cp := cacheControl(tl.CacheControl); cp != nil {
			tc.Tools = append(tc.Tools, tool{CachePoint: cp})
		}
	}
	switch {
	case choice == nil:
	case choice.Mode == openai.ToolChoiceAuto:
		tc.ToolChoice = json.RawMessage(`{"auto":{}}`)
	case choice.Mode == openai.ToolChoiceRequired:
		tc.ToolChoice = json.RawMessage(`{"any":{}}`)
	default:
		tc.ToolChoice = namedTool(choice.Name)
	}
	r.ToolConfig = tc
	return nil
}

func namedTool(name string) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"tool": map[string]string{"name": name}})
	return b
}

// keepHistoryTools gives a request without the client's tools a toolConfig
// when its history holds toolUse or toolResult blocks: Bedrock rejects such
// history without one ("The toolConfig field must be defined when using
// toolUse and toolResult content blocks"), even when the client sent no
// tools or tool_choice none. The tools are minimal specs of the names the
// history used, added to the json_response tool if there is one; no
// toolChoice is added, so the model is not pushed to call them.
func (r *converseRequest) keepHistoryTools(t *translator) {
	if !t.toolBlocks || len(t.toolNames) == 0 {
		return
	}
	if r.ToolConfig == nil {
		r.ToolConfig = &toolConfig{}
	}
	for _, name := range t.toolNames {
		if name == jsonToolName && len(r.ToolConfig.Tools) > 0 {
			continue // already the forced tool
		}
		spec := toolSpec{Name: name}
		spec.InputSchema.JSON = json.RawMessage(`{"type":"object"}`)
		r.ToolConfig.Tools = append(r.ToolConfig.Tools, tool{ToolSpec: &spec})
	}
}

// responseFormat is OpenAI's response_format.
type responseFormat struct {
	Type       string `json:"type"`
	JSONSchema *struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Schema      json.RawMessage `json:"schema"`
	} `json:"json_schema"`
}

// setResponseFormat translates response_format: json_schema to Converse's
// native outputConfig.textFormat; json_object, which names no schema, to a
// forced json_response tool taking any object, whose input the response
// decoders return as the message content (reported by jsonTool).
func (r *converseRequest) setResponseFormat(raw json.RawMessage, userTools, thinking bool) (jsonTool bool, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return false, nil
	}
	var rf responseFormat
	if err := json.Unmarshal(raw, &rf); err != nil {
		return false, fmt.Errorf("response_format must be an object: %w", err)
	}
	switch rf.Type {
	case "", "text":
		return false, nil
	case "json_schema":
		if rf.JSONSchema == nil || len(bytes.TrimSpace(rf.JSONSchema.Schema)) == 0 {
			return false, errors.New("response_format json_schema needs json_schema.schema")
		}
		var schema bytes.Buffer
		if err := json.Compact(&schema, rf.JSONSchema.Schema); err != nil {
			return false, fmt.Errorf("response_format json_schema.schema: %w", err)
		}
		tf := &textFormat{Type: "json_schema"}
		tf.Structure.JSONSchema = jsonSchema{Schema: schema.String(), Name: rf.JSONSchema.Name, Description: rf.JSONSchema.Description}
		r.OutputConfig = &outputConfig{TextFormat: tf}
		return false, nil
	case "json_object":
		if userTools {
			return false, errors.New("response_format json_object cannot be combined with tools on Bedrock; use json_schema")
		}
		if thinking {
			// Anthropic refuses a forced tool choice with thinking.
			return false, errors.New("response_format json_object cannot be combined with reasoning on Bedrock; use json_schema")
		}
		spec := toolSpec{Name: jsonToolName, Description: "Respond with the answer as a JSON object."}
		spec.InputSchema.JSON = json.RawMessage(`{"type":"object"}`)
		r.ToolConfig = &toolConfig{Tools: []tool{{ToolSpec: &spec}}, ToolChoice: namedTool(jsonToolName)}
		return true, nil
	}
	return false, fmt.Errorf("response_format type %q is not one of text, json_object, json_schema", rf.Type)
}
