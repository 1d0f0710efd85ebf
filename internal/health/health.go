// Package health tracks the live health of every endpoint (provider ×
// model) from the traffic Switchyard routes: uptime over rolling windows,
// a recent-outage flag, time-to-first-token and throughput percentiles,
// the tool-call error rate, and a circuit breaker. The router reads it to
// choose endpoints; the API and Prometheus expose it.
//
// Memory per endpoint is constant whatever the traffic (time-bucketed
// counters and fixed histograms, never lists of samples: about 52 KiB once
// an endpoint has seen traffic, a few hundred bytes before), and recording
// an outcome is O(1) without a global lock.
//
// Each endpoint also keeps its last hour minute by minute (History:
// uptime, median latency and throughput per minute) for sparklines.
//
// Windows are rings of time buckets, so their edges are as coarse as their
// buckets: an event counts in a window of length W for at least W minus
// one bucket and never longer than W. Buckets are 2 s for the 30 s outage
// window, 10 s for the 5- and 30-minute counters, 10 min for the day,
// 1 min for the 5-minute distributions and 5 min for the 30-minute ones.
//
// Percentiles come from log-scale histograms (bins 5% wide, values
// interpolated inside a bin): an estimate is within 5% of the exact
// (nearest-rank) percentile of the samples, for latencies from 0.1 ms to
// 10 minutes and throughputs from 0.01 to 60,000 tokens per second.
//
// API CONTRACT (fixed; the implementation behind it is issue 4's work):
// the router and the API depend on exactly these names.
package health

import (
	"time"
)

// Outcome is what one request to an endpoint taught us.
type Outcome struct {
	// Success: the endpoint answered (for streams: the stream completed).
	Success bool
	// RateLimited: a 429. Counted neither as success nor as error in
	// uptime (as OpenRouter publishes it), but fed to the breaker as a
	// failure of this attempt.
	RateLimited bool
	// ClientError: the upstream refused the request itself (400, 413,
	// 422): the request's fault, not the endpoint's; ignored by uptime and
	// the breaker.
	ClientError bool
	// TTFT is the time to the first token (or to the whole non-streamed
	// response); 0 when unknown.
	TTFT time.Duration
	// OutputTokens and Generation (the time from the first token to the
	// last) give the throughput in tokens per second; 0 when unknown.
	OutputTokens int
	Generation   time.Duration
	// ToolCalls is the number of tool calls in the answer, and
	// ToolCallErrors how many were invalid (arguments not JSON, unknown
	// tool name).
	ToolCalls, ToolCallErrors int
}

// Percentiles of a distribution over a window; Count 0 means no data.
type Percentiles struct {
	P50, P75, P90, P99 float64
	Count              int64
}

// BreakerState is a circuit breaker's state.
type BreakerState string

// Breaker states.
const (
	BreakerClosed   BreakerState = "closed"
	BreakerOpen     BreakerState = "open"
	BreakerHalfOpen BreakerState = "half_open"
)

// Stats is a snapshot of an endpoint's health.
type Stats struct {
	// Uptime over 5 minutes, 30 minutes and 1 day, in [0, 1]: successes
	// / (successes + errors), rate-limited and client-error requests
	// excluded. Valid only when the matching Requests count is > 0.
	Uptime5m, Uptime30m, Uptime1d       float64
	Requests5m, Requests30m, Requests1d int64
	// RecentOutage reports significant failures in the last 30 seconds:
	// at least 3 failures (errors and rate limits alike), making at least
	// half of the requests (client errors aside).
	RecentOutage bool
	// Latency (TTFT, milliseconds) and Throughput (output tokens per
	// second) over 5 and 30 minutes.
	Latency5m, Latency30m       Percentiles
	Throughput5m, Throughput30m Percentiles
	// ToolCallErrorRate30m is invalid tool calls / tool calls over 30
	// minutes; valid when ToolCalls30m > 0.
	ToolCallErrorRate30m float64
	ToolCalls30m         int64
	Breaker              BreakerState
}

// Options configure a Registry.
type Options struct {
	// Now is the clock; nil means time.Now. Simulations pass a fake.
	Now func() time.Time
	// BreakerFailures is how many consecutive failures open the breaker
	// (default 3); BreakerCooldown how long it stays open before a probe
	// is let through (default 30s, doubling on each failed probe up to 5
	// minutes).
	BreakerFailures int
	BreakerCooldown time.Duration
}

// Registry holds the health of every endpoint. It is safe for concurrent
// use.
type Registry struct{ impl }

// NewRegistry returns an empty registry.
func NewRegistry(o Options) *Registry {
	r := new(Registry)
	r.init(o)
	return r
}

// Endpoint returns the health of the endpoint of provider slug and model
// id, creating it on first use. The pointer is stable: callers may keep it.
func (r *Registry) Endpoint(provider, model string) *Endpoint { return r.endpoint(provider, model) }

// Each calls f for every endpoint seen so far, in no particular order.
func (r *Registry) Each(f func(provider, model string, e *Endpoint)) { r.each(f) }

// Endpoint is one endpoint's health.
type Endpoint struct{ endpointImpl }

// Record feeds one outcome. O(1), no global lock, no allocation (but for
// the endpoint's windows on its first outcome).
func (e *Endpoint) Record(o Outcome) { e.record(o) }

// Stats returns a snapshot.
func (e *Endpoint) Stats() Stats { return e.stats() }

// RecentOutage reports significant failures in the last 30 seconds
// (cheap: for the routing hot path); see Stats.RecentOutage.
func (e *Endpoint) RecentOutage() bool { return e.recentOutage() }

// Allow asks the circuit breaker whether a request may go to the
// endpoint: always when closed; when open, false until the cooldown has
// passed, then true for one probe at a time (probe reports it). The
// outcome of an allowed request must be Recorded.
//
// The breaker opens after Options.BreakerFailures failures in a row
// (errors and rate limits; a success resets the count; client errors are
// ignored). After the cooldown it lets one probe through (half-open): the
// next outcome recorded closes it if a success, or reopens it with the
// cooldown doubled (up to 5 minutes) if a failure; closing resets the
// cooldown. A probe whose outcome never arrives is replaced by a new one
// after another cooldown.
func (e *Endpoint) Allow() (ok, probe bool) { return e.allow() }

// BreakerState returns the circuit breaker's state without changing it
// (Allow is the call that lets a request through).
func (e *Endpoint) BreakerState() BreakerState { return e.breakerState() }

// ProbeDue reports, without changing anything, whether the breaker is
// not closed and its cooldown has passed, so that Allow would let a probe
// through now. The router keeps such an endpoint in its ordinary place
// rather than at the back, so that the probe is actually sent.
func (e *Endpoint) ProbeDue() bool { return e.probeDue() }

// ThroughputP50 and LatencyP50 are the 5-minute medians (tokens/s, ms),
// and ok false without data (cheap: for sorting).
func (e *Endpoint) ThroughputP50() (v float64, ok bool) { return e.throughputP50() }
func (e *Endpoint) LatencyP50() (v float64, ok bool)    { return e.latencyP50() }

// Throughput and Latency return the 5-minute percentiles (for the
// preferred_min_throughput / preferred_max_latency thresholds).
func (e *Endpoint) Throughput() Percentiles { return e.throughput5m() }
func (e *Endpoint) Latency() Percentiles    { return e.latency5m() }
