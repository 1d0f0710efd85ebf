package health

import (
	"math"
	"time"
)

// HistoryMinutes is how many minutes of history an endpoint keeps: one
// point per minute for the last hour.
const HistoryMinutes = 60

// historyBucket is the width of a history point: the width of the 5-minute
// distributions' buckets, whose histograms give each minute its medians.
const historyBucket = perf5mBucket

// HistoryPoint is one minute of an endpoint's recent history.
type HistoryPoint struct {
	// Start is when the minute began (minutes are counted from the
	// registry's creation, not from the wall clock's full minutes).
	Start time.Time
	// Requests is the minute's successes and errors (rate-limited and
	// client-error requests excluded, as in Stats), and Uptime the share of
	// successes: valid only when Requests > 0.
	Requests int64
	Uptime   float64
	// LatencyP50 (time to first token, ms) and ThroughputP50 (output tokens
	// per second) are the minute's medians, each valid only when its count
	// is > 0. The current minute's are those of its samples so far.
	LatencyP50, ThroughputP50     float64
	LatencyCount, ThroughputCount int64
}

// History returns the endpoint's last HistoryMinutes minutes, oldest
// first, the current (unfinished) minute last; minutes without traffic are
// empty points. Memory is constant (about 3.4 KiB per endpoint with
// traffic), and the call costs O(HistoryMinutes) plus two histogram scans.
func (e *Endpoint) History() []HistoryPoint { return e.history() }

// Lookup returns the health of the endpoint of provider slug and model id
// if some traffic or reader has created it, without creating it.
func (r *Registry) Lookup(provider, model string) (*Endpoint, bool) {
	e, ok := r.endpoints.Load(key{provider, model})
	if !ok {
		return nil, false
	}
	return e.(*Endpoint), true
}

// noMinute marks a history slot that holds no minute.
const noMinute = math.MinInt64

// minute is one slot of the history: the outcomes of minute b and, once
// the minute is over, its medians.
type minute struct {
	b                     int64 // the minute held; noMinute when none
	ok, failed            int64
	latency, throughput   float64 // medians, set when the minute closes
	latencyN, throughputN int64
}

// history is a ring of the last HistoryMinutes minutes. A minute's
// outcomes are counted as they come; its medians are read from the
// 5-minute distributions' bucket of the same minute when the minute
// closes (before that bucket is reused), so that no histogram is kept per
// minute. Slots of minutes that saw nothing keep an older b and read as
// empty.
type history struct {
	cur  int64 // the newest minute
	end  int64 // the time minute cur ends: (cur+1)·historyBucket
	mins [HistoryMinutes]minute
}

func newHistory(now int64) history {
	h := history{cur: floorDiv(now, historyBucket)}
	h.end = (h.cur + 1) * historyBucket
	for i := range h.mins {
		h.mins[i].b = noMinute
	}
	return h
}

// slot returns the slot of minute b.
func (h *history) slot(b int64) *minute {
	const n = HistoryMinutes
	return &h.mins[(b%n+n)%n]
}

// roll closes the current minute when the clock has moved past it. It must
// run before perf advances to the time now, so that the closing minute's
// histograms are still in perf's ring.
func (h *history) roll(now int64, perf *distributions) {
	if now < h.end { // the common case: no division
		return
	}
	b := floorDiv(now, historyBucket)
	if m := h.slot(h.cur); m.b == h.cur {
		if p := perfAt(perf, h.cur); p != nil {
			m.latency, m.latencyN = medianOf(&p.latency, latencyScale)
			m.throughput, m.throughputN = medianOf(&p.throughput, throughputScale)
		}
	}
	h.cur, h.end = b, (b+1)*historyBucket
}

// perfAt returns perf's bucket of minute b, or nil when perf holds none
// (no sample in that minute, or the bucket already left its ring).
func perfAt(perf *distributions, b int64) *perf {
	if b > perf.cur || b <= perf.cur-int64(len(perf.slots)) {
		return nil
	}
	return perf.slot(b)
}

// medianOf is h's median and count (0, 0 without samples).
func medianOf(h *histogram, s scale) (float64, int64) {
	v, ok := h.median(s)
	if !ok {
		return 0, 0
	}
	return v, h.count
}

// observe counts an outcome at time now (after roll). An outcome older than
// the ring is dropped; one in an already closed minute is counted, but its
// latency and throughput are not (that minute's medians are final).
func (h *history) observe(now int64, t tally) {
	b := floorDiv(now, historyBucket)
	if b <= h.cur-HistoryMinutes {
		return
	}
	m := h.slot(b)
	if m.b != b {
		*m = minute{b: b}
	}
	m.ok += t.ok
	m.failed += t.failed
}

// points returns the history as HistoryPoints, oldest first, the current
// minute's medians read live from perf.
func (h *history) points(origin time.Time, perf *distributions) []HistoryPoint {
	out := make([]HistoryPoint, HistoryMinutes)
	first := h.cur - HistoryMinutes + 1
	for i := range out {
		b := first + int64(i)
		p := &out[i]
		p.Start = origin.Add(time.Duration(b * historyBucket))
		m := h.slot(b)
		if m.b != b {
			continue
		}
		p.Requests = m.ok + m.failed
		if p.Requests > 0 {
			p.Uptime = float64(m.ok) / float64(p.Requests)
		}
		p.LatencyP50, p.LatencyCount = m.latency, m.latencyN
		p.ThroughputP50, p.ThroughputCount = m.throughput, m.throughputN
		if b == h.cur {
			if d := perfAt(perf, b); d != nil {
				p.LatencyP50, p.LatencyCount = medianOf(&d.latency, latencyScale)
				p.ThroughputP50, p.ThroughputCount = medianOf(&d.throughput, throughputScale)
			}
		}
	}
	return out
}

// emptyHistory is the history of an endpoint never recorded: empty points
// of the last HistoryMinutes minutes up to now.
func emptyHistory(origin time.Time, now int64) []HistoryPoint {
	out := make([]HistoryPoint, HistoryMinutes)
	first := floorDiv(now, historyBucket) - HistoryMinutes + 1
	for i := range out {
		out[i].Start = origin.Add(time.Duration((first + int64(i)) * historyBucket))
	}
	return out
}

func (e *endpointImpl) history() []HistoryPoint {
	now := e.cfg.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.w == nil {
		return emptyHistory(e.cfg.origin, now)
	}
	e.w.hist.roll(now, &e.w.perf5m)
	return e.w.hist.points(e.cfg.origin, &e.w.perf5m)
}
