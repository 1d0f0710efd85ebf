package bench

import (
	"slices"
	"sync"
	"time"
)

// Samples is a set of latencies. Runs are short enough (at most a few
// hundred thousand requests) that keeping every sample and sorting once is
// cheaper and more exact than a histogram.
type Samples struct {
	mu     sync.Mutex
	d      []time.Duration
	sorted bool
}

// Add records one latency. It is safe for concurrent use.
func (s *Samples) Add(d time.Duration) {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.sorted = false
	s.mu.Unlock()
}

// add adds the samples of o, which no one else uses meanwhile.
func (s *Samples) add(o *Samples) {
	s.mu.Lock()
	s.d = append(s.d, o.d...)
	s.sorted = false
	s.mu.Unlock()
}

// Len is the number of samples.
func (s *Samples) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.d)
}

// Quantile returns the q-quantile (0 ≤ q ≤ 1) by the nearest-rank method:
// the smallest sample at or above which a fraction q of the samples lie.
// It is 0 when there are no samples.
func (s *Samples) Quantile(q float64) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.d) == 0 {
		return 0
	}
	if !s.sorted {
		slices.Sort(s.d)
		s.sorted = true
	}
	rank := int(q*float64(len(s.d))+0.999999999) - 1 // ceil(q·n) - 1
	return s.d[min(max(rank, 0), len(s.d)-1)]
}

// P50 is the median.
func (s *Samples) P50() time.Duration { return s.Quantile(0.50) }

// P99 is the 99th percentile.
func (s *Samples) P99() time.Duration { return s.Quantile(0.99) }

// Max is the largest sample.
func (s *Samples) Max() time.Duration { return s.Quantile(1) }
