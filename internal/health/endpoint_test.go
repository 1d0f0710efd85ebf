package health

import (
	"testing"
	"time"
)

func TestWindowsSlide(t *testing.T) {
	// One failure recorded at time 0 (the start of a bucket of every
	// window), read age later.
	tests := []struct {
		age                 time.Duration
		in5m, in30m, in1day bool
	}{
		{0, true, true, true},
		{4*time.Minute + 55*time.Second, true, true, true},
		{5 * time.Minute, false, true, true},
		{6 * time.Minute, false, true, true},
		{29*time.Minute + 55*time.Second, false, true, true},
		{30 * time.Minute, false, false, true},
		{23*time.Hour + 55*time.Minute, false, false, true},
		{24 * time.Hour, false, false, false},
		{72 * time.Hour, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.age.String(), func(t *testing.T) {
			e, clock := newTestEndpoint(t, Options{BreakerFailures: 100})
			e.Record(errOutcome)
			clock.Advance(tt.age)
			s := e.Stats()
			for _, w := range []struct {
				name string
				n    int64
				in   bool
			}{{"5m", s.Requests5m, tt.in5m}, {"30m", s.Requests30m, tt.in30m}, {"1d", s.Requests1d, tt.in1day}} {
				if want := b2i(w.in); w.n != want {
					t.Errorf("requests %s = %d, want %d", w.name, w.n, want)
				}
			}
		})
	}
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func TestWindowsKeepNewerEvents(t *testing.T) {
	// A failure 6 minutes ago and a success now: the 5-minute uptime sees
	// only the success, the 30-minute one both.
	e, clock := newTestEndpoint(t, Options{})
	e.Record(errOutcome)
	clock.Advance(6 * time.Minute)
	e.Record(okOutcome)
	s := e.Stats()
	if s.Uptime5m != 1 || s.Requests5m != 1 {
		t.Errorf("5m: uptime %v of %d, want 1 of 1", s.Uptime5m, s.Requests5m)
	}
	if s.Uptime30m != 0.5 || s.Requests30m != 2 {
		t.Errorf("30m: uptime %v of %d, want 0.5 of 2", s.Uptime30m, s.Requests30m)
	}
	if s.Uptime1d != 0.5 || s.Requests1d != 2 {
		t.Errorf("1d: uptime %v of %d, want 0.5 of 2", s.Uptime1d, s.Requests1d)
	}
}

func TestUptimeExclusions(t *testing.T) {
	tests := []struct {
		name     string
		outcomes []Outcome
		uptime   float64
		requests int64
	}{
		{"none", nil, 0, 0},
		{"successes", []Outcome{okOutcome, okOutcome}, 1, 2},
		{"errors", []Outcome{okOutcome, errOutcome, errOutcome, okOutcome}, 0.5, 4},
		{"rate limits excluded", []Outcome{okOutcome, limitOutcome, limitOutcome, errOutcome}, 0.5, 2},
		{"client errors excluded", []Outcome{okOutcome, clientOutcome, clientOutcome}, 1, 1},
		{"only excluded", []Outcome{limitOutcome, clientOutcome}, 0, 0},
		{"client error wins over success", []Outcome{{Success: true, ClientError: true}, errOutcome}, 0, 1},
		{"rate limit wins over success", []Outcome{{Success: true, RateLimited: true}, okOutcome}, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := newTestEndpoint(t, Options{BreakerFailures: 100})
			for _, o := range tt.outcomes {
				e.Record(o)
			}
			s := e.Stats()
			got := [][2]float64{
				{s.Uptime5m, float64(s.Requests5m)},
				{s.Uptime30m, float64(s.Requests30m)},
				{s.Uptime1d, float64(s.Requests1d)},
			}
			for i, g := range got {
				if g != [2]float64{tt.uptime, float64(tt.requests)} {
					t.Errorf("window %d: uptime %v of %v, want %v of %d", i, g[0], g[1], tt.uptime, tt.requests)
				}
			}
		})
	}
}

func TestRecentOutage(t *testing.T) {
	type step struct {
		after time.Duration // clock advance before recording
		o     Outcome
		n     int
	}
	tests := []struct {
		name  string
		steps []step
		then  time.Duration // clock advance before reading
		want  bool
	}{
		{"no traffic", nil, 0, false},
		{"three errors", []step{{0, errOutcome, 3}}, 0, true},
		{"two errors", []step{{0, errOutcome, 2}}, 0, false},
		{"three rate limits", []step{{0, limitOutcome, 3}}, 0, true},
		{"half errors", []step{{0, errOutcome, 3}, {0, okOutcome, 3}}, 0, true},
		{"minority of errors", []step{{0, errOutcome, 3}, {0, okOutcome, 4}}, 0, false},
		{"client errors ignored", []step{{0, clientOutcome, 10}}, 0, false},
		{"spread over 20 s", []step{{0, errOutcome, 1}, {10 * time.Second, errOutcome, 1}, {10 * time.Second, errOutcome, 1}}, 0, true},
		{"expired after 30 s", []step{{0, errOutcome, 5}}, 30 * time.Second, false},
		{"still there after 28 s", []step{{0, errOutcome, 5}}, 28 * time.Second, true},
		{"old errors out of the window", []step{{0, errOutcome, 2}, {40 * time.Second, errOutcome, 2}}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, clock := newTestEndpoint(t, Options{BreakerFailures: 100})
			for _, s := range tt.steps {
				clock.Advance(s.after)
				for range s.n {
					e.Record(s.o)
				}
			}
			clock.Advance(tt.then)
			if got := e.RecentOutage(); got != tt.want {
				t.Errorf("RecentOutage = %v, want %v", got, tt.want)
			}
			if got := e.Stats().RecentOutage; got != tt.want {
				t.Errorf("Stats().RecentOutage = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestToolCallErrorRate(t *testing.T) {
	e, clock := newTestEndpoint(t, Options{})
	if s := e.Stats(); s.ToolCalls30m != 0 || s.ToolCallErrorRate30m != 0 {
		t.Fatalf("without calls: %d calls, rate %v", s.ToolCalls30m, s.ToolCallErrorRate30m)
	}
	e.Record(Outcome{Success: true, ToolCalls: 3, ToolCallErrors: 1})
	clock.Advance(10 * time.Minute)
	e.Record(Outcome{Success: true, ToolCalls: 1})
	e.Record(Outcome{Success: true, ToolCalls: 1, ToolCallErrors: 5}) // clamped to 1
	e.Record(Outcome{Success: true, ToolCalls: -2, ToolCallErrors: -1})
	if s := e.Stats(); s.ToolCalls30m != 5 || s.ToolCallErrorRate30m != 0.4 {
		t.Errorf("got %d calls, rate %v; want 5, 0.4", s.ToolCalls30m, s.ToolCallErrorRate30m)
	}
	clock.Advance(25 * time.Minute) // the first outcome leaves the window
	if s := e.Stats(); s.ToolCalls30m != 2 || s.ToolCallErrorRate30m != 0.5 {
		t.Errorf("later: got %d calls, rate %v; want 2, 0.5", s.ToolCalls30m, s.ToolCallErrorRate30m)
	}
}

func TestDistributionInputs(t *testing.T) {
	tests := []struct {
		name          string
		o             Outcome
		latency, tput int64 // counts expected
	}{
		{"both", Outcome{Success: true, TTFT: 200 * time.Millisecond, OutputTokens: 100, Generation: time.Second}, 1, 1},
		{"no ttft", Outcome{Success: true, OutputTokens: 100, Generation: time.Second}, 0, 1},
		{"no tokens", Outcome{Success: true, TTFT: time.Second, Generation: time.Second}, 1, 0},
		{"no generation time", Outcome{Success: true, TTFT: time.Second, OutputTokens: 100}, 1, 0},
		{"nothing", Outcome{Success: true}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := newTestEndpoint(t, Options{})
			e.Record(tt.o)
			s := e.Stats()
			if s.Latency5m.Count != tt.latency || s.Latency30m.Count != tt.latency {
				t.Errorf("latency counts %d, %d; want %d", s.Latency5m.Count, s.Latency30m.Count, tt.latency)
			}
			if s.Throughput5m.Count != tt.tput || s.Throughput30m.Count != tt.tput {
				t.Errorf("throughput counts %d, %d; want %d", s.Throughput5m.Count, s.Throughput30m.Count, tt.tput)
			}
			if _, ok := e.LatencyP50(); ok != (tt.latency > 0) {
				t.Errorf("LatencyP50 ok = %v", ok)
			}
			if _, ok := e.ThroughputP50(); ok != (tt.tput > 0) {
				t.Errorf("ThroughputP50 ok = %v", ok)
			}
		})
	}
}

func TestDistributionWindows(t *testing.T) {
	// 250 ms at time 0, then 1 s after 6 minutes: the 5-minute median is
	// 1 s, the 30-minute distribution holds both until 25 minutes later.
	e, clock := newTestEndpoint(t, Options{})
	e.Record(Outcome{Success: true, TTFT: 250 * time.Millisecond, OutputTokens: 50, Generation: time.Second})
	clock.Advance(6 * time.Minute)
	e.Record(Outcome{Success: true, TTFT: time.Second, OutputTokens: 100, Generation: time.Second})
	s := e.Stats()
	if s.Latency5m.Count != 1 || !within(s.Latency5m.P50, 1000, 0.05) {
		t.Errorf("latency 5m = %+v, want one sample near 1000", s.Latency5m)
	}
	if p := e.Latency(); p != s.Latency5m {
		t.Errorf("Latency() = %+v, want %+v", p, s.Latency5m)
	}
	if v, _ := e.ThroughputP50(); !within(v, 100, 0.05) {
		t.Errorf("ThroughputP50 = %v, want about 100", v)
	}
	if p := e.Throughput(); p != s.Throughput5m {
		t.Errorf("Throughput() = %+v, want %+v", p, s.Throughput5m)
	}
	if s.Latency30m.Count != 2 || !within(s.Latency30m.P50, 250, 0.05) || !within(s.Latency30m.P99, 1000, 0.05) {
		t.Errorf("latency 30m = %+v, want p50 near 250 and p99 near 1000", s.Latency30m)
	}
	clock.Advance(25 * time.Minute)
	if s := e.Stats(); s.Latency30m.Count != 1 || s.Throughput30m.Count != 1 || s.Latency5m.Count != 0 {
		t.Errorf("later: %+v", s)
	}
}

func within(got, want, rel float64) bool {
	return got >= want*(1-rel) && got <= want*(1+rel)
}

func TestRegistry(t *testing.T) {
	r := NewRegistry(Options{})
	a := r.Endpoint("p1", "m")
	if r.Endpoint("p1", "m") != a {
		t.Error("Endpoint is not stable")
	}
	if r.Endpoint("p2", "m") == a || r.Endpoint("p1", "m2") == a {
		t.Error("distinct endpoints share state")
	}
	seen := map[[2]string]*Endpoint{}
	r.Each(func(p, m string, e *Endpoint) { seen[[2]string{p, m}] = e })
	if len(seen) != 3 || seen[[2]string{"p1", "m"}] != a {
		t.Errorf("Each saw %v", seen)
	}
	if s := a.Stats(); s != (Stats{Breaker: BreakerClosed}) {
		t.Errorf("fresh endpoint stats = %+v", s)
	}
}
