package billing

import (
	"context"
	"runtime"
	"syscall"
	"testing"
	"time"

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

// niceLedger notes the nice value of the thread each batch is written on.
type niceLedger struct {
	*memLedger
	t     *testing.T
	nices chan int
}

func (l niceLedger) RecordGenerations(ctx context.Context, gens []store.Generation) (map[int64]money.Amount, error) {
	l.nices <- threadNice(l.t)
	return l.memLedger.RecordGenerations(ctx, gens)
}

// TestFlushPriority: batches are written on a thread of low priority,
// except when the queue is late (the flusher starved of CPU), when they
// are written at the process's.
func TestFlushPriority(t *testing.T) {
	runtime.LockOSThread()
	base := threadNice(t)
	runtime.UnlockOSThread()

	ledger := niceLedger{memLedger: newMemLedger(map[int64]money.Amount{1: money.NanoPerUSD}), t: t, nices: make(chan int, 4)}
	clk := &clock{t: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)}
	interval := time.Hour // no tick: a full queue (2 records) wakes the flusher
	a := NewAccountant(ledger, AccountantOptions{FlushInterval: interval, MaxBatch: 2, Now: clk.now})
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

	a.Record(store.Generation{ID: "g3", AccountID: 1})
	clk.add(lateAfter * interval)
	a.Record(store.Generation{ID: "g4", AccountID: 1})
	if got := written(); got != base {
		t.Errorf("a late batch was written at nice %d, want the process's %d", got, base)
	}
}
