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
	Type     string    `json:"type"`
	Text     string    `json:"text"`
	Thinking string    `json:"thinking"`
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Input    rawObject `json:"input"`
}

// rawObject keeps a JSON value verbatim.
type rawObject []byte

func (r *rawObject) UnmarshalJSON(b []byte) error {
	*r = append((*r)[:0], b...)
	return nil
}

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

// merge overwrites u's counts with those present in v.
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

// openai converts usage: prompt tokens include cache reads and writes,
// which Anthropic counts apart from input_tokens.
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

// finishReason maps stop_reason to OpenAI's finish_reason.
func finishReason(stop string) string {
	switch stop {
	case "max_tokens", "model_context_window_exceeded":
		return openai.FinishLength
	case "tool_use":
		return openai.FinishToolCalls
	case "refusal":
		return openai.FinishContentFilter
	}
	// end_turn, stop_sequence, pause_turn and anything new.
	return openai.FinishStop
}

// response converts a non-streamed message.
func (m *message) response(created int64) *openai.ChatResponse {
	var text, reasoning strings.Builder
	var hasText, hasReasoning bool
	var calls []openai.ToolCall
	for _, b := range m.Content {
		switch b.Type {
		case "text":
			text.WriteString(b.Text)
			hasText = true
		case "thinking":
			reasoning.WriteString(b.Thinking)
			hasReasoning = true
		case "tool_use":
			args := string(b.Input)
			if args == "" || args == "null" {
				args = "{}"
			}
			calls = append(calls, openai.ToolCall{
				ID:       b.ID,
				Type:     "function",
				Function: openai.FunctionCall{Name: b.Name, Arguments: args},
			})
		}
	}
	msg := openai.ResponseMessage{Role: "assistant", ToolCalls: calls}
	if hasText {
		msg.Content = openai.Ptr(text.String())
	}
	if hasReasoning {
		msg.Reasoning = openai.Ptr(reasoning.String())
	}
	choice := openai.Choice{Index: 0, Message: msg}
	if m.StopReason != nil {
		choice.FinishReason = openai.Ptr(finishReason(*m.StopReason))
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
