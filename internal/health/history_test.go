package health

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
	"unsafe"
)

// timed is an outcome with a latency and a throughput.
func timed(ok bool, ttft time.Duration, tokensPerSecond int) Outcome {
	return Outcome{Success: ok, TTFT: ttft, OutputTokens: tokensPerSecond, Generation: time.Second}
}

func TestHistoryEmpty(t *testing.T) {
	e, clock := newTestEndpoint(t, Options{})
	clock.Advance(90 * time.Second)
	h := e.History()
	if len(h) != HistoryMinutes {
		t.Fatalf("%d points, want %d", len(h), HistoryMinutes)
	}
	for i, p := range h {
		if p.Requests != 0 || p.LatencyCount != 0 || p.ThroughputCount != 0 {
			t.Errorf("point %d of an endpoint never recorded: %+v", i, p)
		}
	}
	// The last point is the current minute (the registry's second).
	if want := clock.Now().Add(-30 * time.Second); !h[len(h)-1].Start.Equal(want) {
		t.Errorf("last point starts at %v, want %v", h[len(h)-1].Start, want)
	}
}

func TestHistoryMinutes(t *testing.T) {
	e, clock := newTestEndpoint(t, Options{BreakerFailures: 1000})
	start := clock.Now()
	// Minute 0: 3 successes at 100 ms, 1 error. Minute 1: nothing.
	// Minute 2: 2 successes at 400 ms and 50 tok/s.
	for range 3 {
		e.Record(timed(true, 100*time.Millisecond, 20))
	}
	e.Record(errOutcome)
	clock.Advance(2*time.Minute + 10*time.Second)
	e.Record(timed(true, 400*time.Millisecond, 50))
	e.Record(timed(true, 400*time.Millisecond, 50))
	e.Record(clientOutcome) // neither success nor error
	h := e.History()
	last := h[len(h)-1]
	m1, m0 := h[len(h)-2], h[len(h)-3]
	if !m0.Start.Equal(start) || !last.Start.Equal(start.Add(2*time.Minute)) {
		t.Errorf("minutes start at %v and %v, want %v and 2 min later", m0.Start, last.Start, start)
	}
	if m0.Requests != 4 || m0.Uptime != 0.75 {
		t.Errorf("minute 0: %d requests, uptime %v; want 4, 0.75", m0.Requests, m0.Uptime)
	}
	near(t, "minute 0 latency", m0.LatencyP50, 100)
	near(t, "minute 0 throughput", m0.ThroughputP50, 20)
	if m0.LatencyCount != 3 || m0.ThroughputCount != 3 {
		t.Errorf("minute 0 counts %d, %d; want 3, 3", m0.LatencyCount, m0.ThroughputCount)
	}
	if m1.Requests != 0 || m1.LatencyCount != 0 {
		t.Errorf("minute 1 had no traffic: %+v", m1)
	}
	// The current minute is read live.
	if last.Requests != 2 || last.Uptime != 1 || last.LatencyCount != 2 {
		t.Errorf("current minute: %+v, want 2 requests at uptime 1 with 2 latencies", last)
	}
	near(t, "current latency", last.LatencyP50, 400)
	near(t, "current throughput", last.ThroughputP50, 50)

	// An hour later minute 0 has left the history.
	clock.Advance(58 * time.Minute)
	h = e.History()
	if h[0].Requests != 0 || h[0].Start.Before(start.Add(time.Minute)) {
		t.Errorf("after an hour the first point is %+v, want minute 1 (empty)", h[0])
	}
	if h[1].Requests != 2 {
		t.Errorf("after an hour minute 2 is %+v, want its 2 requests", h[1])
	}
}

func TestHistoryMediansSurviveReads(t *testing.T) {
	// A minute's medians come from the 5-minute distributions: reading
	// Stats or the router's percentiles long after it (which moves those
	// distributions on) must not lose them.
	for name, read := range map[string]func(*Endpoint){
		"Stats":       func(e *Endpoint) { e.Stats() },
		"LatencyP50":  func(e *Endpoint) { e.LatencyP50() },
		"Throughput":  func(e *Endpoint) { e.Throughput() },
		"Record":      func(e *Endpoint) { e.Record(okOutcome) },
		"nothing new": func(*Endpoint) {},
	} {
		t.Run(name, func(t *testing.T) {
			e, clock := newTestEndpoint(t, Options{})
			e.Record(timed(true, 250*time.Millisecond, 80))
			clock.Advance(10 * time.Minute)
			read(e)
			h := e.History()
			m := h[len(h)-11]
			if m.Requests != 1 || m.LatencyCount != 1 {
				t.Fatalf("minute of the request: %+v", m)
			}
			near(t, "latency", m.LatencyP50, 250)
			near(t, "throughput", m.ThroughputP50, 80)
		})
	}
}

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 0.05*want {
		t.Errorf("%s = %v, want %v ± 5%%", what, got, want)
	}
}

func TestHistoryMatchesBruteForce(t *testing.T) {
	// Random traffic over three hours with idle gaps and random reads:
	// every point of History equals the outcomes of its minute recounted,
	// and its medians are within 5% of the exact medians.
	rng := rand.New(rand.NewPCG(7, 8))
	e, clock := newTestEndpoint(t, Options{BreakerFailures: 1 << 30})
	origin := clock.Now()
	var events []historyEvent
	var elapsed time.Duration
	for elapsed < 3*time.Hour {
		switch r := rng.IntN(100); {
		case r < 80:
			elapsed += time.Duration(rng.Int64N(int64(20 * time.Second)))
		case r < 97:
			elapsed += time.Duration(rng.Int64N(int64(3 * time.Minute)))
		default:
			elapsed += time.Duration(rng.Int64N(int64(70 * time.Minute)))
		}
		clock.Advance(elapsed - clock.Now().Sub(origin))
		ev := historyEvent{at: elapsed, ok: rng.IntN(5) > 0, latency: float64(10 + rng.IntN(2000))}
		e.Record(Outcome{Success: ev.ok, TTFT: time.Duration(ev.latency * float64(time.Millisecond))})
		events = append(events, ev)
		switch rng.IntN(4) {
		case 0:
			e.Stats()
		case 1:
			e.LatencyP50()
		case 2:
			checkHistory(t, e.History(), origin, elapsed, events)
		}
	}
}

// historyEvent is an outcome of TestHistoryMatchesBruteForce.
type historyEvent struct {
	at      time.Duration // since the registry's creation
	ok      bool
	latency float64 // ms
}

// checkHistory compares a history read at elapsed with the events.
func checkHistory(t *testing.T, h []HistoryPoint, origin time.Time, elapsed time.Duration, events []historyEvent) {
	t.Helper()
	cur := elapsed / time.Minute
	for i, p := range h {
		minute := cur - HistoryMinutes + 1 + time.Duration(i)
		if want := origin.Add(minute * time.Minute); !p.Start.Equal(want) {
			t.Fatalf("at %v point %d starts at %v, want %v", elapsed, i, p.Start, want)
		}
		var ok, n int64
		var lat []float64
		for _, ev := range events {
			if ev.at/time.Minute == minute {
				n++
				if ev.ok {
					ok++
				}
				lat = append(lat, ev.latency)
			}
		}
		if p.Requests != n || (n > 0 && p.Uptime != float64(ok)/float64(n)) || p.LatencyCount != int64(len(lat)) {
			t.Fatalf("at %v minute %d: %d requests, uptime %v, %d latencies; want %d, %v, %d",
				elapsed, minute, p.Requests, p.Uptime, p.LatencyCount, n, float64(ok)/float64(max(n, 1)), len(lat))
		}
		if len(lat) > 0 {
			slices.Sort(lat)
			exact := lat[(len(lat)+1)/2-1] // nearest rank
			if math.Abs(p.LatencyP50-exact) > 0.05*exact {
				t.Fatalf("at %v minute %d: median latency %v, exact %v", elapsed, minute, p.LatencyP50, exact)
			}
		}
	}
}

func TestHistoryLateOutcome(t *testing.T) {
	// An outcome whose time was read before the minute closed still counts
	// in its minute.
	e, clock := newTestEndpoint(t, Options{})
	e.Record(okOutcome)
	clock.Advance(time.Minute)
	e.Record(okOutcome) // closes minute 0
	now := e.cfg.now()
	e.mu.Lock()
	e.w.hist.observe(now-int64(30*time.Second), tally{failed: 1})
	e.mu.Unlock()
	h := e.History()
	if m := h[len(h)-2]; m.Requests != 2 || m.Uptime != 0.5 {
		t.Errorf("minute 0 with a late error: %+v", m)
	}
}

func TestHistorySize(t *testing.T) {
	if n := unsafe.Sizeof(history{}); n > 4<<10 {
		t.Errorf("history is %d bytes, want at most 4 KiB", n)
	}
	if n := unsafe.Sizeof(windows{}); n > 52<<10 {
		t.Errorf("an endpoint's windows are %d bytes, want at most 52 KiB (package doc)", n)
	}
}

func TestRegistryLookup(t *testing.T) {
	r := NewRegistry(Options{})
	if _, ok := r.Lookup("acme", "acme/model"); ok {
		t.Error("Lookup found an endpoint never used")
	}
	n := 0
	r.Each(func(string, string, *Endpoint) { n++ })
	if n != 0 {
		t.Errorf("Lookup created %d endpoints", n)
	}
	e := r.Endpoint("acme", "acme/model")
	if got, ok := r.Lookup("acme", "acme/model"); !ok || got != e {
		t.Errorf("Lookup = %p, %v; want %p", got, ok, e)
	}
}
