// Package billing computes what a generation costs, in integer money.
//
// The cost of a generation is computed from the upstream's native token
// counts and the prices of the endpoint that finally served it, as one exact
// sum of units × rates rounded once to the nano-dollar (see package money).
// Holds, the ledger and the platform fee build on this in later work.
package billing

import (
	"time"

	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/openai"
)

// Usage is what a generation consumed, in the upstream's native units.
type Usage struct {
	PromptTokens     int // all prompt tokens, including cached reads and cache writes
	CompletionTokens int // all output tokens, including reasoning
	ReasoningTokens  int // part of CompletionTokens
	CachedTokens     int // part of PromptTokens read from the prompt cache
	CacheWriteTokens int // part of PromptTokens written to the prompt cache
	Images           int // input images
	// FinishReason is the normalised finish reason; "" when the stream ended
	// without one.
	FinishReason string
}

// UsageFrom converts an OpenAI usage object. u may be nil.
func UsageFrom(u *openai.Usage, finishReason string) Usage {
	if u == nil {
		return Usage{FinishReason: finishReason}
	}
	return Usage{
		PromptTokens:     u.PromptTokens,
		CompletionTokens: u.CompletionTokens,
		ReasoningTokens:  u.ReasoningTokens(),
		CachedTokens:     u.CachedTokens(),
		CacheWriteTokens: u.CacheWriteTokens(),
		FinishReason:     finishReason,
	}
}

// Cost prices u at p's base prices, ignoring its overrides; CostAt applies
// them.
//
//   - Uncached prompt tokens (prompt − cached − cache writes) pay Prompt;
//     cached reads pay InputCacheRead and cache writes InputCacheWrite, each
//     falling back to Prompt when the endpoint has no separate price.
//   - Completion tokens pay Completion; when InternalReasoning is priced,
//     the reasoning part pays it instead.
//   - Request is charged once, Image per input image.
//
// Zero-completion insurance: a generation that produced no completion
// tokens and ended with no finish reason or with an error is not charged for
// tokens or its request fee (OpenRouter's documented rule).
func Cost(p catalog.Pricing, u Usage) (money.Amount, error) {
	var c money.Cost
	insured := u.CompletionTokens == 0 && (u.FinishReason == "" || u.FinishReason == openai.FinishError)
	if !insured {
		cached, written := clamp(u.CachedTokens, u.PromptTokens), clamp(u.CacheWriteTokens, u.PromptTokens)
		uncached := max(u.PromptTokens-cached-written, 0)
		c.Add(int64(uncached), p.Prompt)
		c.Add(int64(cached), orElse(p.InputCacheRead, p.Prompt))
		c.Add(int64(written), orElse(p.InputCacheWrite, p.Prompt))

		reasoning := clamp(u.ReasoningTokens, u.CompletionTokens)
		if p.InternalReasoning != 0 {
			c.Add(int64(u.CompletionTokens-reasoning), p.Completion)
			c.Add(int64(reasoning), p.InternalReasoning)
		} else {
			c.Add(int64(u.CompletionTokens), p.Completion)
		}
		c.Add(int64(u.Images), p.Image)
		c.Add(1, p.Request)
	}
	return c.Amount()
}

// CostAt prices u at the prices p has in effect for this generation (see
// catalog.Pricing.At): at is when the generation started — a request that
// began in an off-peak window is charged off-peak even if it ends after
// the window closes — and the long-context threshold is compared with the
// upstream's native prompt tokens, cached reads and cache writes included.
func CostAt(p catalog.Pricing, at time.Time, u Usage) (money.Amount, error) {
	return Cost(p.At(at, u.PromptTokens), u)
}

func clamp(v, hi int) int { return max(0, min(v, hi)) }

func orElse(r, fallback money.Rate) money.Rate {
	if r != 0 {
		return r
	}
	return fallback
}
