// Package simulate drives realistic synthetic traffic through a running
// Switchyard gateway over its public HTTP API, so that rankings, activity
// and charts have something to show: `switchyard simulate` against
// `switchyard serve --demo` fills them within a minute.
//
// Requests arrive as an open-loop Poisson process at a target mean rate,
// with occasional bursts of several times that rate for a few seconds. Each
// comes from one of a set of synthetic apps (HTTP-Referer and X-Title, some
// private), with a prompt drawn from a template bank of the app's task
// categories, for a model drawn with a long-tailed popularity over the
// gateway's cheapest servable models. Some requests stream, some list
// fallback models, some carry provider preferences. max_tokens stays small
// so that a demo key's credits last.
//
// Run returns a Report of what happened: outcomes by HTTP status, tokens,
// the spend the gateway reported (usage.cost, summed exactly), latency
// percentiles, and counts per app, model and category.
package simulate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Options configures a run. The zero value of a field takes its default.
type Options struct {
	// BaseURL is the gateway: its root (http://127.0.0.1:8080), to which
	// /api/v1 is added, or its API base (…/api/v1 or …/v1). Required.
	BaseURL string
	// APIKey is sent as a bearer token. Required.
	APIKey string
	// Duration is how long requests keep arriving; those in flight at its
	// end are waited for. Zero, with Requests zero, runs until ctx ends.
	Duration time.Duration
	// Requests bounds the number of requests sent (0: until Duration).
	Requests int
	// Concurrency bounds the requests in flight (default 8). An arrival
	// that finds every slot busy waits for one.
	Concurrency int
	// RPS is the mean arrival rate, bursts included, in requests per
	// second (default 20).
	RPS float64
	// Apps is the number of synthetic apps (default 12).
	Apps int
	// StreamShare is the fraction of requests that stream, in [0, 1].
	StreamShare float64
	// Seed seeds every choice the run makes; zero picks one at random.
	// The report shows the seed used.
	Seed int64
	// MaxTokens is the largest max_tokens a request asks for (default
	// 128); each asks for between 16 and it.
	MaxTokens int
	// Progress, when set, receives progress: one line rewritten in place
	// on a terminal, else a line every few seconds.
	Progress io.Writer
	// HTTPClient sends the requests. Nil means a client that keeps up to
	// Concurrency connections open.
	HTTPClient *http.Client
}

// Defaults of Options.
const (
	DefaultConcurrency = 32
	DefaultRPS         = 20
	DefaultApps        = 12
	DefaultMaxTokens   = 128
)

// maxApps bounds Options.Apps.
const maxApps = 1000

// ErrOutOfCredits is returned (wrapped, with the gateway's message) when
// the gateway answers 402: the key's credits are spent, so the run stops.
var ErrOutOfCredits = errors.New("the key is out of credits")

// ErrKeyRefused is returned (wrapped) when the gateway refuses the key
// with 401 or 403: no request can succeed, so the run stops.
var ErrKeyRefused = errors.New("the gateway refused the key")

// stopAfterTransportErrors consecutive requests without a response stop
// the run: the gateway is gone.
const stopAfterTransportErrors = 10

// withDefaults validates o and fills in its defaults.
func (o Options) withDefaults() (Options, error) {
	switch {
	case o.BaseURL == "":
		return o, errors.New("simulate: no gateway URL")
	case o.APIKey == "":
		return o, errors.New("simulate: no API key")
	case o.Duration < 0 || o.Requests < 0 || o.Concurrency < 0 || o.Apps < 0 || o.MaxTokens < 0:
		return o, errors.New("simulate: duration, requests, concurrency, apps and max tokens must not be negative")
	case !(o.RPS >= 0) || o.RPS > 1e6: // also rejects NaN
		return o, fmt.Errorf("simulate: rate %v must be between 0 and a million requests per second", o.RPS)
	case !(o.StreamShare >= 0 && o.StreamShare <= 1):
		return o, fmt.Errorf("simulate: stream share %v must be between 0 and 1", o.StreamShare)
	case o.Apps > maxApps:
		return o, fmt.Errorf("simulate: at most %d apps", maxApps)
	}
	if o.Concurrency == 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.RPS == 0 {
		o.RPS = DefaultRPS
	}
	if o.Apps == 0 {
		o.Apps = DefaultApps
	}
	if o.MaxTokens == 0 {
		o.MaxTokens = DefaultMaxTokens
	}
	if o.Seed == 0 {
		o.Seed = rand.Int64()
	}
	return o, nil
}

// apiBase returns the API base of a gateway URL.
func apiBase(raw string) (string, error) {
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("simulate: gateway URL %q: want http://HOST:PORT", raw)
	}
	if !strings.HasSuffix(u.Path, "/v1") {
		u.Path += "/api/v1"
	}
	return u.String(), nil
}

// Run sends traffic to the gateway until Duration has passed, Requests
// have been sent, or ctx ends, and reports what happened. It stops early,
// returning ErrOutOfCredits or ErrKeyRefused, when the gateway answers 402,
// 401 or 403, and when it stops answering at all. When ctx ends, requests
// in flight are cancelled and Run returns the report so far with ctx's
// error.
func Run(ctx context.Context, o Options) (Report, error) {
	o, err := o.withDefaults()
	if err != nil {
		return Report{}, err
	}
	base, err := apiBase(o.BaseURL)
	if err != nil {
		return Report{}, err
	}
	client := o.HTTPClient
	if client == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = o.Concurrency
		client = &http.Client{Transport: t}
		defer client.CloseIdleConnections()
	}
	entries, err := fetchModels(ctx, client, base, o.APIKey)
	if err != nil {
		return Report{}, fmt.Errorf("simulate: %w", err)
	}
	models, err := pool(entries)
	if err != nil {
		return Report{}, fmt.Errorf("simulate: %w", err)
	}
	apps := makeApps(o.Apps)
	r := &runner{
		o: o, base: base, key: o.APIKey, client: client,
		planner:  newPlanner(rand.New(rand.NewPCG(uint64(o.Seed), 1)), apps, models, o.StreamShare, o.MaxTokens),
		arrivals: newArrivals(rand.New(rand.NewPCG(uint64(o.Seed), 2)), o.RPS),
		stats:    newStats(base, o.Seed, apps),
		slots:    make(chan struct{}, o.Concurrency),
	}
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "simulate: %d apps sending ~%g requests/s to %d models at %s (seed %d)\n",
			len(apps), o.RPS, len(models), base, o.Seed)
	}
	return r.run(ctx)
}

// runner is one run.
type runner struct {
	o        Options
	base     string
	key      string
	client   *http.Client
	planner  *planner // used by the arrival loop only
	arrivals *arrivals

	// stop ends the arrivals, with the error that stopped the run.
	stop  context.CancelCauseFunc
	start time.Time

	// slots holds a token per request in flight.
	slots chan struct{}

	mu     sync.Mutex
	stats  *stats
	busy   int // requests sent and not yet recorded
	waited int
	burst  bool
}

// run sends requests as they arrive, then waits for those in flight.
func (r *runner) run(ctx context.Context) (Report, error) {
	arrivalsCtx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	r.stop, r.start = stop, time.Now()

	var shown chan struct{}
	done := make(chan struct{})
	if r.o.Progress != nil {
		shown = make(chan struct{})
		p := newProgress(r.o.Progress, r.o.Duration, r.o.Requests)
		go func() { defer close(shown); p.run(done, r.snapshot) }()
	}

	var wg sync.WaitGroup
	err := r.arrive(arrivalsCtx, func(p *plan) {
		wg.Go(func() { r.finish(r.send(ctx, p)) })
	})
	wg.Wait()
	elapsed := time.Since(r.start)
	close(done)
	if shown != nil {
		<-shown
	}

	r.mu.Lock()
	rep := r.stats.report(elapsed, r.waited)
	r.mu.Unlock()
	switch {
	case err != nil:
		return rep, err
	case ctx.Err() != nil:
		return rep, ctx.Err()
	}
	return rep, context.Cause(arrivalsCtx) // nil, or what stopped the run
}

// arrive calls send for each request as it arrives, with at most
// Concurrency in flight, until the run's bounds are reached or ctx ends.
func (r *runner) arrive(ctx context.Context, send func(*plan)) error {
	const maxLag = time.Second // an arrival later than this drops the backlog
	var at time.Duration       // when the next request arrives, from the start
	for n := 0; r.o.Requests == 0 || n < r.o.Requests; n++ {
		gap, burst := r.arrivals.next(at)
		at += gap
		if late := time.Since(r.start) - maxLag; at < late {
			at = late
		}
		if r.o.Duration > 0 && at >= r.o.Duration {
			return nil
		}
		if !sleep(ctx, time.Until(r.start.Add(at))) || !r.acquire(ctx) {
			return nil
		}
		// A stop frees its slot after it is made: check for one now.
		if ctx.Err() != nil || (r.o.Duration > 0 && time.Since(r.start) >= r.o.Duration) {
			r.release()
			return nil
		}
		p, err := r.planner.next()
		if err != nil {
			r.release()
			return fmt.Errorf("simulate: %w", err)
		}
		r.mu.Lock()
		r.burst = burst
		r.busy++
		r.mu.Unlock()
		send(p)
	}
	return nil
}

// acquire takes a concurrency slot, counting an arrival that must wait.
func (r *runner) acquire(ctx context.Context) bool {
	select {
	case r.slots <- struct{}{}:
		return true
	default:
	}
	r.mu.Lock()
	r.waited++
	r.mu.Unlock()
	select {
	case r.slots <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (r *runner) release() { <-r.slots }

// finish records an outcome, frees its slot, and stops the run on an
// answer that says no further request can succeed.
func (r *runner) finish(o outcome) {
	r.mu.Lock()
	r.stats.add(o)
	r.busy--
	transportRun := r.stats.transportRun
	r.mu.Unlock()
	// The slot is freed after a stop, so no arrival can take it first.
	defer r.release()
	switch {
	case o.status == http.StatusPaymentRequired:
		r.stop(fmt.Errorf("simulate: %w (HTTP 402: %q); add credits with \"switchyard credits add\" or use another key", ErrOutOfCredits, o.message))
	case o.status == http.StatusUnauthorized || o.status == http.StatusForbidden:
		r.stop(fmt.Errorf("simulate: %w (HTTP %d: %q); check the key", ErrKeyRefused, o.status, o.message))
	case transportRun >= stopAfterTransportErrors:
		r.stop(fmt.Errorf("simulate: the gateway at %s stopped answering: %s", r.base, o.message))
	}
}

// snapshot returns the state progress shows.
func (r *runner) snapshot() snapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	rep := &r.stats.rep
	return snapshot{
		elapsed: time.Since(r.start),
		sent:    rep.Requests + r.busy, ok: rep.OK, failed: rep.Errored(), busy: r.busy,
		burst: r.burst,
	}
}

// sleep waits for d or until ctx ends, and reports whether ctx is still
// live.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
