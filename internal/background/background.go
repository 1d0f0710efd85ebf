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
