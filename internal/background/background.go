// Package background keeps a process's bulk background work, such as the
// batched writes to the store, behind the request path in the kernel's
// queue.
//
// On a small machine the gateway's flushes compete with the threads that
// serve requests for the same cores: a billing batch is some 40 µs of
// SQLite work a record, several milliseconds of CPU every 100 ms under
// load. The kernel does not know which of them matters, and a request's
// thread woken by its socket can wait behind a flush for part of a
// scheduling slice, which shows in the p99 latency. Lower moves the
// calling goroutine to an OS thread of its own with a lower priority
// (nice +10 on Linux, about a tenth of a normal thread's weight when the
// two compete), so the kernel runs request work first and the flush in
// the time left over.
//
// Measured with switchyard bench (streams of 20 chunks, concurrency 1, two
// cores; 10 and 13 alternating runs): the gateway's p99 latency fell from
// about 3.0 ms to 2.4 ms with the billing flusher lowered; p50 and CPU per
// request did not change.
//
// The cost: while the kernel holds a low-priority thread back, that thread
// also holds the Go scheduler's P it runs on, so on a saturated machine
// the process has one P fewer for those moments and the work takes longer.
// Nice is a weight, not a strict priority, so the work is never starved
// outright; Thread.Sched tells a caller when the machine is short of CPU,
// so that it can run the work at normal priority meanwhile.
//
// Lowered or not, a thread that keeps its core for milliseconds delays
// each request thread the kernel wakes on that core (see Yield): bulk
// work should run in short steps with a Yield between them.
package background

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Nice is the amount Lower adds to a thread's nice value (Linux; at most
// 19 in all).
const Nice = 10

// Thread is an OS thread Lower locked a goroutine to. Its methods must be
// called from that goroutine.
type Thread struct{}

// Lower locks the calling goroutine to its OS thread for the rest of the
// goroutine's life and lowers that thread's scheduling priority. Call it
// first thing in a long-lived background goroutine. The thread is never
// unlocked: it ends with the goroutine, so no other goroutine ever runs
// with its priority (and the Go runtime does not clone a locked thread to
// start new ones). If the priority cannot be set, the failure is logged
// to logger and the work runs at the process's priority. Where a thread's
// priority cannot be set apart from its process's (anything but Linux)
// Lower does nothing. It returns the thread, nil when it was not lowered.
func Lower(logger *slog.Logger) *Thread {
	err := lower()
	if err == nil {
		return &Thread{}
	}
	if !errors.Is(err, errors.ErrUnsupported) {
		logger.LogAttrs(context.Background(), slog.LevelWarn,
			"background work runs at normal priority", slog.Any("error", err))
	}
	return nil
}

// Sched is a thread's account with the kernel's scheduler so far: the time
// it ran, and the time it was ready to run but waited for a core.
type Sched struct {
	Ran, Waited time.Duration
}

// Sched reads the thread's account (Linux, /proc/thread-self/schedstat);
// ok is false where it cannot be read, and for a nil Thread.
//
// A lowered thread that waits for a core longer than it runs is on a
// machine short of CPU, where its low priority has a cost: while the
// kernel holds it back it also holds one of the Go scheduler's Ps, which
// the request path could have used. Its caller should then run the work
// at normal priority for a while (as the billing flusher does).
func (t *Thread) Sched() (s Sched, ok bool) {
	if t == nil {
		return Sched{}, false
	}
	return sched()
}

// yieldingKey marks a context of Yielding.
type yieldingKey struct{}

// Yielding returns ctx marked for work that should give up its core at
// each of its Yield points: bulk work on a thread of Lower's, run in
// short steps (see Yield).
func Yielding(ctx context.Context) context.Context {
	return context.WithValue(ctx, yieldingKey{}, true)
}

// Yields reports whether ctx is marked by Yielding: work that can run in
// shorter steps (at some cost in CPU) should then do so, and call Yield
// between them.
func Yields(ctx context.Context) bool {
	y, _ := ctx.Value(yieldingKey{}).(bool)
	return y
}

// Yield gives the calling thread's core to the threads waiting for it, if
// ctx is marked by Yielding (sched_yield on Linux; nothing elsewhere). It
// costs a system call, about a microsecond, and returns at once when no
// other thread waits.
//
// Why a background thread should yield, even at low priority: a request's
// thread woken onto the core that a CPU-bound background thread holds can
// wait for it, up to a scheduler tick or so, whatever the background
// thread's priority (presumably the kernel's EEVDF scheduler protecting
// the running thread's slice: asking for a 0.1 ms slice did not help, a
// voluntary yield does), and a request that hops between processes on a
// small machine is woken several times. Measured with switchyard bench
// (sse20-1k, concurrency 1, 5 s phases, a 2-vCPU VM): a busy loop beside
// the bench took the reverse proxy's p99 from 1.0–1.5 ms to 1.8–2.7 ms at
// nice +10 and 1.5 ms at SCHED_IDLE; the same loop calling sched_yield
// every 20 µs to 1.2–1.7 ms; and with the bench's processes confined to
// one core and the loop to the other, it cost nothing (0.9–1.1 ms), nor
// did the loop slow a CPU-bound one on the other core: the cores share no
// execution resources to speak of, the loop only delays the threads the
// kernel wakes on its core.
func Yield(ctx context.Context) {
	if Yields(ctx) {
		yield()
	}
}
