// Package memguard tells a server when to refuse new work for want of
// memory.
//
// A memory limit (GOMEMLIMIT, or serve's memory_limit) makes the garbage
// collector work harder as the heap nears it, but refuses nothing: under a
// load past capacity, each request waiting for a core holds its buffers,
// the collector runs ever more often over a live heap that keeps growing,
// and the process passes the limit anyway, into swap or an OOM kill that
// takes every stream in flight with it. A Guard watches what the collector
// cannot free — the heap found live by the last cycle and the goroutine
// stacks — and reports the process short of memory once that reaches a
// share of the limit (High), until it falls back under a lower one (Low):
// the requests already in flight finish, and new ones are refused until
// they have.
package memguard

import (
	"math"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"
)

// The shares of the limit at which a Guard turns short of memory, and back.
// At High the collector still keeps the process under its limit, at a cost
// in CPU that grows steeply as the live heap approaches it.
const (
	High = 0.80
	Low  = 0.70
)

// Interval is how often a Guard reads the runtime's memory figures (a read
// costs some 200 ns).
const Interval = 50 * time.Millisecond

// Guard reports whether the process is short of memory. The zero of a
// *Guard (nil) never is.
type Guard struct {
	high, low uint64
	short     atomic.Bool
	read      func() uint64 // bytes the collector cannot free

	stop chan struct{}
	done sync.WaitGroup
}

// Limit is the runtime's memory limit in bytes, and whether one is set
// (GOMEMLIMIT or debug.SetMemoryLimit).
func Limit() (int64, bool) {
	l := debug.SetMemoryLimit(-1)
	return l, l < math.MaxInt64
}

// Start watches the process's memory against limit bytes every Interval
// until Stop. It returns nil, a Guard never short, for a limit ≤ 0.
func Start(limit int64) *Guard {
	if limit <= 0 {
		return nil
	}
	g := newGuard(limit, inUse())
	g.stop = make(chan struct{})
	g.done.Go(func() {
		t := time.NewTicker(Interval)
		defer t.Stop()
		for {
			select {
			case <-g.stop:
				return
			case <-t.C:
				g.check()
			}
		}
	})
	return g
}

func newGuard(limit int64, read func() uint64) *Guard {
	return &Guard{high: uint64(float64(limit) * High), low: uint64(float64(limit) * Low), read: read}
}

// Short reports whether the process was short of memory at the last read.
func (g *Guard) Short() bool { return g != nil && g.short.Load() }

// Stop ends the watch.
func (g *Guard) Stop() {
	if g == nil {
		return
	}
	close(g.stop)
	g.done.Wait()
}

// check reads the memory in use and updates Short.
func (g *Guard) check() {
	used := g.read()
	switch {
	case used >= g.high:
		g.short.Store(true)
	case used < g.low:
		g.short.Store(false)
	}
}

// inUse returns a reader of the live heap at the last collection plus the
// goroutine stacks in use now. Its samples are its own: call it from one
// goroutine at a time.
func inUse() func() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/stacks:bytes"}}
	return func() uint64 {
		metrics.Read(s)
		var n uint64
		for _, v := range s {
			if v.Value.Kind() == metrics.KindUint64 {
				n += v.Value.Uint64()
			}
		}
		return n
	}
}
