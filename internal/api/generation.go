package api

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/switchyard-dev/switchyard/internal/apierr"
	"github.com/switchyard-dev/switchyard/internal/billing"
	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/classify"
	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/router"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// generation is one request's life: who asked, what served it, what it
// consumed and what it cost.
type generation struct {
	id      string
	start   time.Time
	created int64
	caller  *caller // nil until authenticated; shared with the key cache: read only
	attr    attribution
	req     *openai.ChatRequest
	// hold is the request's credit reservation (see reserve); settled by
	// record, released if nothing was served.
	hold *billing.Hold

	cand     router.Candidate
	attempts []router.Attempt
	explain  *router.Explanation
	served   bool

	streamed     bool
	cancelled    bool
	firstToken   time.Duration
	finish       string
	nativeFinish string
	upstreamID   string
	output       strings.Builder     // the text generated, to count when usage is missing
	chunks       openai.ChunkEncoder // a stream's chat chunks, for the client
	usage        *openai.Usage       // the upstream's, when it sent one
	estimated    bool                // usage was estimated because the upstream sent none
	cost         money.Amount

	// status and errorMessage are what the client got when it got an
	// error: its HTTP status (200 for an error in-band, after the first
	// byte) and message.
	status       int
	errorMessage string
	recorded     bool // record or recordFailure has run

	// stealth are the stealth models the request may be served by: their
	// providers are masked in everything the client sees (see stealth.go).
	stealth []*catalog.Model
	// byok are the account's own provider clients (see byok.go).
	byok map[string]provider.Provider
	// route is what the router is asked (routerCall), with the plan the
	// hold was priced on (see reserve).
	route router.Call
}

// serve records the endpoint that answered, the attempts and the routing
// explanation (when asked).
func (g *generation) serve(c router.Candidate, attempts []router.Attempt, explain *router.Explanation) {
	g.cand, g.attempts, g.explain, g.served = c, attempts, explain, true
}

// observe folds a streamed chunk into the generation.
func (g *generation) observe(c *openai.Chunk, now time.Time) {
	if g.firstToken == 0 {
		g.firstToken = now.Sub(g.start)
	}
	if g.upstreamID == "" {
		g.upstreamID = c.ID
	}
	if c.Usage != nil {
		g.usage = c.Usage
	}
	for i := range c.Choices {
		ch := &c.Choices[i]
		if ch.FinishReason != nil {
			g.finish = *ch.FinishReason
		}
		if ch.NativeFinishReason != nil {
			g.nativeFinish = *ch.NativeFinishReason
		}
		d := &ch.Delta
		if d.Content != nil {
			g.output.WriteString(*d.Content)
		}
		if d.Reasoning != nil {
			g.output.WriteString(*d.Reasoning)
		}
		for _, tc := range d.ToolCalls {
			g.output.WriteString(tc.Function.Name)
			g.output.WriteString(tc.Function.Arguments)
		}
	}
}

// release gives back the credit hold of a request that was not settled
// (nothing served, or an error before any upstream answered); after a
// settlement it does nothing.
func (g *generation) release() {
	if g.hold != nil {
		g.hold.Release()
	}
}

// settle prices the generation. When the upstream reported no usage (a
// cancelled stream, or an upstream that ignores include_usage) the prompt
// and the text generated so far are counted with the model's tokenizer
// (exactly for GPT models, conservatively for others; see package
// tokenize), and the generation is marked as estimated.
func (s *Server) settle(g *generation) *openai.Usage {
	u := g.usage
	if u == nil {
		g.estimated = true
		family := g.cand.Model.Tokenizer
		u = &openai.Usage{
			PromptTokens:     s.tokens.Chat(family, g.req),
			CompletionTokens: s.tokens.Text(family, g.output.String()),
		}
		u.TotalTokens = u.PromptTokens + u.CompletionTokens
	}
	if u.TotalTokens == 0 {
		u.TotalTokens = u.PromptTokens + u.CompletionTokens
	}
	// Prices of the hour the generation started and of its prompt size.
	cost, err := billing.CostAt(g.cand.Endpoint.Pricing, g.start, billing.UsageFrom(u, g.finish))
	if err != nil { // only on absurd token counts; charge nothing rather than garbage
		cost = 0
	}
	if g.cand.BYOK { // the account paid the provider: it owes the BYOK fee
		cost = billing.BYOKFee(cost, s.byokFee)
	}
	g.cost = cost
	out := *u
	out.Cost = &g.cost
	if out.PromptTokensDetails == nil {
		out.PromptTokensDetails = &openai.PromptTokensDetails{}
	}
	if out.CompletionTokensDetails == nil {
		out.CompletionTokensDetails = &openai.CompletionTokensDetails{}
	}
	return &out
}

// record settles the generation's hold at its cost and queues its record
// and charge (billing.Accountant writes them in batches). It runs after
// the response is complete; a disconnect never loses a charge.
func (s *Server) record(ctx context.Context, g *generation, u *openai.Usage) {
	if rec, ok := s.charge(g, u); ok {
		s.logGeneration(ctx, g, &rec)
	}
}

// charge is record without the log line, for a caller that logs after
// its response has left (logGeneration). ok is false when nothing was
// served, which is recorded as a failure.
func (s *Server) charge(g *generation, u *openai.Usage) (rec store.Generation, ok bool) {
	if !g.served { // a caller's bug; recorded rather than lost
		s.recordFailure(g, apierr.New(apierr.Internal, "internal error: nothing was served"))
		return rec, false
	}
	rec = s.generationRecord(g)
	rec.PromptTokens, rec.CompletionTokens = u.PromptTokens, u.CompletionTokens
	rec.ReasoningTokens, rec.CachedTokens, rec.CacheWriteTokens = u.ReasoningTokens(), u.CachedTokens(), u.CacheWriteTokens()
	rec.Cost = g.cost
	g.recorded = true
	g.hold.Settle(rec)
	return rec, true
}

// logGeneration writes the log line of generation g, recorded as rec.
// It goes to the logger's handler directly, as slog's documentation shows
// for wrappers: slog.Logger looks up its caller's program counter for
// every record (runtime.Callers: a third of what this line costs the
// request once internal/logbuf formats it off the request's path), and
// only a handler with AddSource prints it.
func (s *Server) logGeneration(ctx context.Context, g *generation, rec *store.Generation) {
	h := s.logger.Handler()
	if !h.Enabled(ctx, slog.LevelInfo) {
		return
	}
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "generation", 0)
	r.AddAttrs(
		slog.String("id", g.id), slog.String("model", rec.Model), slog.String("provider", rec.ProviderSlug),
		slog.Int("attempts", rec.Attempts), slog.Bool("stream", rec.Streamed), slog.Bool("cancelled", rec.Cancelled),
		slog.Int("prompt_tokens", rec.PromptTokens), slog.Int("completion_tokens", rec.CompletionTokens),
		slog.Bool("estimated", g.estimated), slog.String("cost", g.cost.String()),
		slog.Int64("ms", rec.GenerationTimeMs))
	_ = h.Handle(ctx, r) // a handler's error has nowhere to go but a log
}

// recordFailure records a request of an authenticated caller that failed
// before anything was served, charging nothing, so that its
// X-Generation-Id resolves like any other: the error the client got, its
// HTTP status (g.status if set: a stream's error after its headers), and
// the routing attempts behind it. It releases the hold.
// A nil err, an unauthenticated caller or a generation already recorded
// is a no-op.
func (s *Server) recordFailure(g *generation, err error) {
	if err == nil || g == nil || g.recorded || g.caller == nil || g.caller.account.ID == 0 {
		return
	}
	e := apierr.From(err)
	g.status, g.errorMessage = cmp.Or(g.status, e.Kind.Status()), e.Message
	if g.attempts == nil {
		g.attempts = router.AttemptsOf(err)
	}
	g.finish = openai.FinishError
	rec := s.generationRecord(g)
	g.recorded = true
	if g.hold != nil {
		g.hold.Settle(rec)
	} else {
		s.accountant.Record(rec)
	}
}

// generationRecord is g's record without its usage and cost. Its task
// category is left to classify when the record is written, and so are the
// usage rollups (see New): both off the request's path.
func (s *Server) generationRecord(g *generation) store.Generation {
	rec := store.Generation{
		ID:                 g.id,
		AccountID:          g.caller.account.ID,
		KeyHash:            g.caller.key.Hash,
		UpstreamID:         g.upstreamID,
		Streamed:           g.streamed,
		Cancelled:          g.cancelled,
		FinishReason:       g.finish,
		NativeFinishReason: g.nativeFinish,
		LatencyMs:          g.firstToken.Milliseconds(),
		GenerationTimeMs:   s.now().Sub(g.start).Milliseconds(),
		HTTPReferer:        g.attr.referer,
		AppTitle:           g.attr.title,
		AppPrivate:         g.attr.private,
		Attempts:           len(g.attempts),
		ProviderResponses:  providerResponses(g.attempts),
		CreatedAt:          g.start.UTC(),
		Status:             cmp.Or(g.status, http.StatusOK),
		Error:              g.errorMessage,
	}
	if g.served {
		rec.Model, rec.ProviderSlug, rec.ProviderName = g.cand.Model.ID, g.cand.Provider.Slug, g.cand.Provider.Name
		rec.UpstreamModel, rec.IsBYOK = g.cand.Endpoint.UpstreamModel, g.cand.BYOK
	} else if g.req != nil {
		rec.Model = g.req.Model
	}
	if g.req != nil {
		rec.Categorize = s.categorizer(classifiedText(g.req))
		rec.Streamed = g.req.Stream
		rec.User, rec.SessionID = bounded(g.req.User, 256), bounded(g.req.SessionID, 256)
	}
	s.maskRecord(&rec, g.stealth)
	return rec
}

// categorizer returns what classifies text when its record is written,
// holding a copy of what it reads of text rather than text, which is
// part of the request's body.
func (s *Server) categorizer(text string) func() string {
	if s.classify != nil {
		text = strings.Clone(bounded(text, maxClassifiedBytes))
		return func() string { return s.classify(text) }
	}
	ex := classify.NewExcerpt(text)
	return func() string { return string(ex.Category()) }
}

// providerResponses are the routing attempts as the generation records
// them.
func providerResponses(attempts []router.Attempt) []store.ProviderResponse {
	out := make([]store.ProviderResponse, 0, len(attempts))
	for _, a := range attempts {
		pr := store.ProviderResponse{Provider: a.Provider, Name: a.Name, Model: a.Model, Endpoint: a.Tag,
			Status: a.Status, LatencyMs: a.Latency.Milliseconds()}
		if a.Err != nil {
			pr.Error = store.ClipError(a.Err.Error())
		}
		out = append(out, pr)
	}
	return out
}
