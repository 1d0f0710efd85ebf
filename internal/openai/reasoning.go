package openai

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
)

// Reasoning efforts of OpenRouter's reasoning.effort, strongest first.
const (
	EffortMax     = "max"
	EffortXHigh   = "xhigh"
	EffortHigh    = "high"
	EffortMedium  = "medium"
	EffortLow     = "low"
	EffortMinimal = "minimal"
	EffortNone    = "none"
)

// effortPermille is OpenRouter's documented share of max_tokens given to
// reasoning at each effort, in thousandths (integers: budgets are exact).
var effortPermille = map[string]int{
	EffortMax: 950, EffortXHigh: 950, EffortHigh: 800, EffortMedium: 500, EffortLow: 200, EffortMinimal: 100, EffortNone: 0,
}

// Reasoning is the client's reasoning request, merged from the reasoning
// object ({effort | max_tokens, exclude, enabled}), the reasoning_effort
// shorthand and the legacy include_reasoning flag.
type Reasoning struct {
	// Set reports whether the request said anything about reasoning;
	// when false adapters leave the provider's default alone.
	Set bool
	// Enabled reports whether reasoning is requested. False with Set
	// means the client turned it off (enabled:false or effort "none").
	Enabled bool
	// Effort is one of the Effort constants; "" when MaxTokens is given
	// instead. Enabled without either means medium.
	Effort string
	// MaxTokens is an explicit reasoning budget; 0 when not given.
	MaxTokens int
	// Exclude asks for reasoning that is not returned to the client.
	Exclude bool
}

type reasoningObject struct {
	Effort    string `json:"effort"`
	MaxTokens *int   `json:"max_tokens"`
	Exclude   *bool  `json:"exclude"`
	Enabled   *bool  `json:"enabled"`
}

// ReasoningRequest returns the request's reasoning settings. Invalid ones
// (an unknown effort, a negative budget, both effort and max_tokens) are an
// error for a 400.
func (r *ChatRequest) ReasoningRequest() (Reasoning, error) {
	var o reasoningObject
	if raw := bytes.TrimSpace(r.Reasoning); len(raw) > 0 && !bytes.Equal(raw, []byte("null")) {
		if err := json.Unmarshal(raw, &o); err != nil {
			return Reasoning{}, fmt.Errorf("reasoning must be an object: %w", err)
		}
	}
	if o.Effort == "" {
		o.Effort = r.ReasoningEffort
	}
	var out Reasoning
	if o.Effort != "" {
		if _, ok := effortPermille[o.Effort]; !ok {
			return Reasoning{}, fmt.Errorf("reasoning.effort %q is not one of max, xhigh, high, medium, low, minimal, none", o.Effort)
		}
		if o.MaxTokens != nil {
			return Reasoning{}, fmt.Errorf("reasoning: give effort or max_tokens, not both")
		}
		out.Set, out.Enabled, out.Effort = true, o.Effort != EffortNone, o.Effort
	}
	if o.MaxTokens != nil {
		if *o.MaxTokens < 0 {
			return Reasoning{}, fmt.Errorf("reasoning.max_tokens must not be negative")
		}
		out.Set, out.Enabled, out.MaxTokens = true, *o.MaxTokens > 0, *o.MaxTokens
	}
	if o.Enabled != nil {
		out.Set = true
		if !*o.Enabled {
			out = Reasoning{Set: true}
		} else if !out.Enabled && out.Effort != EffortNone {
			out.Enabled = true
		}
	}
	if out.Enabled && out.Effort == "" && out.MaxTokens == 0 {
		out.Effort = EffortMedium
	}
	if o.Exclude != nil && *o.Exclude {
		out.Exclude = true
	}
	if r.IncludeReasoning != nil {
		if *r.IncludeReasoning {
			if !out.Set {
				out = Reasoning{Set: true, Enabled: true, Effort: EffortMedium}
			}
		} else {
			out.Exclude = true
		}
	}
	return out, nil
}

// Budget returns the reasoning-token budget for an output cap of maxTokens:
// MaxTokens when given, else maxTokens × the effort's ratio (max/xhigh
// 0.95, high 0.8, medium 0.5, low 0.2, minimal 0.1), clamped to [lo, hi].
// It is 0 when reasoning is not enabled.
func (r Reasoning) Budget(maxTokens, lo, hi int) int {
	if !r.Enabled {
		return 0
	}
	b := r.MaxTokens
	if b == 0 {
		b = maxTokens * effortPermille[r.Effort] / 1000
	}
	return min(max(b, lo), hi)
}

// EffortFor returns the effort to send to a provider that takes efforts
// rather than budgets: the requested one, or the one whose ratio of
// maxTokens is nearest an explicit budget.
func (r Reasoning) EffortFor(maxTokens int) string {
	if !r.Enabled {
		return EffortNone
	}
	if r.Effort != "" || maxTokens <= 0 {
		return cmp.Or(r.Effort, EffortMedium)
	}
	permille := r.MaxTokens * 1000 / maxTokens
	best, bestDist := EffortMedium, 1<<31
	for _, e := range []string{EffortXHigh, EffortHigh, EffortMedium, EffortLow, EffortMinimal} {
		if d := abs(effortPermille[e] - permille); d < bestDist {
			best, bestDist = e, d
		}
	}
	return best
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Types and formats of reasoning_details items (OpenRouter).
const (
	ReasoningText      = "reasoning.text"
	ReasoningSummary   = "reasoning.summary"
	ReasoningEncrypted = "reasoning.encrypted"

	FormatUnknown   = "unknown"
	FormatAnthropic = "anthropic-claude-v1"
	FormatGemini    = "google-gemini-v1"
	FormatOpenAI    = "openai-responses-v1"
)

// ReasoningDetail is one item of reasoning_details: reasoning text (with
// the provider's signature, which must come back verbatim on the next
// turn), a summary, or an opaque encrypted blob (Anthropic's
// redacted_thinking).
type ReasoningDetail struct {
	Type      string `json:"type"`
	Text      string `json:"text,omitempty"`
	Summary   string `json:"summary,omitempty"`
	Data      string `json:"data,omitempty"`
	Signature string `json:"signature,omitempty"`
	ID        string `json:"id,omitempty"`
	Format    string `json:"format,omitempty"`
	Index     int    `json:"index"`
}

// ParseReasoningDetails decodes a message's reasoning_details; absent or
// null is none.
func ParseReasoningDetails(raw json.RawMessage) ([]ReasoningDetail, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	var out []ReasoningDetail
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("reasoning_details must be an array of reasoning detail objects: %w", err)
	}
	return out, nil
}

// ReasoningDetailsJSON encodes details for a response message or delta;
// nil for none.
func ReasoningDetailsJSON(details []ReasoningDetail) json.RawMessage {
	if len(details) == 0 {
		return nil
	}
	b, err := json.Marshal(details)
	if err != nil {
		panic(err) // plain strings and ints always marshal
	}
	return b
}
