package billing

import (
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/store"
	"github.com/switchyard-dev/switchyard/internal/store/sqlite"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestJournalOnlyLongRequests: a flush journals the holds open for a flush
// interval, not the younger ones, and forgets a journaled hold once it has
// ended, however it ended; holds without a Request are never journaled.
func TestJournalOnlyLongRequests(t *testing.T) {
	ledger := newMemLedger(map[int64]money.Amount{1: money.NanoPerUSD})
	clk := &clock{t: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)}
	a := NewAccountant(ledger, AccountantOptions{FlushInterval: time.Hour, Instance: "gw-1", Now: clk.now})
	defer a.Close()
	hold := func(id string) *Hold {
		t.Helper()
		b := Budget{AccountID: 1, KeyHash: "k"}
		if id != "" {
			b.Request = store.Inflight{ID: id, Model: "m"}
		}
		h, err := a.Hold(t.Context(), b, 0, cent)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	long, settled, released, anonymous := hold("gen-long"), hold("gen-settled"), hold("gen-released"), hold("")
	clk.add(time.Hour + time.Millisecond)
	young := hold("gen-young")
	if err := a.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got, want := ledger.journaled(), []string{"gen-long", "gen-released", "gen-settled"}; !slices.Equal(got, want) {
		t.Fatalf("journaled %v, want %v (open for a flush interval, with a Request)", got, want)
	}
	if in := ledger.journal["gen-long"]; in.Instance != "gw-1" || in.AccountID != 1 || in.KeyHash != "k" || in.Held != cent {
		t.Errorf("journal entry %+v: want instance, account, key and amount held filled in", in)
	}
	settled.Settle(store.Generation{ID: "gen-settled", AccountID: 1, KeyHash: "k", Cost: cent / 2})
	released.Release()
	young.Release()
	anonymous.Release()
	if err := a.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := ledger.journaled(); !slices.Equal(got, []string{"gen-long"}) {
		t.Errorf("journaled %v after the others ended, want [gen-long]", got)
	}
	long.Settle(store.Generation{ID: "gen-long", AccountID: 1, KeyHash: "k", Cost: cent})
	if err := a.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := ledger.journaled(); len(got) != 0 {
		t.Errorf("journaled %v after every request ended, want none", got)
	}
}

// TestJournalRetriedAfterFailure: a journal write that fails is retried by
// the next flush, entries and deletions alike.
func TestJournalRetriedAfterFailure(t *testing.T) {
	ledger := newMemLedger(map[int64]money.Amount{1: money.NanoPerUSD})
	clk := &clock{t: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)}
	a := NewAccountant(ledger, AccountantOptions{FlushInterval: time.Hour, Now: clk.now})
	defer a.Close()
	h, err := a.Hold(t.Context(), Budget{AccountID: 1, Request: store.Inflight{ID: "gen-1"}}, 0, cent)
	if err != nil {
		t.Fatal(err)
	}
	clk.add(2 * time.Hour)
	ledger.fail.Store(true)
	if err := a.flush(t.Context()); err == nil {
		t.Fatal("flush succeeded against a failing ledger")
	}
	ledger.fail.Store(false)
	if err := a.flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := ledger.journaled(); !slices.Equal(got, []string{"gen-1"}) {
		t.Fatalf("journaled %v, want the retried entry", got)
	}
	h.Release()
	ledger.fail.Store(true)
	a.flush(t.Context())
	ledger.fail.Store(false)
	if err := a.flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := ledger.journaled(); len(got) != 0 {
		t.Errorf("journaled %v, want the retried deletion", got)
	}
}

// TestCrashRecovery runs the accountant on a real SQLite store, "crashes"
// (abandons the accountant with a request in flight, its generation
// unsettled and one settled generation unflushed), and recovers as the
// next start does: the in-flight request becomes an interrupted generation
// charging nothing, the unflushed one is lost (at most a flush interval of
// records), the balance equals the ledger and nothing is charged twice.
func TestCrashRecovery(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "sy.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	acct, key, err := st.CreateAccountWithKey(ctx, "a", money.NanoPerUSD, store.NewKey{Hash: "feedface"})
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now().UTC()}
	a := NewAccountant(StoreLedger(st), AccountantOptions{FlushInterval: time.Hour, Instance: "gw-1", Now: clk.now})
	budget := func(id string) Budget {
		return Budget{AccountID: acct.ID, KeyHash: key.Hash, Request: store.Inflight{ID: id, Model: "m", Streamed: true}}
	}
	done, err := a.Hold(ctx, budget("gen-done"), 0, cent)
	if err != nil {
		t.Fatal(err)
	}
	done.Settle(store.Generation{ID: "gen-done", AccountID: acct.ID, KeyHash: key.Hash, Model: "m", Cost: cent, Status: 200})
	if _, err := a.Hold(ctx, budget("gen-inflight"), 0, cent); err != nil {
		t.Fatal(err)
	}
	clk.add(2 * time.Hour)
	if err := a.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	lost, err := a.Hold(ctx, budget("gen-lost"), 0, cent)
	if err != nil {
		t.Fatal(err)
	}
	lost.Settle(store.Generation{ID: "gen-lost", AccountID: acct.ID, KeyHash: key.Hash, Model: "m", Cost: cent, Status: 200})
	// Crash: the accountant is never closed; the store is, as the process
	// dies. (Its flusher goroutine stays until the test binary exits; its
	// interval is an hour.)
	st.Close()

	st, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.RecoverInflight(ctx, "gw-1", time.Now().Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != "gen-inflight" || got[0].Cost != 0 || got[0].Error != store.InterruptedError {
		t.Fatalf("recovered %+v, want gen-inflight as an interrupted generation charging nothing", got)
	}
	if _, err := st.Generation(ctx, "gen-lost"); err == nil {
		t.Error("gen-lost was written though the crash came before its flush")
	}
	a2, err := st.Account(ctx, acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := money.NanoPerUSD - cent; a2.Balance != want {
		t.Errorf("balance %s, want %s: one cent charged, once", a2.Balance, want)
	}
	if mm, err := st.VerifyLedger(ctx); err != nil || len(mm) != 0 {
		t.Errorf("VerifyLedger = %v, %v", mm, err)
	}
}
