// Package gctune keeps Go's garbage collector from running more often than
// a server's memory calls for.
//
// With GOGC=100 the collector runs whenever the heap has grown by as much
// as survived the last cycle. A gateway keeps little alive (a few MB: the
// catalog, caches) and allocates a request's worth of buffers per request,
// so at a thousand requests a second with 100 KB prompts it ran fifty
// cycles a second, each marking the whole live heap again: a fifth of its
// CPU. Start raises the GC percentage after every cycle so that at least a
// given headroom of new allocation is left before the next one, and leaves
// it at 100 once the live heap is larger than the headroom: a process that
// holds much (thousands of open streams) collects as usual.
//
// A memory limit (GOMEMLIMIT) still bounds the heap: the runtime collects
// when it nears the limit whatever the percentage.
package gctune

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// maxPercent bounds the percentage Start sets, so that a nearly empty heap
// does not ask for an absurd one.
const maxPercent = 100_000

// Start tunes the GC percentage to leave at least headroom bytes between
// cycles (see the package comment), starting from base, the percentage in
// force otherwise (GOGC; 100 by default). Stop ends the tuning and restores
// base.
func Start(headroom uint64, base int) (stop func()) {
	t := &tuner{headroom: headroom, base: base, samples: []metrics.Sample{
		{Name: liveMetric}, {Name: "/gc/scan/stack:bytes"}, {Name: "/gc/scan/globals:bytes"}}}
	t.tune()
	t.arm()
	return func() {
		t.stopped.Store(true)
		debug.SetGCPercent(base)
	}
}

// liveMetric is the heap that survived the last cycle. The percentage
// applies to it plus the stacks and globals the collector scans.
const liveMetric = "/gc/heap/live:bytes"

type tuner struct {
	headroom uint64
	base     int
	stopped  atomic.Bool
	samples  []metrics.Sample // read only by tune, on one goroutine at a time
	percent  int              // the percentage last set
}

// sentinel is an object whose finalizer runs once per GC cycle: it is
// unreachable from birth, and the finalizer sets itself again.
type sentinel struct{ t *tuner }

func (t *tuner) arm() {
	runtime.SetFinalizer(&sentinel{t: t}, afterGC)
}

func afterGC(s *sentinel) {
	if s.t.stopped.Load() {
		return
	}
	s.t.tune()
	runtime.SetFinalizer(s, afterGC)
}

// tune sets the percentage for the live heap measured by the last cycle.
func (t *tuner) tune() {
	metrics.Read(t.samples)
	live := t.samples[0].Value.Uint64()
	if live == 0 {
		return // before the first cycle
	}
	p := Percent(live+t.samples[1].Value.Uint64()+t.samples[2].Value.Uint64(), t.headroom, t.base)
	if p != t.percent {
		t.percent = p
		debug.SetGCPercent(p)
	}
}

// Percent is the GC percentage that leaves headroom bytes of allocation
// after a cycle that left live bytes (0: before the first cycle, base),
// and never less than base; rounded
// up to a multiple of 1/16 of base so that small changes of the live
// heap do not reset it after every cycle.
func Percent(live, headroom uint64, base int) int {
	if base <= 0 || live == 0 {
		return base // off stays off; no cycle has measured the heap yet
	}
	if headroom/live >= maxPercent/100 {
		return maxPercent
	}
	p := int((headroom*100 + live - 1) / live)
	if p <= base {
		return base
	}
	step := max(base/16, 1)
	return min((p+step-1)/step*step, maxPercent)
}
