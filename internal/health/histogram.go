package health

import "math"

// Distributions (latency, throughput) are kept in fixed log-scale
// histograms: bin i of a scale with minimum m holds the values in
// [m·γ^i, m·γ^(i+1)) with γ = 1.05. A percentile is found by rank in the
// merged histogram of a window and interpolated (geometrically) inside its
// bin; the exact sample percentile (nearest rank) lies in the same bin, so
// the estimate is within 5% of it. Values below the scale's minimum count
// in the first bin and values above its maximum in the last one.
const (
	histBins = 320
	histStep = 1.05
)

var logHistStep = math.Log(histStep)

// A scale places values of one kind in histogram bins: it covers
// [min, min·γ^histBins), a ratio of about 6·10⁶.
type scale struct{ min float64 }

var (
	// latencyScale covers 0.1 ms to about 10 minutes (values in ms).
	latencyScale = scale{min: 0.1}
	// throughputScale covers 0.01 to about 60,000 tokens per second.
	throughputScale = scale{min: 0.01}
)

// bin returns the bin of v (> 0).
func (s scale) bin(v float64) int {
	if !(v > s.min) { // also NaN
		return 0
	}
	f := math.Log(v/s.min) / logHistStep
	if f >= histBins-1 { // also +Inf, before the conversion to int
		return histBins - 1
	}
	return int(f)
}

// value returns the value at position i+f (0 ≤ f ≤ 1) of bin i.
func (s scale) value(i int, f float64) float64 {
	return s.min * math.Exp((float64(i)+f)*logHistStep)
}

// histogram counts values per bin.
type histogram struct {
	count int64
	bins  [histBins]uint32
}

func (h *histogram) observe(bin int) {
	h.count++
	h.bins[bin]++
}

func (h *histogram) add(o *histogram) {
	h.count += o.count
	for i, c := range o.bins {
		h.bins[i] += c
	}
}

func (h *histogram) sub(o *histogram) {
	h.count -= o.count
	for i, c := range o.bins {
		h.bins[i] -= c
	}
}

// quantiles are the ranks that Percentiles reports, in increasing order.
var quantiles = [...]float64{0.5, 0.75, 0.9, 0.99}

// percentiles returns the quantiles of h on scale s in one pass.
func (h *histogram) percentiles(s scale) Percentiles {
	var v [len(quantiles)]float64
	h.scan(s, quantiles[:], v[:])
	return Percentiles{P50: v[0], P75: v[1], P90: v[2], P99: v[3], Count: h.count}
}

// scan sets out[k] to the estimate of quantile qs[k] (qs increasing),
// stopping as soon as the last one is found.
func (h *histogram) scan(s scale, qs, out []float64) {
	if h.count == 0 {
		return
	}
	k, below := 0, int64(0)
	for i, c := range h.bins {
		if c == 0 {
			continue
		}
		above := below + int64(c)
		for ; k < len(qs); k++ {
			rank := qs[k] * float64(h.count)
			if rank > float64(above) {
				break
			}
			out[k] = s.value(i, (rank-float64(below))/float64(c))
		}
		if k == len(qs) {
			return
		}
		below = above
	}
}

// median is the 50th percentile of h on scale s; ok is false without data.
func (h *histogram) median(s scale) (v float64, ok bool) {
	var out [1]float64
	h.scan(s, quantiles[:1], out[:])
	return out[0], h.count > 0
}

// sample is what one outcome adds to the distributions: the bins of its
// latency and throughput, −1 when unknown.
type sample struct{ latency, throughput int }

// perf is the cell of the distribution series.
type perf struct{ latency, throughput histogram }

func (p *perf) observe(s sample) {
	if s.latency >= 0 {
		p.latency.observe(s.latency)
	}
	if s.throughput >= 0 {
		p.throughput.observe(s.throughput)
	}
}

func (p *perf) add(o *perf) {
	p.latency.add(&o.latency)
	p.throughput.add(&o.throughput)
}

func (p *perf) sub(o *perf) {
	p.latency.sub(&o.latency)
	p.throughput.sub(&o.throughput)
}
