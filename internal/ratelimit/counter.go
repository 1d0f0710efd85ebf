package ratelimit

import "math/bits"

// counter is one key's state: the request counts of the current and the
// previous window, windows being aligned to multiples of width since the
// Unix epoch. All times are Unix nanoseconds. It is a plain value (no
// pointers) so that a shard's map holds no per-key heap object.
type counter struct {
	start     int64 // start of the current window, a multiple of width
	width     int64 // window length; a key checked with another width starts over
	prev, cur int64 // requests counted in the previous and the current window
	fixed     bool  // fixed window: the previous window does not count
}

// at returns c advanced to the window containing t, which is at or after
// c.start (the caller clamps a clock that went backwards).
func (c counter) at(t, width int64, fixed bool) counter {
	ws := alignDown(t, width)
	switch {
	case c.width != width || c.fixed != fixed:
		return counter{start: ws, width: width, fixed: fixed}
	case c.start == ws:
		return c
	case c.start == ws-width:
		return counter{start: ws, width: width, prev: c.cur, fixed: fixed}
	default:
		return counter{start: ws, width: width, fixed: fixed}
	}
}

// carry is how many of the previous window's requests fall inside the
// sliding window (t−width, t], t being in the current window, on the
// assumption that they were evenly paced from the previous window's start,
// one every width/prev: those at offsets i×width/prev > t−c.start, which
// number prev − 1 − ⌊prev×(t−c.start)/width⌋.
//
// Pacing them from the window's start rather than up to its end is what
// lets a client sending exactly the limit at a steady rate, whatever its
// phase, never be refused, and a client sending faster be allowed exactly
// the limit in every window: with the other choice a client sending one
// request a minute against a limit of one a minute would be refused every
// other time. The price is that a burst at the very end of one window can
// be followed by one more request at the start of the next.
func (c counter) carry(t int64) int64 {
	if c.fixed || c.prev == 0 {
		return 0
	}
	q, _ := mulDiv(c.prev, t-c.start, c.width)
	return c.prev - 1 - q
}

// expiry is the instant from which c is indistinguishable from a fresh
// counter, so its entry can be dropped.
func (c counter) expiry() int64 {
	if c.fixed {
		return c.start + c.width
	}
	return c.start + 2*c.width
}

// fullReset is the earliest instant, from t on, at which the whole limit is
// available again (cur + carry = 0) if no further request is counted.
func (c counter) fullReset(t int64) int64 {
	switch {
	case c.cur > 0 && c.fixed:
		return c.start + c.width
	case c.cur > 0:
		// In the next window these requests are the carried ones; the
		// carry is 0 from the offset e with ⌊cur×e/width⌋ ≥ cur−1.
		return c.start + c.width + ceilMulDiv(c.width, c.cur-1, c.cur)
	case c.prev > 0 && !c.fixed:
		return max(t, c.start+ceilMulDiv(c.width, c.prev-1, c.prev))
	default:
		return t
	}
}

// retryAfter is how long after t a request denied at t (cur+carry ≥ limit,
// limit ≥ 1) would first be allowed, assuming nothing else is counted.
func (c counter) retryAfter(t, limit int64) int64 {
	elapsed := t - c.start
	if c.fixed {
		return c.width - elapsed
	}
	if c.cur < limit {
		// Wait in this window until the carry is at most limit−1−cur, the
		// first offset e with ⌊prev×e/width⌋ ≥ prev−limit+cur (≥ 1, as
		// the request was denied).
		return ceilMulDiv(c.width, c.prev-limit+c.cur, c.prev) - elapsed
	}
	// The current window alone is full: in the next one its requests are
	// carried and must drop to limit−1, from the offset e with
	// ⌊cur×e/width⌋ ≥ cur−limit.
	return c.width - elapsed + ceilMulDiv(c.width, c.cur-limit, c.cur)
}

// alignDown returns the start of the width-long window containing t.
func alignDown(t, width int64) int64 {
	m := t % width
	if m < 0 {
		m += width
	}
	return t - m
}

// mulDiv returns the quotient and remainder of a×b/d for non-negative a, b
// and positive d, exactly (128-bit intermediate), provided the quotient
// fits in an int64; every caller's quotient is at most a or b.
func mulDiv(a, b, d int64) (q, r int64) {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	uq, ur := bits.Div64(hi, lo, uint64(d))
	return int64(uq), int64(ur)
}

// ceilMulDiv returns ⌈a×b/d⌉, as mulDiv.
func ceilMulDiv(a, b, d int64) int64 {
	q, r := mulDiv(a, b, d)
	if r != 0 {
		q++
	}
	return q
}
