package usage

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/store"
	"github.com/switchyard-dev/switchyard/internal/store/sqlite"
)

func openStore(t testing.TB) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "u.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

var day = time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)

func gen(model, category string, prompt int, at time.Time) store.Generation {
	return store.Generation{ID: "x", AccountID: 1, KeyHash: "k", Model: model, ProviderSlug: "p",
		HTTPReferer: "https://app.example", AppTitle: "App", Category: category, Status: 200, FinishReason: "stop",
		PromptTokens: prompt, CompletionTokens: 2 * prompt, Cost: money.Amount(prompt), CreatedAt: at}
}

// TestRecorderWritesExactSums: concurrent records of one hour's traffic
// are merged and written once per flush, their sums exact.
func TestRecorderWritesExactSums(t *testing.T) {
	st := openStore(t)
	r := New(st, Options{FlushInterval: time.Hour})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 250 {
				r.Record(gen([]string{"a/x", "b/y"}[i%2], "programming", w+1, day.Add(time.Duration(i)*time.Second)))
			}
		})
	}
	wg.Wait()
	if got := r.Pending(); got != 2 {
		t.Errorf("pending rows %d, want 2 (one per model)", got)
	}
	if err := r.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	r.Record(gen("a/x", "programming", 1000, day.Add(time.Hour))) // after the flush: adds to the stored sums
	r.Close()
	got, err := st.UsageByModel(t.Context(), store.UsageQuery{From: day, To: day.AddDate(0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	// Each worker w sent 125 requests per model of w+1 prompt tokens.
	const perModel = 125 * (1 + 2 + 3 + 4 + 5 + 6 + 7 + 8)
	want := map[string]store.Tokens{
		"a/x": {Requests: 1001, Prompt: perModel + 1000, Completion: 2 * (perModel + 1000), Spend: perModel + 1000},
		"b/y": {Requests: 1000, Prompt: perModel, Completion: 2 * perModel, Spend: perModel},
	}
	if len(got) != 2 {
		t.Fatalf("UsageByModel = %+v", got)
	}
	for _, m := range got {
		if m.Tokens != want[m.Model] {
			t.Errorf("%s: %+v, want %+v", m.Model, m.Tokens, want[m.Model])
		}
	}
}

// TestRecorderBounded: past MaxPending rows, a generation needing a new
// row is counted as dropped, never waited for; rows already pending
// still take theirs.
func TestRecorderBounded(t *testing.T) {
	st := openStore(t)
	r := New(st, Options{FlushInterval: time.Hour, MaxPending: 2})
	defer r.Close()
	r.Record(gen("a/x", "other", 1, day))
	r.Record(gen("b/y", "other", 1, day))
	r.Record(gen("c/z", "other", 1, day)) // a third row: dropped
	r.Record(gen("a/x", "other", 1, day)) // an existing row: merged
	if r.Dropped() != 1 || r.Pending() != 2 {
		t.Fatalf("dropped %d pending %d, want 1 and 2", r.Dropped(), r.Pending())
	}
	if err := r.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	r.Record(gen("c/z", "other", 1, day)) // room again after the flush
	if r.Dropped() != 1 || r.Pending() != 1 {
		t.Errorf("after the flush: dropped %d pending %d, want 1 and 1", r.Dropped(), r.Pending())
	}
}

// failing is a UsageStore whose writes fail while fail is set.
type failing struct {
	store.UsageStore
	fail atomic.Bool
}

func (f *failing) AddUsage(ctx context.Context, rows []store.UsageRow) error {
	if f.fail.Load() {
		return errors.New("disk full")
	}
	return f.UsageStore.AddUsage(ctx, rows)
}

// TestRecorderRetries: rows a failed flush could not write are kept,
// merged with what came meanwhile, and written by the next flush.
func TestRecorderRetries(t *testing.T) {
	st := openStore(t)
	f := &failing{UsageStore: st}
	r := New(f, Options{FlushInterval: time.Hour})
	r.Record(gen("a/x", "other", 5, day))
	f.fail.Store(true)
	if err := r.Flush(t.Context()); err == nil {
		t.Fatal("Flush succeeded against a failing store")
	}
	r.Record(gen("a/x", "other", 7, day))
	f.fail.Store(false)
	r.Close() // flushes
	got, err := st.UsageByModel(t.Context(), store.UsageQuery{From: day, To: day.AddDate(0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Requests != 2 || got[0].Prompt != 12 {
		t.Errorf("UsageByModel = %+v, want 2 requests, 12 prompt tokens", got)
	}
}

// BenchmarkRecord is the request path's cost: merging into an existing
// row.
func BenchmarkRecord(b *testing.B) {
	r := New(openStore(b), Options{FlushInterval: time.Hour})
	defer r.Close()
	g := gen("a/x", "programming", 10, day)
	b.ReportAllocs()
	for b.Loop() {
		r.Record(g)
	}
}
