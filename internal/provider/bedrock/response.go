package bedrock

import (
	"strings"

	"github.com/switchyard-dev/switchyard/internal/openai"
)

// converseResponse is a Converse response.
type converseResponse struct {
	Output *struct {
		Message *message `json:"message"`
	} `json:"output"`
	StopReason string `json:"stopReason"`
	Usage      *usage `json:"usage"`
}

// usage is Converse's TokenUsage.
type usage struct {
	InputTokens           int `json:"inputTokens"`
	OutputTokens          int `json:"outputTokens"`
	TotalTokens           int `json:"totalTokens"`
	CacheReadInputTokens  int `json:"cacheReadInputTokens"`
	CacheWriteInputTokens int `json:"cacheWriteInputTokens"`
}

// openai converts usage: prompt tokens include cache reads and writes,
// which Bedrock counts apart from inputTokens.
func (u *usage) openai() *openai.Usage {
	if u == nil {
		return nil
	}
	out := &openai.Usage{
		PromptTokens:     u.InputTokens + u.CacheReadInputTokens + u.CacheWriteInputTokens,
		CompletionTokens: u.OutputTokens,
		PromptTokensDetails: &openai.PromptTokensDetails{
			CachedTokens:     u.CacheReadInputTokens,
			CacheWriteTokens: u.CacheWriteInputTokens,
		},
	}
	out.TotalTokens = out.PromptTokens + out.CompletionTokens
	return out
}

// finishReason maps stopReason to OpenAI's finish_reason.
func finishReason(stop string) string {
	switch stop {
	case "max_tokens", "model_context_window_exceeded":
		return openai.FinishLength
	case "tool_use":
		return openai.FinishToolCalls
	case "guardrail_intervened", "content_filtered":
		return openai.FinishContentFilter
	}
	// end_turn, stop_sequence and anything new.
	return openai.FinishStop
}

// response converts a non-streamed Converse response.
func (r *converseResponse) response(id, model string, created int64) *openai.ChatResponse {
	var text, reasoning strings.Builder
	var hasText, hasReasoning bool
	var calls []openai.ToolCall
	if r.Output.Message != nil {
		for _, b := range r.Output.Message.Content {
			switch {
			case b.Text != nil:
				text.WriteString(*b.Text)
				hasText = true
			case b.ReasoningContent != nil && b.ReasoningContent.ReasoningText != nil:
				reasoning.WriteString(b.ReasoningContent.ReasoningText.Text)
				hasReasoning = true
			case b.ToolUse != nil:
				args := strings.TrimSpace(string(b.ToolUse.Input))
				if args == "" || args == "null" {
					args = "{}"
				}
				calls = append(calls, openai.ToolCall{
					ID:       b.ToolUse.ToolUseID,
					Type:     "function",
					Function: openai.FunctionCall{Name: b.ToolUse.Name, Arguments: args},
				})
			}
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
	if r.StopReason != "" {
		choice.FinishReason = openai.Ptr(finishReason(r.StopReason))
		choice.NativeFinishReason = openai.Ptr(r.StopReason)
	}
	return &openai.ChatResponse{
		ID:      id,
		Object:  openai.ObjectChatCompletion,
		Created: created,
		Model:   model,
		Choices: []openai.Choice{choice},
		Usage:   r.Usage.openai(),
	}
}
