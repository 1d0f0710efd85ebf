package anthropic

import (
	"errors"
	"slices"

	"github.com/switchyard-dev/switchyard/internal/openai"
)

// Extended thinking (OpenRouter's reasoning object; openrouter-api.md §2.3).
//
// Request: reasoning enabled sends thinking {type: enabled, budget_tokens}
// with the budget of openai.Reasoning.Budget over the visible output cap
// (the client's max_completion_tokens / max_tokens, else DefaultMaxTokens),
// clamped to [minBudget, maxBudget]. Anthropic counts thinking inside
// max_tokens and requires max_tokens > budget_tokens, so max_tokens becomes
// budget + the visible cap: the client still gets the output it asked for.
// Thinking is incompatible with temperature ≠ 1, top_k and forced tool use
// on Anthropic, so with thinking on temperature, top_p and top_k are
// dropped, and a forced tool_choice (required / a named function, or the
// json_object tool) is a 400 under provider.require_parameters and
// otherwise degrades to auto. Reasoning disabled (enabled: false, effort
// none) sends no thinking field, which is Anthropic's default.
//
// Response: thinking blocks become message.reasoning (concatenated) and
// reasoning_details items {type: reasoning.text, text, signature, format:
// anthropic-claude-v1, index}; redacted_thinking blocks become
// {type: reasoning.encrypted, data, format, index}. index is the detail's
// ordinal among the reply's reasoning blocks, so that streamed pieces of
// one block (its text deltas, then its signature) merge on it. With
// reasoning.exclude nothing reasoning-related is returned.
//
// History: an assistant message's reasoning_details of format
// anthropic-claude-v1 (or no format) come back as thinking /
// redacted_thinking blocks, first in the assistant turn, signatures
// verbatim. Details of other formats are dropped (signatures are
// provider-specific), as are text details without a signature and a bare
// reasoning string: Anthropic rejects unsigned thinking.

const (
	// minBudget is Anthropic's smallest budget_tokens.
	minBudget = 1024
	// maxBudget caps budget_tokens (OpenRouter's documented cap).
	maxBudget = 128000
)

// thinking is the request's thinking field.
type thinking struct {
	Type         string `json:"type"` // enabled
	BudgetTokens int    `json:"budget_tokens"`
}

// errForcedToolWithThinking is the 400 of a forced tool_choice with
// thinking under require_parameters.
var errForcedToolWithThinking = errors.New("Anthropic does not allow a forced tool_choice (required, a named function, or response_format json_object) together with reasoning, and provider.require_parameters is set")

// applyReasoning configures thinking on r (whose MaxTokens is already the
// visible output cap) for the client's reasoning settings.
func (r *request) applyReasoning(rs openai.Reasoning, requireParams bool) error {
	r.opts.exclude = rs.Exclude
	if !rs.Enabled {
		return nil
	}
	visible := r.MaxTokens
	budget := rs.Budget(visible, minBudget, maxBudget)
	r.Thinking = &thinking{Type: "enabled", BudgetTokens: budget}
	r.MaxTokens = visible + budget
	r.Temperature, r.TopP, r.TopK = nil, nil, nil
	if tc := r.ToolChoice; tc != nil && (tc.Type == "any" || tc.Type == "tool") {
		if requireParams {
			return errForcedToolWithThinking
		}
		tc.Type, tc.Name = "auto", ""
	}
	return nil
}

// historyBlocks returns the thinking and redacted_thinking blocks of an
// assistant message's reasoning_details. Pieces sharing an index (a
// client that kept the streamed details unmerged) are merged: their texts
// concatenated, the last signature kept.
func historyBlocks(m *openai.Message) ([]block, error) {
	details, err := openai.ParseReasoningDetails(m.ReasoningDetails)
	if err != nil {
		return nil, err
	}
	var out []block
	var indexes []int // index of each block of out whose pieces may follow
	for _, d := range details {
		if d.Format != "" && d.Format != openai.FormatAnthropic {
			continue
		}
		switch d.Type {
		case openai.ReasoningText:
			if i := slices.Index(indexes, d.Index); i >= 0 && out[i].Type == "thinking" {
				*out[i].Thinking += d.Text
				if d.Signature != "" {
					out[i].Signature = d.Signature
				}
				continue
			}
			text := d.Text
			out = append(out, block{Type: "thinking", Thinking: &text, Signature: d.Signature})
		case openai.ReasoningEncrypted:
			if d.Data == "" {
				continue
			}
			out = append(out, block{Type: "redacted_thinking", Data: d.Data})
		default:
			continue // summaries have no Anthropic form
		}
		indexes = append(indexes, d.Index)
	}
	// Unsigned thinking is rejected upstream.
	return slices.DeleteFunc(out, func(b block) bool { return b.Type == "thinking" && b.Signature == "" }), nil
}

// isReasoningBlock reports a thinking or redacted_thinking block.
func isReasoningBlock(b block) bool { return b.Type == "thinking" || b.Type == "redacted_thinking" }

// reasoningDetail converts a response's thinking or redacted_thinking
// block, the n-th reasoning block of the reply.
func reasoningDetail(b *contentBlock, n int) openai.ReasoningDetail {
	if b.Type == "redacted_thinking" {
		return openai.ReasoningDetail{Type: openai.ReasoningEncrypted, Data: b.Data, Format: openai.FormatAnthropic, Index: n}
	}
	return openai.ReasoningDetail{Type: openai.ReasoningText, Text: b.Thinking, Signature: b.Signature, Format: openai.FormatAnthropic, Index: n}
}
