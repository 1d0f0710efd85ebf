package cohere

import (
	"strings"

	"github.com/switchyard-dev/switchyard/internal/openai"
)

// response is a non-streamed v2 chat response.
type response struct {
	ID           string           `json:"id"`
	FinishReason string           `json:"finish_reason"`
	Message      *responseMessage `json:"message"`
	Usage        *usage           `json:"usage"`
}

// responseMessage is the assistant message of a response.
type responseMessage struct {
	Role      string            `json:"role"`
	Content   []responseBlock   `json:"content"`
	ToolCalls []openai.ToolCall `json:"tool_calls"`
	ToolPlan  string            `json:"tool_plan"`
}

// responseBlock is a content block: text or thinking.
type responseBlock struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	Thinking string `json:"thinking"`
}

// usage is Cohere's usage. tokens holds the model's counts; billed_units
// is billing-only and used only when tokens is absent.
type usage struct {
	BilledUnits  *tokenCounts `json:"billed_units"`
	Tokens       *tokenCounts `json:"tokens"`
	CachedTokens *float64     `json:"cached_tokens"`
}

// tokenCounts are numbers Cohere documents as doubles.
type tokenCounts struct {
	InputTokens  float64 `json:"input_tokens"`
	OutputTokens float64 `json:"output_tokens"`
}

// openai converts usage.
func (u *usage) openai() *openai.Usage {
	if u == nil {
		return nil
	}
	t := u.Tokens
	if t == nil {
		t = u.BilledUnits
	}
	if t == nil && u.CachedTokens == nil {
		return nil
	}
	out := &openai.Usage{}
	if t != nil {
		out.PromptTokens, out.CompletionTokens = int(t.InputTokens), int(t.OutputTokens)
	}
	if u.CachedTokens != nil {
		// tokens.input_tokens already counts the cached prompt tokens
		// (protocols.md §10.5), as OpenAI's prompt_tokens does: they are
		// reported as a detail, never added. A prompt count below the
		// cached one (billed_units only) is raised so that the cached
		// tokens are never dropped.
		cached := int(*u.CachedTokens)
		out.PromptTokens = max(out.PromptTokens, cached)
		out.PromptTokensDetails = &openai.PromptTokensDetails{CachedTokens: cached}
	}
	out.TotalTokens = out.PromptTokens + out.CompletionTokens
	return out
}

// finishReason maps Cohere's finish_reason to OpenAI's.
func finishReason(native string) string {
	switch native {
	case "MAX_TOKENS":
		return openai.FinishLength
	case "TOOL_CALL":
		return openai.FinishToolCalls
	case "ERROR", "TIMEOUT":
		return openai.FinishError
	}
	// COMPLETE, STOP_SEQUENCE and anything new.
	return openai.FinishStop
}

// openai converts a non-streamed response. Cohere does not echo the model,
// so the caller passes the one it asked for; exclude drops the reasoning
// (thinking blocks and the tool plan).
func (r *response) openai(model string, created int64, exclude bool) *openai.ChatResponse {
	msg := openai.ResponseMessage{Role: "assistant"}
	if m := r.Message; m != nil {
		var text, reasoning strings.Builder
		var hasText bool
		reasoning.WriteString(m.ToolPlan)
		for _, b := range m.Content {
			switch b.Type {
			case "text":
				text.WriteString(b.Text)
				hasText = true
			case "thinking":
				reasoning.WriteString(b.Thinking)
			}
		}
		if hasText {
			msg.Content = openai.Ptr(text.String())
		}
		if reasoning.Len() > 0 && !exclude {
			msg.Reasoning = openai.Ptr(reasoning.String())
		}
		for _, tc := range m.ToolCalls {
			if tc.Function.Arguments == "" {
				tc.Function.Arguments = "{}"
			}
			msg.ToolCalls = append(msg.ToolCalls, openai.ToolCall{
				ID:       tc.ID,
				Type:     "function",
				Function: tc.Function,
			})
		}
	}
	choice := openai.Choice{Index: 0, Message: msg}
	if r.FinishReason != "" {
		finish := finishReason(r.FinishReason)
		if len(msg.ToolCalls) > 0 && finish == openai.FinishStop {
			finish = openai.FinishToolCalls
		}
		choice.FinishReason = openai.Ptr(finish)
		choice.NativeFinishReason = openai.Ptr(r.FinishReason)
	}
	return &openai.ChatResponse{
		ID:      r.ID,
		Object:  openai.ObjectChatCompletion,
		Created: created,
		Model:   model,
		Choices: []openai.Choice{choice},
		Usage:   r.Usage.openai(),
	}
}
