package router

import (
	"github.com/switchyard-dev/switchyard/internal/catalog"
)

// Ceiling is the most any endpoint the request may be routed to would
// charge: the credit hold is taken against it before the request is
// forwarded, so that a failover to a pricier endpoint is covered.
type Ceiling struct {
	// Pricing holds, rate by rate, the highest price among the
	// candidates at this hour and for this prompt size (no overrides).
	Pricing catalog.Pricing
	// MaxOutput is the largest output cap among the candidates (their
	// max_completion_tokens, else their context length less the prompt);
	// 0 when none is known.
	MaxOutput int
}

// Ceiling returns the price ceiling of p's candidates (a plan Prepare
// made) for a prompt of promptTokens, at list prices. A request sent with
// that plan (Call.Plan) is routed to none but them.
func (r *Router) Ceiling(p *Plan, promptTokens int) Ceiling {
	now := r.now()
	var c Ceiling
	for _, cand := range p.Candidates {
		pr := cand.Endpoint.Pricing.At(now, promptTokens)
		c.Pricing.Prompt = max(c.Pricing.Prompt, pr.Prompt)
		c.Pricing.Completion = max(c.Pricing.Completion, pr.Completion, pr.InternalReasoning)
		c.Pricing.Request = max(c.Pricing.Request, pr.Request)
		c.Pricing.Image = max(c.Pricing.Image, pr.Image)
		c.Pricing.InputCacheWrite = max(c.Pricing.InputCacheWrite, pr.InputCacheWrite)
		out := cand.Endpoint.MaxCompletionTokens
		if out == 0 {
			ctx := cand.Endpoint.ContextLength
			if ctx == 0 {
				ctx = cand.Model.ContextLength
			}
			out = max(ctx-promptTokens, 0)
		}
		c.MaxOutput = max(c.MaxOutput, out)
	}
	return c
}
