package health

import "time"

// maxCooldown caps the doubling of the breaker's cooldown (unless the
// configured base cooldown is longer still).
const maxCooldown = 5 * time.Minute

// verdict is what an outcome tells the circuit breaker.
type verdict uint8

const (
	ignored verdict = iota // client errors: the request's fault
	passed                 // a success
	failed                 // an error or a rate limit
)

// breakerState is the compact form of BreakerState, mirrored in an atomic
// for lock-free reads.
type breakerState int32

const (
	closed breakerState = iota
	halfOpen
	open
)

// public returns the exported name of the state.
func (s breakerState) public() BreakerState {
	switch s {
	case halfOpen:
		return BreakerHalfOpen
	case open:
		return BreakerOpen
	}
	return BreakerClosed
}

// breaker is an endpoint's circuit breaker:
//
//   - closed: every request is allowed; failures (errors and rate limits)
//     in a row are counted, a success resets the count, and the
//     configured number of them opens the breaker;
//   - open: nothing is allowed until the cooldown has passed; then Allow
//     lets one probe through and the breaker is half-open;
//   - half-open: other requests are refused while the probe is in flight.
//     The next outcome recorded decides (Record cannot tell the probe's
//     outcome from a late one of a request allowed earlier): a success
//     closes the breaker and resets the cooldown to its base, a failure
//     reopens it with the cooldown doubled (capped at 5 minutes). A probe
//     whose outcome never arrives does not wedge the breaker: once another
//     cooldown has passed, Allow lets a new probe through.
//
// Outcomes recorded while open (requests allowed before it opened) are
// ignored. A breaker is not safe for concurrent use; the endpoint guards
// it.
type breaker struct {
	state    breakerState
	failures int   // consecutive failures while closed
	since    int64 // when it opened (open) or the probe left (half-open)
	cooldown int64 // current cooldown, ns; 0 before the first opening
}

// allow reports whether a request may go now, and whether it is a probe.
func (b *breaker) allow(now int64) (ok, probe bool) {
	if b.state == closed {
		return true, false
	}
	// Open: waiting for the cooldown. Half-open: waiting for the probe,
	// or for another cooldown if its outcome never comes.
	if now-b.since < b.cooldown {
		return false, false
	}
	b.state, b.since = halfOpen, now
	return true, true
}

// record feeds the verdict of an outcome at time now.
func (b *breaker) record(now int64, v verdict, c *config) {
	if v == ignored {
		return
	}
	switch b.state {
	case closed:
		if v == passed {
			b.failures = 0
			return
		}
		b.failures++
		if b.failures >= c.breakerFailures {
			b.trip(now, c.breakerCooldown)
		}
	case halfOpen:
		if v == passed {
			*b = breaker{}
			return
		}
		b.trip(now, min(2*b.cooldown, max(int64(maxCooldown), c.breakerCooldown)))
	}
}

// trip opens the breaker at time now for cooldown ns.
func (b *breaker) trip(now, cooldown int64) {
	*b = breaker{state: open, since: now, cooldown: cooldown}
}
