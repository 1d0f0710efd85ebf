package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/switchyard-dev/switchyard/internal/apierr"
	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/ratelimit"
)

// freeUnlockPurchases is what an account must have bought, ever, for the
// higher daily limit on free variants (OpenRouter: $10).
const freeUnlockPurchases = 10 * money.NanoPerUSD

// rateLimit counts g's request against its key's requests per minute and,
// for a free variant, its account's free-variant limits. A request over a
// limit gets a 429 with Retry-After and X-RateLimit-* and is not counted.
func (s *Server) rateLimit(ctx context.Context, w http.ResponseWriter, g *generation) error {
	if s.rpm > 0 {
		d := s.limiter.Check(ratelimit.Rule{
			Key: g.caller.key.Hash, Limit: s.rpm, Window: time.Minute, Reason: "requests-per-minute",
		})
		if !d.Allowed {
			return limited(w, d)
		}
	}
	if !asksFree(g.req) {
		return nil
	}
	purchased, err := s.store.TotalPurchased(ctx, g.caller.account.ID)
	if err != nil {
		return apierr.Wrap(apierr.Internal, err, "internal error while checking rate limits")
	}
	d := ratelimit.FreeVariant(s.limiter, g.caller.account.ID, purchased >= freeUnlockPurchases, s.limiter.Now())
	if !d.Allowed {
		return limited(w, d)
	}
	return nil
}

func limited(w http.ResponseWriter, d ratelimit.Decision) error {
	ratelimit.WriteHeaders(w.Header(), d)
	return apierr.New(apierr.RateLimited, "%s", d.Message()).
		With("error_type", "rate_limit_exceeded").With("limit", d.Reason)
}

// asksFree reports whether the request names a free variant, as its model
// or among its fallbacks.
func asksFree(req *openai.ChatRequest) bool {
	if strings.HasSuffix(req.Model, ":free") {
		return true
	}
	for _, m := range req.Models {
		if strings.HasSuffix(m, ":free") {
			return true
		}
	}
	return false
}
