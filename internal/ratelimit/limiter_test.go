package ratelimit

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// t0 is the start of a minute (and of an hour), so that window offsets in
// the tests read plainly.
var t0 = time.Date(2025, 3, 6, 12, 0, 0, 0, time.UTC)

// perMinute is a sliding rule of limit requests a minute for key.
func perMinute(key string, limit int) Rule {
	return Rule{Key: key, Limit: limit, Window: time.Minute, Reason: "requests-per-minute"}
}

// allowedCount checks n requests at now and returns how many were allowed.
func allowedCount(l *Limiter, now time.Time, n int, rules ...Rule) int {
	allowed := 0
	for range n {
		if l.CheckAt(now, rules...).Allowed {
			allowed++
		}
	}
	return allowed
}

func TestBurstAllowsLimit(t *testing.T) {
	for _, fixed := range []bool{false, true} {
		t.Run(fmt.Sprintf("fixed=%v", fixed), func(t *testing.T) {
			l := New(Options{})
			r := Rule{Key: "k", Limit: 5, Window: time.Minute, Fixed: fixed, Reason: "why"}
			now := t0.Add(10 * time.Second)
			for i := range 5 {
				d := l.CheckAt(now, r)
				if !d.Allowed || d.Remaining != 4-i || d.Limit != 5 || d.Reason != "why" || d.RetryAfter != 0 {
					t.Fatalf("request %d: %+v", i, d)
				}
			}
			d := l.CheckAt(now, r)
			if d.Allowed || d.Remaining != 0 || d.Limit != 5 || d.Reason != "why" || d.RetryAfter <= 0 {
				t.Fatalf("request 5: %+v", d)
			}
			// A fixed window is whole again at its end; a sliding one once
			// its requests have left the window after it too.
			wantReset := t0.Add(time.Minute)
			if !fixed {
				wantReset = t0.Add(time.Minute + 48*time.Second) // ⌈4/5 min⌉ into the next
			}
			if !d.Reset.Equal(wantReset) {
				t.Errorf("Reset %v, want %v", d.Reset, wantReset)
			}
		})
	}
}

// TestSteadyAtLimitRate: a client pacing itself at exactly the limit, in
// any phase, is never refused.
func TestSteadyAtLimitRate(t *testing.T) {
	for _, limit := range []int{1, 2, 3, 10, 20, 60} {
		period := time.Minute / time.Duration(limit)
		for _, phase := range []time.Duration{0, 1, period / 2, period - 1} {
			l := New(Options{})
			r := perMinute("k", limit)
			for i := range 20 * limit {
				now := t0.Add(phase + time.Duration(i)*period)
				if d := l.CheckAt(now, r); !d.Allowed {
					t.Fatalf("limit %d, phase %v: request %d at %v refused: %+v", limit, phase, i, now.Sub(t0), d)
				}
			}
		}
	}
}

// TestSteadyOverload: a client sending steadily faster than the limit is
// allowed exactly the limit in every window, and a bit over the limit at
// most in any window-long span.
func TestSteadyOverload(t *testing.T) {
	for _, limit := range []int{1, 3, 10, 20} {
		for _, step := range []time.Duration{7 * time.Millisecond, 997 * time.Millisecond, time.Minute/time.Duration(limit) - time.Millisecond} {
			l := New(Options{})
			r := perMinute("k", limit)
			perWindow := map[time.Time]int{}
			var allowed []time.Time
			end := t0.Add(15 * time.Minute)
			for now := t0.Add(123 * time.Millisecond); now.Before(end); now = now.Add(step) {
				if l.CheckAt(now, r).Allowed {
					perWindow[now.Truncate(time.Minute)]++
					allowed = append(allowed, now)
				}
			}
			for w := t0; w.Before(end); w = w.Add(time.Minute) {
				if perWindow[w] != limit {
					t.Errorf("limit %d, step %v: %d allowed in the window at %v", limit, step, perWindow[w], w.Sub(t0))
				}
			}
			// The estimate may admit one more than the limit per ten in a
			// sliding span under overload, never twice the limit.
			if got, most := maxInSpan(allowed, time.Minute), limit+(limit+9)/10; got > most {
				t.Errorf("limit %d, step %v: %d allowed within a minute, want ≤ %d", limit, step, got, most)
			}
		}
	}
}

// maxInSpan returns the most of the sorted times ts within any half-open
// span (s−width, s].
func maxInSpan(ts []time.Time, width time.Duration) int {
	most, j := 0, 0
	for i := range ts {
		for ts[i].Sub(ts[j]) >= width {
			j++
		}
		most = max(most, i-j+1)
	}
	return most
}

// TestCarry: the previous window's requests count in proportion to how
// much of it the sliding window still covers, taken as evenly paced from
// its start (ten requests: at 0s, 6s, …, 54s).
func TestCarry(t *testing.T) {
	l := New(Options{})
	r := perMinute("k", 10)
	if n := allowedCount(l, t0, 20, r); n != 10 {
		t.Fatalf("first window: %d allowed", n)
	}
	steps := []struct {
		at      time.Duration // since t0
		allowed int           // of 20 more requests
	}{
		{time.Minute, 1},                     // 9 carried (6s … 54s)
		{time.Minute + 6*time.Second - 1, 0}, // still 9 carried
		{time.Minute + 6*time.Second, 1},     // 8 carried, 1 counted
		{time.Minute + 30*time.Second, 4},    // 4 carried (36s … 54s), 2 counted
		{time.Minute + 54*time.Second, 4},    // none carried, 6 counted
		{2 * time.Minute, 1},                 // the 10 of the last window: 9 carried
		{4 * time.Minute, 10},                // two windows on: nothing carried
	}
	for _, s := range steps {
		if n := allowedCount(l, t0.Add(s.at), 20, r); n != s.allowed {
			t.Errorf("at %v: %d allowed, want %d", s.at, n, s.allowed)
		}
	}
}

// TestDeniedNotCounted: denied requests leave no trace, in the current
// window or carried into the next.
func TestDeniedNotCounted(t *testing.T) {
	for _, fixed := range []bool{false, true} {
		l := New(Options{})
		r := Rule{Key: "k", Limit: 3, Window: time.Minute, Fixed: fixed}
		if n := allowedCount(l, t0.Add(time.Second), 100, r); n != 3 {
			t.Fatalf("fixed=%v: %d allowed", fixed, n)
		}
		// Sliding: 3 counted means 2 carried at the next window's start
		// (had the 97 denials counted, none would be allowed).
		want := 1
		if fixed {
			want = 3
		}
		if n := allowedCount(l, t0.Add(time.Minute), 100, r); n != want {
			t.Errorf("fixed=%v: %d allowed in the next window, want %d", fixed, n, want)
		}
	}
}

// TestMatchesModel compares the limiter with a direct model of its
// documented estimate over random traffic: the allowed requests of the
// current window plus those of the previous window, re-spaced evenly from
// its start, that lie in the last window-long span.
func TestMatchesModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const width = int64(time.Minute)
	for round := range 50 {
		limit := 1 + rng.IntN(15)
		l := New(Options{})
		r := perMinute("k", limit)
		perWindow := map[int64]int64{} // window start → allowed requests
		now := t0.UnixNano()
		for i := range 500 {
			now += rng.Int64N(int64(time.Minute) / int64(1+rng.IntN(limit*3)))
			start := alignDown(now, width)
			cur, prev := perWindow[start], perWindow[start-width]
			var carried int64
			for j := range prev { // j-th request at prevStart + j×width/prev
				if j*width > (now-start)*prev {
					carried++
				}
			}
			wantAllowed := cur+carried < int64(limit)
			d := l.CheckAt(time.Unix(0, now), r)
			if d.Allowed != wantAllowed {
				t.Fatalf("round %d, request %d: allowed %v, model %v (cur %d, prev %d, carried %d)",
					round, i, d.Allowed, wantAllowed, cur, prev, carried)
			}
			if d.Allowed {
				perWindow[start]++
				if want := int64(limit) - cur - carried - 1; int64(d.Remaining) != want {
					t.Fatalf("round %d, request %d: remaining %d, model %d", round, i, d.Remaining, want)
				}
			}
		}
	}
}

// TestRetryAfterAndResetExact checks the times of every decision over
// random traffic against replays on a fresh limiter: a denied request is
// allowed exactly RetryAfter later and not a nanosecond sooner, and the
// whole limit is available exactly at Reset and not sooner.
func TestRetryAfterAndResetExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for round := range 40 {
		r := Rule{Key: "k", Limit: 1 + rng.IntN(8), Window: time.Duration(1+rng.IntN(120)) * time.Second, Fixed: round%4 == 0}
		l := New(Options{})
		var history []time.Time
		probe := func(at time.Time) Decision {
			p := New(Options{})
			for _, h := range history {
				p.CheckAt(h, r)
			}
			return p.CheckAt(at, r)
		}
		now := t0.Add(time.Duration(rng.Int64N(int64(r.Window))))
		for range 60 {
			now = now.Add(time.Duration(rng.Int64N(int64(r.Window) / int64(r.Limit))))
			d := l.CheckAt(now, r)
			if d.Allowed {
				history = append(history, now)
			} else {
				if d.RetryAfter <= 0 {
					t.Fatalf("%+v at %v: %+v", r, now, d)
				}
				if early := probe(now.Add(d.RetryAfter - 1)); early.Allowed {
					t.Fatalf("%+v at %v: RetryAfter %v, allowed 1ns sooner", r, now, d.RetryAfter)
				}
				if p := probe(now.Add(d.RetryAfter)); !p.Allowed {
					t.Fatalf("%+v at %v: RetryAfter %v, still denied then", r, now, d.RetryAfter)
				}
			}
			if d.Reset.Before(now) {
				t.Fatalf("%+v at %v: Reset %v in the past", r, now, d.Reset)
			}
			// The whole limit is available if a request is allowed with
			// Limit−1 remaining.
			if p := probe(d.Reset); !p.Allowed || p.Remaining != r.Limit-1 {
				t.Fatalf("%+v at %v: at Reset %v, %+v", r, now, d.Reset, p)
			}
			if d.Reset.After(now) {
				if p := probe(d.Reset.Add(-1)); p.Allowed && p.Remaining == r.Limit-1 {
					t.Fatalf("%+v at %v: whole limit 1ns before Reset %v", r, now, d.Reset)
				}
			}
		}
	}
}

// TestMultiRule: a request is counted against all rules or none, and the
// stricter decision is returned.
func TestMultiRule(t *testing.T) {
	l := New(Options{})
	a := Rule{Key: "a", Limit: 2, Window: time.Minute, Reason: "a"}
	b := Rule{Key: "b", Limit: 5, Window: time.Minute, Reason: "b"}
	now := t0.Add(time.Second)
	for i := range 2 {
		d := l.CheckAt(now, b, a)
		if !d.Allowed || d.Reason != "a" || d.Remaining != 1-i {
			t.Fatalf("request %d: %+v, want a's", i, d)
		}
	}
	for range 3 {
		if d := l.CheckAt(now, b, a); d.Allowed || d.Reason != "a" || d.Limit != 2 {
			t.Fatalf("over a's limit: %+v", d)
		}
	}
	// b counted only the two allowed requests.
	if d := l.CheckAt(now, b); !d.Allowed || d.Remaining != 2 {
		t.Fatalf("b alone: %+v, want 2 remaining", d)
	}
	// On a tie in Remaining, the first rule's decision.
	c := Rule{Key: "c", Limit: 1, Window: time.Minute, Reason: "c"}
	e := Rule{Key: "e", Limit: 1, Window: time.Minute, Reason: "e"}
	if d := l.CheckAt(now, c, e); d.Reason != "c" {
		t.Errorf("tie: %+v, want c's", d)
	}
	// Both denying: the longer wait binds, whichever comes first.
	day := Rule{Key: "day", Limit: 1, Window: 24 * time.Hour, Fixed: true, Reason: "day"}
	minute := Rule{Key: "minute", Limit: 1, Window: time.Minute, Fixed: true, Reason: "minute"}
	l.CheckAt(now, day, minute)
	for _, rules := range [][]Rule{{day, minute}, {minute, day}} {
		d := l.CheckAt(now, rules...)
		if d.Allowed || d.Reason != "day" || d.RetryAfter != 12*time.Hour-time.Second {
			t.Errorf("both denying, %s first: %+v", rules[0].Reason, d)
		}
	}
	// Only the later one denying.
	if d := l.CheckAt(now, perMinute("fresh", 10), minute); d.Allowed || d.Reason != "minute" {
		t.Errorf("second denying: %+v", d)
	}
	if d := l.CheckAt(now, perMinute("fresh", 10)); d.Remaining != 9 {
		t.Errorf("fresh counted despite the denial: %+v", d)
	}
}

// TestFixedWindowUTCDay: a 24-hour fixed window is the UTC day, whatever
// the location of the time given.
func TestFixedWindowUTCDay(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip(err)
	}
	midnight := time.Date(2025, 3, 7, 0, 0, 0, 0, time.UTC)
	l := New(Options{})
	r := Rule{Key: "k", Limit: 3, Window: 24 * time.Hour, Fixed: true}
	late := midnight.Add(-time.Millisecond).In(ny) // 18:59:59.999 in New York
	if n := allowedCount(l, time.Date(2025, 3, 6, 0, 0, 0, 0, time.UTC), 2, r); n != 2 {
		t.Fatalf("%d allowed at the start of the day", n)
	}
	if d := l.CheckAt(late, r); !d.Allowed || d.Remaining != 0 || !d.Reset.Equal(midnight) {
		t.Fatalf("third: %+v", d)
	}
	d := l.CheckAt(late, r)
	if d.Allowed || d.RetryAfter != time.Millisecond || !d.Reset.Equal(midnight) {
		t.Fatalf("fourth: %+v", d)
	}
	if d := l.CheckAt(midnight.Add(-1), r); d.Allowed {
		t.Fatalf("allowed 1ns before midnight: %+v", d)
	}
	if d := l.CheckAt(midnight, r); !d.Allowed || d.Remaining != 2 || !d.Reset.Equal(midnight.Add(24*time.Hour)) {
		t.Fatalf("at midnight: %+v", d)
	}
}

// TestChangingRule: a key checked with another window starts over; one
// checked with another limit keeps its count.
func TestChangingRule(t *testing.T) {
	l := New(Options{})
	now := t0.Add(time.Second)
	l.CheckAt(now, perMinute("k", 3))
	l.CheckAt(now, perMinute("k", 3))
	if d := l.CheckAt(now, perMinute("k", 10)); d.Remaining != 7 {
		t.Errorf("new limit: %+v, want the count kept", d)
	}
	if d := l.CheckAt(now, Rule{Key: "k", Limit: 3, Window: time.Hour}); d.Remaining != 2 {
		t.Errorf("new window: %+v, want a fresh count", d)
	}
	if d := l.CheckAt(now, Rule{Key: "k", Limit: 3, Window: time.Hour, Fixed: true}); d.Remaining != 2 {
		t.Errorf("fixed: %+v, want a fresh count", d)
	}
	// A lowered limit can leave more carried than it allows: ten requests
	// in a minute, then five a minute from the next one. The carry (9 at
	// first, evenly paced from 0s to 54s) drops to 4 at 30s and to 0 at 54s.
	if n := allowedCount(l, t0, 10, perMinute("lowered", 10)); n != 10 {
		t.Fatal(n)
	}
	d := l.CheckAt(t0.Add(time.Minute), perMinute("lowered", 5))
	if d.Allowed || d.RetryAfter != 30*time.Second || !d.Reset.Equal(t0.Add(time.Minute+54*time.Second)) {
		t.Errorf("lowered limit: %+v", d)
	}
}

// TestKeys: Key and ID together name a counter.
func TestKeys(t *testing.T) {
	l := New(Options{})
	for _, r := range []Rule{{Key: "a"}, {Key: "a", ID: 1}, {Key: "a", ID: 2}, {Key: "b", ID: 1}, {Key: "", ID: 1}} {
		r.Limit, r.Window = 1, time.Minute
		if d := l.CheckAt(t0, r); !d.Allowed {
			t.Errorf("%q/%d shares a counter", r.Key, r.ID)
		}
	}
}

func TestClockBackwards(t *testing.T) {
	l := New(Options{})
	r := perMinute("k", 3)
	if n := allowedCount(l, t0.Add(time.Minute+time.Second), 2, r); n != 2 {
		t.Fatal(n)
	}
	// Two minutes back: counted as at the start of the key's window.
	d := l.CheckAt(t0.Add(-time.Minute), r)
	if !d.Allowed || d.Remaining != 0 {
		t.Fatalf("%+v", d)
	}
	if d := l.CheckAt(t0.Add(-time.Minute), r); d.Allowed || d.RetryAfter <= 0 {
		t.Fatalf("%+v", d)
	}
}

func TestEdgeCases(t *testing.T) {
	l := New(Options{})
	if d := l.CheckAt(t0); !d.Allowed || !d.Reset.Equal(t0) {
		t.Errorf("no rules: %+v", d)
	}
	for _, limit := range []int{0, -1} {
		d := l.CheckAt(t0.Add(15*time.Second), perMinute("zero", limit))
		if d.Allowed || d.RetryAfter != 45*time.Second || d.Remaining != 0 || d.Limit != limit {
			t.Errorf("limit %d: %+v", limit, d)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("no panic for a zero window")
		}
	}()
	l.CheckAt(t0, Rule{Key: "k", Limit: 1})
}

func TestCheckUsesClock(t *testing.T) {
	now := t0
	l := New(Options{Now: func() time.Time { return now }})
	if !l.Now().Equal(t0) {
		t.Fatalf("Now %v", l.Now())
	}
	r := Rule{Key: "k", Limit: 1, Window: time.Minute, Fixed: true}
	if !l.Check(r).Allowed || l.Check(r).Allowed {
		t.Fatal("limit 1 not enforced")
	}
	now = now.Add(time.Minute)
	if d := l.Check(r); !d.Allowed || !d.Reset.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("next minute: %+v", d)
	}
}

// TestMaxKeys: however many keys are checked, at most MaxKeys are held.
func TestMaxKeys(t *testing.T) {
	for _, o := range []Options{{MaxKeys: 100}, {Shards: 64, MaxKeys: 10}, {Shards: 1, MaxKeys: 8}, {Shards: 3, MaxKeys: 1}, {Shards: 5, MaxKeys: 37}} {
		l := New(o)
		for i := range 5000 {
			if !l.CheckAt(t0, perMinute(strconv.Itoa(i), 1)).Allowed {
				t.Fatalf("%+v: new key %d denied", o, i)
			}
			if n := l.Len(); n > o.MaxKeys {
				t.Fatalf("%+v: %d keys held after %d", o, n, i+1)
			}
		}
		// Multi-rule checks whose keys share a shard stay bounded too.
		for i := range 1000 {
			l.CheckAt(t0, perMinute("x"+strconv.Itoa(i), 1), perMinute("y"+strconv.Itoa(i), 1), perMinute("z"+strconv.Itoa(i), 1))
			if n := l.Len(); n > o.MaxKeys {
				t.Fatalf("%+v: %d keys held after multi-rule %d", o, n, i+1)
			}
		}
	}
}

// TestEvictsClosestToExpiry: a full shard drops the key whose windows end
// first and keeps the others' counts.
func TestEvictsClosestToExpiry(t *testing.T) {
	l := New(Options{Shards: 1, MaxKeys: evictionSample})
	hour := func(k string) Rule { return Rule{Key: k, Limit: 5, Window: time.Hour} }
	l.CheckAt(t0, perMinute("short", 5)) // expires 2 minutes on; the others 2 hours
	for i := range evictionSample - 1 {
		l.CheckAt(t0, hour(strconv.Itoa(i)))
	}
	l.CheckAt(t0, hour("new"))
	if n := l.Len(); n != evictionSample {
		t.Fatalf("%d keys held", n)
	}
	if d := l.CheckAt(t0, perMinute("short", 5)); d.Remaining != 4 {
		t.Errorf("short: %+v, want it evicted (a fresh count)", d)
	}
	// Re-adding "short" evicted one of the others, and re-adding that one
	// evicts "short" again: all others kept their count.
	kept := 0
	for _, k := range []string{"new", "0", "1", "2", "3", "4", "5", "6"} {
		if d := l.CheckAt(t0, hour(k)); d.Remaining == 3 {
			kept++
		}
	}
	if kept != evictionSample-1 {
		t.Errorf("%d counts kept, want %d", kept, evictionSample-1)
	}
}

// TestIdleKeysSwept: keys whose windows have passed are dropped as new keys
// arrive, without reaching MaxKeys.
func TestIdleKeysSwept(t *testing.T) {
	l := New(Options{Shards: 1})
	for i := range 100 {
		l.CheckAt(t0, perMinute("old"+strconv.Itoa(i), 1))
		l.CheckAt(t0, Rule{Key: "day" + strconv.Itoa(i), Limit: 1, Window: 24 * time.Hour, Fixed: true})
	}
	if n := l.Len(); n != 200 {
		t.Fatalf("%d keys held", n)
	}
	// One minute on, the sliding keys still carry; two minutes on, they are
	// idle, and the daily ones are not.
	later := t0.Add(2 * time.Minute)
	for i := range 300 {
		l.CheckAt(later, perMinute("new"+strconv.Itoa(i), 1))
	}
	if n := l.Len(); n != 400 {
		t.Errorf("%d keys held, want the 100 daily and the 300 new ones", n)
	}
	// At the next UTC day, so are the daily ones.
	tomorrow := time.Date(2025, 3, 7, 0, 0, 0, 0, time.UTC)
	for i := range 500 {
		l.CheckAt(tomorrow, perMinute("newer"+strconv.Itoa(i), 1))
	}
	if n := l.Len(); n != 500 {
		t.Errorf("%d keys held, want the 500 newest", n)
	}
}

// TestNewShards: the shard count is a power of two, at most MaxKeys, and
// the per-shard capacity times it at most MaxKeys.
func TestNewShards(t *testing.T) {
	for _, c := range []struct {
		o                Options
		shards, capacity int
	}{
		{Options{}, DefaultShards, DefaultMaxKeys / DefaultShards},
		{Options{Shards: 5, MaxKeys: 100}, 8, 12},
		{Options{Shards: 64, MaxKeys: 10}, 8, 1},
		{Options{Shards: 1, MaxKeys: 1}, 1, 1},
		{Options{Shards: 16, MaxKeys: 1}, 1, 1},
	} {
		l := New(c.o)
		if len(l.shards) != c.shards || l.shardCap != c.capacity {
			t.Errorf("%+v: %d shards of %d, want %d of %d", c.o, len(l.shards), l.shardCap, c.shards, c.capacity)
		}
	}
}

// TestConcurrentOneKey: with the clock stopped, exactly Limit of many
// concurrent requests on one key are allowed.
func TestConcurrentOneKey(t *testing.T) {
	const goroutines, each, limit = 16, 500, 3000
	for _, fixed := range []bool{false, true} {
		l := New(Options{Now: func() time.Time { return t0.Add(30 * time.Second) }})
		r := Rule{Key: "hot", Limit: limit, Window: time.Minute, Fixed: fixed}
		var allowed atomic.Int64
		var wg sync.WaitGroup
		for range goroutines {
			wg.Go(func() {
				for range each {
					if l.Check(r).Allowed {
						allowed.Add(1)
					}
				}
			})
		}
		wg.Wait()
		if n := allowed.Load(); n != limit {
			t.Errorf("fixed=%v: %d allowed, want %d", fixed, n, limit)
		}
	}
}

// TestConcurrentMultiRule: checks naming the same keys in opposite orders
// neither deadlock nor count against one rule without the other.
func TestConcurrentMultiRule(t *testing.T) {
	const goroutines, each, limit = 8, 400, 1000
	for _, shards := range []int{1, 2, 64} {
		l := New(Options{Shards: shards})
		a, b := perMinute("a", limit), perMinute("b", 1<<30)
		var allowed atomic.Int64
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Go(func() {
				for i := range each {
					rules := []Rule{a, b, perMinute("c"+strconv.Itoa(i), 1<<30)}
					if g%2 == 1 {
						rules[0], rules[1] = b, a
					}
					if l.CheckAt(t0, rules...).Allowed {
						allowed.Add(1)
					}
				}
			})
		}
		wg.Wait()
		if n := allowed.Load(); n != limit {
			t.Errorf("shards %d: %d allowed, want %d", shards, n, limit)
		}
		if d := l.CheckAt(t0, b); d.Remaining != 1<<30-limit-1 {
			t.Errorf("shards %d: b counted %d, want %d", shards, 1<<30-1-d.Remaining, limit)
		}
	}
}

// TestCheckAllocs: checking a known key allocates nothing.
func TestCheckAllocs(t *testing.T) {
	l := New(Options{})
	minute, day := perMinute("k", 1<<30), Rule{Key: "d", ID: 7, Limit: 1 << 30, Window: 24 * time.Hour, Fixed: true}
	l.CheckAt(t0, minute, day)
	if n := testing.AllocsPerRun(100, func() { l.CheckAt(t0, minute, day) }); n != 0 {
		t.Errorf("%v allocations per check", n)
	}
}

func BenchmarkCheck(b *testing.B) {
	b.Run("distinct-keys", func(b *testing.B) {
		l := New(Options{})
		var next atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			base := next.Add(1) * 1000
			keys := make([]string, 1000)
			for i := range keys {
				keys[i] = strconv.FormatInt(base+int64(i), 10)
			}
			i := 0
			for pb.Next() {
				l.Check(Rule{Key: keys[i%len(keys)], Limit: 1 << 30, Window: time.Minute})
				i++
			}
		})
	})
	b.Run("one-key", func(b *testing.B) {
		l := New(Options{})
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				l.Check(Rule{Key: "hot", Limit: 1 << 30, Window: time.Minute})
			}
		})
	})
	b.Run("free-variant", func(b *testing.B) {
		l := New(Options{})
		var next atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			id := next.Add(1) * 1000
			i := int64(0)
			for pb.Next() {
				FreeVariant(l, id+i%1000, true, l.Now())
				i++
			}
		})
	})
}
