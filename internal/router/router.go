package router

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchyard-dev/switchyard/internal/apierr"
	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/health"
	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

// Options configures a Router.
type Options struct {
	// Clients holds one Provider per provider slug that can be routed to
	// (it has an adapter and credentials).
	Clients map[string]provider.Provider
	// Adapters tells which protocols have an adapter, to explain why an
	// endpoint is not routable.
	Adapters *provider.Registry
	// FirstByteTimeout bounds the wait for a streamed upstream's first
	// chunk; past it the attempt fails over.
	FirstByteTimeout time.Duration
	// RequestTimeout bounds a whole non-streamed upstream request.
	RequestTimeout time.Duration
	// StreamIdleTimeout bounds the silence between two chunks of a stream
	// that has started; past it the stream fails with a timeout error.
	StreamIdleTimeout time.Duration
	// Retries is how many more rounds over the plan a request gets when
	// every candidate failed with a retryable error (default 1; negative
	// means none), after a jittered exponential backoff from RetryBackoff
	// (default 250ms) that honours Retry-After up to MaxRetryWait
	// (default 5s; a longer wait is not made, the error is returned).
	Retries      int
	RetryBackoff time.Duration
	MaxRetryWait time.Duration
	// Health is the live health of endpoints: read to route, written
	// with every attempt's outcome. Nil means a private registry.
	Health *health.Registry
	// Now is the clock and Rand the randomness of load balancing; nil
	// means time.Now and a randomly seeded source. Simulations pass a
	// fake clock and a seeded source.
	Now    func() time.Time
	Rand   *rand.Rand
	Logger *slog.Logger
}

// Router plans and executes requests. It is safe for concurrent use.
type Router struct {
	cat              *catalog.Catalog
	clients          map[string]provider.Provider
	adapters         *provider.Registry
	firstByteTimeout time.Duration
	requestTimeout   time.Duration
	idleTimeout      time.Duration
	retries          int
	retryBase        time.Duration
	maxRetryWait     time.Duration
	health           *health.Registry
	sticky           *stickyTable
	now              func() time.Time
	rng              *lockedRand
	logger           *slog.Logger
	planner          *planner // see plan.go
}

// New returns a Router over cat.
func New(cat *catalog.Catalog, o Options) *Router {
	if o.Adapters == nil {
		o.Adapters = provider.NewRegistry()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Health == nil {
		o.Health = health.NewRegistry(health.Options{Now: o.Now})
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	switch {
	case o.Retries == 0:
		o.Retries = 1
	case o.Retries < 0:
		o.Retries = 0
	}
	if o.RetryBackoff <= 0 {
		o.RetryBackoff = 250 * time.Millisecond
	}
	if o.MaxRetryWait <= 0 {
		o.MaxRetryWait = 5 * time.Second
	}
	r := &Router{
		cat:              cat,
		clients:          o.Clients,
		adapters:         o.Adapters,
		firstByteTimeout: o.FirstByteTimeout,
		requestTimeout:   o.RequestTimeout,
		idleTimeout:      o.StreamIdleTimeout,
		retries:          o.Retries,
		retryBase:        o.RetryBackoff,
		maxRetryWait:     o.MaxRetryWait,
		health:           o.Health,
		sticky:           newStickyTable(),
		now:              o.Now,
		rng:              &lockedRand{r: o.Rand},
		logger:           o.Logger,
	}
	r.planner = newPlanner(r)
	return r
}

// Health returns the registry the router reads and feeds.
func (r *Router) Health() *health.Registry { return r.health }

// lockedRand serialises a *rand.Rand (which is not safe for concurrent
// use) so that one seeded source can drive a deterministic simulation.
type lockedRand struct {
	mu sync.Mutex
	r  *rand.Rand
}

// Float64 returns a number in [0, 1).
func (l *lockedRand) Float64() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Float64()
}

// Routable reports whether requests can be sent to provider slug.
func (r *Router) Routable(slug string) bool { return r.clients[slug] != nil }

// Attempt records one try of one endpoint.
type Attempt struct {
	Model    string
	Provider string // slug
	Name     string // display name
	Tag      string // endpoint tag
	Status   int    // upstream HTTP status, 0 for transport failures, 200 on success
	Err      error
	Latency  time.Duration
	Probe    bool // a circuit-breaker probe
}

// Call carries what a request asks of the router beyond the chat request.
type Call struct {
	// Headers are extra headers for the upstream (attribution).
	Headers http.Header
	// Explain asks for the routing decision in the result.
	Explain bool
	// Session is the conversation's key for prompt-cache stickiness
	// (session_id, x-session-id or prompt_cache_key); empty means a hash
	// of the conversation's first messages.
	Session string
	// BYOK holds clients built with the account's own provider keys, by
	// provider slug. An endpoint of such a provider is tried with the
	// account's key first (Candidate.BYOK) and, failing that, with the
	// operator's like any other.
	BYOK map[string]provider.Provider
	// Plan is the request's routing decision, made beforehand by Prepare
	// with this Call: the candidates its credit hold was priced on
	// (Ceiling). Nil: Chat and ChatStream plan the request themselves.
	Plan *Plan
}

// Result is the outcome of a successful non-streamed request.
type Result struct {
	Response  *openai.ChatResponse
	Candidate Candidate
	Attempts  []Attempt
	Explain   *Explanation // when Call.Explain
}

// StreamResult is a stream that has produced its first chunk.
type StreamResult struct {
	Stream    provider.Stream
	Candidate Candidate
	Attempts  []Attempt
	Explain   *Explanation // when Call.Explain; attempts so far
}

// Chat runs a non-streamed request, failing over across the plan.
func (r *Router) Chat(ctx context.Context, req *openai.ChatRequest, call Call) (*Result, error) {
	var resp *openai.ChatResponse
	c, attempts, explain, err := r.each(ctx, req, call, func(c Candidate, start time.Time) (health.Outcome, error) {
		actx, cancel := context.WithTimeout(ctx, r.requestTimeout)
		defer cancel()
		var err error
		resp, err = c.Client.Chat(actx, r.upstreamRequest(c, req, call))
		if err != nil {
			return health.Outcome{}, err
		}
		took := r.now().Sub(start)
		o := health.Outcome{Success: true, TTFT: took, Generation: took}
		if resp.Usage != nil {
			o.OutputTokens = resp.Usage.CompletionTokens
		}
		for _, ch := range resp.Choices {
			n, bad := checkToolCalls(req, ch.Message.ToolCalls)
			o.ToolCalls, o.ToolCallErrors = o.ToolCalls+n, o.ToolCallErrors+bad
		}
		r.sticky.served(req, call, c, resp.Usage, r.now())
		return o, nil
	})
	if err != nil {
		return nil, err
	}
	return &Result{Response: resp, Candidate: c, Attempts: attempts, Explain: explain}, nil
}

// ChatStream starts a streamed request, failing over across the plan until
// one upstream produces a first chunk. The returned stream replays that
// chunk first. Closing it releases the upstream. The endpoint's health
// learns the stream's outcome when it ends.
func (r *Router) ChatStream(ctx context.Context, req *openai.ChatRequest, call Call) (*StreamResult, error) {
	var s *primedStream
	c, attempts, explain, err := r.each(ctx, req, call, func(c Candidate, start time.Time) (health.Outcome, error) {
		var err error
		s, err = r.openStream(ctx, c, req, call)
		if err != nil {
			return health.Outcome{}, err
		}
		s.start, s.firstAt = start, r.now()
		return health.Outcome{}, errStreamOpen
	})
	if err != nil {
		return nil, err
	}
	return &StreamResult{Stream: s, Candidate: c, Attempts: attempts, Explain: explain}, nil
}

// Prepare plans req as Chat and ChatStream would for call (the provider
// that served the conversation last, the explanation, the account's own
// keys) without sending anything. A caller that prices the request first
// (Ceiling) hands the plan back in call.Plan, so that the request is
// planned once and routed to none but the candidates it was priced on.
func (r *Router) Prepare(req *openai.ChatRequest, call Call) (*Plan, error) {
	po := PlanOptions{Explain: call.Explain, BYOK: call.BYOK}
	if req.Provider == nil || len(req.Provider.Order) == 0 {
		po.Sticky = r.sticky.lookup(req, call, r.now())
	}
	return r.Plan(req, po)
}

// errStreamOpen tells each that a stream started: its outcome is recorded
// when it ends, not now.
var errStreamOpen = errors.New("stream open")

// withBYOK adds, for each candidate whose provider has a client with the
// account's own key, a copy using that client: all of them first, in plan
// order, or, when the request ordered providers itself, each just before
// its original.
func withBYOK(plan []Candidate, byok map[string]provider.Provider, ordered bool) []Candidate {
	if len(byok) == 0 {
		return plan
	}
	own := func(c Candidate) (Candidate, bool) {
		client := byok[c.Provider.Slug]
		if client == nil || c.BYOK {
			return c, false
		}
		c.Client, c.BYOK = client, true
		return c, true
	}
	out := make([]Candidate, 0, 2*len(plan))
	if ordered {
		for _, c := range plan {
			if b, ok := own(c); ok {
				out = append(out, b)
			}
			out = append(out, c)
		}
		return out
	}
	for _, c := range plan {
		if c.BYOK { // an endpoint only the account's key serves
			out = append(out, c)
		} else if b, ok := own(c); ok {
			out = append(out, b)
		}
	}
	for _, c := range plan {
		if !c.BYOK {
			out = append(out, c)
		}
	}
	return out
}

// upstreamRequest is what an adapter gets for candidate c.
func (r *Router) upstreamRequest(c Candidate, req *openai.ChatRequest, call Call) *provider.Request {
	return &provider.Request{Chat: req, UpstreamModel: c.Endpoint.UpstreamModel,
		MaxOutputTokens: c.Endpoint.MaxCompletionTokens, Headers: call.Headers}
}

// each plans req and calls try on its candidates in order until one
// succeeds, skipping ahead by nextIndex after each failure and skipping
// endpoints whose circuit breaker is open. When every candidate failed
// with a retryable error it tries the plan again after a jittered backoff
// that honours Retry-After, up to r.retries more rounds within the
// request's deadline. It returns the candidate that succeeded, every
// attempt, and the explanation when asked.
func (r *Router) each(ctx context.Context, req *openai.ChatRequest, call Call,
	try func(Candidate, time.Time) (health.Outcome, error)) (Candidate, []Attempt, *Explanation, error) {
	p := call.Plan
	if p == nil {
		var err error
		if p, err = r.Prepare(req, call); err != nil {
			return Candidate{}, nil, nil, err
		}
	}
	plan := withBYOK(p.Candidates, call.BYOK, req.Provider != nil && len(req.Provider.Order) > 0)
	var attempts []Attempt
	for round := 0; ; round++ {
		retryAfter, retryable := time.Duration(0), true
		for i := 0; i < len(plan); i++ {
			c := plan[i]
			h := c.Health
			ok, probe := h.Allow()
			if !ok {
				continue // the breaker is open: only probes go through
			}
			start := r.now()
			o, err := try(c, start)
			a := Attempt{Model: c.Model.ID, Provider: c.Provider.Slug, Name: c.Provider.Name, Tag: c.Endpoint.Tag,
				Latency: r.now().Sub(start), Probe: probe}
			if err == nil || errors.Is(err, errStreamOpen) {
				if err == nil {
					h.Record(o)
				}
				a.Status = http.StatusOK
				attempts = append(attempts, a)
				return c, attempts, r.explained(p, attempts), nil
			}
			if ctx.Err() != nil {
				// The client left: no verdict on the endpoint.
				return Candidate{}, nil, nil, gone(ctx, append(attempts, a))
			}
			pe := r.failed(ctx, c, err)
			a.Status, a.Err = pe.Status, pe
			attempts = append(attempts, a)
			if c.BYOK {
				// The account's own key failed (revoked, out of quota…):
				// the operator's key for the same endpoint comes next.
				continue
			}
			if !pe.Retryable() {
				retryable = false
			}
			retryAfter = max(retryAfter, pe.RetryAfter)
			i = nextIndex(plan, i, pe)
		}
		wait, again := r.backoff(ctx, round, retryAfter)
		if !retryable || !again || len(attempts) == 0 {
			break
		}
		if err := sleep(ctx, wait); err != nil {
			return Candidate{}, nil, nil, gone(ctx, attempts)
		}
	}
	return Candidate{}, nil, nil, exhausted(attempts)
}

// The helpers below are the cold paths of each, kept out of its frame:
// that frame is on the stack of every request while the upstream is
// called (and net/http keeps a handler's stack at 16 KiB once it passes 8).

// failed is what a failed attempt at c teaches: the endpoint's health
// records it and it is logged.
func (r *Router) failed(ctx context.Context, c Candidate, err error) *provider.Error {
	pe := provider.AsError(c.Provider.Name, err)
	c.Health.Record(failureOutcome(pe))
	r.logAttempt(ctx, c, pe)
	return pe
}

// gone is the error of a request whose client left after attempts.
func gone(ctx context.Context, attempts []Attempt) error {
	return withAttempts(clientGone(ctx), attempts)
}

// exhausted is the error of a request every attempt of which failed, or
// that no endpoint would take.
func exhausted(attempts []Attempt) error {
	if len(attempts) == 0 {
		return apierr.New(apierr.Unavailable,
			"every endpoint of the requested model is failing (circuit breakers open); try again shortly").
			With("error_type", "provider_unavailable")
	}
	return withAttempts(failure(attempts), attempts)
}

// failureOutcome is what a failed attempt teaches the endpoint's health:
// a rate limit, the request's own fault, or an error.
func failureOutcome(pe *provider.Error) health.Outcome {
	switch {
	case pe.Status == http.StatusTooManyRequests || pe.Type == "rate_limit_exceeded":
		return health.Outcome{RateLimited: true}
	case pe.Status == http.StatusBadRequest || pe.Status == http.StatusRequestEntityTooLarge ||
		pe.Status == http.StatusUnprocessableEntity:
		return health.Outcome{ClientError: true}
	}
	return health.Outcome{}
}

// backoff returns how long to wait before retry round+1 and whether to
// retry at all: exponential from retryBase with full jitter in [½, 1½),
// at least the upstreams' Retry-After, within maxRetryWait and the
// request's deadline.
func (r *Router) backoff(ctx context.Context, round int, retryAfter time.Duration) (time.Duration, bool) {
	if round >= r.retries {
		return 0, false
	}
	wait := r.retryBase << round
	wait = time.Duration(float64(wait) * (0.5 + r.rng.Float64()))
	wait = max(wait, retryAfter)
	if wait > r.maxRetryWait {
		return 0, false
	}
	if d, ok := ctx.Deadline(); ok && time.Until(d) < wait {
		return 0, false
	}
	return wait, true
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// explained completes the plan's explanation with the attempts.
func (r *Router) explained(p *Plan, attempts []Attempt) *Explanation {
	e := p.Explain
	if e == nil {
		return nil
	}
	e.Attempts = e.Attempts[:0]
	for _, a := range attempts {
		ea := ExplainedAttempt{Model: a.Model, Provider: a.Provider, Status: a.Status, LatencyMs: a.Latency.Milliseconds(), Probe: a.Probe}
		if a.Err != nil {
			ea.Error = a.Err.Error()
		}
		e.Attempts = append(e.Attempts, ea)
	}
	return e
}

// openStream starts one upstream stream and waits for its first chunk,
// within the first-byte timeout.
func (r *Router) openStream(ctx context.Context, c Candidate, req *openai.ChatRequest, call Call) (*primedStream, error) {
	actx, cancel := context.WithCancel(ctx)
	var timedOut atomic.Bool
	timer := time.AfterFunc(r.firstByteTimeout, func() {
		timedOut.Store(true)
		cancel()
	})
	fail := func(err error) (*primedStream, error) {
		timer.Stop()
		cancel()
		if timedOut.Load() && ctx.Err() == nil {
			return nil, &provider.Error{
				Provider: c.Provider.Name, Type: "timeout", Err: err,
				Message: fmt.Sprintf("no response within %s", r.firstByteTimeout),
			}
		}
		return nil, err
	}
	s, err := c.Client.ChatStream(actx, r.upstreamRequest(c, req, call))
	if err != nil {
		return fail(err)
	}
	first, err := s.Next()
	if err != nil {
		s.Close()
		if errors.Is(err, io.EOF) {
			err = &provider.Error{Provider: c.Provider.Name, Type: "provider_unavailable",
				Message: "upstream ended the stream without sending anything"}
		}
		return fail(err)
	}
	if !timer.Stop() && timedOut.Load() {
		s.Close()
		return fail(context.Canceled)
	}
	ps := &primedStream{first: first, Stream: s, ctx: ctx, cancel: cancel, provider: c.Provider.Name, idle: r.idleTimeout,
		router: r, req: req, call: call, cand: c, health: c.Health}
	ps.tools.add(first)
	if ps.idle > 0 {
		ps.timer = time.AfterFunc(ps.idle, func() {
			ps.idled.Store(true)
			cancel()
		})
	}
	return ps, nil
}

// nextIndex returns the index before the next candidate to try after
// plan[i] failed with err: the next endpoint of the same model when the
// error is retryable, else the first endpoint of the next model (any error
// moves to the next model of models[]).
func nextIndex(plan []Candidate, i int, err *provider.Error) int {
	if err.Retryable() {
		return i
	}
	for j := i + 1; j < len(plan); j++ {
		if plan[j].Model != plan[i].Model {
			return j - 1
		}
	}
	return len(plan)
}

func (r *Router) logAttempt(ctx context.Context, c Candidate, err *provider.Error) {
	r.logger.LogAttrs(ctx, slog.LevelWarn, "upstream attempt failed",
		slog.String("model", c.Model.ID), slog.String("provider", c.Provider.Slug),
		slog.Int("status", err.Status), slog.String("error_type", err.Type), slog.String("message", err.Message))
}

func clientGone(ctx context.Context) error {
	return apierr.Wrap(apierr.Timeout, context.Cause(ctx), "request cancelled")
}
