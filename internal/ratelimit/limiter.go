// Package ratelimit counts requests per key per window, in memory, for the
// per-key requests-per-minute limit and OpenRouter's free-variant limits
// (see FreeVariant), and renders the X-RateLimit-* and Retry-After headers.
//
// # Algorithm
//
// A Limiter uses a sliding-window counter: each key keeps the request counts
// of the current and the previous window (windows aligned to multiples of
// the window length since the Unix epoch) and estimates the requests of the
// last window-long span as the current count plus the previous window's
// requests still inside the span, taking them to have been evenly paced
// from that window's start. It was preferred to GCRA because
//
//   - it counts requests, which is what "N requests per minute" and
//     X-RateLimit-Remaining say, while GCRA tracks a theoretical arrival
//     time from which a count is only derived;
//   - the same two-counter state also gives the fixed calendar windows
//     OpenRouter's daily limits need (Rule.Fixed: a 24-hour window aligned to
//     the epoch is the UTC day, resetting at midnight UTC), which GCRA cannot;
//   - its cost is as small: a few integers per key and O(1) exact integer
//     arithmetic (128-bit intermediates, no floating point) per check.
//
// The estimate is exact for a client pacing itself at a steady rate: one
// sending at the limit's rate is never refused, and one sending faster is
// allowed exactly the limit in every window. For other traffic it is an
// estimate; no window-long span ever holds more than twice the limit, as no
// window holds more than the limit. Denied requests are not counted.
//
// # Memory
//
// Keys live in a fixed number of mutex-protected shards (no goroutine, no
// timer, no per-key heap object). A key whose windows have passed is
// indistinguishable from a new one and is dropped lazily: each shard sweeps
// such idle entries after every max(64, len/2) insertions, O(1) amortized.
// Options.MaxKeys bounds the total: each shard holds at most its share, and
// a full shard evicts, per insertion, the entry closest to expiry among a
// few sampled ones; an evicted key that was still counting starts afresh, so
// MaxKeys should exceed the number of keys active within two windows.
package ratelimit

import (
	"hash/maphash"
	"slices"
	"sync"
	"time"
)

// Defaults for Options.
const (
	DefaultShards  = 64
	DefaultMaxKeys = 1 << 18
)

// Options configure a Limiter. The zero value is usable.
type Options struct {
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Shards is the number of independently locked maps, rounded up to a
	// power of two but at most MaxKeys; DefaultShards when ≤ 0.
	Shards int
	// MaxKeys bounds the number of keys held; DefaultMaxKeys when ≤ 0.
	// Each shard holds at most MaxKeys/Shards of them.
	MaxKeys int
}

// Rule is one limit to check: at most Limit requests per Window for the key
// (Key, ID). ID lets callers key numeric identities (accounts) without
// formatting a string.
type Rule struct {
	Key    string
	ID     int64
	Limit  int           // ≤ 0 denies every request
	Window time.Duration // must be positive
	// Fixed counts in fixed windows aligned to multiples of Window since
	// the Unix epoch (24h: the UTC day) instead of a sliding window.
	Fixed bool
	// Reason is copied to the Decision this rule produces.
	Reason string
}

// Decision is the outcome of a check.
type Decision struct {
	// Allowed reports whether the request may proceed; it was counted if so.
	Allowed bool
	// Limit is the binding rule's limit.
	Limit int
	// Remaining is how many more requests would be allowed right now.
	Remaining int
	// Reset is when the whole limit is available again, absent requests.
	Reset time.Time
	// RetryAfter, when not Allowed, is how long until a request would be
	// allowed (always positive then); zero when Allowed.
	RetryAfter time.Duration
	// Reason is the binding rule's Reason (see FreeVariant).
	Reason string
}

// Limiter counts requests per key; it is safe for concurrent use. Create it
// with New.
type Limiter struct {
	now      func() time.Time
	seed     maphash.Seed
	mask     uint64
	shardCap int
	shards   []shard
}

// key identifies a counter.
type key struct {
	name string
	id   int64
}

// shard is one locked map of counters, padded to a cache line so that
// neighbouring shards' locks do not contend through false sharing.
type shard struct {
	mu      sync.Mutex
	m       map[key]counter
	inserts int // insertions since the last sweep
	_       [40]byte
}

// Sweep and eviction tuning (see the package doc).
const (
	minSweepInterval = 64
	evictionSample   = 8
)

// New returns a Limiter configured by o.
func New(o Options) *Limiter {
	maxKeys := o.MaxKeys
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	want := o.Shards
	if want <= 0 {
		want = DefaultShards
	}
	n := 1
	for n < want && 2*n <= maxKeys {
		n <<= 1
	}
	l := &Limiter{
		now:      o.Now,
		seed:     maphash.MakeSeed(),
		mask:     uint64(n - 1),
		shardCap: maxKeys / n,
		shards:   make([]shard, n),
	}
	if l.now == nil {
		l.now = time.Now
	}
	for i := range l.shards {
		l.shards[i].m = make(map[key]counter)
	}
	return l
}

// Now returns the Limiter's clock reading.
func (l *Limiter) Now() time.Time { return l.now() }

// Check is CheckAt at the Limiter's current time.
func (l *Limiter) Check(rules ...Rule) Decision {
	return l.CheckAt(l.now(), rules...)
}

// CheckAt checks one request at now against all rules atomically: it is
// counted against every rule if all allow it and against none otherwise.
// The stricter decision is returned: if some rule denies, the denying one
// with the longest RetryAfter; else the one with the fewest Remaining (the
// first on ties). Rules should name distinct keys. With no rules the request
// is allowed. It panics if a rule's Window is not positive.
func (l *Limiter) CheckAt(now time.Time, rules ...Rule) Decision {
	if len(rules) == 0 {
		return Decision{Allowed: true, Reset: now}
	}
	t := now.UnixNano()

	var idxBuf, orderBuf [4]uint64
	idx := idxBuf[:0]
	for _, r := range rules {
		if r.Window <= 0 {
			panic("ratelimit: non-positive window for key " + r.Key)
		}
		idx = append(idx, l.shardIndex(r.Key, r.ID))
	}
	// Locking the distinct shards in ascending order keeps concurrent
	// multi-rule checks from deadlocking.
	order := append(orderBuf[:0], idx...)
	slices.Sort(order)
	order = slices.Compact(order)
	for _, i := range order {
		l.shards[i].mu.Lock()
	}
	defer func() {
		for _, i := range order {
			l.shards[i].mu.Unlock()
		}
	}()

	type state struct {
		c counter
		t int64
		d Decision
	}
	var stBuf [4]state
	st := stBuf[:0]
	best, allowed := 0, true
	for i, r := range rules {
		s := state{t: t}
		c, ok := l.shards[idx[i]].m[key{r.Key, r.ID}]
		if ok && s.t < c.start {
			s.t = c.start // the clock went backwards: stay in the window
		}
		s.c = c.at(s.t, int64(r.Window), r.Fixed)
		s.d = decide(s.c, s.t, r)
		st = append(st, s)
		switch {
		case allowed && !s.d.Allowed:
			best, allowed = i, false
		case !allowed && !s.d.Allowed && s.d.RetryAfter > st[best].d.RetryAfter,
			allowed && s.d.Remaining < st[best].d.Remaining:
			best = i
		}
	}
	if allowed {
		for i, r := range rules {
			s := &st[i]
			s.c.cur++
			l.shards[idx[i]].store(key{r.Key, r.ID}, s.c, s.t, l.shardCap)
		}
	}
	return st[best].d
}

// decide evaluates one rule against c (already advanced to t), as if the
// request were counted when allowed.
func decide(c counter, t int64, r Rule) Decision {
	limit := int64(r.Limit)
	d := Decision{Limit: r.Limit, Reason: r.Reason}
	if limit <= 0 {
		// Never allowed; say so until the window ends, as for any denial.
		end := c.start + c.width
		d.Reset, d.RetryAfter = time.Unix(0, end).UTC(), time.Duration(end-t)
		return d
	}
	used := c.cur + c.carry(t)
	if used < limit {
		c.cur++
		d.Allowed = true
		d.Remaining = int(limit - used - 1)
		d.Reset = time.Unix(0, c.fullReset(t)).UTC()
		return d
	}
	d.Reset = time.Unix(0, c.fullReset(t)).UTC()
	d.RetryAfter = time.Duration(c.retryAfter(t, limit))
	return d
}

// Len returns the number of keys held, idle ones not yet swept included.
func (l *Limiter) Len() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}

func (l *Limiter) shardIndex(name string, id int64) uint64 {
	h := maphash.String(l.seed, name) ^ uint64(id)*0x9e3779b97f4a7c15
	h ^= h >> 29
	return h & l.mask
}

// store saves c under k at t; for a new key it first sweeps idle entries
// when due and evicts one if the shard is full. The shard must be locked.
// Whether k is new is looked up here, not when it was read: another rule of
// the same check may since have swept or evicted it.
func (s *shard) store(k key, c counter, t int64, capacity int) {
	if _, ok := s.m[k]; !ok {
		s.inserts++
		if s.inserts >= max(minSweepInterval, len(s.m)/2) {
			s.sweep(t)
		}
		if len(s.m) >= capacity {
			s.evictOne()
		}
	}
	s.m[k] = c
}

// sweep drops the entries that are idle at t.
func (s *shard) sweep(t int64) {
	for k, c := range s.m {
		if c.expiry() <= t {
			delete(s.m, k)
		}
	}
	s.inserts = 0
}

// evictOne drops, among a few entries sampled in map order (randomized by
// the runtime), the one closest to expiry.
func (s *shard) evictOne() {
	var victim key
	var at int64
	n := 0
	for k, c := range s.m {
		if e := c.expiry(); n == 0 || e < at {
			victim, at = k, e
		}
		if n++; n == evictionSample {
			break
		}
	}
	if n > 0 {
		delete(s.m, victim)
	}
}
