// Package openai holds the wire types of the API Switchyard exposes: OpenAI
// Chat Completions plus OpenRouter's additions (provider preferences, model
// fallbacks, usage cost, native finish reasons). It does no I/O.
//
// Request types keep unknown fields out of the way: decoding ignores them, as
// the compatibility contract requires. Response types marshal to the shapes of
// CreateChatCompletionResponse and CreateChatCompletionStreamResponse in
// OpenAI's OpenAPI spec, plus OpenRouter's extra fields.
package openai

import (
	"bytes"
	"encoding/json"
	"errors"
)

// ChatRequest is the body of POST /chat/completions.
type ChatRequest struct {
	Model    string    `json:"model,omitempty"`
	Messages []Message `json:"messages"`

	Stream        bool           `json:"stream,omitempty"`
	StreamOptions *StreamOptions `json:"stream_options,omitempty"`

	MaxTokens           *int            `json:"max_tokens,omitempty"`
	MaxCompletionTokens *int            `json:"max_completion_tokens,omitempty"`
	Temperature         *float64        `json:"temperature,omitempty"`
	TopP                *float64        `json:"top_p,omitempty"`
	N                   *int            `json:"n,omitempty"`
	Stop                json.RawMessage `json:"stop,omitempty"` // string or []string
	Seed                *int64          `json:"seed,omitempty"`
	FrequencyPenalty    *float64        `json:"frequency_penalty,omitempty"`
	PresencePenalty     *float64        `json:"presence_penalty,omitempty"`
	LogitBias           json.RawMessage `json:"logit_bias,omitempty"`
	Logprobs            *bool           `json:"logprobs,omitempty"`
	TopLogprobs         *int            `json:"top_logprobs,omitempty"`
	ResponseFormat      json.RawMessage `json:"response_format,omitempty"`
	Tools               []Tool          `json:"tools,omitempty"`
	ToolChoice          json.RawMessage `json:"tool_choice,omitempty"`
	ParallelToolCalls   *bool           `json:"parallel_tool_calls,omitempty"`
	User                string          `json:"user,omitempty"`
	Metadata            json.RawMessage `json:"metadata,omitempty"`
	ServiceTier         string          `json:"service_tier,omitempty"`
	ReasoningEffort     string          `json:"reasoning_effort,omitempty"`
	Prediction          json.RawMessage `json:"prediction,omitempty"`
	PromptCacheKey      string          `json:"prompt_cache_key,omitempty"`
	Modalities          []string        `json:"modalities,omitempty"`
	Verbosity           string          `json:"verbosity,omitempty"`
	Store               *bool           `json:"store,omitempty"`
	Audio               json.RawMessage `json:"audio,omitempty"`
	WebSearchOptions    json.RawMessage `json:"web_search_options,omitempty"`
	SafetyIdentifier    string          `json:"safety_identifier,omitempty"`
	PromptCacheRetain   string          `json:"prompt_cache_retention,omitempty"`

	// OpenRouter sampling extras, forwarded where the upstream understands them.
	TopK              *int     `json:"top_k,omitempty"`
	MinP              *float64 `json:"min_p,omitempty"`
	TopA              *float64 `json:"top_a,omitempty"`
	RepetitionPenalty *float64 `json:"repetition_penalty,omitempty"`

	// OpenRouter routing and control fields; never forwarded upstream.
	Models           []string        `json:"models,omitempty"`
	Route            string          `json:"route,omitempty"`
	Provider         *ProviderPrefs  `json:"provider,omitempty"`
	Reasoning        json.RawMessage `json:"reasoning,omitempty"`
	IncludeReasoning *bool           `json:"include_reasoning,omitempty"`
	Usage            json.RawMessage `json:"usage,omitempty"`
	SessionID        string          `json:"session_id,omitempty"`
	Transforms       []string        `json:"transforms,omitempty"`
	Plugins          json.RawMessage `json:"plugins,omitempty"`
	// Preset names a stored preset to apply (package preset), as the
	// request wrote it; the gateway resolves it before routing.
	Preset json.RawMessage `json:"preset,omitempty"`
}

// StreamOptions is the OpenAI stream_options object.
type StreamOptions struct {
	IncludeUsage bool `json:"include_usage,omitempty"`
}

// ProviderPrefs is OpenRouter's provider routing object. The fields the
// routing issue implements are decoded now so that requests carrying them
// are accepted; see internal/router for what is honoured.
type ProviderPrefs struct {
	Order             []string        `json:"order,omitempty"`
	AllowFallbacks    *bool           `json:"allow_fallbacks,omitempty"`
	RequireParameters bool            `json:"require_parameters,omitempty"`
	DataCollection    string          `json:"data_collection,omitempty"`
	ZDR               bool            `json:"zdr,omitempty"`
	Only              []string        `json:"only,omitempty"`
	Ignore            []string        `json:"ignore,omitempty"`
	Quantizations     []string        `json:"quantizations,omitempty"`
	Sort              json.RawMessage `json:"sort,omitempty"`
	MaxPrice          json.RawMessage `json:"max_price,omitempty"`
	// PreferredMinThroughput (tokens/s) and PreferredMaxLatency
	// (seconds): a number (the p50) or {p50, p75, p90, p99}.
	PreferredMinThroughput json.RawMessage `json:"preferred_min_throughput,omitempty"`
	PreferredMaxLatency    json.RawMessage `json:"preferred_max_latency,omitempty"`
}

// Message is one chat message of any role.
type Message struct {
	Role       string     `json:"role"`
	Content    Content    `json:"content"`
	Name       string     `json:"name,omitempty"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
	Refusal    *string    `json:"refusal,omitempty"`
	// Reasoning carries a previous turn's reasoning text back to the model.
	Reasoning        string          `json:"reasoning,omitempty"`
	ReasoningDetails json.RawMessage `json:"reasoning_details,omitempty"`
}

// Content is a message's content: a plain string, an array of parts, or
// null. Exactly one of Text and Parts is meaningful; IsNull reports null.
type Content struct {
	Text   string
	Parts  []ContentPart
	isSet  bool
	isList bool
	// raw is the JSON string literal Text was decoded from, when it
	// encodes Text exactly (it has neither invalid UTF-8 nor lone
	// surrogates); decoded is Text as decoded. While Text is unchanged,
	// encoding writes raw instead of escaping Text again (see rawJSON).
	raw, decoded string
}

// TextContent returns string content.
func TextContent(s string) Content { return Content{Text: s, isSet: true} }

// PartsContent returns array content.
func PartsContent(parts ...ContentPart) Content {
	return Content{Parts: parts, isSet: true, isList: true}
}

// IsNull reports whether the content was absent or JSON null.
func (c Content) IsNull() bool { return !c.isSet }

// IsParts reports whether the content is an array of parts.
func (c Content) IsParts() bool { return c.isList }

// PlainText concatenates the text of the content: the string itself, or the
// text parts joined by newlines. Non-text parts are skipped.
func (c Content) PlainText() string {
	if !c.isList {
		return c.Text
	}
	var b bytes.Buffer
	for i, p := range c.Parts {
		if p.Type != "text" {
			continue
		}
		if i > 0 && b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.Text)
	}
	return b.String()
}

var errContent = errors.New("content must be a string, an array of content parts, or null")

// UnmarshalJSON accepts a string, an array of parts, or null.
func (c *Content) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, []byte("null")):
		*c = Content{}
		return nil
	case b[0] == '"':
		if end, info, ok := scanString(b, 0); ok && end == len(b) {
			c.setString(string(b), info) // a copy: encoding/json reuses b
			return nil
		}
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*c = TextContent(s)
		return nil
	case b[0] == '[':
		var parts []ContentPart
		if err := json.Unmarshal(b, &parts); err != nil {
			return err
		}
		*c = PartsContent(parts...)
		return nil
	}
	return errContent
}

// setString sets c to the text of lit, a string literal that scanString
// accepted, keeping lit when it encodes the text exactly. Text without
// escapes is a substring of lit.
func (c *Content) setString(lit string, info strInfo) {
	text, exact := unquote(lit, info)
	*c = Content{Text: text, isSet: true}
	if exact {
		c.raw, c.decoded = lit, text
	}
}

// RawJSON returns the JSON string literal c's text was decoded from, if
// it still holds that text; "" otherwise. The comparison is of two
// strings that share their bytes while Text is unchanged, which costs no
// more than comparing their addresses.
func (c *Content) RawJSON() string {
	if c.raw == "" || c.isList || c.Text != c.decoded {
		return ""
	}
	return c.raw
}

// MarshalJSON writes the content back in the form it was given; text
// decoded from JSON as the literal it was decoded from.
func (c Content) MarshalJSON() ([]byte, error) {
	switch {
	case !c.isSet:
		return []byte("null"), nil
	case c.isList:
		if c.Parts == nil {
			return []byte("[]"), nil
		}
		return json.Marshal(c.Parts)
	}
	if raw := c.RawJSON(); raw != "" {
		return []byte(raw), nil
	}
	return json.Marshal(c.Text)
}

// ContentPart is one element of array content. Unknown part types are kept
// verbatim in Raw so pass-through adapters can forward them unchanged.
type ContentPart struct {
	Type       string          `json:"type"`
	Text       string          `json:"text,omitempty"`
	ImageURL   *ImageURL       `json:"image_url,omitempty"`
	InputAudio json.RawMessage `json:"input_audio,omitempty"`
	File       json.RawMessage `json:"file,omitempty"`
	VideoURL   json.RawMessage `json:"video_url,omitempty"`
	// CacheControl is Anthropic-style caching, accepted on text parts.
	CacheControl json.RawMessage `json:"cache_control,omitempty"`
}

// ImageURL is an image_url content part's payload.
type ImageURL struct {
	URL    string `json:"url"`
	Detail string `json:"detail,omitempty"`
}

// Tool is a tool definition.
type Tool struct {
	Type     string       `json:"type"`
	Function *FunctionDef `json:"function,omitempty"`
	// CacheControl is Anthropic-style caching of the tool definitions up
	// to and including this one.
	CacheControl json.RawMessage `json:"cache_control,omitempty"`
}

// FunctionDef describes a callable function.
type FunctionDef struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
	Strict      *bool           `json:"strict,omitempty"`
}

// ToolCall is an assistant's call of a tool, in a message or a stream delta.
// In deltas only Index is required; ID, Type and Function.Name arrive on the
// first delta of a call.
type ToolCall struct {
	Index    *int         `json:"index,omitempty"`
	ID       string       `json:"id,omitempty"`
	Type     string       `json:"type,omitempty"`
	Function FunctionCall `json:"function"`
}

// FunctionCall names the function and carries its arguments as a JSON string.
type FunctionCall struct {
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments"`
}

// MaxOutputTokens returns the requested output cap: max_completion_tokens,
// else max_tokens, else 0 (no cap requested).
func (r *ChatRequest) MaxOutputTokens() int {
	switch {
	case r.MaxCompletionTokens != nil:
		return *r.MaxCompletionTokens
	case r.MaxTokens != nil:
		return *r.MaxTokens
	}
	return 0
}
