package sqlite

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/background"
	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/store"
	"github.com/switchyard-dev/switchyard/internal/store/internal/batch"
)

// plan returns the rows and statement sizes chunkFor cuts n rows into.
func plan(n int) (rows, sizes []int) {
	for n > 0 {
		size := recordChunks[chunkFor(n)]
		rows, sizes = append(rows, min(size, n)), append(sizes, size)
		n -= min(size, n)
	}
	return rows, sizes
}

func TestChunkFor(t *testing.T) {
	for n := 1; n <= 3*recordChunks[len(recordChunks)-1]+1; n++ {
		rows, sizes := plan(n)
		for i := range rows {
			last := i == len(rows)-1
			if pad := sizes[i] - rows[i]; pad < 0 || pad > maxPadding || pad > 0 && !last {
				t.Fatalf("%d rows: statements of %v for rows %v", n, sizes, rows)
			}
		}
	}
	for _, tt := range []struct {
		n     int
		sizes []int
	}{
		{1, []int{1}},
		{3, []int{4}},
		{65, []int{64, 1}},
		{80, []int{64, 16}},
		{100, []int{128}}, // a flush at 1000 requests a second
		{129, []int{128, 1}},
		{600, []int{256, 256, 64, 32}},
	} {
		if _, sizes := plan(tt.n); !slices.Equal(sizes, tt.sizes) {
			t.Errorf("%d rows: statements of %v, want %v", tt.n, sizes, tt.sizes)
		}
	}
}

// recordTestGeneration returns a generation whose every field is set and
// differs from the other generations', so that a value written to the
// wrong column or row would show.
func recordTestGeneration(id string, i int, account int64, key string) store.Generation {
	g := store.Generation{
		ID: id, AccountID: account, KeyHash: key,
		Model: fmt.Sprintf("author/model-%d", i), ProviderSlug: fmt.Sprintf("slug-%d", i),
		ProviderName: fmt.Sprintf("Provider %d", i), UpstreamModel: fmt.Sprintf("upstream-%d", i),
		UpstreamID: fmt.Sprintf("up-%d", i), Streamed: i%2 == 0, Cancelled: i%3 == 0,
		FinishReason: fmt.Sprintf("finish-%d", i), NativeFinishReason: fmt.Sprintf("native-%d", i),
		PromptTokens: 10*i + 1, CompletionTokens: 10*i + 2, ReasoningTokens: 10*i + 3,
		CachedTokens: 10*i + 4, CacheWriteTokens: 10*i + 5,
		IsBYOK: i%5 == 0, LatencyMs: int64(10*i + 6), GenerationTimeMs: int64(10*i + 7),
		HTTPReferer: fmt.Sprintf("https://app-%d.example", i), AppTitle: fmt.Sprintf("App %d", i),
		User: fmt.Sprintf("user-%d", i), SessionID: fmt.Sprintf("session-%d", i), Attempts: i%4 + 1,
		Status: 200 + i%3, Error: fmt.Sprintf("error-%d", i), Category: fmt.Sprintf("category-%d", i),
		AppPrivate: i%7 == 0,
	}
	// Nanoseconds, which the store drops.
	g.CreatedAt = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i)*time.Second + 123_456_789)
	if i%4 != 0 { // a quarter cost nothing and write no ledger entry
		g.Cost = money.Amount(1000*i + 7)
	}
	if i%3 != 0 {
		g.ProviderResponses = []store.ProviderResponse{{Provider: fmt.Sprintf("p-%d", i), Name: "P", Model: g.Model,
			Endpoint: fmt.Sprintf("e-%d", i), Status: 200, LatencyMs: int64(i), Error: fmt.Sprintf("e%d", i)}}
	}
	return g
}

// TestRecordChunks records batches whose sizes take every statement of
// recordChunks, padded and not, and reads back every generation, ledger entry, key usage and balance. One batch
// repeats an id within it and one already recorded: both are skipped.
func TestRecordChunks(t *testing.T) {
	sizes := []int{1, 2, 3, 7, 16, 20, 40, 65, 100, 200, 256, 600}
	used := map[int]bool{}
	padded := false
	for _, n := range sizes {
		rows, ss := plan(n)
		for i, s := range ss {
			used[s] = true
			padded = padded || rows[i] < s
		}
	}
	if len(used) != len(recordChunks) || !padded {
		t.Fatalf("batch sizes %v take statements of %v rows (padded %t), not every one of %v",
			sizes, slices.Sorted(maps.Keys(used)), padded, recordChunks)
	}

	testRecordChunks(t, sizes, func(ctx context.Context, s *Store, gens []store.Generation) (map[int64]money.Amount, error) {
		return s.RecordGenerations(ctx, gens)
	})
}

// TestRecordChunksYielding is TestRecordChunks for the billing flusher's
// writes, in statements of at most yieldRows rows (background.Yielding).
func TestRecordChunksYielding(t *testing.T) {
	// chunkFor(n) for n ≤ yieldRows must not pick a longer statement.
	if !slices.Contains(recordChunks[:], yieldRows) {
		t.Fatalf("yieldRows %d is not a size of recordChunks %v", yieldRows, recordChunks)
	}
	testRecordChunks(t, []int{1, 3, 4, 5, 9, 100}, func(ctx context.Context, s *Store, gens []store.Generation) (map[int64]money.Amount, error) {
		return s.RecordGenerations(background.Yielding(ctx), gens)
	})
}

func testRecordChunks(t *testing.T, sizes []int,
	write func(ctx context.Context, s *Store, gens []store.Generation) (map[int64]money.Amount, error)) {
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "switchyard.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const credits = money.Amount(1_000_000_000_000)
	type owner struct {
		account int64
		key     string
	}
	var owners []owner
	balance := map[int64]money.Amount{}
	usage := map[string]money.Amount{}
	for a := range 2 {
		acct, err := s.CreateAccount(ctx, fmt.Sprintf("account-%d", a), credits)
		if err != nil {
			t.Fatal(err)
		}
		balance[acct.ID] = credits
		for k := range 2 {
			key, err := s.CreateKey(ctx, store.NewKey{AccountID: acct.ID, Hash: fmt.Sprintf("key-%d-%d", a, k)})
			if err != nil {
				t.Fatal(err)
			}
			owners = append(owners, owner{acct.ID, key.Hash})
		}
	}

	stored := map[string]store.Generation{} // by id, as recorded first
	wantEntries := 0                        // ledger entries: one per key charged by each batch
	i := 0
	for b, n := range sizes {
		var gens []store.Generation
		for range n {
			i++
			o := owners[i%len(owners)]
			gens = append(gens, recordTestGeneration(fmt.Sprintf("gen-%06d", i), i, o.account, o.key))
		}
		if b == len(sizes)/2 {
			// The same id twice (the first is recorded) and one recorded
			// by an earlier batch, each with other values.
			o := owners[0]
			gens = append(gens, recordTestGeneration(gens[0].ID, 999_001, o.account, o.key),
				recordTestGeneration("gen-000001", 999_002, o.account, o.key))
		}
		want := map[int64]money.Amount{}
		keysCharged := map[string]bool{}
		for _, g := range gens {
			want[g.AccountID] = 0
			if _, ok := stored[g.ID]; ok {
				continue
			}
			stored[g.ID] = g
			keysCharged[g.KeyHash] = keysCharged[g.KeyHash] || g.Cost > 0
			balance[g.AccountID] -= g.Cost
			usage[g.KeyHash] += g.Cost
		}
		for id := range want {
			want[id] = balance[id]
		}
		for _, charged := range keysCharged {
			if charged {
				wantEntries++
			}
		}
		got, err := write(ctx, s, gens)
		if err != nil {
			t.Fatalf("batch of %d: %v", len(gens), err)
		}
		if !maps.Equal(got, want) {
			t.Errorf("batch of %d: balances %v, want %v", len(gens), got, want)
		}
	}

	// Each generation that costs something names its ledger entry; the
	// entry's every column is what its generations make it.
	type entry struct {
		account int64
		kind    string
		amount  money.Amount
		key     string
		note    string
	}
	charged := map[int64]entry{}
	counts := map[int64]int{}
	for _, want := range stored {
		got, err := s.Generation(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.CreatedAt.Equal(store.Timestamp(want.CreatedAt)) {
			t.Errorf("%s: CreatedAt %v, want %v", want.ID, got.CreatedAt, store.Timestamp(want.CreatedAt))
		}
		if (got.LedgerID != 0) != (want.Cost > 0) {
			t.Errorf("%s costs %v and names ledger entry %d", want.ID, want.Cost, got.LedgerID)
		}
		if want.Cost > 0 {
			e := charged[got.LedgerID]
			if e.key != "" && (e.key != want.KeyHash || e.account != want.AccountID) {
				t.Errorf("%s (key %s of account %d) charged by entry %d of key %s of account %d",
					want.ID, want.KeyHash, want.AccountID, got.LedgerID, e.key, e.account)
			}
			e.account, e.kind, e.key = want.AccountID, store.LedgerUsage, want.KeyHash
			e.amount -= want.Cost
			charged[got.LedgerID] = e
			counts[got.LedgerID]++
		}
		got.CreatedAt, want.CreatedAt, got.LedgerID = time.Time{}, time.Time{}, 0
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Generation(%s):\n got %+v\nwant %+v", want.ID, got, want)
		}
	}
	for id, e := range charged {
		e.note = batch.OwnerCharge{Generations: counts[id]}.Note()
		charged[id] = e
	}
	entries := map[int64]entry{}
	rows, err := s.read.QueryContext(ctx, `SELECT id, account_id, kind, amount, key_hash, note FROM ledger
		WHERE kind <> ? AND generation_id IS NULL AND ref = ''`, store.LedgerCredit)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id int64
			e  entry
		)
		if err := rows.Scan(&id, &e.account, &e.kind, &e.amount, &e.key, &e.note); err != nil {
			t.Fatal(err)
		}
		entries[id] = e
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(entries, charged) {
		t.Errorf("ledger entries:\n got %v\nwant %v", entries, charged)
	}
	if len(entries) != wantEntries {
		t.Errorf("%d ledger entries, want %d: one per key charged by each batch", len(entries), wantEntries)
	}
	for _, o := range owners {
		k, err := s.Key(ctx, o.key)
		if err != nil {
			t.Fatal(err)
		}
		if k.Usage != usage[o.key] {
			t.Errorf("key %s: usage %v, want %v", o.key, k.Usage, usage[o.key])
		}
	}
	for id, b := range balance {
		if a, err := s.Account(ctx, id); err != nil || a.Balance != b {
			t.Errorf("Account(%d) = balance %v, %v; want %v", id, a.Balance, err, b)
		}
	}
	if ms, err := s.VerifyLedger(ctx); err != nil || len(ms) != 0 {
		t.Errorf("VerifyLedger = %v, %v", ms, err)
	}
}

// TestRecordInsertsFail pins that record's INSERTs are INSERT OR FAIL: a
// plain INSERT (ABORT), which a constraint could stop half-way, keeps a
// statement journal, copying every page it changes (see padded).
func TestRecordInsertsFail(t *testing.T) {
	for _, c := range newRecordStmts().all() {
		q := strings.Join(strings.Fields(c.query), " ")
		if strings.HasPrefix(q, "INSERT") && !strings.HasPrefix(q, "INSERT OR FAIL ") {
			t.Errorf("record statement %.60q is not INSERT OR FAIL", q)
		}
	}
}
