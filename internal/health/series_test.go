package health

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestSeriesMatchesBruteForce(t *testing.T) {
	// Random events at random (mostly increasing) times; after each, every
	// span's running sum must equal the events of its buckets recounted.
	rng := rand.New(rand.NewPCG(5, 6))
	const width = int64(10 * time.Second)
	start := int64(-3 * time.Minute) // buckets on both sides of 0
	s := newSeries[tally, tally](width, start, 6, 18)
	type event struct {
		t int64
		n int64
	}
	var events []event
	now := start
	for i := range 5000 {
		switch r := rng.IntN(100); {
		case r < 60:
			now += rng.Int64N(int64(3 * time.Second))
		case r < 95:
			now += rng.Int64N(int64(40 * time.Second))
		default:
			now += rng.Int64N(int64(5 * time.Minute)) // idle gaps
		}
		at := now
		if rng.IntN(10) == 0 {
			at -= rng.Int64N(int64(time.Minute)) // a late arrival
		}
		n := int64(1 + rng.IntN(3))
		s.observe(at, tally{ok: n})
		events = append(events, event{at, n})
		for span, buckets := range []int64{6, 18} {
			cur := floorDiv(now, width)
			var want int64
			for _, e := range events {
				if b := floorDiv(e.t, width); b > cur-buckets && b <= cur {
					want += e.n
				}
			}
			if got := s.sum(now, span).ok; got != want {
				t.Fatalf("event %d at %v: span of %d buckets sums %d, want %d", i, time.Duration(now), buckets, got, want)
			}
		}
	}
}

func TestFloorDiv(t *testing.T) {
	for _, tt := range []struct{ a, b, want int64 }{
		{0, 10, 0}, {9, 10, 0}, {10, 10, 1}, {-1, 10, -1}, {-10, 10, -1}, {-11, 10, -2},
	} {
		if got := floorDiv(tt.a, tt.b); got != tt.want {
			t.Errorf("floorDiv(%d, %d) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
