package bench

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func TestHistogramQuantile(t *testing.T) {
	inf := math.Inf(1)
	h := &Histogram{
		Bounds: []float64{100e-6, 250e-6, 500e-6, inf},
		Counts: []uint64{50, 90, 99, 100}, // 50 ≤ 100 µs, 40 in (100, 250], 9 in (250, 500], 1 above
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{
		{0.25, 50 * time.Microsecond},   // rank 25 of the first bucket's 50, from 0
		{0.50, 100 * time.Microsecond},  // rank 50: the first bucket's top
		{0.70, 175 * time.Microsecond},  // rank 70: halfway through (100, 250]
		{0.99, 500 * time.Microsecond},  // rank 99: the top of (250, 500]
		{0.999, 500 * time.Microsecond}, // in +Inf: the highest finite bound
	} {
		if got := h.Quantile(c.q); got.Round(time.Microsecond) != c.want {
			t.Errorf("Quantile(%g) = %v, want %v", c.q, got, c.want)
		}
	}
	if got := (&Histogram{}).Quantile(0.5); got != 0 {
		t.Errorf("empty histogram: Quantile = %v, want 0", got)
	}
	var none *Histogram
	if none.Count() != 0 {
		t.Error("a nil histogram counts observations")
	}
}

func TestHistogramSub(t *testing.T) {
	inf := math.Inf(1)
	before := &Histogram{Bounds: []float64{1e-4, inf}, Counts: []uint64{3, 4}}
	after := &Histogram{Bounds: []float64{1e-4, inf}, Counts: []uint64{10, 14}}
	d, err := after.Sub(before)
	if err != nil {
		t.Fatal(err)
	}
	if d.Counts[0] != 7 || d.Counts[1] != 10 || d.Count() != 10 {
		t.Errorf("difference %v, want [7 10]", d.Counts)
	}
	if d, err := after.Sub(&Histogram{}); err != nil || d.Count() != 14 {
		t.Errorf("from nothing observed: %v, %v; want all 14", d, err)
	}
	if _, err := before.Sub(after); err == nil {
		t.Error("an earlier reading subtracted a later one without error (a restarted gateway)")
	}
	if _, err := after.Sub(&Histogram{Bounds: []float64{2e-4, inf}, Counts: []uint64{1, 1}}); err == nil {
		t.Error("readings with different buckets subtracted without error")
	}
}

// TestReadOverhead: readGateway reads the histogram as client_golang
// exposes it: the label asked for, empty before any observation of it.
func TestReadOverhead(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: overheadMetric, Help: "test",
		Buckets: []float64{100e-6, 250e-6, 500e-6}}, []string{"stream"})
	reg.MustRegister(h)
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	ctx := context.Background()

	overhead := func(hc *http.Client, base string, stream bool) (*Histogram, error) {
		r, err := readGateway(ctx, hc, base, stream)
		if err != nil {
			return nil, err
		}
		return r.overhead, nil
	}
	empty, err := overhead(srv.Client(), srv.URL, true)
	if err != nil || empty.Count() != 0 {
		t.Fatalf("before any observation: %+v, %v", empty, err)
	}
	for _, d := range []float64{50e-6, 150e-6, 150e-6, 1} {
		h.WithLabelValues("true").Observe(d)
	}
	h.WithLabelValues("false").Observe(50e-6)
	got, err := overhead(srv.Client(), srv.URL, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []uint64{1, 3, 3, 4}
	if len(got.Counts) != len(want) || !math.IsInf(got.Bounds[len(got.Bounds)-1], 1) {
		t.Fatalf("streams' histogram %+v, want counts %v ending at +Inf", got, want)
	}
	for i := range want {
		if got.Counts[i] != want[i] {
			t.Fatalf("streams' histogram counts %v, want %v", got.Counts, want)
		}
	}
	unary, err := overhead(srv.Client(), srv.URL, false)
	if err != nil || unary.Count() != 1 {
		t.Errorf("non-streamed histogram: %+v, %v; want 1 observation", unary, err)
	}
	missing := httptest.NewServer(http.NotFoundHandler())
	defer missing.Close()
	if _, err := overhead(missing.Client(), missing.URL, true); err == nil {
		t.Error("a 404 from /metrics read without error")
	}
}

// TestReadFlush reads the billing flush's metrics as internal/billing
// exposes them, and what a phase added to them.
func TestReadFlush(t *testing.T) {
	reg := prometheus.NewRegistry()
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	ctx := context.Background()

	none, err := readGateway(ctx, srv.Client(), srv.URL, false)
	if err != nil || *none.flush != (Flush{}) || none.overhead.Count() != 0 {
		t.Fatalf("no metrics exposed: %+v, %v; want zeros", none, err)
	}

	seconds := prometheus.NewHistogram(prometheus.HistogramOpts{Name: flushSecondsMetric, Help: "test"})
	records := prometheus.NewCounter(prometheus.CounterOpts{Name: recordsMetric, Help: "test"})
	flushes := prometheus.NewCounterVec(prometheus.CounterOpts{Name: flushPriorityMetric, Help: "test"}, []string{"priority"})
	reg.MustRegister(seconds, records, flushes)
	seconds.Observe(0.004)
	records.Add(100)
	flushes.WithLabelValues("low").Inc()
	before, err := readGateway(ctx, srv.Client(), srv.URL, false)
	if err != nil {
		t.Fatal(err)
	}
	seconds.Observe(0.002)
	seconds.Observe(0.006)
	records.Add(200)
	flushes.WithLabelValues("low").Inc()
	flushes.WithLabelValues("normal").Inc()
	after, err := readGateway(ctx, srv.Client(), srv.URL, false)
	if err != nil {
		t.Fatal(err)
	}
	got := after.flush.Sub(before.flush)
	if got.Records != 200 || got.Flushes != 2 || got.Normal != 1 || math.Abs(got.Seconds-0.008) > 1e-9 {
		t.Errorf("phase's flush %+v, want 200 records, 2 flushes, 1 normal, 8 ms", got)
	}
	if s := got.String(); s != "200 records, 40 µs a record, 1 of 2 flushes at normal priority" {
		t.Errorf("rendered %q", s)
	}
	if s := (&Flush{}).String(); s != "—" {
		t.Errorf("no records rendered %q, want a dash", s)
	}
}

// TestDrain: drain returns once the gateway reports no billing records
// pending, reading again while it does, and at once from a gateway that
// does not report them.
func TestDrain(t *testing.T) {
	reg := prometheus.NewRegistry()
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	ctx := context.Background()
	var log strings.Builder
	h := &harness{o: Options{Log: &log}, hc: srv.Client()}
	if _, err := h.drain(ctx, srv.URL, false); err != nil {
		t.Fatalf("no gauge exposed: %v", err)
	}

	var reads atomic.Int64
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: pendingMetric, Help: "test"}, func() float64 {
		return float64(max(3-reads.Add(1), 0)) // 2, 1, 0
	}))
	records := prometheus.NewCounter(prometheus.CounterOpts{Name: recordsMetric, Help: "test"})
	records.Add(7)
	reg.MustRegister(records)
	r, err := h.drain(ctx, srv.URL, false)
	if err != nil {
		t.Fatal(err)
	}
	if n := reads.Load(); n != 3 {
		t.Errorf("drain read the gauge %d times, want 3 (until it read 0)", n)
	}
	if r.flush.Records != 7 {
		t.Errorf("drain's reading has %g records written, want 7", r.flush.Records)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	reads.Store(-100) // pending for a long while
	if _, err := h.drain(cancelled, srv.URL, false); err == nil {
		t.Error("drain of a cancelled run returned no error")
	}
}
