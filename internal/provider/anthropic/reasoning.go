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
// (the client's max_completion_tokens / max_tokens, else the endpoint's
// maximum output from the catalog, else DefaultMaxTokens), clamped to
// [minBudget, maxBudget]. Anthropic counts thinking inside max_tokens, as
// OpenAI counts reasoning inside max_completion_tokens, so the client's cap
// stays the cap of everything generated; only when it does not exceed the
// budget (Anthropic requires max_tokens > budget_tokens) does max_tokens
// become cap + budget, and never more than the endpoint's maximum (see
// ThinkingTokens).
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

// ThinkingTokens returns max_tokens and budget_tokens for extended thinking
// under an output cap of capTokens on a model whose maximum output is limit
// (0 when unknown): the budget is rs's share of the cap, clamped to
// Anthropic's range; max_tokens stays the cap unless the budget reaches
// it, then cap + budget, never above limit and always above the budget.
// Bedrock's Converse uses it for Claude models.
func ThinkingTokens(rs openai.Reasoning, capTokens, limit int) (maxTokens, budget int) {
	budget = rs.Budget(capTokens, minBudget, maxBudget)
	maxTokens = capTokens
	if maxTokens <= budget {
		maxTokens += budget
	}
	if limit > 0 && maxTokens > limit {
		maxTokens = limit
		if budget >= maxTokens {
			budget = max(minBudget, maxTokens/2)
		}
	}
	return maxTokens, budget
}

// applyReasoning configures thinking on r (whose MaxTokens is already the
// visible output cap) for the client's reasoning settings; limit is the
// endpoint's maximum output, 0 when unknown.
func (r *request) applyReasoning(rs openai.Reasoning, limit int, requireParams bool) error {
	r.opts.exclude = rs.Exclude
	if !rs.Enabled {
		return nil
	}
	var budget int
	r.MaxTokens, budget = ThinkingTokens(rs, r.MaxTokens, limit)
	r.Thinking = &thinking{Type: "enabled", BudgetTokens: budget}
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
func isReasoningBlock(b *block) bool { return b.Type == "thinking" || b.Type == "redacted_thinking" }

// reasoningDetail converts a response's thinking or redacted_thinking
// block, the n-th reasoning block of the reply.
func reasoningDetail(b *contentBlock, n int) openai.ReasoningDetail {
	if b.Type == "redacted_thinking" {
		return openai.ReasoningDetail{Type: openai.ReasoningEncrypted, Data: b.Data, Format: openai.FormatAnthropic, Index: n}
	}
	return openai.ReasoningDetail{Type: openai.ReasoningText, Text: b.Thinking, Signature: b.Signature, Format: openai.FormatAnthropic, Index: n}
}
