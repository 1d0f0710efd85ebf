package storetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// mustRecordBatch records gens with RecordGenerations and returns the
// balances it reports.
func mustRecordBatch(t *testing.T, s store.Store, gens []store.Generation) map[int64]money.Amount {
	t.Helper()
	balances, err := s.RecordGenerations(t.Context(), gens)
	if err != nil {
		t.Fatalf("RecordGenerations(%d): %v", len(gens), err)
	}
	return balances
}

// wantBalances checks RecordGenerations' result against the accounts as
// stored.
func wantBalances(t *testing.T, s store.Store, got map[int64]money.Amount, ids ...int64) {
	t.Helper()
	want := map[int64]money.Amount{}
	for _, id := range ids {
		want[id] = mustAccountByID(t, s, id).Balance
	}
	if !maps.Equal(got, want) {
		t.Errorf("RecordGenerations balances = %v, want %v", got, want)
	}
}

// wantGeneration checks that g is stored as given.
func wantGeneration(t *testing.T, s store.Store, g store.Generation) {
	t.Helper()
	got, err := s.Generation(t.Context(), g.ID)
	if err != nil {
		t.Fatalf("Generation(%s): %v", g.ID, err)
	}
	g.CreatedAt = store.Timestamp(g.CreatedAt)
	if !equalGeneration(got, g) {
		t.Errorf("Generation:\n got %s\nwant %s", fmtGen(got), fmtGen(g))
	}
}

func testRecordGenerations(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := mustAccount(t, s, usd(10)), mustAccount(t, s, usd(1))
	ka1, ka2, kb := mustKey(t, s, a.ID), mustKey(t, s, a.ID), mustKey(t, s, b.ID)
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)

	var gens []store.Generation
	for i, k := range []store.Key{ka1, ka1, ka2, kb, ka2} {
		g := gen(t, k, money.Amount(1000*(i+1)))
		g.PromptTokens, g.CompletionTokens = 10*(i+1), i
		g.IsBYOK = i == 2
		g.CreatedAt = at.Add(time.Duration(i) * time.Minute)
		gens = append(gens, g)
	}
	gens[4].Cost = 0 // free: recorded, not charged
	balances := mustRecordBatch(t, s, gens)
	wantBalances(t, s, balances, a.ID, b.ID)
	usedA := money.Amount(1000 + 2000 + 3000)
	wantMoney(t, s, a.ID, usd(10)-usedA, usd(10), usedA)
	wantMoney(t, s, b.ID, usd(1)-4000, usd(1), 4000)
	wantKeyUsage(t, s, ka1.Hash, 3000)
	wantKeyUsage(t, s, ka2.Hash, 3000)
	wantKeyUsage(t, s, kb.Hash, 4000)
	for _, g := range gens {
		wantGeneration(t, s, g)
	}

	// The charges are in the ledger: one entry per key, which its
	// generations name.
	if n := wantUsageEntries(t, s, a.ID, gens); n != 2 {
		t.Errorf("account %d: %d usage entries, want 2 (one per key charged)", a.ID, n)
	}

	// The same batch again charges nothing and still reports balances;
	// so does a batch mixing recorded ids with a new one, which alone is
	// charged.
	balances = mustRecordBatch(t, s, gens)
	wantBalances(t, s, balances, a.ID, b.ID)
	wantMoney(t, s, a.ID, usd(10)-usedA, usd(10), usedA)
	fresh := gen(t, ka1, 7)
	balances = mustRecordBatch(t, s, []store.Generation{gens[3], fresh, gens[0]})
	wantBalances(t, s, balances, a.ID, b.ID)
	wantMoney(t, s, a.ID, usd(10)-usedA-7, usd(10), usedA+7)
	wantMoney(t, s, b.ID, usd(1)-4000, usd(1), 4000)
	wantKeyUsage(t, s, ka1.Hash, 3007)

	// Both single and batch recording see ids the other recorded.
	wantErr(t, "RecordGeneration(id of a batch)", s.RecordGeneration(ctx, gens[1]), store.ErrAlreadyExists)
	single := gen(t, kb, 11)
	mustRecord(t, s, single)
	mustRecordBatch(t, s, []store.Generation{single})
	wantMoney(t, s, b.ID, usd(1)-4011, usd(1), 4011)

	// So does a batch of several statements' rows, recorded ids among
	// new ones: the new alone are recorded and charged.
	var many []store.Generation
	for i := range 300 {
		if i%50 == 25 {
			many = append(many, gens[i/50%len(gens)])
		}
		g := gen(t, kb, 1)
		g.CreatedAt = at
		many = append(many, g)
	}
	balances = mustRecordBatch(t, s, many)
	wantBalances(t, s, balances, a.ID, b.ID)
	wantMoney(t, s, a.ID, usd(10)-usedA-7, usd(10), usedA+7)
	wantMoney(t, s, b.ID, usd(1)-4311, usd(1), 4311)
	wantKeyUsage(t, s, kb.Hash, 4311)
	for _, g := range many[:3] {
		wantGeneration(t, s, g)
	}

	// An empty batch writes nothing.
	if balances, err := s.RecordGenerations(ctx, nil); err != nil || len(balances) != 0 {
		t.Errorf("RecordGenerations(nil) = %v, %v; want none", balances, err)
	}
	all := append(append(gens, fresh, single), many...)
	wantUsageEntries(t, s, a.ID, all)
	wantUsageEntries(t, s, b.ID, all)
	wantLedgerConsistent(t, s)
}

// testRecordGenerationsDuplicateInBatch checks that an id given twice in
// one batch is recorded and charged once, as first given.
func testRecordGenerationsDuplicateInBatch(t *testing.T, s store.Store) {
	a := mustAccount(t, s, usd(1))
	k := mustKey(t, s, a.ID)
	first := gen(t, k, 500)
	first.CreatedAt = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	second := first
	second.Cost, second.Model = 900, "other/model"
	other := gen(t, k, 20)
	balances := mustRecordBatch(t, s, []store.Generation{first, other, second, first})
	wantBalances(t, s, balances, a.ID)
	wantMoney(t, s, a.ID, usd(1)-520, usd(1), 520)
	wantKeyUsage(t, s, k.Hash, 520)
	wantGeneration(t, s, first)
	entries, err := s.Ledger(t.Context(), a.ID, 0)
	if err != nil {
		t.Fatalf("Ledger: %v", err)
	}
	if len(entries) != 2 { // the opening credit and the batch's charge
		t.Errorf("ledger has %d entries, want 2: %+v", len(entries), entries)
	}
	wantUsageEntries(t, s, a.ID, []store.Generation{first, other})
	wantLedgerConsistent(t, s)
}

// testRecordGenerationsAtomic checks that a batch with one bad generation
// writes nothing at all.
func testRecordGenerationsAtomic(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := mustAccount(t, s, usd(1)), mustAccount(t, s, usd(1))
	ka, kb := mustKey(t, s, a.ID), mustKey(t, s, b.ID)
	recorded := gen(t, ka, 5)
	mustRecord(t, s, recorded)

	cases := []struct {
		name   string
		mutate func(*store.Generation)
		want   error
	}{
		{"negative cost", func(g *store.Generation) { g.Cost = -1 }, store.ErrInvalid},
		{"empty id", func(g *store.Generation) { g.ID = "" }, store.ErrInvalid},
		{"negative tokens", func(g *store.Generation) { g.ReasoningTokens = -1 }, store.ErrInvalid},
		{"unknown key", func(g *store.Generation) { g.KeyHash = newHash(t) }, store.ErrNotFound},
		{"key of another account", func(g *store.Generation) { g.KeyHash = kb.Hash }, store.ErrNotFound},
		{"unknown account", func(g *store.Generation) { g.AccountID = b.ID + 1000 }, store.ErrNotFound},
		// The bad one is a copy of a good one's id: still refused.
		{"invalid duplicate", func(g *store.Generation) { g.ID, g.Cost = recorded.ID, -1 }, store.ErrInvalid},
	}
	for _, c := range cases {
		good := []store.Generation{gen(t, ka, 100), gen(t, kb, 200), gen(t, ka, 300)}
		bad := gen(t, ka, 50)
		c.mutate(&bad)
		batch := []store.Generation{good[0], good[1], bad, good[2], recorded}
		balances, err := s.RecordGenerations(ctx, batch)
		wantErr(t, "RecordGenerations("+c.name+")", err, c.want)
		if balances != nil {
			t.Errorf("RecordGenerations(%s) balances = %v, want nil", c.name, balances)
		}
		for _, g := range append(good, bad) {
			if g.ID == "" || g.ID == recorded.ID {
				continue
			}
			_, err := s.Generation(ctx, g.ID)
			wantErr(t, "Generation(batch with "+c.name+")", err, store.ErrNotFound)
		}
	}
	wantMoney(t, s, a.ID, usd(1)-5, usd(1), 5)
	wantMoney(t, s, b.ID, usd(1), usd(1), 0)
	wantKeyUsage(t, s, ka.Hash, 5)
	wantKeyUsage(t, s, kb.Hash, 0)
	if entries, err := s.Ledger(ctx, b.ID, 0); err != nil || len(entries) != 1 {
		t.Errorf("Ledger(b) = %+v, %v; want the opening credit only", entries, err)
	}
	wantLedgerConsistent(t, s)
}

// testConcurrentBatches records overlapping batches, and single
// generations, from many goroutines at once: each generation is charged
// exactly once.
func testConcurrentBatches(t *testing.T, s store.Store) {
	const (
		pool      = 200
		workers   = 8
		rounds    = 4
		batchSize = 60
	)
	a, b := mustAccount(t, s, usd(1)), mustAccount(t, s, usd(1))
	keys := []store.Key{mustKey(t, s, a.ID), mustKey(t, s, a.ID), mustKey(t, s, b.ID), mustKey(t, s, b.ID)}
	gens := make([]store.Generation, pool)
	want := map[int64]money.Amount{}
	keyWant := map[string]money.Amount{}
	for i := range gens {
		k := keys[i%len(keys)]
		gens[i] = gen(t, k, money.Amount(1+i)*1_001)
		want[k.AccountID] += gens[i].Cost
		keyWant[k.Hash] += gens[i].Cost
	}

	var wg sync.WaitGroup
	for w := range workers {
		rng := rand.New(rand.NewPCG(uint64(w), 7))
		batches := make([][]store.Generation, rounds)
		for r := range batches {
			batches[r] = make([]store.Generation, batchSize)
			for i := range batches[r] {
				batches[r][i] = gens[rng.IntN(pool)] // duplicates within a batch too
			}
		}
		wg.Go(func() {
			for _, batch := range batches {
				if _, err := s.RecordGenerations(t.Context(), batch); err != nil {
					t.Errorf("RecordGenerations: %v", err)
				}
			}
		})
		g := gens[(w*5)%pool]
		wg.Go(func() {
			if err := s.RecordGeneration(t.Context(), g); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
				t.Errorf("RecordGeneration: %v", err)
			}
		})
	}
	wg.Wait()
	// Whatever the workers missed, a last batch of every generation
	// records: after it each is charged exactly once.
	balances := mustRecordBatch(t, s, gens)
	wantBalances(t, s, balances, a.ID, b.ID)
	wantMoney(t, s, a.ID, usd(1)-want[a.ID], usd(1), want[a.ID])
	wantMoney(t, s, b.ID, usd(1)-want[b.ID], usd(1), want[b.ID])
	for _, k := range keys {
		wantKeyUsage(t, s, k.Hash, keyWant[k.Hash])
	}
	for _, id := range []int64{a.ID, b.ID} {
		entries, err := s.Ledger(t.Context(), id, 0)
		if err != nil {
			t.Fatalf("Ledger: %v", err)
		}
		var sum money.Amount
		for _, e := range entries {
			sum += e.Amount
		}
		if bal := mustAccountByID(t, s, id).Balance; sum != bal {
			t.Errorf("account %d: ledger sum %s, balance %s", id, sum, bal)
		}
		// Each generation names one entry, whose amount is its
		// generations' costs: none is charged twice.
		wantUsageEntries(t, s, id, gens)
	}
	wantLedgerConsistent(t, s)
}

// BenchRecordGenerations measures RecordGenerations on batches of size new
// generations spread over four keys of two accounts, as the billing
// accountant flushes them, in ctx (the accountant's flusher passes one of
// background.Yielding). s must be a fresh store.
func BenchRecordGenerations(ctx context.Context, b *testing.B, s store.Store, size int) {
	var keys []store.Key
	for i := range 2 {
		a, err := s.CreateAccount(ctx, fmt.Sprintf("bench-%d", i), usd(1_000_000))
		if err != nil {
			b.Fatal(err)
		}
		for j := range 2 {
			k, err := s.CreateKey(ctx, store.NewKey{AccountID: a.ID, Hash: fmt.Sprintf("bench-key-%d-%d", i, j)})
			if err != nil {
				b.Fatal(err)
			}
			keys = append(keys, k)
		}
	}
	batch := make([]store.Generation, size)
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		for i := range batch {
			n++
			k := keys[n%len(keys)]
			batch[i] = store.Generation{ID: fmt.Sprintf("gen-bench-%09d", n), AccountID: k.AccountID, KeyHash: k.Hash,
				Model: "bench/model", ProviderSlug: "p", PromptTokens: 1000, CompletionTokens: 200, Cost: 12_345}
		}
		if _, err := s.RecordGenerations(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/generation")
}

// BenchIngest measures ingestion as a busy gateway does it: batches of
// size generation records, charged (RecordGenerations), and their usage
// rollups (AddUsage), spread over apps, models and categories as real
// traffic is. It reports records per second.
func BenchIngest(b *testing.B, s store.Store, size int) {
	benchIngest(b, s, size, func(ctx context.Context, gens []store.Generation) error {
		_, err := s.RecordGenerations(ctx, gens)
		return err
	}, true)
}

// BenchImport is BenchIngest for bulk history: ImportGenerations (COPY on
// PostgreSQL) and AddUsage.
func BenchImport(b *testing.B, s store.Store, size int) {
	benchIngest(b, s, size, s.ImportGenerations, true)
}

// BenchImportRecords is BenchImport without the rollups: the generation
// records alone.
func BenchImportRecords(b *testing.B, s store.Store, size int) {
	benchIngest(b, s, size, s.ImportGenerations, false)
}

func benchIngest(b *testing.B, s store.Store, size int, write func(context.Context, []store.Generation) error, rollups bool) {
	ctx := b.Context()
	a, err := s.CreateAccount(ctx, "ingest", usd(1_000_000_000))
	if err != nil {
		b.Fatal(err)
	}
	var keys []store.Key
	for j := range 8 {
		k, err := s.CreateKey(ctx, store.NewKey{AccountID: a.ID, Hash: fmt.Sprintf("ingest-key-%d", j)})
		if err != nil {
			b.Fatal(err)
		}
		keys = append(keys, k)
	}
	categories := []string{"programming", "roleplay", "other", "translation"}
	batch := make([]store.Generation, size)
	rows := make([]store.UsageRow, size)
	start := time.Now().UTC().Truncate(time.Hour)
	n := 0
	for b.Loop() {
		for i := range batch {
			n++
			app := n % 40
			k := keys[app%len(keys)]
			g := store.Generation{ID: fmt.Sprintf("gen-ingest-%010d", n), AccountID: k.AccountID, KeyHash: k.Hash,
				Model: fmt.Sprintf("author%d/model-%d", app%5, (app+n%3)%12), ProviderSlug: "p", ProviderName: "P",
				HTTPReferer: fmt.Sprintf("https://app-%d.example", app), AppTitle: "App", Category: categories[app%len(categories)],
				Status: 200, FinishReason: "stop", PromptTokens: 1000, CompletionTokens: 200, Cost: 12_345,
				CreatedAt: start.Add(time.Duration(n) * time.Millisecond)}
			batch[i], rows[i] = g, store.UsageOf(g)
		}
		if err := write(ctx, batch); err != nil {
			b.Fatal(err)
		}
		if !rollups {
			continue
		}
		if err := s.AddUsage(ctx, rows); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}
