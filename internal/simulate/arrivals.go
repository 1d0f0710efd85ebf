package simulate

import (
	"math/rand/v2"
	"time"
)

// Bursts: every meanBurstGap or so (exponentially distributed), the rate
// is multiplied by 3 to 6 for 2 to 5 seconds.
const (
	meanBurstGap   = 20 * time.Second
	minBurst       = 2 * time.Second
	maxBurst       = 5 * time.Second
	minBurstFactor = 3.0
	maxBurstFactor = 6.0
)

// arrivals draws the gaps between requests: a Poisson process whose rate
// is raised during bursts, with a base rate set so that the mean rate,
// bursts included, is the target.
type arrivals struct {
	rng  *rand.Rand
	base float64 // requests per second outside bursts
	// The current or next burst: it runs from burstAt to burstEnd at
	// factor times the base rate.
	burstAt, burstEnd time.Duration
	factor            float64
}

func newArrivals(rng *rand.Rand, rps float64) *arrivals {
	meanBurst := (minBurst + maxBurst).Seconds() / 2
	inBurst := meanBurst / (meanBurst + meanBurstGap.Seconds()) // share of time
	meanFactor := (minBurstFactor + maxBurstFactor) / 2
	a := &arrivals{rng: rng, base: rps / (1 + inBurst*(meanFactor-1))}
	a.schedule(0)
	return a
}

// schedule draws the next burst, to start after from.
func (a *arrivals) schedule(from time.Duration) {
	a.burstAt = from + time.Duration(a.rng.ExpFloat64()*float64(meanBurstGap))
	a.burstEnd = a.burstAt + minBurst + time.Duration(a.rng.Float64()*float64(maxBurst-minBurst))
	a.factor = minBurstFactor + a.rng.Float64()*(maxBurstFactor-minBurstFactor)
}

// next returns the gap from an arrival at at to the next one, and whether
// at is in a burst.
func (a *arrivals) next(at time.Duration) (time.Duration, bool) {
	for at >= a.burstEnd {
		a.schedule(a.burstEnd)
	}
	rate, burst := a.base, at >= a.burstAt
	if burst {
		rate *= a.factor
	}
	return time.Duration(a.rng.ExpFloat64() / rate * float64(time.Second)), burst
}
