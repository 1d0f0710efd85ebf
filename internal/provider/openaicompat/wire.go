package openaicompat

import (
	"bytes"
	"encoding/json"
	"errors"

	"github.com/switchyard-dev/switchyard/internal/openai"
)

// completion is an upstream chat.completion or chat.completion.chunk with
// the extensions of the OpenAI-compatible family. Optional raw fields are
// pointers so that the ubiquitous JSON nulls cost no allocation. Object is
// read only to recognise vLLM's old {"object":"error"}.
type completion struct {
	ID                shared           `json:"id"`
	Object            shared           `json:"object"`
	Created           int64            `json:"created"`
	Model             shared           `json:"model"`
	SystemFingerprint shared           `json:"system_fingerprint"`
	ServiceTier       shared           `json:"service_tier"`
	Choices           []choice         `json:"choices"`
	Usage             *usage           `json:"usage"`
	XGroq             *xGroq           `json:"x_groq"`
	Error             *json.RawMessage `json:"error"`

	// Storage for the usual single choice and for the converted chunk,
	// allocated with the decoded chunk rather than one by one.
	one    [1]choice
	outOne [1]openai.ChunkChoice
	out    openai.Chunk
}

// repeated holds the strings that repeat from chunk to chunk of a stream.
type repeated struct {
	id, object, model, fingerprint, tier string
}

// newChunk returns a completion to decode a stream chunk into, sharing the
// strings of rep.
func newChunk(rep *repeated) *completion {
	c := new(completion)
	c.Choices = c.one[:0]
	c.ID.last = &rep.id
	c.Object.last = &rep.object
	c.Model.last = &rep.model
	c.SystemFingerprint.last = &rep.fingerprint
	c.ServiceTier.last = &rep.tier
	return c
}

type choice struct {
	Index        int              `json:"index"`
	Message      message          `json:"message"` // non-streamed
	Delta        message          `json:"delta"`   // streamed
	FinishReason *string          `json:"finish_reason"`
	Logprobs     *json.RawMessage `json:"logprobs"`
}

type message struct {
	Role             string           `json:"role"`
	Content          text             `json:"content"`
	Refusal          *string          `json:"refusal"`
	ToolCalls        []toolCall       `json:"tool_calls"`
	Reasoning        text             `json:"reasoning"`         // Groq, Together, OpenRouter, vLLM
	ReasoningContent text             `json:"reasoning_content"` // DeepSeek, xAI, older vLLM
	ReasoningDetails *json.RawMessage `json:"reasoning_details"` // OpenRouter
	Annotations      *json.RawMessage `json:"annotations"`
}

type toolCall struct {
	Index    *int   `json:"index"`
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string    `json:"name"`
		Arguments arguments `json:"arguments"`
	} `json:"function"`
}

type usage struct {
	PromptTokens            int                             `json:"prompt_tokens"`
	CompletionTokens        int                             `json:"completion_tokens"`
	TotalTokens             int                             `json:"total_tokens"`
	PromptTokensDetails     *openai.PromptTokensDetails     `json:"prompt_tokens_details"`
	PromptTokenDetails      *openai.PromptTokensDetails     `json:"prompt_token_details"` // Mistral's spelling
	CompletionTokensDetails *openai.CompletionTokensDetails `json:"completion_tokens_details"`
	PromptCacheHitTokens    int                             `json:"prompt_cache_hit_tokens"` // DeepSeek
	NumCachedTokens         int                             `json:"num_cached_tokens"`       // Mistral
}

// xGroq is Groq's x_groq extension: usage on the last chunk, errors in band.
type xGroq struct {
	Usage *usage           `json:"usage"`
	Error *json.RawMessage `json:"error"`
}

// failed reports whether the upstream signalled an error in the body: a
// top-level error (object or string), vLLM's old flat error object, or
// Groq's x_groq.error.
func (c *completion) failed() bool {
	return c.Object.s == "error" || c.Error != nil && truthy(*c.Error) ||
		c.XGroq != nil && c.XGroq.Error != nil && truthy(*c.XGroq.Error)
}

// truthy reports whether a JSON value would count as set in Python, as
// openai-python's check for in-band errors does: not null, false, 0, "",
// {} or [].
func truthy(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	switch string(v) {
	case "", "null", "false", "0", `""`, "{}", "[]":
		return false
	}
	return true
}

// chunk converts c, read from a stream, into our dialect. It reports
// whether a choice finished.
func (c *completion) chunk(ids toolIDs) (*openai.Chunk, bool) {
	out := &c.out
	*out = openai.Chunk{
		ID:                c.ID.s,
		Object:            openai.ObjectChatCompletionChunk,
		Created:           c.Created,
		Model:             c.Model.s,
		SystemFingerprint: c.SystemFingerprint.s,
		ServiceTier:       c.ServiceTier.s,
		Choices:           c.outOne[:0],
		Usage:             c.usage(),
	}
	if len(c.Choices) > len(c.outOne) {
		out.Choices = make([]openai.ChunkChoice, 0, len(c.Choices))
	}
	out.Choices = out.Choices[:len(c.Choices)]
	finished := false
	for i := range c.Choices {
		in := &c.Choices[i]
		d := &in.Delta
		o := &out.Choices[i]
		o.Index = in.Index
		o.Delta = openai.Delta{
			Role:             d.Role,
			Content:          d.Content.ptr(),
			Refusal:          d.Refusal,
			ToolCalls:        d.toolCalls(ids),
			Reasoning:        d.reasoning(),
			ReasoningDetails: raw(d.ReasoningDetails),
		}
		o.FinishReason, o.NativeFinishReason = finish(in.FinishReason)
		o.Logprobs = raw(in.Logprobs)
		finished = finished || o.FinishReason != nil
	}
	return out, finished
}

// response converts c, a non-streamed body, into our dialect.
func (c *completion) response(ids toolIDs) *openai.ChatResponse {
	out := &openai.ChatResponse{
		ID:                c.ID.s,
		Object:            openai.ObjectChatCompletion,
		Created:           c.Created,
		Model:             c.Model.s,
		SystemFingerprint: c.SystemFingerprint.s,
		ServiceTier:       c.ServiceTier.s,
		Choices:           make([]openai.Choice, len(c.Choices)),
		Usage:             c.usage(),
	}
	for i := range c.Choices {
		in := &c.Choices[i]
		m := &in.Message
		o := &out.Choices[i]
		o.Index = in.Index
		o.Message = openai.ResponseMessage{
			Role:             m.Role,
			Content:          m.Content.ptr(),
			Refusal:          m.Refusal,
			ToolCalls:        m.toolCalls(ids),
			Reasoning:        m.reasoning(),
			ReasoningDetails: raw(m.ReasoningDetails),
			Annotations:      raw(m.Annotations),
		}
		if o.Message.Role == "" {
			o.Message.Role = "assistant"
		}
		o.FinishReason, o.NativeFinishReason = finish(in.FinishReason)
		o.Logprobs = raw(in.Logprobs)
	}
	return out
}

// reasoning returns the reasoning text from whichever field carries it,
// or nil if there is none.
func (m *message) reasoning() *string {
	switch {
	case m.Reasoning.s != "":
		return &m.Reasoning.s
	case m.ReasoningContent.s != "":
		return &m.ReasoningContent.s
	case m.Content.thinking != "":
		return &m.Content.thinking
	}
	return nil
}

func (m *message) toolCalls(ids toolIDs) []openai.ToolCall {
	if len(m.ToolCalls) == 0 {
		return nil
	}
	out := make([]openai.ToolCall, len(m.ToolCalls))
	for i := range m.ToolCalls {
		tc := &m.ToolCalls[i]
		out[i] = openai.ToolCall{
			Index: tc.Index,
			ID:    ids.restore(tc.ID),
			Type:  tc.Type,
			Function: openai.FunctionCall{
				Name:      tc.Function.Name,
				Arguments: string(tc.Function.Arguments),
			},
		}
	}
	return out
}

// usage returns the usage in OpenAI's shape, folding in the family's
// extensions: Groq's x_groq.usage, DeepSeek's prompt_cache_hit_tokens and
// Mistral's num_cached_tokens.
func (c *completion) usage() *openai.Usage {
	u := c.Usage
	if u == nil && c.XGroq != nil {
		u = c.XGroq.Usage
	}
	if u == nil {
		return nil
	}
	out := &openai.Usage{
		PromptTokens:            u.PromptTokens,
		CompletionTokens:        u.CompletionTokens,
		TotalTokens:             u.TotalTokens,
		PromptTokensDetails:     u.PromptTokensDetails,
		CompletionTokensDetails: u.CompletionTokensDetails,
	}
	if out.TotalTokens == 0 {
		out.TotalTokens = u.PromptTokens + u.CompletionTokens
	}
	if out.PromptTokensDetails == nil {
		out.PromptTokensDetails = u.PromptTokenDetails
	}
	if cached := max(u.PromptCacheHitTokens, u.NumCachedTokens); cached > out.CachedTokens() {
		if out.PromptTokensDetails == nil {
			out.PromptTokensDetails = new(openai.PromptTokensDetails)
		}
		out.PromptTokensDetails.CachedTokens = cached
	}
	return out
}

// finish normalises an upstream finish_reason to OpenAI's enum plus
// "error" (protocols.md §10.2). The native value is always kept.
func finish(native *string) (reason, nativeOut *string) {
	if native == nil || *native == "" {
		return nil, nil
	}
	r := openai.FinishStop
	switch *native {
	case "length", "model_length", "max_tokens":
		r = openai.FinishLength
	case "tool_calls", "function_call", "tool_use":
		r = openai.FinishToolCalls
	case "content_filter":
		r = openai.FinishContentFilter
	case "error", "insufficient_system_resource", "abort":
		r = openai.FinishError
	}
	// "stop", Together's "eos" and anything unknown end as "stop": the
	// upstream ended the output without reporting a failure.
	return &r, native
}

// raw dereferences an optional raw JSON field.
func raw(p *json.RawMessage) json.RawMessage {
	if p == nil {
		return nil
	}
	return *p
}

// text is a content or reasoning field: a string or null, or from
// Mistral's reasoning models an array of text and thinking chunks.
type text struct {
	s        string
	thinking string // thinking chunks of array content
	set      bool
}

var (
	errText   = errors.New("must be a string, an array of chunks or null")
	errString = errors.New("must be a string or null")
)

func (t *text) UnmarshalJSON(b []byte) error {
	*t = text{}
	switch b[0] {
	case 'n':
		return nil
	case '"':
		t.set = true
		return unquote(b, &t.s)
	case '[':
		var parts []struct {
			Type     string `json:"type"`
			Text     string `json:"text"`
			Thinking text   `json:"thinking"`
		}
		if err := json.Unmarshal(b, &parts); err != nil {
			return err
		}
		t.set = true
		for _, p := range parts {
			switch p.Type {
			case "text":
				t.s += p.Text
			case "thinking":
				t.thinking += p.Thinking.s
			}
		}
		return nil
	}
	return errText
}

func (t *text) ptr() *string {
	if !t.set {
		return nil
	}
	return &t.s
}

// arguments are a tool call's arguments: a JSON string, or (Mistral) the
// arguments object itself, kept as its JSON text.
type arguments string

func (a *arguments) UnmarshalJSON(b []byte) error {
	switch b[0] {
	case 'n':
		*a = ""
		return nil
	case '"':
		return unquote(b, (*string)(a))
	}
	*a = arguments(b)
	return nil
}

// shared is a string field whose value usually repeats from one stream
// chunk to the next (id, model, …). When last is set and the JSON bytes
// spell *last, decoding reuses that string instead of allocating a copy.
type shared struct {
	s    string
	last *string
}

func (f *shared) UnmarshalJSON(b []byte) error {
	switch {
	case b[0] == 'n':
		f.s = ""
		return nil
	case b[0] != '"':
		return errString
	case f.last == nil:
		return unquote(b, &f.s)
	case string(b[1:len(b)-1]) == *f.last && bytes.IndexByte(b, '\\') < 0:
		f.s = *f.last
		return nil
	}
	if err := unquote(b, &f.s); err != nil {
		return err
	}
	*f.last = f.s
	return nil
}

// unquote decodes the JSON string literal b, already validated by the
// decoder that handed it over, copying it directly when it has no escapes
// and otherwise decoding it as json.Unmarshal would (openai.Unquote).
func unquote(b []byte, s *string) error {
	if bytes.IndexByte(b, '\\') < 0 {
		*s = string(b[1 : len(b)-1])
		return nil
	}
	v, ok := openai.Unquote(b)
	if !ok { // not a literal after all: json.Unmarshal's error
		return json.Unmarshal(b, s)
	}
	*s = v
	return nil
}
