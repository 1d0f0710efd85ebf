package anthropic

import (
	"strings"

	"github.com/switchyard-dev/switchyard/internal/openai"
)

// message is a Messages API response (also message_start's message).
type message struct {
	ID         string         `json:"id"`
	Type       string         `json:"type"`
	Role       string         `json:"role"`
	Model      string         `json:"model"`
	Content    []contentBlock `json:"content"`
	StopReason *string        `json:"stop_reason"`
	Usage      *usage         `json:"usage"`
}

// contentBlock is a response content block of any type.
type contentBlock struct {
	Type      string    `json:"type"`
	Text      string    `json:"text"`
	Thinking  string    `json:"thinking"`
	Signature string    `json:"signature"`
	Data      string    `json:"data"` // redacted_thinking
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Input     rawObject `json:"input"`
}

// rawObject keeps a JSON value verbatim.
type rawObject []byte

func (r *rawObject) UnmarshalJSON(b []byte) error {
	*r = append((*r)[:0], b...)
	return nil
}

// arguments returns a tool_use input as OpenAI's arguments string.
func (r rawObject) arguments() string {
	if s := string(r); s != "" && s != "null" {
		return s
	}
	return "{}"
}

// decodeOptions is what decoding a reply needs to know of its request.
type decodeOptions struct {
	// exclude drops everything reasoning-related (reasoning.exclude).
	exclude bool
	// jsonTool reports that the request forced the jsonToolName tool for
	// response_format json_object: its input is the reply's content.
	jsonTool bool
}

// isJSONTool reports whether a tool_use block named name is the reply of
// the json_object tool rather than a tool call for the client.
func (o decodeOptions) isJSONTool(name string) bool { return o.jsonTool && name == jsonToolName }

// usage is Anthropic's usage. Fields are pointers because message_delta's
// usage is cumulative and sends only some of them.
type usage struct {
	InputTokens              *int `json:"input_tokens"`
	OutputTokens             *int `json:"output_tokens"`
	CacheCreationInputTokens *int `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     *int `json:"cache_read_input_tokens"`
	OutputTokensDetails      *struct {
		ThinkingTokens *int `json:"thinking_tokens"`
	} `json:"output_tokens_details"`
}

// merge overwrites u's counts with those present in v: message_delta's
// cumulative values replace message_start's.
func (u *usage) merge(v *usage) {
	if v == nil {
		return
	}
	set := func(dst **int, src *int) {
		if src != nil {
			*dst = src
		}
	}
	set(&u.InputTokens, v.InputTokens)
	set(&u.OutputTokens, v.OutputTokens)
	set(&u.CacheCreationInputTokens, v.CacheCreationInputTokens)
	set(&u.CacheReadInputTokens, v.CacheReadInputTokens)
	if v.OutputTokensDetails != nil {
		u.OutputTokensDetails = v.OutputTokensDetails
	}
}

func val(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// openai converts usage (protocols.md §10.5). Anthropic counts cache reads
// and writes apart from input_tokens; OpenAI's prompt_tokens includes them:
//
//	prompt_tokens      = input_tokens + cache_read_input_tokens + cache_creation_input_tokens
//	cached_tokens      = cache_read_input_tokens
//	cache_write_tokens = cache_creation_input_tokens
//	completion_tokens  = output_tokens (thinking included, as billed)
func (u *usage) openai() *openai.Usage {
	if u == nil {
		return nil
	}
	read, write := val(u.CacheReadInputTokens), val(u.CacheCreationInputTokens)
	out := &openai.Usage{
		PromptTokens:     val(u.InputTokens) + read + write,
		CompletionTokens: val(u.OutputTokens),
		PromptTokensDetails: &openai.PromptTokensDetails{
			CachedTokens:     read,
			CacheWriteTokens: write,
		},
	}
	out.TotalTokens = out.PromptTokens + out.CompletionTokens
	if d := u.OutputTokensDetails; d != nil && d.ThinkingTokens != nil {
		out.CompletionTokensDetails = &openai.CompletionTokensDetails{ReasoningTokens: *d.ThinkingTokens}
	}
	return out
}

// finishReason maps stop_reason to OpenAI's finish_reason (protocols.md
// §10.2). calls reports whether the turn produced tool calls for the
// client: then it is tool_calls whatever Anthropic said; a tool_use stop
// without any (the json_object tool answered) is a plain stop. pause_turn
// (a server tool's long turn paused) is stop, with the raw value kept in
// native_finish_reason so that a client can send the turn back.
func finishReason(stop string, calls bool) string {
	if calls {
		return openai.FinishToolCalls
	}
	switch stop {
	case "max_tokens", "model_context_window_exceeded":
		return openai.FinishLength
	case "refusal":
		return openai.FinishContentFilter
	}
	// end_turn, stop_sequence, pause_turn, tool_use without calls and
	// anything new.
	return openai.FinishStop
}

// response converts a non-streamed message.
func (m *message) response(created int64, opts decodeOptions) *openai.ChatResponse {
	var text, reasoning strings.Builder
	var hasText, hasReasoning bool
	var calls []openai.ToolCall
	var details []openai.ReasoningDetail
	for i := range m.Content {
		b := &m.Content[i]
		switch b.Type {
		case "text":
			text.WriteString(b.Text)
			hasText = true
		case "thinking", "redacted_thinking":
			if opts.exclude {
				continue
			}
			details = append(details, reasoningDetail(b, len(details)))
			if b.Type == "thinking" {
				reasoning.WriteString(b.Thinking)
				hasReasoning = true
			}
		case "tool_use":
			if opts.isJSONTool(b.Name) {
				text.WriteString(b.Input.arguments())
				hasText = true
				continue
			}
			calls = append(calls, openai.ToolCall{
				ID:       b.ID,
				Type:     "function",
				Function: openai.FunctionCall{Name: b.Name, Arguments: b.Input.arguments()},
			})
		}
	}
	msg := openai.ResponseMessage{Role: "assistant", ToolCalls: calls, ReasoningDetails: openai.ReasoningDetailsJSON(details)}
	if hasText {
		msg.Content = openai.Ptr(text.String())
	}
	if hasReasoning {
		msg.Reasoning = openai.Ptr(reasoning.String())
	}
	choice := openai.Choice{Index: 0, Message: msg}
	if m.StopReason != nil {
		choice.FinishReason = openai.Ptr(finishReason(*m.StopReason, len(calls) > 0))
		choice.NativeFinishReason = openai.Ptr(*m.StopReason)
	}
	return &openai.ChatResponse{
		ID:      m.ID,
		Object:  openai.ObjectChatCompletion,
		Created: created,
		Model:   m.Model,
		Choices: []openai.Choice{choice},
		Usage:   m.Usage.openai(),
	}
}
