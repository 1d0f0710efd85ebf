package bench

import (
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

func TestSamplesQuantiles(t *testing.T) {
	var s Samples
	if s.P50() != 0 || s.Max() != 0 {
		t.Fatal("an empty set has quantiles")
	}
	// 1..1000 µs, added concurrently in random order.
	order := rand.Perm(1000)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for _, v := range order[w*250 : (w+1)*250] {
				s.Add(time.Duration(v+1) * time.Microsecond)
			}
		})
	}
	wg.Wait()
	for _, tt := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500}, {0.99, 990}, {0.999, 999}, {1, 1000}, {0, 1}, {0.0001, 1}} {
		if got := s.Quantile(tt.q); got != tt.want*time.Microsecond {
			t.Errorf("Quantile(%v) = %s, want %s", tt.q, got, tt.want*time.Microsecond)
		}
	}
	s.Add(time.Second) // sorted again after an add
	if s.Len() != 1001 || s.Max() != time.Second || s.P50() != 501*time.Microsecond {
		t.Errorf("after one more: len %d, max %s, p50 %s", s.Len(), s.Max(), s.P50())
	}
}
