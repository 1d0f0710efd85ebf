package billing

import (
	"context"
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/switchyard-dev/switchyard/internal/background"
	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// threadNice is the calling thread's nice value.
func threadNice(t *testing.T) int {
	t.Helper()
	// On Linux, PRIO_PROCESS with who 0 is the calling thread, and the
	// raw system call returns 20 - nice.
	raw, err := syscall.Getpriority(syscall.PRIO_PROCESS, 0)
	if err != nil {
		t.Fatal(err)
	}
	return 20 - raw
}

// niceLedger notes the nice value of the thread each batch is written on,
// and whether it was written in short steps (background.Yields).
type niceLedger struct {
	*memLedger
	t      *testing.T
	nices  chan int
	yields chan bool
}

func (l niceLedger) RecordGenerations(ctx context.Context, gens []store.Generation) (map[int64]money.Amount, error) {
	l.nices <- threadNice(l.t)
	if l.yields != nil {
		l.yields <- background.Yields(ctx)
	}
	return l.memLedger.RecordGenerations(ctx, gens)
}

// TestFlushPriority: batches are written on a thread of low priority,
// except by a flush that starts late (the flusher starved of CPU) and on
// Close, when they are written at the process's. The flusher's rounds
// write in short steps that yield the core, low priority or not; Close
// writes at once.
func TestFlushPriority(t *testing.T) {
	runtime.LockOSThread()
	base := threadNice(t)
	runtime.UnlockOSThread()

	ledger := niceLedger{memLedger: newMemLedger(map[int64]money.Amount{1: money.NanoPerUSD}), t: t,
		nices: make(chan int, 4), yields: make(chan bool, 4)}
	clk := &clock{t: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)}
	interval := time.Hour // no tick: a full queue (2 records) wakes the flusher
	reg := prometheus.NewRegistry()
	a := NewAccountant(ledger, AccountantOptions{FlushInterval: interval, MaxBatch: 2, Now: clk.now, Registerer: reg})
	defer a.Close()
	written := func() int {
		t.Helper()
		select {
		case n := <-ledger.nices:
			return n
		case <-time.After(10 * time.Second):
			t.Fatal("no batch written")
			return 0
		}
	}

	a.Record(store.Generation{ID: "g1", AccountID: 1})
	a.Record(store.Generation{ID: "g2", AccountID: 1})
	if got, want := written(), min(base+background.Nice, 19); got != want {
		t.Errorf("a batch on time was written at nice %d, want %d", got, want)
	}
	if !<-ledger.yields {
		t.Error("a batch on time was written without yielding")
	}

	a.Record(store.Generation{ID: "g3", AccountID: 1})
	clk.add(lateAfter * interval)
	a.Record(store.Generation{ID: "g4", AccountID: 1})
	if got := written(); got != base {
		t.Errorf("a late batch was written at nice %d, want the process's %d", got, base)
	}
	if !<-ledger.yields {
		t.Error("a late batch was written without yielding")
	}

	a.Record(store.Generation{ID: "g5", AccountID: 1})
	a.Close()
	if got := written(); got != base {
		t.Errorf("the last batch, on Close, was written at nice %d, want the process's %d", got, base)
	}
	if <-ledger.yields {
		t.Error("the last batch, on Close, was written yielding")
	}
	// The flushes metric tells the rounds apart as the batches were.
	if low, normal := testutil.ToFloat64(a.flushes.WithLabelValues("low")),
		testutil.ToFloat64(a.flushes.WithLabelValues("normal")); low != 1 || normal != 2 {
		t.Errorf("switchyard_billing_flushes_total low %v, normal %v; want 1 and 2", low, normal)
	}
	if n, err := testutil.GatherAndCount(reg, "switchyard_billing_flushes_total"); err != nil || n != 2 {
		t.Errorf("registered flushes series: %d, %v; want 2", n, err)
	}
}

// TestFlushPriorityContended: a flush at low priority that waited for a
// core long, and longer than it ran (a machine short of CPU) has the next
// normalFlushes run at the process's priority, then low priority is tried
// again.
func TestFlushPriorityContended(t *testing.T) {
	runtime.LockOSThread()
	base := threadNice(t)
	runtime.UnlockOSThread()
	lowered := min(base+background.Nice, 19)

	var reads int // read by the flusher goroutine only
	readSched = func(*background.Thread) (background.Sched, bool) {
		reads++ // each reading: 1 min more run, 20 min more wait (the interval is an hour)
		return background.Sched{Ran: time.Duration(reads) * time.Minute, Waited: time.Duration(reads) * 20 * time.Minute}, true
	}
	t.Cleanup(func() { readSched = (*background.Thread).Sched })

	ledger := niceLedger{memLedger: newMemLedger(map[int64]money.Amount{1: money.NanoPerUSD}), t: t, nices: make(chan int, 4)}
	a := NewAccountant(ledger, AccountantOptions{FlushInterval: time.Hour, MaxBatch: 2})
	defer a.Close()
	batch := func(i int) int {
		t.Helper()
		a.Record(store.Generation{ID: fmt.Sprintf("g%d-a", i), AccountID: 1})
		a.Record(store.Generation{ID: fmt.Sprintf("g%d-b", i), AccountID: 1})
		select {
		case n := <-ledger.nices:
			return n
		case <-time.After(10 * time.Second):
			t.Fatalf("batch %d not written", i)
			return 0
		}
	}

	if got := batch(0); got != lowered {
		t.Fatalf("first batch at nice %d, want %d", got, lowered)
	}
	for i := 1; i <= normalFlushes; i++ {
		if got := batch(i); got != base {
			t.Fatalf("batch %d after a contended flush at nice %d, want the process's %d", i, got, base)
		}
	}
	if got := batch(normalFlushes + 1); got != lowered {
		t.Errorf("batch after %d at normal priority: nice %d, want %d again", normalFlushes, got, lowered)
	}
}

func TestContended(t *testing.T) {
	a := &Accountant{interval: 100 * time.Millisecond}
	s := func(ran, waited time.Duration) background.Sched { return background.Sched{Ran: ran, Waited: waited} }
	ms := time.Millisecond
	for _, c := range []struct {
		before, after background.Sched
		want          bool
	}{
		{s(0, 0), s(6*ms, ms), false},
		{s(0, 0), s(13*ms, 26*ms), false}, // not twice as long as it ran
		{s(0, 0), s(12*ms, 26*ms), true},
		{s(time.Second, time.Second), s(time.Second+ms, time.Second+26*ms), true},
		{s(0, 0), s(ms, 24*ms), false},                  // its yields' waits, say: not a shortage of CPU
		{s(0, 0), s(100*time.Microsecond, 4*ms), false}, // a short wait: not worth a P
	} {
		if got := a.contended(c.before, c.after); got != c.want {
			t.Errorf("contended(%v, %v) = %v, want %v", c.before, c.after, got, c.want)
		}
	}
}
