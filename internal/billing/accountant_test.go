package billing

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// memLedger is an in-memory Ledger: balances, charges once per id, and an
// optional injected failure.
type memLedger struct {
	mu       sync.Mutex
	balances map[int64]money.Amount
	charged  map[string]money.Amount
	batches  int
	fail     atomic.Bool
}

func newMemLedger(balances map[int64]money.Amount) *memLedger {
	return &memLedger{balances: balances, charged: map[string]money.Amount{}}
}

func (l *memLedger) RecordGenerations(_ context.Context, gens []store.Generation) (map[int64]money.Amount, error) {
	if l.fail.Load() {
		return nil, errors.New("disk full")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.batches++
	out := map[int64]money.Amount{}
	for _, g := range gens {
		if _, dup := l.charged[g.ID]; !dup {
			l.charged[g.ID] = g.Cost
			l.balances[g.AccountID] -= g.Cost
		}
		out[g.AccountID] = l.balances[g.AccountID]
	}
	return out, nil
}

func (l *memLedger) balance(id int64) money.Amount {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.balances[id]
}

const cent = money.NanoPerUSD / 100

// TestHoldsNeverOverspend: 2,000 concurrent requests of at most a cent each
// against $1.00 — however they interleave, at most $1.00 is held and
// charged, the balance never goes below zero, and (nearly) all of it is
// spent.
func TestHoldsNeverOverspend(t *testing.T) {
	ledger := newMemLedger(map[int64]money.Amount{1: money.NanoPerUSD})
	a := NewAccountant(ledger, AccountantOptions{FlushInterval: time.Millisecond})
	var served, refused atomic.Int64
	var wg sync.WaitGroup
	for i := range 2000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each request reads the balance as authentication does.
			b := Budget{AccountID: 1, Balance: ledger.balance(1), KeyHash: "k"}
			h, err := a.Hold(b, cent, cent)
			if errors.Is(err, ErrInsufficient) {
				refused.Add(1)
				return
			}
			if err != nil || h.Amount() != cent {
				t.Errorf("hold %v %v", h, err)
				return
			}
			h.Settle(store.Generation{ID: fmt.Sprint("gen-", i), AccountID: 1, KeyHash: "k", Cost: cent})
			served.Add(1)
		}()
	}
	wg.Wait()
	a.Close()
	// A balance read just after a flush committed, but before the flushed
	// charges left the books, counts them twice: the accountant errs on
	// the side of refusing, so a few requests near exhaustion may be.
	got := ledger.balance(1)
	if got < 0 || got != money.NanoPerUSD-money.Amount(served.Load())*cent || served.Load() < 90 {
		t.Fatalf("served %d, refused %d, final balance %s", served.Load(), refused.Load(), got)
	}
}

// TestKeyLimit: a key's limit caps its spending like a balance, counting
// its own requests in flight and its unwritten charges.
func TestKeyLimit(t *testing.T) {
	ledger := newMemLedger(map[int64]money.Amount{1: 10 * money.NanoPerUSD})
	a := NewAccountant(ledger, AccountantOptions{FlushInterval: time.Hour})
	defer a.Close()
	b := Budget{AccountID: 1, Balance: 10 * money.NanoPerUSD, KeyHash: "k", HasLimit: true, Limit: 3 * cent, Spent: cent}
	h1, err := a.Hold(b, cent, cent)
	if err != nil {
		t.Fatal(err)
	}
	h1.Settle(store.Generation{ID: "g1", AccountID: 1, KeyHash: "k", Cost: cent})
	// One cent left under the limit: a request asking at least two is refused,
	// one asking at least one gets one (its worst case capped).
	if _, err := a.Hold(b, 2*cent, 5*cent); !errors.Is(err, ErrInsufficient) {
		t.Fatalf("over the limit: %v", err)
	}
	h2, err := a.Hold(b, cent, 5*cent)
	if err != nil || h2.Amount() != cent {
		t.Fatalf("capped hold %v %v", h2, err)
	}
	h2.Release()
	h2.Release() // a second release is a no-op
	if got := a.Available(b); got != cent {
		t.Fatalf("available %s after release, want 1 cent", got)
	}
	// Another key of the same account is not limited by this one.
	other := Budget{AccountID: 1, Balance: 10 * money.NanoPerUSD, KeyHash: "k2"}
	if got := a.Available(other); got != 10*money.NanoPerUSD-cent {
		t.Fatalf("other key available %s", got)
	}
}

// TestFlushRetriesAndIdempotence: a failed flush keeps the charges
// counted and queued; settling twice charges once.
func TestFlushRetriesAndIdempotence(t *testing.T) {
	ledger := newMemLedger(map[int64]money.Amount{1: money.NanoPerUSD})
	a := NewAccountant(ledger, AccountantOptions{FlushInterval: time.Hour})
	b := Budget{AccountID: 1, Balance: money.NanoPerUSD}
	h, err := a.Hold(b, cent, 10*cent)
	if err != nil {
		t.Fatal(err)
	}
	g := store.Generation{ID: "g", AccountID: 1, Cost: 3 * cent}
	h.Settle(g)
	h.Settle(g)
	ledger.fail.Store(true)
	if err := a.flush(context.Background()); err == nil {
		t.Fatal("flush did not fail")
	}
	if got := a.Available(b); got != money.NanoPerUSD-3*cent {
		t.Fatalf("after a failed flush available %s: the unwritten charge was forgotten", got)
	}
	ledger.fail.Store(false)
	a.Close() // flushes what is left
	if got := ledger.balance(1); got != money.NanoPerUSD-3*cent {
		t.Fatalf("balance %s, want $0.97", got)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.accounts) != 0 || len(a.queue) != 0 {
		t.Fatalf("books left after everything was written: %v %v", a.accounts, a.queue)
	}
}

// BenchmarkHoldSettle is the accountant's cost per request (the store
// write is batched off the request path).
func BenchmarkHoldSettle(b *testing.B) {
	ledger := newMemLedger(map[int64]money.Amount{1: money.Amount(1) << 60})
	a := NewAccountant(ledger, AccountantOptions{})
	defer a.Close()
	budget := Budget{AccountID: 1, Balance: money.Amount(1) << 60, KeyHash: "k"}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		g := store.Generation{ID: "gen-bench", AccountID: 1, KeyHash: "k", Cost: cent}
		for pb.Next() {
			h, err := a.Hold(budget, cent, 10*cent)
			if err != nil {
				b.Fatal(err)
			}
			h.Settle(g)
		}
	})
}
