package billing

import (
	"context"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// TestHoldSettleAllocs pins what the accountant allocates per request
// (measured: 1, the Hold; the settled record's place in the write queue is
// amortised). The store write itself is batched off the request path.
func TestHoldSettleAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	ledger := newMemLedger(map[int64]money.Amount{1: money.Amount(1) << 60})
	a := NewAccountant(ledger, AccountantOptions{FlushInterval: time.Hour})
	defer a.Close()
	limit := money.Amount(1) << 60
	budget := Budget{AccountID: 1, KeyHash: "k", Limit: &limit}
	ctx := context.Background()
	g := store.Generation{ID: "gen-allocs", AccountID: 1, KeyHash: "k", Cost: cent}
	const runs = 1000
	allocs := testing.AllocsPerRun(runs, func() {
		h, err := a.Hold(ctx, budget, cent, 10*cent)
		if err != nil {
			t.Fatal(err)
		}
		h.Settle(g)
	})
	if err := a.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := ledger.balance(1), money.Amount(1)<<60-cent; got != want {
		t.Fatalf("balance %s, want %s (one generation id, charged once)", got, want)
	}
	const ceiling = 2
	if allocs > ceiling {
		t.Errorf("%v allocations per hold and settlement, want at most %d", allocs, ceiling)
	}
}
