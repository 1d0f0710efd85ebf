package bench

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// overheadMetric is the gateway's histogram of the time a request spends
// in the gateway itself (handler time less upstream time), labelled by
// stream="true"/"false".
const overheadMetric = "switchyard_overhead_seconds"

// Histogram is a Prometheus histogram's cumulative bucket counts.
type Histogram struct {
	Bounds []float64 // upper bounds, seconds, ascending; the last is +Inf
	Counts []uint64  // cumulative: observations ≤ Bounds[i]
}

// Count is the number of observations.
func (h *Histogram) Count() uint64 {
	if h == nil || len(h.Counts) == 0 {
		return 0
	}
	return h.Counts[len(h.Counts)-1]
}

// Sub returns the observations of h made after before (a reading of the
// same histogram taken earlier).
func (h *Histogram) Sub(before *Histogram) (*Histogram, error) {
	if len(before.Bounds) == 0 {
		return h, nil // nothing was observed before
	}
	if len(before.Bounds) != len(h.Bounds) {
		return nil, fmt.Errorf("%s: buckets changed between readings", overheadMetric)
	}
	d := &Histogram{Bounds: h.Bounds, Counts: make([]uint64, len(h.Counts))}
	for i := range h.Counts {
		if h.Bounds[i] != before.Bounds[i] || h.Counts[i] < before.Counts[i] {
			return nil, fmt.Errorf("%s: not a later reading of the same histogram (was the gateway restarted?)", overheadMetric)
		}
		d.Counts[i] = h.Counts[i] - before.Counts[i]
	}
	return d, nil
}

// Quantile estimates the q-quantile as Prometheus's histogram_quantile
// does: the bucket holding rank q·count, linearly within it (from 0 for
// the first). A rank in the +Inf bucket gives the highest finite bound;
// no observations give 0.
func (h *Histogram) Quantile(q float64) time.Duration {
	n := h.Count()
	if n == 0 {
		return 0
	}
	rank := q * float64(n)
	lower, below := 0.0, uint64(0)
	for i, c := range h.Counts {
		if float64(c) >= rank {
			upper := h.Bounds[i]
			if math.IsInf(upper, 1) {
				return seconds(lower)
			}
			in := float64(c - below)
			return seconds(lower + (upper-lower)*(rank-float64(below))/in)
		}
		lower, below = h.Bounds[i], c
	}
	return seconds(lower)
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// Flush is the gateway's billing flush's own account of a phase, from its
// metrics: the records it wrote, the flushes that wrote them and their
// time (wall time, low-priority waits included), and how many of those
// flushes ran at the process's priority rather than the flusher's lowered
// one (a machine short of CPU, or a late flush).
type Flush struct {
	Records, Flushes, Normal float64
	Seconds                  float64
}

// Sub returns what f counts beyond before, an earlier reading.
func (f *Flush) Sub(before *Flush) *Flush {
	return &Flush{Records: f.Records - before.Records, Flushes: f.Flushes - before.Flushes,
		Normal: f.Normal - before.Normal, Seconds: f.Seconds - before.Seconds}
}

// String renders f for the report: "12345 records, 41 µs a record, 3 of
// 98 flushes at normal priority"; "—" for no reading or no records.
func (f *Flush) String() string {
	if f == nil || f.Records <= 0 {
		return "—"
	}
	perRecord := time.Duration(f.Seconds / f.Records * float64(time.Second))
	return fmt.Sprintf("%.0f records, %s a record, %.0f of %.0f flushes at normal priority",
		f.Records, us(perRecord), f.Normal, f.Flushes)
}

// The billing flush's metrics (internal/billing).
const (
	flushSecondsMetric  = "switchyard_billing_flush_seconds"
	recordsMetric       = "switchyard_billing_records_written_total"
	flushPriorityMetric = "switchyard_billing_flushes_total"
)

// pendingMetric counts the billing records the gateway has settled and
// not yet written.
const pendingMetric = "switchyard_billing_pending_records"

// drainTimeout bounds drain's wait.
const drainTimeout = 2 * time.Minute

// drain waits until the gateway at base has written the billing records
// settled so far (it reads 0 where the gateway does not report them), and
// returns its last reading of the gateway's metrics, the one a phase
// starts from (see readGateway).
// Under a load past its capacity, such as the search for the highest
// rate, the gateway settles records faster than it writes them, and the
// backlog (tens of thousands of records in a run of 2026-12-07, seconds
// of SQLite work) would otherwise be written during the phases that
// follow, taking CPU from whichever target they measure. A backlog that
// outlasts drainTimeout is reported and the run goes on.
func (h *harness) drain(ctx context.Context, base string, stream bool) (*gatewayReading, error) {
	start := time.Now()
	for {
		families, err := readMetrics(ctx, h.hc, base)
		if err != nil {
			return nil, err
		}
		n := unlabelled(families, pendingMetric).GetGauge().GetValue()
		waited := time.Since(start)
		if n == 0 {
			if waited >= time.Second {
				h.logf("waited %s for the gateway to write its billing backlog", waited.Round(time.Millisecond))
			}
			return readingOf(families, stream), nil
		}
		if waited >= drainTimeout {
			h.logf("the gateway still has %.0f billing records to write after %s; measuring anyway", n, drainTimeout)
			return readingOf(families, stream), nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// unlabelled returns the one metric of an unlabelled family, nil where it
// is missing (whose getters read zeros).
func unlabelled(families map[string]*dto.MetricFamily, name string) *dto.Metric {
	if f := families[name]; f != nil && len(f.GetMetric()) == 1 {
		return f.GetMetric()[0]
	}
	return nil
}

// gatewayReading is what the harness reads of the gateway's /metrics
// before and after a phase.
type gatewayReading struct {
	overhead *Histogram
	flush    *Flush
}

// readGateway reads the gateway's overhead histogram of streams or of
// non-streamed requests, and its billing flush's counts, from /metrics.
func readGateway(ctx context.Context, hc *http.Client, base string, stream bool) (*gatewayReading, error) {
	families, err := readMetrics(ctx, hc, base)
	if err != nil {
		return nil, err
	}
	return readingOf(families, stream), nil
}

func readingOf(families map[string]*dto.MetricFamily, stream bool) *gatewayReading {
	return &gatewayReading{overhead: overheadOf(families, stream), flush: flushOf(families)}
}

func readMetrics(ctx context.Context, hc *http.Client, base string) (map[string]*dto.MetricFamily, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("read the gateway's metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("read the gateway's metrics: %s", resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("parse the gateway's metrics: %w", err)
	}
	return families, nil
}

func overheadOf(families map[string]*dto.MetricFamily, stream bool) *Histogram {
	label := fmt.Sprint(stream)
	if f := families[overheadMetric]; f != nil {
		for _, m := range f.GetMetric() {
			if labelValue(m, "stream") == label && m.GetHistogram() != nil {
				return histogramOf(m.GetHistogram())
			}
		}
	}
	// Nothing observed yet for this label: an empty reading.
	return &Histogram{}
}

// flushOf reads the billing flush's counts; those not exposed read 0.
func flushOf(families map[string]*dto.MetricFamily) *Flush {
	f := &Flush{}
	f.Seconds = unlabelled(families, flushSecondsMetric).GetHistogram().GetSampleSum()
	f.Records = unlabelled(families, recordsMetric).GetCounter().GetValue()
	if fam := families[flushPriorityMetric]; fam != nil {
		for _, m := range fam.GetMetric() {
			v := m.GetCounter().GetValue()
			f.Flushes += v
			if labelValue(m, "priority") == "normal" {
				f.Normal += v
			}
		}
	}
	return f
}

func labelValue(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func histogramOf(ph *dto.Histogram) *Histogram {
	h := &Histogram{}
	for _, b := range ph.GetBucket() {
		h.Bounds = append(h.Bounds, b.GetUpperBound())
		h.Counts = append(h.Counts, b.GetCumulativeCount())
	}
	if len(h.Bounds) == 0 || !math.IsInf(h.Bounds[len(h.Bounds)-1], 1) {
		h.Bounds = append(h.Bounds, math.Inf(1))
		h.Counts = append(h.Counts, ph.GetSampleCount())
	}
	return h
}
