package health

// A cell is what a series accumulates in each time bucket: it observes
// values of type V one at a time, and cells add up (and subtract, so that a
// running sum can drop a bucket that leaves its window).
type cell[C, V any] interface {
	*C
	observe(V)
	add(*C)
	sub(*C)
}

// A series accumulates cells in a ring of time buckets of a fixed width,
// and keeps running sums over the most recent buckets (its spans), so that
// reading a window costs O(1) whatever its length, and memory is constant
// whatever the traffic.
//
// Bucket b covers the times [b·width, (b+1)·width) (times are nanoseconds
// on the registry's clock). The ring holds buckets (cur−len(slots), cur];
// a slot is reset lazily, when the clock moves past cur and the slot is
// reused for a newer bucket. A span of n buckets sums (cur−n, cur]: an
// event therefore stays in a window of length W = n·width for at least
// W−width and less than W.
//
// A series is not safe for concurrent use; the endpoint guards it.
type series[C, V any, P cell[C, V]] struct {
	width int64 // bucket width, ns
	cur   int64 // newest bucket
	start int64 // start time of bucket cur: cur·width
	head  int   // slot of bucket cur
	slots []C
	spans []span[C]
}

// A span is a running sum over the n newest buckets of a series.
type span[C any] struct {
	n   int64
	sum C
}

// newSeries returns a series of buckets of width ns starting at time now,
// with a ring just long enough for its longest span (spans in buckets).
func newSeries[C, V any, P cell[C, V]](width, now int64, spans ...int64) series[C, V, P] {
	s := series[C, V, P]{width: width}
	for _, n := range spans {
		s.spans = append(s.spans, span[C]{n: n})
		if int(n) > len(s.slots) {
			s.slots = make([]C, n)
		}
	}
	s.setCur(floorDiv(now, width))
	return s
}

// floorDiv is a/b rounded down (b > 0), so that times before the clock's
// origin fall in negative buckets rather than sharing bucket 0.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

func (s *series[C, V, P]) slot(b int64) P {
	n := int64(len(s.slots))
	return P(&s.slots[(b%n+n)%n])
}

func (s *series[C, V, P]) setCur(b int64) {
	s.cur, s.start = b, b*s.width
	n := int64(len(s.slots))
	s.head = int((b%n + n) % n)
}

// advance moves the newest bucket to b: buckets that leave a span are
// subtracted from its sum, and slots reused for newer buckets are reset.
// A b in the past changes nothing.
func (s *series[C, V, P]) advance(b int64) {
	gap := b - s.cur
	if gap <= 0 {
		return
	}
	for i := range s.spans {
		sp := &s.spans[i]
		if gap >= sp.n {
			sp.sum = *new(C)
			continue
		}
		for old := s.cur - sp.n + 1; old <= b-sp.n; old++ {
			P(&sp.sum).sub(s.slot(old))
		}
	}
	if gap >= int64(len(s.slots)) {
		clear(s.slots)
	} else {
		for nb := s.cur + 1; nb <= b; nb++ {
			*s.slot(nb) = *new(C)
		}
	}
	s.setCur(b)
}

// observe records v at time t. A t older than the ring (possible when a
// caller read the clock long before taking the endpoint's lock) is dropped.
func (s *series[C, V, P]) observe(t int64, v V) {
	if t >= s.start && t-s.start < s.width { // the common case: no division
		P(&s.slots[s.head]).observe(v)
		for i := range s.spans {
			P(&s.spans[i].sum).observe(v)
		}
		return
	}
	b := floorDiv(t, s.width)
	s.advance(b)
	if b <= s.cur-int64(len(s.slots)) {
		return
	}
	s.slot(b).observe(v)
	for i := range s.spans {
		if b > s.cur-s.spans[i].n {
			P(&s.spans[i].sum).observe(v)
		}
	}
}

// sum returns the running sum of span i at time t. The result is owned by
// the series: copy what is needed before the next call.
func (s *series[C, V, P]) sum(t int64, i int) *C {
	if t-s.start >= s.width {
		s.advance(floorDiv(t, s.width))
	}
	return &s.spans[i].sum
}
