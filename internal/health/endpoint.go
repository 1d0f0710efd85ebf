package health

import (
	"sync"
	"sync/atomic"
	"time"
)

// The windows of an endpoint: bucket widths and spans (in buckets).
const (
	recentBucket   = int64(2 * time.Second) // 15 buckets: the 30 s outage window
	recentBuckets  = 15
	countsBucket   = int64(10 * time.Second) // uptime and tool calls over 5 and 30 min
	counts5m       = 30
	counts30m      = 180
	dayBucket      = int64(10 * time.Minute) // uptime over a day
	dayBuckets     = 144
	perf5mBucket   = int64(time.Minute) // distributions over 5 min
	perf5mBuckets  = 5
	perf30mBucket  = int64(5 * time.Minute) // distributions over 30 min
	perf30mBuckets = 6
)

// The recent-outage rule: over the last 30 seconds, at least
// outageMinFailures failures (errors and rate limits) making at least half
// of the requests (client errors aside).
const outageMinFailures = 3

// tally counts outcomes; it is the cell of the counter series.
type tally struct {
	ok, failed, limited int64 // successes, errors, rate limits
	tools, toolErrors   int64 // tool calls, invalid ones
}

func (t *tally) observe(o tally) { t.add(&o) }

func (t *tally) add(o *tally) {
	t.ok += o.ok
	t.failed += o.failed
	t.limited += o.limited
	t.tools += o.tools
	t.toolErrors += o.toolErrors
}

func (t *tally) sub(o *tally) {
	t.ok -= o.ok
	t.failed -= o.failed
	t.limited -= o.limited
	t.tools -= o.tools
	t.toolErrors -= o.toolErrors
}

// uptime returns successes / (successes + errors) and that denominator.
func (t *tally) uptime() (float64, int64) {
	n := t.ok + t.failed
	if n == 0 {
		return 0, 0
	}
	return float64(t.ok) / float64(n), n
}

// outage applies the recent-outage rule to the tally of the last 30 s.
func (t *tally) outage() bool {
	bad := t.failed + t.limited
	return bad >= outageMinFailures && 2*bad >= bad+t.ok
}

type counters = series[tally, tally, *tally]
type distributions = series[perf, sample, *perf]

// windows are the rolling statistics of an endpoint (about 52 KiB,
// whatever the traffic).
type windows struct {
	recent  counters      // 30 s
	counts  counters      // 5 and 30 min
	day     counters      // 1 day
	perf5m  distributions // 5 min
	perf30m distributions // 30 min
	hist    history       // the last hour, minute by minute
}

// sync closes the history's minute when the clock has left it; it runs
// under the endpoint's lock before anything reads or advances perf5m.
func (w *windows) sync(now int64) { w.hist.roll(now, &w.perf5m) }

func newWindows(now int64) *windows {
	return &windows{
		recent:  newSeries[tally, tally](recentBucket, now, recentBuckets),
		counts:  newSeries[tally, tally](countsBucket, now, counts5m, counts30m),
		day:     newSeries[tally, tally](dayBucket, now, dayBuckets),
		perf5m:  newSeries[perf, sample](perf5mBucket, now, perf5mBuckets),
		perf30m: newSeries[perf, sample](perf30mBucket, now, perf30mBuckets),
		hist:    newHistory(now),
	}
}

// classify turns an outcome into what the counters and the breaker learn
// from it. ClientError wins over RateLimited, which wins over Success.
func classify(o Outcome) (tally, verdict) {
	t := tally{tools: int64(max(o.ToolCalls, 0))}
	t.toolErrors = min(int64(max(o.ToolCallErrors, 0)), t.tools)
	switch {
	case o.ClientError:
		return t, ignored
	case o.RateLimited:
		t.limited = 1
		return t, failed
	case o.Success:
		t.ok = 1
		return t, passed
	}
	t.failed = 1
	return t, failed
}

// sampleOf returns the histogram bins of an outcome's latency and
// throughput (computed before taking the lock).
func sampleOf(o Outcome) sample {
	s := sample{latency: -1, throughput: -1}
	if o.TTFT > 0 {
		s.latency = latencyScale.bin(float64(o.TTFT) / float64(time.Millisecond))
	}
	if o.OutputTokens > 0 && o.Generation > 0 {
		s.throughput = throughputScale.bin(float64(o.OutputTokens) / o.Generation.Seconds())
	}
	return s
}

// endpointImpl is the state of an endpoint. Its mutex is held for the few
// counter updates of a Record (or the scan of a read); the breaker's state
// is mirrored in an atomic so that Allow on a closed breaker and
// BreakerState take no lock.
type endpointImpl struct {
	key
	cfg   *config
	state atomic.Int32 // breakerState

	mu sync.Mutex
	br breaker
	w  *windows // nil until the first Record
}

func (e *endpointImpl) record(o Outcome) {
	t, v := classify(o)
	s := sampleOf(o)
	now := e.cfg.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.w == nil {
		e.w = newWindows(now)
	}
	e.w.sync(now)
	e.w.hist.observe(now, t)
	e.w.recent.observe(now, t)
	e.w.counts.observe(now, t)
	e.w.day.observe(now, t)
	if s.latency >= 0 || s.throughput >= 0 {
		e.w.perf5m.observe(now, s)
		e.w.perf30m.observe(now, s)
	}
	e.br.record(now, v, e.cfg)
	e.state.Store(int32(e.br.state))
}

func (e *endpointImpl) stats() Stats {
	now := e.cfg.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	st := Stats{Breaker: e.br.state.public()}
	w := e.w
	if w == nil {
		return st
	}
	w.sync(now)
	st.RecentOutage = w.recent.sum(now, 0).outage()
	st.Uptime5m, st.Requests5m = w.counts.sum(now, 0).uptime()
	t30 := w.counts.sum(now, 1)
	st.Uptime30m, st.Requests30m = t30.uptime()
	st.Uptime1d, st.Requests1d = w.day.sum(now, 0).uptime()
	if st.ToolCalls30m = t30.tools; t30.tools > 0 {
		st.ToolCallErrorRate30m = float64(t30.toolErrors) / float64(t30.tools)
	}
	p5, p30 := w.perf5m.sum(now, 0), w.perf30m.sum(now, 0)
	st.Latency5m = p5.latency.percentiles(latencyScale)
	st.Latency30m = p30.latency.percentiles(latencyScale)
	st.Throughput5m = p5.throughput.percentiles(throughputScale)
	st.Throughput30m = p30.throughput.percentiles(throughputScale)
	return st
}

func (e *endpointImpl) recentOutage() bool {
	now := e.cfg.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.w != nil && e.w.recent.sum(now, 0).outage()
}

func (e *endpointImpl) allow() (ok, probe bool) {
	if breakerState(e.state.Load()) == closed {
		return true, false
	}
	now := e.cfg.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	ok, probe = e.br.allow(now)
	e.state.Store(int32(e.br.state))
	return ok, probe
}

func (e *endpointImpl) probeDue() bool {
	if breakerState(e.state.Load()) == closed {
		return false // the common case: no lock
	}
	now := e.cfg.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.br.state != closed && now-e.br.since >= e.br.cooldown
}

func (e *endpointImpl) breakerState() BreakerState {
	return breakerState(e.state.Load()).public()
}

// noPerf is the empty distributions of an endpoint never recorded.
var noPerf perf

// lockPerf5m locks the endpoint and returns its 5-minute distributions;
// the caller unlocks.
func (e *endpointImpl) lockPerf5m() *perf {
	now := e.cfg.now()
	e.mu.Lock()
	if e.w == nil {
		return &noPerf
	}
	e.w.sync(now)
	return e.w.perf5m.sum(now, 0)
}

func (e *endpointImpl) latency5m() Percentiles {
	d := e.lockPerf5m()
	defer e.mu.Unlock()
	return d.latency.percentiles(latencyScale)
}

func (e *endpointImpl) throughput5m() Percentiles {
	d := e.lockPerf5m()
	defer e.mu.Unlock()
	return d.throughput.percentiles(throughputScale)
}

func (e *endpointImpl) latencyP50() (float64, bool) {
	d := e.lockPerf5m()
	defer e.mu.Unlock()
	return d.latency.median(latencyScale)
}

func (e *endpointImpl) throughputP50() (float64, bool) {
	d := e.lockPerf5m()
	defer e.mu.Unlock()
	return d.throughput.median(throughputScale)
}
