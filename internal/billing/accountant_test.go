package billing

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// memLedger is an in-memory Ledger: balances, charges once per id, and an
// optional injected failure. Its reads count, and beforeRead runs in them.
type memLedger struct {
	mu       sync.Mutex
	balances map[int64]money.Amount
	charged  map[string]store.Generation
	batches  int
	journal  map[string]store.Inflight
	reads    atomic.Int64
	fail     atomic.Bool
	// readDelay is how long a balance read takes (a store under load).
	readDelay time.Duration
}

func newMemLedger(balances map[int64]money.Amount) *memLedger {
	return &memLedger{balances: balances, charged: map[string]store.Generation{}}
}

func (l *memLedger) RecordGenerations(_ context.Context, gens []store.Generation) (map[int64]money.Amount, error) {
	if l.fail.Load() {
		return nil, errors.New("disk full")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, g := range gens {
		if strings.HasPrefix(g.ID, "invalid") {
			return nil, fmt.Errorf("generation %s: %w", g.ID, store.ErrInvalid)
		}
	}
	l.batches++
	out := map[int64]money.Amount{}
	for _, g := range gens {
		if _, dup := l.charged[g.ID]; !dup {
			l.charged[g.ID] = g
			l.balances[g.AccountID] -= g.Cost
		}
		out[g.AccountID] = l.balances[g.AccountID]
	}
	return out, nil
}

func (l *memLedger) Balance(_ context.Context, id int64) (money.Amount, error) {
	l.reads.Add(1)
	time.Sleep(l.readDelay)
	return l.balance(id), nil
}

func (l *memLedger) KeySpend(_ context.Context, hash string, since time.Time, includeBYOK bool) (money.Amount, error) {
	l.reads.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	var sum money.Amount
	for _, g := range l.charged {
		if g.KeyHash == hash && !g.CreatedAt.Before(since) && (includeBYOK || !g.IsBYOK) {
			sum += g.Cost
		}
	}
	return sum, nil
}

func (l *memLedger) JournalInflight(_ context.Context, open []store.Inflight, closed []string) error {
	if l.fail.Load() {
		return errors.New("disk full")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.journal == nil {
		l.journal = map[string]store.Inflight{}
	}
	for _, in := range open {
		l.journal[in.ID] = in
	}
	for _, id := range closed {
		delete(l.journal, id)
	}
	return nil
}

func (l *memLedger) journaled() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Sorted(maps.Keys(l.journal))
}

func (l *memLedger) balance(id int64) money.Amount {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.balances[id]
}

func (l *memLedger) credit(id int64, amount money.Amount) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.balances[id] += amount
}

const cent = money.NanoPerUSD / 100

// TestHoldsNeverOverspend: 2,000 concurrent requests of at most a cent each
// against $1.00 — however they interleave with the flusher, exactly $1.00
// is held and charged, and the balance never goes below zero. Half the
// requests pass the balance they read while authenticating, as the API
// does; the others leave the reading to the accountant.
func TestHoldsNeverOverspend(t *testing.T) {
	ledger := newMemLedger(map[int64]money.Amount{1: money.NanoPerUSD})
	a := NewAccountant(ledger, AccountantOptions{FlushInterval: time.Millisecond, MaxBatch: 7})
	var served, refused atomic.Int64
	var wg sync.WaitGroup
	for i := range 2000 {
		wg.Go(func() {
			b := Budget{AccountID: 1, KeyHash: "k"}
			if i%2 == 0 {
				b.Seq = a.Seq()
				b.Balance = ledger.balance(1)
			}
			h, err := a.Hold(context.Background(), b, cent, cent)
			if errors.Is(err, ErrInsufficient) {
				refused.Add(1)
				return
			}
			if err != nil || h.Amount() != cent {
				t.Errorf("hold %v %v", h, err)
				return
			}
			if got := ledger.balance(1); got < 0 {
				t.Errorf("balance %s below zero", got)
			}
			h.Settle(store.Generation{ID: fmt.Sprint("gen-", i), AccountID: 1, KeyHash: "k", Cost: cent})
			served.Add(1)
		})
	}
	wg.Wait()
	a.Close()
	if got := ledger.balance(1); got != 0 || served.Load() != 100 || refused.Load() != 1900 {
		t.Fatalf("served %d, refused %d, final balance %s; want 100, 1900, 0", served.Load(), refused.Load(), got)
	}
}

// TestSlowReadsUnderFlushes: when a store's reads take longer than the
// flush interval (a loaded database, requests queued for its connections)
// while flushes keep committing charges, a Hold that must read a balance
// still gets one it can trust (it failed, after eight reads each
// overtaken by a flush, when reads did not hold flushes off).
func TestSlowReadsUnderFlushes(t *testing.T) {
	ledger := newMemLedger(map[int64]money.Amount{1: money.NanoPerUSD, 2: money.NanoPerUSD})
	ledger.readDelay = 5 * time.Millisecond
	a := NewAccountant(ledger, AccountantOptions{FlushInterval: time.Millisecond})
	defer a.Close()
	ctx := context.Background()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { // account 2 keeps the flusher committing
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			h, err := a.Hold(ctx, Budget{AccountID: 2, Seq: a.Seq(), Balance: ledger.balance(2)}, 1, 1)
			if err != nil {
				t.Error(err)
				return
			}
			h.Settle(store.Generation{ID: fmt.Sprint("busy-", i), AccountID: 2, Cost: 1})
			time.Sleep(200 * time.Microsecond)
		}
	})
	for i := range 20 {
		h, err := a.Hold(ctx, Budget{AccountID: 1}, cent, cent) // no balance: read it
		if err != nil {
			t.Fatalf("hold %d: %v", i, err)
		}
		h.Release()
		a.mu.Lock()
		a.forgetIdle(Budget{AccountID: 1}) // the next Hold reads again
		a.mu.Unlock()
	}
	close(stop)
	wg.Wait()
}

// TestStaleBalance: a balance read before a flush, passed after it, is
// not trusted; the accountant reads it again.
func TestStaleBalance(t *testing.T) {
	ledger := newMemLedger(map[int64]money.Amount{1: 10 * cent})
	a := NewAccountant(ledger, AccountantOptions{FlushInterval: time.Hour})
	defer a.Close()
	ctx := context.Background()
	h, err := a.Hold(ctx, Budget{AccountID: 1}, cent, 8*cent)
	if err != nil {
		t.Fatal(err)
	}
	stale := Budget{AccountID: 1, Seq: a.Seq(), Balance: ledger.balance(1)} // $0.10, read now
	h.Settle(store.Generation{ID: "g1", AccountID: 1, Cost: 8 * cent})
	if err := a.Flush(ctx); err != nil { // the store now says $0.02
		t.Fatal(err)
	}
	if _, err := a.Hold(ctx, stale, 5*cent, 5*cent); !errors.Is(err, ErrInsufficient) {
		t.Fatalf("a stale $0.10 let $0.05 be held against $0.02: %v", err)
	}
	var ie *InsufficientError
	if _, err := a.Hold(ctx, stale, 5*cent, 5*cent); !errors.As(err, &ie) || ie.Available != 2*cent || ie.KeyLimit {
		t.Fatalf("refusal %#v, want $0.02 available from the balance", err)
	}
	// A current one is used as is: no read.
	reads := ledger.reads.Load()
	fresh := Budget{AccountID: 1, Seq: a.Seq(), Balance: ledger.balance(1)}
	if h, err := a.Hold(ctx, fresh, cent, cent); err != nil {
		t.Fatal(err)
	} else {
		h.Release()
	}
	if got := ledger.reads.Load(); got != reads {
		t.Errorf("%d reads for a current balance", got-reads)
	}
}

// TestCreditsAddedMeanwhile: an account that ran dry and was topped up
// elsewhere (CLI, payment webhook) is served at once, while its other
// requests are still in flight.
func TestCreditsAddedMeanwhile(t *testing.T) {
	ledger := newMemLedger(map[int64]money.Amount{1: 2 * cent})
	a := NewAccountant(ledger, AccountantOptions{FlushInterval: time.Hour})
	defer a.Close()
	ctx := context.Background()
	inFlight, err := a.Hold(ctx, Budget{AccountID: 1}, cent, 2*cent)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Hold(ctx, Budget{AccountID: 1}, cent, cent); !errors.Is(err, ErrInsufficient) {
		t.Fatalf("dry account: %v", err)
	}
	ledger.credit(1, money.NanoPerUSD)
	h, err := a.Hold(ctx, Budget{AccountID: 1}, cent, cent)
	if err != nil {
		t.Fatalf("after a top-up: %v", err)
	}
	h.Release()
	inFlight.Release()
}

// TestKeyLimit: a key's limit caps its spending like a balance, counting
// its own requests in flight, its unwritten and its written charges;
// BYOK generations count only when the key says so.
func TestKeyLimit(t *testing.T) {
	ledger := newMemLedger(map[int64]money.Amount{1: 10 * money.NanoPerUSD})
	a := NewAccountant(ledger, AccountantOptions{FlushInterval: time.Hour})
	defer a.Close()
	ctx := context.Background()
	limit := 3 * cent
	b := Budget{AccountID: 1, KeyHash: "k", Limit: &limit}
	h1, err := a.Hold(ctx, b, cent, cent)
	if err != nil {
		t.Fatal(err)
	}
	h1.Settle(store.Generation{ID: "g1", AccountID: 1, KeyHash: "k", Cost: cent})
	hb, err := a.Hold(ctx, b, cent, cent)
	if err != nil {
		t.Fatal(err)
	}
	hb.Settle(store.Generation{ID: "g2", AccountID: 1, KeyHash: "k", Cost: cent, IsBYOK: true}) // not counted
	if err := a.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// Two cents left under the limit: a request asking at least three is
	// refused, one asking at least one gets two (its worst case capped).
	var ie *InsufficientError
	if _, err := a.Hold(ctx, b, 3*cent, 5*cent); !errors.As(err, &ie) || !ie.KeyLimit || ie.Available != 2*cent {
		t.Fatalf("over the limit: %v", err)
	}
	h2, err := a.Hold(ctx, b, cent, 5*cent)
	if err != nil || h2.Amount() != 2*cent {
		t.Fatalf("capped hold %v %v", h2, err)
	}
	h2.Release()
	h2.Release() // a second release is a no-op
	// Counting BYOK (read afresh: nothing was in flight), one cent is left.
	byok := b
	byok.IncludeBYOK = true
	if _, err := a.Hold(ctx, byok, 2*cent, 2*cent); !errors.As(err, &ie) || ie.Available != cent {
		t.Fatalf("limit counting BYOK: %v", err)
	}
	// Another key of the same account is not limited by this one.
	other := Budget{AccountID: 1, KeyHash: "k2"}
	h3, err := a.Hold(ctx, other, cent, 5*money.NanoPerUSD)
	if err != nil || h3.Amount() != 5*money.NanoPerUSD {
		t.Fatalf("other key hold %v %v", h3, err)
	}
	h3.Release()
}

// TestFlushRetriesAndIdempotence: a failed flush keeps the charges
// counted and queued; settling twice charges once.
func TestFlushRetriesAndIdempotence(t *testing.T) {
	ledger := newMemLedger(map[int64]money.Amount{1: money.NanoPerUSD})
	a := NewAccountant(ledger, AccountantOptions{FlushInterval: time.Hour})
	ctx := context.Background()
	b := Budget{AccountID: 1}
	h, err := a.Hold(ctx, b, cent, 10*cent)
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
	var ie *InsufficientError
	if _, err := a.Hold(ctx, b, money.NanoPerUSD, money.NanoPerUSD); !errors.As(err, &ie) || ie.Available != money.NanoPerUSD-3*cent {
		t.Fatalf("after a failed flush %v: the unwritten charge was forgotten", err)
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

// TestCategorizeAndWritten checks the flusher's two hooks: a record's
// Categorize runs once, before the record is written (not again when a
// failed write is retried), and Written gets each batch once it is
// written, categorized, and never a batch that failed.
func TestCategorizeAndWritten(t *testing.T) {
	ledger := newMemLedger(map[int64]money.Amount{1: money.NanoPerUSD})
	var (
		mu      sync.Mutex
		written []store.Generation
	)
	a := NewAccountant(ledger, AccountantOptions{FlushInterval: time.Hour, Written: func(gens []store.Generation) {
		mu.Lock()
		defer mu.Unlock()
		written = append(written, gens...)
	}})
	calls := 0
	a.Record(store.Generation{ID: "g1", AccountID: 1, Categorize: func() string { calls++; return "programming" }})
	a.Record(store.Generation{ID: "g2", AccountID: 1, Category: "roleplay"})
	ledger.fail.Store(true)
	if err := a.flush(context.Background()); err == nil {
		t.Fatal("flush did not fail")
	}
	if len(written) != 0 {
		t.Fatalf("Written got %d records of a batch that failed", len(written))
	}
	ledger.fail.Store(false)
	a.Close()
	if calls != 1 {
		t.Errorf("Categorize ran %d times, want once", calls)
	}
	for id, want := range map[string]string{"g1": "programming", "g2": "roleplay"} {
		g, ok := ledger.charged[id]
		if !ok || g.Category != want || g.Categorize != nil {
			t.Errorf("%s written with category %q (Categorize set: %v), want %q", id, g.Category, g.Categorize != nil, want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(written) != 2 || written[0].Category != "programming" || written[1].Category != "roleplay" {
		t.Errorf("Written got %+v, want g1 and g2 once each, categorized", written)
	}
}

// gatedLedger holds each batch's write until release is closed, having
// said on writing (buffered: the last flush, on Close, has no reader)
// that it started.
type gatedLedger struct {
	*memLedger
	writing, release chan struct{}
}

func (l gatedLedger) RecordGenerations(ctx context.Context, gens []store.Generation) (map[int64]money.Amount, error) {
	l.writing <- struct{}{}
	<-l.release
	return l.memLedger.RecordGenerations(ctx, gens)
}

// TestPendingCountsBatchBeingWritten: a batch a flush has taken off the
// queue stays pending until it is written, so that a reader of
// switchyard_billing_pending_records (an operator, the bench waiting for
// the gateway to catch up) is not told a backlog is gone while a long
// flush still writes it.
func TestPendingCountsBatchBeingWritten(t *testing.T) {
	ledger := gatedLedger{newMemLedger(map[int64]money.Amount{1: money.NanoPerUSD}), make(chan struct{}, 10), make(chan struct{})}
	reg := prometheus.NewPedanticRegistry()
	a := NewAccountant(ledger, AccountantOptions{FlushInterval: time.Hour, Registerer: reg})
	defer a.Close()
	pending := func() float64 {
		return gathered(t, reg, "switchyard_billing_pending_records").GetGauge().GetValue()
	}
	a.Record(store.Generation{ID: "g1", AccountID: 1})
	a.Record(store.Generation{ID: "g2", AccountID: 1})
	flushed := make(chan error)
	go func() { flushed <- a.flush(context.Background()) }()
	<-ledger.writing
	a.Record(store.Generation{ID: "g3", AccountID: 1})
	if got := pending(); got != 3 {
		t.Errorf("pending records during the flush %v, want 3 (2 being written, 1 queued)", got)
	}
	close(ledger.release)
	if err := <-flushed; err != nil {
		t.Fatal(err)
	}
	if got := pending(); got != 1 {
		t.Errorf("pending records after the flush %v, want 1", got)
	}
}

// TestFlushBoundsTransactions: a backlog is written maxTxRecords at a
// time, and what a failed write leaves stays queued, in order.
func TestFlushBoundsTransactions(t *testing.T) {
	ledger := newMemLedger(map[int64]money.Amount{1: money.NanoPerUSD})
	reg := prometheus.NewPedanticRegistry()
	a := NewAccountant(ledger, AccountantOptions{FlushInterval: time.Hour, MaxBatch: 1 << 20, Registerer: reg})
	defer a.Close()
	const n = 2*maxTxRecords + 5
	for i := range n {
		a.Record(store.Generation{ID: fmt.Sprintf("g%05d", i), AccountID: 1})
	}
	ledger.fail.Store(true)
	if err := a.flush(context.Background()); err == nil {
		t.Fatal("flush did not fail")
	}
	a.mu.Lock()
	if len(a.queue) != n || a.queue[0].g.ID != "g00000" || a.queue[n-1].g.ID != fmt.Sprintf("g%05d", n-1) {
		t.Errorf("after a failed flush the queue holds %d records, want all %d in order", len(a.queue), n)
	}
	a.mu.Unlock()
	ledger.fail.Store(false)
	if err := a.flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ledger.batches != 3 || len(ledger.charged) != n {
		t.Errorf("%d records written in %d batches, want %d in 3", len(ledger.charged), ledger.batches, n)
	}
	if got := gathered(t, reg, "switchyard_billing_pending_records").GetGauge().GetValue(); got != 0 {
		t.Errorf("pending records %v after the flush, want 0", got)
	}
}

// TestFlushMetrics checks the accountant's metrics through a failed and a
// successful write.
func TestFlushMetrics(t *testing.T) {
	ledger := newMemLedger(map[int64]money.Amount{1: money.NanoPerUSD})
	reg := prometheus.NewPedanticRegistry()
	a := NewAccountant(ledger, AccountantOptions{FlushInterval: time.Hour, Registerer: reg})
	defer a.Close()
	a.Record(store.Generation{ID: "g1", AccountID: 1})
	a.Record(store.Generation{ID: "g2", AccountID: 1})
	if got := gathered(t, reg, "switchyard_billing_pending_records").GetGauge().GetValue(); got != 2 {
		t.Errorf("pending records %v, want 2", got)
	}
	ledger.fail.Store(true)
	if err := a.flush(context.Background()); err == nil {
		t.Fatal("flush did not fail")
	}
	ledger.fail.Store(false)
	if err := a.flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]float64{
		"switchyard_billing_flush_failures_total":  1,
		"switchyard_billing_records_written_total": 2,
		"switchyard_billing_pending_records":       0,
	} {
		m := gathered(t, reg, name)
		if got := m.GetCounter().GetValue() + m.GetGauge().GetValue(); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	// Both writes are timed, the failed one too.
	if got := gathered(t, reg, "switchyard_billing_flush_seconds").GetHistogram().GetSampleCount(); got != 2 {
		t.Errorf("switchyard_billing_flush_seconds counts %d writes, want 2", got)
	}
}

// gathered returns the one metric named name that reg gathers.
func gathered(t *testing.T, reg *prometheus.Registry, name string) *dto.Metric {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0]
		}
	}
	t.Fatalf("no metric %s", name)
	return nil
}

// BenchmarkHoldSettle is the accountant's cost per request (the store
// write is batched off the request path).
func BenchmarkHoldSettle(b *testing.B) {
	ledger := newMemLedger(map[int64]money.Amount{1: money.Amount(1) << 60})
	a := NewAccountant(ledger, AccountantOptions{})
	defer a.Close()
	limit := money.Amount(1) << 60
	budget := Budget{AccountID: 1, KeyHash: "k", Limit: &limit}
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		g := store.Generation{ID: "gen-bench", AccountID: 1, KeyHash: "k", Cost: cent}
		for pb.Next() {
			h, err := a.Hold(ctx, budget, cent, 10*cent)
			if err != nil {
				b.Fatal(err)
			}
			h.Settle(g)
		}
	})
}

func TestWindowStart(t *testing.T) {
	// Wednesday 2026-12-02 15:04 in UTC−5 is 20:04 UTC the same day.
	now := time.Date(2026, 12, 2, 15, 4, 0, 0, time.FixedZone("EST", -5*3600))
	for reset, want := range map[string]time.Time{
		store.LimitResetDaily:   time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC),
		store.LimitResetWeekly:  time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), // Monday
		store.LimitResetMonthly: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		store.LimitResetNever:   {},
	} {
		if got := WindowStart(reset, now); !got.Equal(want) {
			t.Errorf("WindowStart(%q) = %s, want %s", reset, got, want)
		}
	}
	// A Monday and a Sunday.
	if got := WindowStart(store.LimitResetWeekly, time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)); got.Day() != 30 {
		t.Errorf("Monday's week starts %s", got)
	}
	if got := WindowStart(store.LimitResetWeekly, time.Date(2026, 12, 6, 23, 59, 0, 0, time.UTC)); got.Day() != 30 {
		t.Errorf("Sunday's week starts %s", got)
	}
}

// TestSettleAfterClose: a request that outlives a shutdown is still
// written.
func TestSettleAfterClose(t *testing.T) {
	ledger := newMemLedger(map[int64]money.Amount{1: money.NanoPerUSD})
	a := NewAccountant(ledger, AccountantOptions{FlushInterval: time.Hour})
	h, err := a.Hold(context.Background(), Budget{AccountID: 1}, cent, cent)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	a.Close() // twice is fine
	h.Settle(store.Generation{ID: "late", AccountID: 1, Cost: cent})
	if got := ledger.balance(1); got != money.NanoPerUSD-cent {
		t.Fatalf("balance %s after a late settle", got)
	}
}

// TestRefusedRecordDoesNotBlockOthers: a generation the store refuses
// (ErrInvalid) is dropped, loudly, and the rest of its batch is written;
// a retry loop on it would hold every later charge back.
func TestRefusedRecordDoesNotBlockOthers(t *testing.T) {
	ledger := newMemLedger(map[int64]money.Amount{1: money.NanoPerUSD})
	a := NewAccountant(ledger, AccountantOptions{FlushInterval: time.Hour})
	defer a.Close()
	for _, id := range []string{"gen-a", "invalid-b", "gen-c"} {
		h, err := a.Hold(t.Context(), Budget{AccountID: 1}, 0, cent)
		if err != nil {
			t.Fatal(err)
		}
		h.Settle(store.Generation{ID: id, AccountID: 1, Cost: cent})
	}
	a.Record(store.Generation{ID: "gen-failed", AccountID: 1, Cost: cent}) // Record charges nothing
	if err := a.Flush(t.Context()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if got, want := ledger.balance(1), money.NanoPerUSD-2*cent; got != want {
		t.Errorf("balance %s, want %s (two cents written, the refused one dropped)", got, want)
	}
	if g, ok := ledger.charged["gen-failed"]; !ok || g.Cost != 0 {
		t.Errorf("the failure record: %+v, %v; want it written at no cost", g, ok)
	}
	// The books are clear: the whole balance left can be held again.
	h, err := a.Hold(t.Context(), Budget{AccountID: 1}, 0, money.NanoPerUSD)
	if err != nil || h.Amount() != money.NanoPerUSD-2*cent {
		t.Errorf("Hold after the flush = %v, %v; want the balance left", h, err)
	}
}
