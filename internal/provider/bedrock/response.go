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

// openai converts usage. Bedrock's inputTokens counts only the input that
// was neither read from nor written to the cache (AWS's prompt-caching
// guide: total input = inputTokens + cacheReadInputTokens +
// cacheWriteInputTokens), so prompt_tokens is that sum. Bedrock reports no
// reasoning-token count.
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

// finishReason maps stopReason to OpenAI's finish_reason for a turn that
// made calls tool calls: tool_calls whenever it made some, and never when
// it made none (the forced json_response tool is an answer, not a call).
func finishReason(stop string, calls int) string {
	if calls > 0 {
		return openai.FinishToolCalls
	}
	switch stop {
	case "max_tokens", "model_context_window_exceeded":
		return openai.FinishLength
	case "guardrail_intervened", "content_filtered":
		return openai.FinishContentFilter
	case "malformed_model_output", "malformed_tool_use":
		return openai.FinishError
	}
	// end_turn, stop_sequence, tool_use without calls and anything new.
	return openai.FinishStop
}

// reasoningDetail returns the reasoning_details item of a reasoning block
// (or of a streamed fragment of one), and its text.
func reasoningDetail(rc *reasoningContent, format string, index int) (openai.ReasoningDetail, string) {
	d := openai.ReasoningDetail{Type: openai.ReasoningText, Format: format, Index: index}
	switch {
	case rc.ReasoningText != nil:
		d.Text, d.Signature = rc.ReasoningText.Text, rc.ReasoningText.Signature
	case rc.RedactedContent != "":
		d.Type, d.Data = openai.ReasoningEncrypted, rc.RedactedContent
	}
	return d, d.Text
}

// response converts a non-streamed Converse response.
func (r *converseResponse) response(id, model string, created int64, o options) *openai.ChatResponse {
	var text, reasoning strings.Builder
	var hasText, hasReasoning bool
	var details []openai.ReasoningDetail
	var calls []openai.ToolCall
	if r.Output.Message != nil {
		for _, b := range r.Output.Message.Content {
			switch {
			case b.Text != nil:
				text.WriteString(*b.Text)
				hasText = true
			case b.ReasoningContent != nil:
				if o.exclude {
					continue
				}
				d, t := reasoningDetail(b.ReasoningContent, o.format, len(details))
				details = append(details, d)
				if b.ReasoningContent.ReasoningText != nil {
					reasoning.WriteString(t)
					hasReasoning = true
				}
			case b.ToolUse != nil:
				args := strings.TrimSpace(string(b.ToolUse.Input))
				if args == "" || args == "null" {
					args = "{}"
				}
				if o.jsonTool && b.ToolUse.Name == jsonToolName {
					text.WriteString(args)
					hasText = true
					continue
				}
				calls = append(calls, openai.ToolCall{
					ID:       b.ToolUse.ToolUseID,
					Type:     "function",
					Function: openai.FunctionCall{Name: b.ToolUse.Name, Arguments: args},
				})
			}
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
	if r.StopReason != "" {
		choice.FinishReason = openai.Ptr(finishReason(r.StopReason, len(calls)))
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
