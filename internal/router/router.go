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
	health           *health.Registry
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
	r := &Router{
		cat:              cat,
		clients:          o.Clients,
		adapters:         o.Adapters,
		firstByteTimeout: o.FirstByteTimeout,
		requestTimeout:   o.RequestTimeout,
		idleTimeout:      o.StreamIdleTimeout,
		health:           o.Health,
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
	Status   int    // upstream HTTP status, 0 for transport failures, 200 on success
	Err      error
	Latency  time.Duration
}

// Result is the outcome of a successful non-streamed request.
type Result struct {
	Response  *openai.ChatResponse
	Candidate Candidate
	Attempts  []Attempt
}

// StreamResult is a stream that has produced its first chunk.
type StreamResult struct {
	Stream    provider.Stream
	Candidate Candidate
	Attempts  []Attempt
}

// Chat runs a non-streamed request, failing over across the plan.
func (r *Router) Chat(ctx context.Context, req *openai.ChatRequest, headers http.Header) (*Result, error) {
	var resp *openai.ChatResponse
	c, attempts, err := r.each(ctx, req, func(c Candidate) error {
		actx, cancel := context.WithTimeout(ctx, r.requestTimeout)
		defer cancel()
		var err error
		resp, err = c.Client.Chat(actx, &provider.Request{Chat: req, UpstreamModel: c.Endpoint.UpstreamModel, MaxOutputTokens: c.Endpoint.MaxCompletionTokens, Headers: headers})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &Result{Response: resp, Candidate: c, Attempts: attempts}, nil
}

// ChatStream starts a streamed request, failing over across the plan until
// one upstream produces a first chunk. The returned stream replays that
// chunk first. Closing it releases the upstream.
func (r *Router) ChatStream(ctx context.Context, req *openai.ChatRequest, headers http.Header) (*StreamResult, error) {
	var s provider.Stream
	c, attempts, err := r.each(ctx, req, func(c Candidate) error {
		var err error
		s, err = r.openStream(ctx, c, req, headers)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &StreamResult{Stream: s, Candidate: c, Attempts: attempts}, nil
}

// each plans req and calls try on its candidates in order until one
// succeeds, skipping ahead by nextIndex after each failure. It returns the
// candidate that succeeded and every attempt made.
func (r *Router) each(ctx context.Context, req *openai.ChatRequest, try func(Candidate) error) (Candidate, []Attempt, error) {
	p, err := r.Plan(req, PlanOptions{})
	if err != nil {
		return Candidate{}, nil, err
	}
	plan := p.Candidates
	var attempts []Attempt
	for i := 0; i < len(plan); i++ {
		c := plan[i]
		start := time.Now()
		err := try(c)
		a := Attempt{Model: c.Model.ID, Provider: c.Provider.Slug, Name: c.Provider.Name, Latency: time.Since(start)}
		if err == nil {
			a.Status = http.StatusOK
			return c, append(attempts, a), nil
		}
		if ctx.Err() != nil {
			return Candidate{}, nil, clientGone(ctx)
		}
		pe := provider.AsError(c.Provider.Name, err)
		a.Status, a.Err = pe.Status, pe
		attempts = append(attempts, a)
		r.logAttempt(ctx, c, pe)
		i = nextIndex(plan, i, pe)
	}
	return Candidate{}, nil, failure(attempts)
}

// openStream starts one upstream stream and waits for its first chunk,
// within the first-byte timeout.
func (r *Router) openStream(ctx context.Context, c Candidate, req *openai.ChatRequest, headers http.Header) (provider.Stream, error) {
	actx, cancel := context.WithCancel(ctx)
	var timedOut atomic.Bool
	timer := time.AfterFunc(r.firstByteTimeout, func() {
		timedOut.Store(true)
		cancel()
	})
	fail := func(err error) (provider.Stream, error) {
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
	s, err := c.Client.ChatStream(actx, &provider.Request{Chat: req, UpstreamModel: c.Endpoint.UpstreamModel, MaxOutputTokens: c.Endpoint.MaxCompletionTokens, Headers: headers})
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
	ps := &primedStream{first: first, Stream: s, cancel: cancel, provider: c.Provider.Name, idle: r.idleTimeout}
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

// primedStream replays the first chunk read while choosing the endpoint,
// and fails the stream when the upstream goes silent for longer than idle.
type primedStream struct {
	provider.Stream
	first    *openai.Chunk
	cancel   context.CancelFunc
	provider string
	idle     time.Duration
	timer    *time.Timer
	idled    atomic.Bool
	once     sync.Once
}

func (s *primedStream) Next() (*openai.Chunk, error) {
	if f := s.first; f != nil {
		s.first = nil
		return f, nil
	}
	if s.timer != nil {
		s.timer.Reset(s.idle)
	}
	c, err := s.Stream.Next()
	if err != nil && s.idled.Load() {
		return nil, &provider.Error{Provider: s.provider, Type: "timeout", Err: err,
			Message: fmt.Sprintf("the upstream sent nothing for %s", s.idle)}
	}
	return c, err
}

func (s *primedStream) Close() error {
	err := s.Stream.Close()
	s.once.Do(func() {
		if s.timer != nil {
			s.timer.Stop()
		}
		s.cancel()
	})
	return err
}
