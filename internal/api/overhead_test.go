package api

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
	"github.com/switchyard-dev/switchyard/internal/router"
)

func TestSpent(t *testing.T) {
	t0 := time.Unix(1000, 0)
	attempts := []router.Attempt{{Latency: 30 * time.Millisecond}, {Latency: 50 * time.Millisecond}}
	for _, tt := range []struct {
		end    time.Time
		waited time.Duration
		want   time.Duration
	}{
		{t0.Add(100 * time.Millisecond), 0, 20 * time.Millisecond},
		{t0.Add(100 * time.Millisecond), 15 * time.Millisecond, 5 * time.Millisecond},
		{t0.Add(60 * time.Millisecond), 0, 0}, // clocks disagree: never negative
	} {
		if got := spent(t0, tt.end, attempts, tt.waited); got != tt.want {
			t.Errorf("spent(%s, waited %s) = %s, want %s", tt.end.Sub(t0), tt.waited, got, tt.want)
		}
	}
}

// overheadOf returns the sample count and sum of the histogram's series
// for stream ("true" or "false").
func overheadOf(t *testing.T, reg *prometheus.Registry, stream string) (uint64, time.Duration) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "switchyard_overhead_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "stream" && l.GetValue() == stream {
					h := m.GetHistogram()
					return h.GetSampleCount(), time.Duration(h.GetSampleSum() * float64(time.Second))
				}
			}
		}
	}
	t.Fatalf("no switchyard_overhead_seconds{stream=%q} in the registry", stream)
	return 0, 0
}

// TestOverheadExcludesUpstreamTime: a slow upstream makes requests slow,
// not the gateway's overhead.
func TestOverheadExcludesUpstreamTime(t *testing.T) {
	const delay = 40 * time.Millisecond
	reg := prometheus.NewRegistry()
	fake := providertest.NewOpenAI(t, providertest.WithReply("a b c d"))
	e := newEnv(t, envOptions{upstreams: []upstream{{slug: "alpha", fake: fake, prompt: "0.000001"}},
		options: func(o *Options) { o.Registerer = reg }})
	// A first request pays for what is set up lazily; the test is about
	// the steady state.
	readAll(t, e.post("/api/v1/chat/completions", chatBody).Body)
	n0, sum0 := overheadOf(t, reg, "false")

	fake.Enqueue(providertest.WithHang(2 * delay))
	start := time.Now()
	resp := e.post("/api/v1/chat/completions", chatBody)
	readAll(t, resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	took := time.Since(start)
	n, sum := overheadOf(t, reg, "false")
	if n, sum = n-n0, sum-sum0; n != 1 || sum <= 0 || sum >= delay || took < 2*delay {
		t.Errorf("non-streamed: %d samples summing to %s for a request of %s behind an upstream taking %s; want 1, "+
			"above 0 and well under the upstream's time", n, sum, took, 2*delay)
	}

	fake.Enqueue(providertest.WithChunkDelay(delay))
	start = time.Now()
	s := readStream(t, e.post("/api/v1/chat/completions", streamBody(modelA)).Body)
	took = time.Since(start)
	if len(s.data) < 5 || s.data[len(s.data)-1] != "[DONE]" {
		t.Fatalf("stream %q", s.data)
	}
	n, sum = overheadOf(t, reg, "true")
	if n != 1 || sum <= 0 || sum >= delay || took < 4*delay {
		t.Errorf("streamed: %d samples summing to %s for a stream of %s with %s between chunks; want 1, "+
			"above 0 and well under one chunk's wait", n, sum, took, delay)
	}
}
