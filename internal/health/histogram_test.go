package health

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// exactPercentile is the nearest-rank percentile of sorted samples.
func exactPercentile(sorted []float64, q float64) float64 {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
}

// maxRelError is the documented accuracy of the histogram percentiles
// (plus rounding).
const maxRelError = histStep - 1 + 1e-9

func TestPercentileAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name  string
		s     scale
		n     int
		value func() float64
	}{
		{"lognormal latency", latencyScale, 10000, func() float64 { return math.Exp(6 + rng.NormFloat64()) }},
		{"uniform latency", latencyScale, 5000, func() float64 { return 50 + 2000*rng.Float64() }},
		{"exponential throughput", throughputScale, 20000, func() float64 { return 1 + 80*rng.ExpFloat64() }},
		{"few samples", throughputScale, 7, func() float64 { return 10 + 100*rng.Float64() }},
		{"one sample", latencyScale, 1, func() float64 { return 123.4 }},
		{"bimodal", latencyScale, 3000, func() float64 {
			if rng.IntN(10) == 0 {
				return 5000 + 1000*rng.Float64()
			}
			return 100 + 20*rng.Float64()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h histogram
			xs := make([]float64, tt.n)
			for i := range xs {
				xs[i] = tt.value()
				h.observe(tt.s.bin(xs[i]))
			}
			slices.Sort(xs)
			p := h.percentiles(tt.s)
			if p.Count != int64(tt.n) {
				t.Errorf("count %d, want %d", p.Count, tt.n)
			}
			for i, got := range [...]float64{p.P50, p.P75, p.P90, p.P99} {
				want := exactPercentile(xs, quantiles[i])
				if err := math.Abs(got/want - 1); err > maxRelError {
					t.Errorf("p%v = %.4g, exact %.4g: relative error %.3f%%", quantiles[i]*100, got, want, 100*err)
				}
			}
			if m, ok := h.median(tt.s); !ok || m != p.P50 {
				t.Errorf("median = %v, %v; want %v", m, ok, p.P50)
			}
		})
	}
}

func TestPercentileAccuracyThroughEndpoint(t *testing.T) {
	// The same guarantee end to end: latencies and throughputs recorded
	// over 20 minutes, read over 30.
	rng := rand.New(rand.NewPCG(3, 4))
	e, clock := newTestEndpoint(t, Options{})
	var lat, tput []float64
	for range 4000 {
		ttft := time.Duration(math.Exp(5+0.8*rng.NormFloat64()) * float64(time.Millisecond))
		tokens := 1 + rng.IntN(2000)
		gen := time.Duration((0.2 + 10*rng.Float64()) * float64(time.Second))
		e.Record(Outcome{Success: true, TTFT: ttft, OutputTokens: tokens, Generation: gen})
		lat = append(lat, float64(ttft)/float64(time.Millisecond))
		tput = append(tput, float64(tokens)/gen.Seconds())
		clock.Advance(300 * time.Millisecond)
	}
	slices.Sort(lat)
	slices.Sort(tput)
	s := e.Stats()
	for _, c := range []struct {
		name string
		p    Percentiles
		xs   []float64
	}{{"latency", s.Latency30m, lat}, {"throughput", s.Throughput30m, tput}} {
		if c.p.Count != int64(len(c.xs)) {
			t.Errorf("%s count %d, want %d", c.name, c.p.Count, len(c.xs))
		}
		for i, got := range [...]float64{c.p.P50, c.p.P75, c.p.P90, c.p.P99} {
			want := exactPercentile(c.xs, quantiles[i])
			if err := math.Abs(got/want - 1); err > maxRelError {
				t.Errorf("%s p%v = %.4g, exact %.4g", c.name, quantiles[i]*100, got, want)
			}
		}
	}
}

func TestScaleClamps(t *testing.T) {
	tests := []struct {
		v    float64
		want int
	}{
		{0, 0}, {-1, 0}, {math.NaN(), 0}, {0.05, 0}, {0.1, 0}, {0.1 * histStep * 1.001, 1},
		{1e12, histBins - 1}, {math.Inf(1), histBins - 1},
	}
	for _, tt := range tests {
		if got := latencyScale.bin(tt.v); got != tt.want {
			t.Errorf("bin(%v) = %d, want %d", tt.v, got, tt.want)
		}
	}
	if hi := latencyScale.value(histBins, 0); hi < 10*60*1000 {
		t.Errorf("latency scale ends at %v ms, want at least 10 minutes", hi)
	}
	if hi := throughputScale.value(histBins, 0); hi < 60000 {
		t.Errorf("throughput scale ends at %v tokens/s, want at least 60,000", hi)
	}
}
