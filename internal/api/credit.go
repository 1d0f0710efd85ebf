package api

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/switchyard-dev/switchyard/internal/apierr"
	"github.com/switchyard-dev/switchyard/internal/billing"
	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/store"
	"github.com/switchyard-dev/switchyard/internal/tokenize"
)

// Credit holds (issue 5). Before a request is forwarded, its worst-case
// cost on the priciest endpoint it may be routed to — its prompt counted
// with the model's tokenizer, plus its output cap at the highest
// completion price — is reserved from the account's balance and the key's
// limit (billing.Accountant). A request the balance cannot fully cover is
// not refused when it sets no max_tokens: its output is capped at what the
// balance affords, and the response says so in CappedHeader. Only a
// request whose prompt alone is unaffordable, or whose explicit max_tokens
// is, gets a 402.

// CappedHeader carries the output cap a request got because the balance
// could not pay for the model's full output.
const CappedHeader = "X-Switchyard-Max-Tokens-Capped"

// defaultOutputCap is the output assumed for the hold when neither the
// request nor any candidate endpoint states a maximum.
const defaultOutputCap = 4096

// TokenCounter counts a chat request's prompt tokens with the tokenizer of
// a model family (catalog Model.Tokenizer).
type TokenCounter interface {
	Chat(family string, req *openai.ChatRequest) int
	Text(family, text string) int
}

// reserve plans g's request and takes its credit hold, capping its
// max_tokens when the balance affords less than the model's full output.
// The hold is priced on the plan's candidates, and the request is sent
// with that plan (g.route.Plan): it goes to none the hold does not cover.
// The prompt is first sized by tokenize.ChatBound, one pass over its
// bytes; only if the balance cannot cover that is it counted with the
// model's tokenizer and the hold taken again.
func (s *Server) reserve(ctx context.Context, w http.ResponseWriter, g *generation) error {
	plan, err := s.router.Prepare(g.req, g.route)
	if err != nil {
		return err
	}
	g.route.Plan = plan
	budget := s.budget(g)
	q, err := s.quote(g, tokenize.ChatBound(g.req))
	if err != nil {
		return err
	}
	hold, err := s.accountant.Hold(ctx, budget, q.minimum, q.worst)
	if err == nil && hold.Amount() < q.worst || errors.Is(err, billing.ErrInsufficient) {
		if hold != nil {
			hold.Release()
		}
		family := ""
		if m := s.cat.Model(g.req.Model); m != nil {
			family = m.Tokenizer
		}
		if q, err = s.quote(g, s.tokens.Chat(family, g.req)); err != nil {
			return err
		}
		hold, err = s.accountant.Hold(ctx, budget, q.minimum, q.worst)
	}
	var short *billing.InsufficientError
	if errors.As(err, &short) {
		return s.insufficient(g, short, q.minimum)
	}
	if err != nil {
		return apierr.Wrap(apierr.Internal, err, "internal error while reserving credits")
	}
	if hold.Amount() < q.worst {
		affordable := money.Affordable(hold.Amount()-q.prompt, q.completion)
		if q.asked > 0 {
			hold.Release()
			return apierr.New(apierr.PaymentRequired,
				"This request requires more credits, or fewer max_tokens. You requested up to %d tokens, but can only afford %d.",
				q.asked, affordable).With("error_type", "payment_required")
		}
		capped := int(min(affordable, int64(q.output)))
		g.req.MaxTokens, g.req.MaxCompletionTokens = &capped, nil
		w.Header().Set(CappedHeader, strconv.Itoa(capped))
	}
	g.hold = hold
	return nil
}

// quote is a request's worst case: its prompt's cost, and with its output.
type quote struct {
	prompt     money.Amount // the prompt, images and request fee
	completion money.Rate   // the highest completion price
	asked      int          // the request's own output cap, 0 if none
	output     int          // the output assumed: asked, else the endpoints' maximum
	minimum    money.Amount // prompt and one output token
	worst      money.Amount // prompt and output
}

// quote prices g's request for a prompt of promptTokens at the highest
// prices among the endpoints of its plan.
func (s *Server) quote(g *generation, promptTokens int) (quote, error) {
	ceiling := s.router.Ceiling(g.route.Plan, promptTokens)
	p := ceiling.Pricing
	var pc money.Cost
	// A prompt written to the cache may cost more than a plain one.
	pc.Add(int64(promptTokens), max(p.Prompt, p.InputCacheWrite))
	pc.Add(int64(countImages(g.req)), p.Image)
	pc.Add(1, p.Request)
	prompt, err := pc.Amount()
	if err != nil {
		return quote{}, apierr.New(apierr.InvalidRequest, "the request is too large to price")
	}
	q := quote{prompt: prompt, completion: p.Completion, asked: g.req.MaxOutputTokens()}
	q.output = q.asked
	if q.output == 0 {
		q.output = ceiling.MaxOutput
	}
	if q.output == 0 {
		q.output = defaultOutputCap
	}
	q.worst = addCost(prompt, int64(q.output), p.Completion)
	q.minimum = addCost(prompt, 1, p.Completion)
	return q, nil
}

// countImages counts the image parts of a request's messages.
func countImages(req *openai.ChatRequest) int {
	n := 0
	for i := range req.Messages {
		for _, part := range req.Messages[i].Content.Parts {
			if part.Type == "image_url" {
				n++
			}
		}
	}
	return n
}

// budget is what g's caller may spend: the account's balance as read with
// the key (if no flush has happened since), and the key's limit in its
// current window.
func (s *Server) budget(g *generation) billing.Budget {
	k := g.caller.key
	b := billing.Budget{
		AccountID: g.caller.account.ID, KeyHash: k.Hash,
		Balance: g.caller.account.Balance, Seq: g.caller.seq,
		Request: store.Inflight{ID: g.id, Model: g.req.Model, Streamed: g.req.Stream, CreatedAt: g.start},
	}
	if k.Limit != nil {
		b.Limit, b.IncludeBYOK = k.Limit, k.IncludeBYOKInLimit
		b.Since = billing.WindowStart(k.LimitReset, s.now())
	}
	return b
}

// addCost returns base + units × rate, saturating instead of failing.
func addCost(base money.Amount, units int64, rate money.Rate) money.Amount {
	var c money.Cost
	c.Add(units, rate)
	a, err := c.Amount()
	if err != nil || base+a < base {
		return money.Amount(1<<63 - 1)
	}
	return base + a
}

// insufficient is the 402 of a request whose prompt alone (with one output
// token) the account or the key's limit cannot pay for.
func (s *Server) insufficient(g *generation, short *billing.InsufficientError, needed money.Amount) error {
	if short.KeyLimit {
		return apierr.New(apierr.PaymentRequired,
			"this key has reached its spending limit ($%s per %s, $%s left); this request needs at least $%s; raise the limit or wait for its reset",
			*g.caller.key.Limit, cmp.Or(g.caller.key.LimitReset, "lifetime"), short.Available, needed).
			With("error_type", "payment_required")
	}
	return apierr.New(apierr.PaymentRequired,
		"insufficient credits: this request needs at least $%s and the account can spend $%s; add credits to continue",
		needed, short.Available).With("error_type", "payment_required")
}
