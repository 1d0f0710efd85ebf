package health

import (
	"fmt"
	"testing"
	"time"
)

// A breakerStep acts on an endpoint and checks the breaker: it advances
// the clock, records an outcome n times (if any), calls Allow when asked
// and compares, then checks the state.
type breakerStep struct {
	wait      time.Duration
	record    *Outcome
	n         int
	allow     bool // call Allow and expect ok, probe
	ok, probe bool
	state     BreakerState
}

// Step constructors, to keep the scripts readable.
func rec(o Outcome, n int, state BreakerState) breakerStep {
	return breakerStep{record: &o, n: n, state: state}
}
func allowed(wait time.Duration, ok, probe bool, state BreakerState) breakerStep {
	return breakerStep{wait: wait, allow: true, ok: ok, probe: probe, state: state}
}

const cooldown = 30 * time.Second

func TestBreaker(t *testing.T) {
	// The breaker opens on 3 failures in a row, after a 30 s cooldown.
	tripped := []breakerStep{rec(errOutcome, 3, BreakerOpen)}
	tests := []struct {
		name  string
		steps []breakerStep
	}{
		{"closed allows", []breakerStep{
			allowed(0, true, false, BreakerClosed),
			rec(errOutcome, 2, BreakerClosed),
			allowed(0, true, false, BreakerClosed),
		}},
		{"consecutive failures open", []breakerStep{
			rec(errOutcome, 2, BreakerClosed),
			rec(okOutcome, 1, BreakerClosed), // resets the count
			rec(errOutcome, 2, BreakerClosed),
			rec(errOutcome, 1, BreakerOpen),
			allowed(0, false, false, BreakerOpen),
		}},
		{"rate limits are failures", []breakerStep{
			rec(limitOutcome, 2, BreakerClosed),
			rec(errOutcome, 1, BreakerOpen),
		}},
		{"client errors are ignored", []breakerStep{
			rec(errOutcome, 2, BreakerClosed),
			rec(clientOutcome, 5, BreakerClosed), // neither failures nor resets
			rec(errOutcome, 1, BreakerOpen),
		}},
		{"cooldown then probe success closes", append(tripped,
			allowed(cooldown-time.Millisecond, false, false, BreakerOpen),
			allowed(time.Millisecond, true, true, BreakerHalfOpen),
			allowed(0, false, false, BreakerHalfOpen), // one probe at a time
			rec(okOutcome, 1, BreakerClosed),
			allowed(0, true, false, BreakerClosed),
		)},
		{"failed probe reopens with the cooldown doubled", append(tripped,
			allowed(cooldown, true, true, BreakerHalfOpen),
			rec(errOutcome, 1, BreakerOpen),
			allowed(2*cooldown-time.Millisecond, false, false, BreakerOpen),
			allowed(time.Millisecond, true, true, BreakerHalfOpen),
			rec(limitOutcome, 1, BreakerOpen),
			allowed(4*cooldown-time.Millisecond, false, false, BreakerOpen),
			allowed(time.Millisecond, true, true, BreakerHalfOpen),
		)},
		{"closing resets the cooldown", append(tripped,
			allowed(cooldown, true, true, BreakerHalfOpen),
			rec(errOutcome, 1, BreakerOpen), // 60 s
			allowed(2*cooldown, true, true, BreakerHalfOpen),
			rec(okOutcome, 1, BreakerClosed),
			rec(errOutcome, 3, BreakerOpen),
			allowed(cooldown, true, true, BreakerHalfOpen),
		)},
		{"client error leaves the probe pending", append(tripped,
			allowed(cooldown, true, true, BreakerHalfOpen),
			rec(clientOutcome, 1, BreakerHalfOpen),
			allowed(0, false, false, BreakerHalfOpen),
		)},
		{"wedged probe is replaced after another cooldown", append(tripped,
			allowed(cooldown, true, true, BreakerHalfOpen),
			allowed(cooldown-time.Millisecond, false, false, BreakerHalfOpen),
			allowed(time.Millisecond, true, true, BreakerHalfOpen),
			allowed(0, false, false, BreakerHalfOpen),
			rec(okOutcome, 1, BreakerClosed),
		)},
		{"late outcomes while open are ignored", append(tripped,
			rec(okOutcome, 2, BreakerOpen),
			allowed(cooldown-time.Millisecond, false, false, BreakerOpen),
		)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, clock := newTestEndpoint(t, Options{})
			for i, s := range tt.steps {
				clock.Advance(s.wait)
				for range s.n {
					e.Record(*s.record)
				}
				if s.allow {
					if ok, probe := e.Allow(); ok != s.ok || probe != s.probe {
						t.Fatalf("step %d: Allow() = %v, %v; want %v, %v", i, ok, probe, s.ok, s.probe)
					}
				}
				if got := e.BreakerState(); got != s.state {
					t.Fatalf("step %d: state %s, want %s", i, got, s.state)
				}
				if got := e.Stats().Breaker; got != s.state {
					t.Fatalf("step %d: Stats().Breaker %s, want %s", i, got, s.state)
				}
			}
		})
	}
}

func TestBreakerCooldownDoublesUpToCap(t *testing.T) {
	tests := []struct {
		base time.Duration
		want []time.Duration // successive cooldowns
	}{
		{30 * time.Second, []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 5 * time.Minute, 5 * time.Minute}},
		{2 * time.Minute, []time.Duration{2 * time.Minute, 4 * time.Minute, 5 * time.Minute}},
		{10 * time.Minute, []time.Duration{10 * time.Minute, 10 * time.Minute}}, // a longer base is its own cap
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.base), func(t *testing.T) {
			e, clock := newTestEndpoint(t, Options{BreakerFailures: 2, BreakerCooldown: tt.base})
			e.Record(errOutcome)
			e.Record(errOutcome)
			for i, d := range tt.want {
				clock.Advance(d - time.Millisecond)
				if ok, _ := e.Allow(); ok {
					t.Fatalf("opening %d: allowed before %v", i, d)
				}
				clock.Advance(time.Millisecond)
				if ok, probe := e.Allow(); !ok || !probe {
					t.Fatalf("opening %d: no probe after %v", i, d)
				}
				e.Record(errOutcome)
			}
		})
	}
}
