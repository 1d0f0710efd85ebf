package api

import (
	"context"
	"errors"
	"runtime/trace"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/router"
)

// overhead is the switchyard_overhead_seconds histogram: the time a
// request that an upstream served spends in the gateway itself, that is
// the handler's time from authentication to the last byte written, less
// the time spent waiting on upstreams (every attempt's latency, and for a
// stream the time blocked reading its chunks).
//
// What an attempt's latency covers is the router's: it includes the
// adapter's encoding of the request and decoding of a non-streamed answer,
// which are therefore not counted as overhead. For streams, time blocked
// writing to a slow client is counted; so is a retry's backoff.
type overhead struct {
	unary, streamed prometheus.Observer
}

// overheadBuckets span 10 µs to 100 ms.
func overheadBuckets() []float64 {
	return []float64{10e-6, 25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3}
}

// newOverhead returns the histogram, registered with reg when it is not
// nil (a histogram already registered there is shared).
func newOverhead(reg prometheus.Registerer) *overhead {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "switchyard_overhead_seconds",
		Help: "Time a served request spent in the gateway itself: handler time less the time waiting on upstreams " +
			"(attempts, and reading a stream's chunks).",
		Buckets: overheadBuckets(),
	}, []string{"stream"})
	if reg != nil {
		if err := reg.Register(h); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				if existing, ok := are.ExistingCollector.(*prometheus.HistogramVec); ok {
					h = existing
				}
			}
		}
	}
	return &overhead{unary: h.WithLabelValues("false"), streamed: h.WithLabelValues("true")}
}

// spent is the time from start to end less the upstream time: the
// attempts' latencies and waited. It is never negative.
func spent(start, end time.Time, attempts []router.Attempt, waited time.Duration) time.Duration {
	d := end.Sub(start) - waited
	for _, a := range attempts {
		d -= a.Latency
	}
	return max(d, 0)
}

// done records a non-streamed request of ctx that started at start, was
// served after attempts and was written by end.
func (o *overhead) done(ctx context.Context, start, end time.Time, attempts []router.Attempt) {
	observe(ctx, o.unary, spent(start, end, attempts, 0))
}

// observe records d in h, and in the execution trace being recorded, if
// one is, as a log of ctx's task (api.Server.serveTask): the slow tasks
// of a trace say how much of their time was the gateway's own.
func observe(ctx context.Context, h prometheus.Observer, d time.Duration) {
	h.Observe(d.Seconds())
	if trace.IsEnabled() {
		trace.Log(ctx, "overhead", d.String())
	}
}

// track times the reads of sr's stream (it replaces sr.Stream with a
// wrapper) and returns the function that records the stream's overhead
// when the stream has ended: defer s.overhead.track(ctx, sr, g.start, s.now)().
func (o *overhead) track(ctx context.Context, sr *router.StreamResult, start time.Time, now func() time.Time) func() {
	ts := &timedStream{Stream: sr.Stream, ctx: ctx, now: now, attempts: sr.Attempts, start: start, hist: o.streamed}
	sr.Stream = ts
	return ts.done
}

// timedStream adds up the time its reads block.
type timedStream struct {
	provider.Stream
	ctx      context.Context // the request's, for the trace's log
	now      func() time.Time
	waited   time.Duration
	attempts []router.Attempt
	start    time.Time
	hist     prometheus.Observer
	// atHand is what Buffered last reported, until the next Next: the
	// relay asks before every read, and a chunk at hand is read without
	// waiting for the upstream, so without the two clock reads of timing
	// it (most chunks of a burst).
	atHand bool
}

// Buffered reports whether the next chunk is at hand (provider.Buffering).
func (t *timedStream) Buffered() bool {
	t.atHand = provider.Buffered(t.Stream)
	return t.atHand
}

func (t *timedStream) Next() (*openai.Chunk, error) {
	if t.atHand {
		t.atHand = false
		return t.Stream.Next()
	}
	begin := t.now()
	c, err := t.Stream.Next()
	t.waited += t.now().Sub(begin)
	return c, err
}

func (t *timedStream) done() {
	observe(t.ctx, t.hist, spent(t.start, t.now(), t.attempts, t.waited))
}
