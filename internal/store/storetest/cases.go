package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/store"
)

func testAccountAndKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	before := time.Now()
	a, err := s.CreateAccount(ctx, "acme", usd(10))
	if err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	if a.ID <= 0 || a.Name != "acme" || a.Balance != usd(10) || a.TotalCredits != usd(10) || a.TotalUsage != 0 {
		t.Errorf("CreateAccount = %+v", a)
	}
	wantRecentUTC(t, "account CreatedAt", a.CreatedAt, before)
	if got := mustAccountByID(t, s, a.ID); !equalAccount(got, a) {
		t.Errorf("Account = %+v, want %+v", got, a)
	}
	if b := mustAccount(t, s, 0); b.ID == a.ID || b.Balance != 0 {
		t.Errorf("second account = %+v", b)
	}

	nk := store.NewKey{AccountID: a.ID, Hash: newHash(t), Name: "prod", Label: "sk-sy-v1-abc…xyz"}
	k, err := s.CreateKey(ctx, nk)
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	want := store.Key{Hash: nk.Hash, AccountID: a.ID, Name: "prod", Label: "sk-sy-v1-abc…xyz", CreatedAt: k.CreatedAt, UpdatedAt: k.CreatedAt}
	if !equalKey(k, want) {
		t.Errorf("CreateKey = %+v, want %+v", k, want)
	}
	wantRecentUTC(t, "key CreatedAt", k.CreatedAt, before)
	mk, err := s.CreateKey(ctx, store.NewKey{AccountID: a.ID, Hash: newHash(t), Name: "admin", IsManagement: true})
	if err != nil {
		t.Fatalf("CreateKey(management): %v", err)
	}
	if !mk.IsManagement {
		t.Errorf("management key IsManagement = false")
	}

	gotK, gotA := mustKeyByHash(t, s, k.Hash)
	if !equalKey(gotK, k) {
		t.Errorf("KeyByHash key = %+v, want %+v", gotK, k)
	}
	if !equalAccount(gotA, a) {
		t.Errorf("KeyByHash account = %+v, want %+v", gotA, a)
	}
	if gotK, _ := mustKeyByHash(t, s, mk.Hash); !equalKey(gotK, mk) {
		t.Errorf("KeyByHash(management) = %+v, want %+v", gotK, mk)
	}

	keys, err := s.ListKeys(ctx, a.ID)
	if err != nil {
		t.Fatalf("ListKeys: %v", err)
	}
	if len(keys) != 2 {
		t.Fatalf("ListKeys: %d keys, want 2", len(keys))
	}
	for _, got := range keys {
		if want := map[string]store.Key{k.Hash: k, mk.Hash: mk}[got.Hash]; !equalKey(got, want) {
			t.Errorf("ListKeys: %+v, want %+v", got, want)
		}
	}
	if keys[0].CreatedAt.After(keys[1].CreatedAt) {
		t.Errorf("ListKeys: not oldest first: %v, %v", keys[0].CreatedAt, keys[1].CreatedAt)
	}
	wantLedgerConsistent(t, s)
}

func testCreateKeyErrors(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := mustAccount(t, s, 0)
	k := mustKey(t, s, a.ID)

	_, err := s.CreateKey(ctx, store.NewKey{AccountID: a.ID, Hash: k.Hash, Name: "again"})
	wantErr(t, "CreateKey(duplicate hash)", err, store.ErrAlreadyExists)
	_, err = s.CreateKey(ctx, store.NewKey{AccountID: a.ID + 1000, Hash: newHash(t)})
	wantErr(t, "CreateKey(unknown account)", err, store.ErrNotFound)
	_, err = s.CreateKey(ctx, store.NewKey{AccountID: a.ID})
	wantErr(t, "CreateKey(empty hash)", err, store.ErrInvalid)
	_, err = s.CreateAccount(ctx, "negative", -1)
	wantErr(t, "CreateAccount(negative credits)", err, store.ErrInvalid)

	if got, _ := mustKeyByHash(t, s, k.Hash); got.Name != k.Name {
		t.Errorf("duplicate CreateKey changed the key: %+v", got)
	}
}

func testCreateAccountWithKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	before := time.Now()
	other := mustAccount(t, s, 0)
	nk := store.NewKey{AccountID: other.ID, Hash: newHash(t), Name: "prod", Label: "sk-sy-v1-abc…xyz"}
	a, k, err := s.CreateAccountWithKey(ctx, "acme", usd(10), nk)
	if err != nil {
		t.Fatalf("CreateAccountWithKey: %v", err)
	}
	if a.ID <= 0 || a.ID == other.ID || a.Name != "acme" || a.Balance != usd(10) || a.TotalCredits != usd(10) || a.TotalUsage != 0 {
		t.Errorf("CreateAccountWithKey account = %+v", a)
	}
	wantRecentUTC(t, "account CreatedAt", a.CreatedAt, before)
	// nk.AccountID is ignored: the key belongs to the new account.
	want := store.Key{Hash: nk.Hash, AccountID: a.ID, Name: "prod", Label: "sk-sy-v1-abc…xyz", CreatedAt: k.CreatedAt, UpdatedAt: k.CreatedAt}
	if !equalKey(k, want) {
		t.Errorf("CreateAccountWithKey key = %+v, want %+v", k, want)
	}
	wantRecentUTC(t, "key CreatedAt", k.CreatedAt, before)

	if got := mustAccountByID(t, s, a.ID); !equalAccount(got, a) {
		t.Errorf("Account = %+v, want %+v", got, a)
	}
	gotK, gotA := mustKeyByHash(t, s, k.Hash)
	if !equalKey(gotK, k) {
		t.Errorf("KeyByHash key = %+v, want %+v", gotK, k)
	}
	if !equalAccount(gotA, a) {
		t.Errorf("KeyByHash account = %+v, want %+v", gotA, a)
	}
	if keys, err := s.ListKeys(ctx, other.ID); err != nil || len(keys) != 0 {
		t.Errorf("ListKeys(other account) = %v, %v; want none", keys, err)
	}

	// The account's opening credit is in the ledger, and it can be charged.
	mustRecord(t, s, gen(t, k, usd(1)))
	wantMoney(t, s, a.ID, usd(9), usd(10), usd(1))
	wantKeyUsage(t, s, k.Hash, usd(1))

	// Zero credits, and a management key.
	z, zk, err := s.CreateAccountWithKey(ctx, "zero", 0, store.NewKey{Hash: newHash(t), Name: "admin", IsManagement: true})
	if err != nil {
		t.Fatalf("CreateAccountWithKey(zero credits): %v", err)
	}
	if z.Balance != 0 || z.TotalCredits != 0 || zk.AccountID != z.ID || !zk.IsManagement {
		t.Errorf("CreateAccountWithKey(zero credits) = %+v, %+v", z, zk)
	}
	wantMoney(t, s, z.ID, 0, 0, 0)
	wantLedgerConsistent(t, s)
}

// testCreateAccountWithKeyAtomic checks that a failed CreateAccountWithKey
// writes nothing: no account, no ledger entry, no key.
func testCreateAccountWithKeyAtomic(t *testing.T, s store.Store) {
	ctx := t.Context()
	first := mustAccount(t, s, usd(1))
	k := mustKey(t, s, first.ID)

	_, _, err := s.CreateAccountWithKey(ctx, "dup", usd(5), store.NewKey{Hash: k.Hash, Name: "again"})
	wantErr(t, "CreateAccountWithKey(duplicate hash)", err, store.ErrAlreadyExists)
	_, _, err = s.CreateAccountWithKey(ctx, "empty", usd(5), store.NewKey{Name: "no hash"})
	wantErr(t, "CreateAccountWithKey(empty hash)", err, store.ErrInvalid)
	unused := newHash(t)
	_, _, err = s.CreateAccountWithKey(ctx, "negative", -1, store.NewKey{Hash: unused})
	wantErr(t, "CreateAccountWithKey(negative credits)", err, store.ErrInvalid)

	// No account was left behind. Ids are assigned in increasing order, and
	// a rolled-back insert may use one up (a Postgres sequence does), so
	// every id between the account made before the failures and the one
	// made after them must be unused.
	next := mustAccount(t, s, 0)
	if next.ID <= first.ID {
		t.Fatalf("account ids not increasing: %d then %d", first.ID, next.ID)
	}
	for id := first.ID + 1; id < next.ID; id++ {
		_, err := s.Account(ctx, id)
		wantErr(t, fmt.Sprintf("Account(%d) after failed CreateAccountWithKey", id), err, store.ErrNotFound)
	}
	if keys, err := s.ListKeys(ctx, next.ID); err != nil || len(keys) != 0 {
		t.Errorf("ListKeys(next account) = %v, %v; want none", keys, err)
	}

	// The existing key is untouched, no key was stored under the unused
	// hash, and the ledger still balances.
	if gotK, gotA := mustKeyByHash(t, s, k.Hash); !equalKey(gotK, k) || gotA.ID != first.ID {
		t.Errorf("KeyByHash after failed CreateAccountWithKey = %+v, %+v; want %+v on account %d", gotK, gotA, k, first.ID)
	}
	_, _, err = s.KeyByHash(ctx, unused)
	wantErr(t, "KeyByHash(hash of a failed CreateAccountWithKey)", err, store.ErrNotFound)
	wantMoney(t, s, first.ID, usd(1), usd(1), 0)
	wantLedgerConsistent(t, s)
}

func testNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := mustAccount(t, s, usd(1))
	_, _, err := s.KeyByHash(ctx, newHash(t))
	wantErr(t, "KeyByHash(unknown)", err, store.ErrNotFound)
	_, err = s.Account(ctx, a.ID+1000)
	wantErr(t, "Account(unknown)", err, store.ErrNotFound)
	_, err = s.Generation(ctx, newGenID(t))
	wantErr(t, "Generation(unknown)", err, store.ErrNotFound)
	err = s.DisableKey(ctx, newHash(t))
	wantErr(t, "DisableKey(unknown)", err, store.ErrNotFound)
	_, err = s.AddCredits(ctx, a.ID+1000, usd(1), "")
	wantErr(t, "AddCredits(unknown)", err, store.ErrNotFound)
	keys, err := s.ListKeys(ctx, a.ID+1000)
	if err != nil || len(keys) != 0 {
		t.Errorf("ListKeys(unknown) = %v, %v; want none", keys, err)
	}
	if keys, err := s.ListKeys(ctx, a.ID); err != nil || len(keys) != 0 {
		t.Errorf("ListKeys(no keys) = %v, %v; want none", keys, err)
	}
}

func testDisableKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := mustAccount(t, s, usd(1))
	k, other := mustKey(t, s, a.ID), mustKey(t, s, a.ID)
	for range 2 { // the second time is a no-op
		if err := s.DisableKey(ctx, k.Hash); err != nil {
			t.Fatalf("DisableKey: %v", err)
		}
		if got, _ := mustKeyByHash(t, s, k.Hash); !got.Disabled {
			t.Errorf("disabled key: Disabled = false")
		}
	}
	if got, _ := mustKeyByHash(t, s, other.Hash); got.Disabled {
		t.Errorf("other key: Disabled = true")
	}
	keys, err := s.ListKeys(ctx, a.ID)
	if err != nil {
		t.Fatalf("ListKeys: %v", err)
	}
	for _, got := range keys {
		if got.Disabled != (got.Hash == k.Hash) {
			t.Errorf("ListKeys: %s… Disabled = %v", got.Hash[:8], got.Disabled)
		}
	}
	// A generation started before the key was disabled is still charged.
	mustRecord(t, s, gen(t, k, 7))
	wantMoney(t, s, a.ID, usd(1)-7, usd(1), 7)
}

func testAddCredits(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := mustAccount(t, s, usd(5))
	bal, err := s.AddCredits(ctx, a.ID, 2_500_000_001, "top-up")
	if err != nil {
		t.Fatalf("AddCredits: %v", err)
	}
	if want := usd(5) + 2_500_000_001; bal != want {
		t.Errorf("AddCredits = %s, want %s", bal, want)
	}
	if bal, err = s.AddCredits(ctx, a.ID, 1, ""); err != nil || bal != usd(5)+2_500_000_002 {
		t.Errorf("AddCredits = %s, %v", bal, err)
	}
	wantMoney(t, s, a.ID, usd(5)+2_500_000_002, usd(5)+2_500_000_002, 0)
	for _, amt := range []money.Amount{0, -1} {
		_, err := s.AddCredits(ctx, a.ID, amt, "")
		wantErr(t, "AddCredits("+amt.String()+")", err, store.ErrInvalid)
	}
	wantMoney(t, s, a.ID, usd(5)+2_500_000_002, usd(5)+2_500_000_002, 0)
	wantLedgerConsistent(t, s)
}

func testRecordGenerationCharges(t *testing.T, s store.Store) {
	a := mustAccount(t, s, usd(1))
	k1, k2 := mustKey(t, s, a.ID), mustKey(t, s, a.ID)
	other := mustAccount(t, s, usd(1))
	ko := mustKey(t, s, other.ID)

	mustRecord(t, s, gen(t, k1, 123_456_789))
	mustRecord(t, s, gen(t, k1, 1))
	mustRecord(t, s, gen(t, k2, 10_000))
	mustRecord(t, s, gen(t, k2, 0)) // free: recorded, nothing charged
	mustRecord(t, s, gen(t, ko, 5))

	used := money.Amount(123_456_789 + 1 + 10_000)
	wantMoney(t, s, a.ID, usd(1)-used, usd(1), used)
	wantKeyUsage(t, s, k1.Hash, 123_456_790)
	wantKeyUsage(t, s, k2.Hash, 10_000)
	wantMoney(t, s, other.ID, usd(1)-5, usd(1), 5)
	wantKeyUsage(t, s, ko.Hash, 5)
	if _, acct := mustKeyByHash(t, s, k2.Hash); acct.Balance != usd(1)-used {
		t.Errorf("KeyByHash balance %s, want %s", acct.Balance, usd(1)-used)
	}
	keys, err := s.ListKeys(t.Context(), a.ID)
	if err != nil {
		t.Fatalf("ListKeys: %v", err)
	}
	var sum money.Amount
	for _, k := range keys {
		sum += k.Usage
	}
	if sum != used {
		t.Errorf("ListKeys usage sum %s, want %s", sum, used)
	}
	wantLedgerConsistent(t, s)
}

func testRecordGenerationDuplicate(t *testing.T, s store.Store) {
	a := mustAccount(t, s, usd(1))
	k := mustKey(t, s, a.ID)
	g := gen(t, k, 1000)
	mustRecord(t, s, g)

	again := g
	again.Cost, again.Model = 999_999, "other/model"
	wantErr(t, "RecordGeneration(duplicate)", s.RecordGeneration(t.Context(), again), store.ErrAlreadyExists)
	wantErr(t, "RecordGeneration(identical)", s.RecordGeneration(t.Context(), g), store.ErrAlreadyExists)

	wantMoney(t, s, a.ID, usd(1)-1000, usd(1), 1000)
	wantKeyUsage(t, s, k.Hash, 1000)
	got, err := s.Generation(t.Context(), g.ID)
	if err != nil {
		t.Fatalf("Generation: %v", err)
	}
	if got.Cost != 1000 || got.Model != g.Model {
		t.Errorf("duplicate overwrote the generation: %s", fmtGen(got))
	}
	wantLedgerConsistent(t, s)
}

func testRecordGenerationRejected(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := mustAccount(t, s, usd(1)), mustAccount(t, s, usd(1))
	ka, kb := mustKey(t, s, a.ID), mustKey(t, s, b.ID)

	cases := []struct {
		name   string
		mutate func(*store.Generation)
		want   error
	}{
		{"unknown key", func(g *store.Generation) { g.KeyHash = newHash(t) }, store.ErrNotFound},
		{"key of another account", func(g *store.Generation) { g.KeyHash = kb.Hash }, store.ErrNotFound},
		{"unknown account", func(g *store.Generation) { g.AccountID = b.ID + 1000 }, store.ErrNotFound},
		{"negative cost", func(g *store.Generation) { g.Cost = -1 }, store.ErrInvalid},
		{"empty id", func(g *store.Generation) { g.ID = "" }, store.ErrInvalid},
		{"empty key hash", func(g *store.Generation) { g.KeyHash = "" }, store.ErrInvalid},
		{"negative tokens", func(g *store.Generation) { g.PromptTokens = -1 }, store.ErrInvalid},
	}
	for _, c := range cases {
		g := gen(t, ka, 100)
		c.mutate(&g)
		wantErr(t, "RecordGeneration("+c.name+")", s.RecordGeneration(ctx, g), c.want)
		if g.ID != "" {
			_, err := s.Generation(ctx, g.ID)
			wantErr(t, "Generation("+c.name+")", err, store.ErrNotFound)
		}
	}
	wantMoney(t, s, a.ID, usd(1), usd(1), 0)
	wantMoney(t, s, b.ID, usd(1), usd(1), 0)
	wantKeyUsage(t, s, ka.Hash, 0)
	wantKeyUsage(t, s, kb.Hash, 0)
	wantLedgerConsistent(t, s)
}

func testBalanceMayGoNegative(t *testing.T, s store.Store) {
	a := mustAccount(t, s, 10)
	k := mustKey(t, s, a.ID)
	if err := a.CheckBalance(); err != nil {
		t.Errorf("CheckBalance(10) = %v", err)
	}
	mustRecord(t, s, gen(t, k, 25))
	wantMoney(t, s, a.ID, -15, 10, 25)
	_, acct := mustKeyByHash(t, s, k.Hash)
	wantErr(t, "CheckBalance(-15)", acct.CheckBalance(), store.ErrInsufficientCredits)
	if bal, err := s.AddCredits(t.Context(), a.ID, 15, "settle"); err != nil || bal != 0 {
		t.Errorf("AddCredits = %s, %v; want 0", bal, err)
	}
	wantErr(t, "CheckBalance(0)", mustAccountByID(t, s, a.ID).CheckBalance(), store.ErrInsufficientCredits)
	wantLedgerConsistent(t, s)
}

func testConcurrentCharges(t *testing.T, s store.Store) {
	const n = 50
	a := mustAccount(t, s, usd(100))
	keys := []store.Key{mustKey(t, s, a.ID), mustKey(t, s, a.ID)}
	var (
		wg        sync.WaitGroup
		total     money.Amount
		keyTotals = make([]money.Amount, len(keys))
		errs      = make(chan error, n+5)
	)
	for i := range n {
		cost := money.Amount(i+1) * 1_234_567
		total += cost
		keyTotals[i%2] += cost
		g := gen(t, keys[i%2], cost)
		wg.Go(func() { errs <- s.RecordGeneration(t.Context(), g) })
	}
	for range 5 { // credits racing the charges
		wg.Go(func() {
			_, err := s.AddCredits(t.Context(), a.ID, usd(1), "concurrent")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent write: %v", err)
		}
	}
	wantMoney(t, s, a.ID, usd(105)-total, usd(105), total)
	for i, k := range keys {
		wantKeyUsage(t, s, k.Hash, keyTotals[i])
	}
	wantLedgerConsistent(t, s)
}

func testConcurrentDuplicates(t *testing.T, s store.Store) {
	const n, copies = 10, 3
	a := mustAccount(t, s, usd(1))
	k := mustKey(t, s, a.ID)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		ok   int
		dups int
	)
	for range n {
		g := gen(t, k, 1000)
		for range copies {
			wg.Go(func() {
				err := s.RecordGeneration(t.Context(), g)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, store.ErrAlreadyExists):
					dups++
				default:
					t.Errorf("RecordGeneration: %v", err)
				}
			})
		}
	}
	wg.Wait()
	if ok != n || dups != n*(copies-1) {
		t.Errorf("%d recorded, %d duplicates; want %d, %d", ok, dups, n, n*(copies-1))
	}
	wantMoney(t, s, a.ID, usd(1)-n*1000, usd(1), n*1000)
	wantKeyUsage(t, s, k.Hash, n*1000)
	wantLedgerConsistent(t, s)
}

func testGenerationRoundTrip(t *testing.T, s store.Store) {
	a := mustAccount(t, s, usd(3))
	k := mustKey(t, s, a.ID)
	in := store.Generation{
		ID:                 newGenID(t),
		AccountID:          a.ID,
		KeyHash:            k.Hash,
		Model:              "meta-llama/llama-3.3-70b-instruct",
		ProviderSlug:       "groq",
		ProviderName:       "Groq",
		UpstreamModel:      "llama-3.3-70b-versatile",
		UpstreamID:         "chatcmpl-abc123",
		Streamed:           true,
		Cancelled:          true,
		FinishReason:       "stop",
		NativeFinishReason: "end_turn",
		PromptTokens:       1200,
		CompletionTokens:   345,
		ReasoningTokens:    67,
		CachedTokens:       800,
		CacheWriteTokens:   100,
		Cost:               1_234_567_891,
		IsBYOK:             true,
		LatencyMs:          321,
		GenerationTimeMs:   4567,
		HTTPReferer:        "https://example.com/app",
		AppTitle:           "Example — “quoted” ✓",
		User:               "user-42",
		SessionID:          "sess-7",
		Attempts:           3,
		ProviderResponses: []store.ProviderResponse{
			{Provider: "together", Name: "Together", Model: "meta-llama/llama-3.3-70b-instruct", Endpoint: "together/turbo",
				Status: 429, LatencyMs: 87, Error: "rate limited — “try later”"},
			{Provider: "deepinfra", Name: "DeepInfra", Model: "meta-llama/llama-3.3-70b-instruct", Endpoint: "deepinfra",
				Status: 0, LatencyMs: 5000, Error: "first byte timeout"},
			{Provider: "groq", Name: "Groq", Model: "meta-llama/llama-3.3-70b-instruct", Endpoint: "groq", Status: 200, LatencyMs: 321},
		},
		// Nanoseconds and a zone, which the store normalises.
		CreatedAt:  time.Date(2026, 7, 24, 13, 14, 15, 123_456_789, time.FixedZone("X", 5*3600+1800)),
		Status:     200,
		Error:      "Groq returned 200 but the stream broke — “mid-way”",
		Category:   "marketing/seo",
		AppPrivate: true,
	}
	mustRecord(t, s, in)
	got, err := s.Generation(t.Context(), in.ID)
	if err != nil {
		t.Fatalf("Generation: %v", err)
	}
	want := in
	want.CreatedAt = store.Timestamp(in.CreatedAt)
	if !equalGeneration(got, want) {
		t.Errorf("Generation:\n got %s\nwant %s", fmtGen(got), fmtGen(want))
	}
	if got.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt location %v, want UTC", got.CreatedAt.Location())
	}
	// The false/zero side of every field survives too.
	zero := store.Generation{ID: newGenID(t), AccountID: a.ID, KeyHash: k.Hash, CreatedAt: in.CreatedAt}
	mustRecord(t, s, zero)
	got, err = s.Generation(t.Context(), zero.ID)
	if err != nil {
		t.Fatalf("Generation: %v", err)
	}
	zero.CreatedAt = store.Timestamp(zero.CreatedAt)
	if !equalGeneration(got, zero) {
		t.Errorf("Generation:\n got %s\nwant %s", fmtGen(got), fmtGen(zero))
	}
}

func testGenerationDefaultTime(t *testing.T, s store.Store) {
	a := mustAccount(t, s, usd(1))
	k := mustKey(t, s, a.ID)
	before := time.Now()
	g := gen(t, k, 1)
	mustRecord(t, s, g)
	got, err := s.Generation(t.Context(), g.ID)
	if err != nil {
		t.Fatalf("Generation: %v", err)
	}
	wantRecentUTC(t, "generation CreatedAt", got.CreatedAt, before)
}

func testReopen(t *testing.T, opener Opener) {
	s, err := opener(t.Context())
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	a := mustAccount(t, s, usd(2))
	k := mustKey(t, s, a.ID)
	g := gen(t, k, 500)
	mustRecord(t, s, g)
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	// Reopening an up-to-date database migrates nothing and keeps the data.
	for range 2 {
		s := open(t, opener)
		wantMoney(t, s, a.ID, usd(2)-500, usd(2), 500)
		wantKeyUsage(t, s, k.Hash, 500)
		if _, err := s.Generation(t.Context(), g.ID); err != nil {
			t.Errorf("Generation after reopen: %v", err)
		}
		wantLedgerConsistent(t, s)
	}
	s = open(t, opener)
	mustRecord(t, s, gen(t, k, 1))
	wantMoney(t, s, a.ID, usd(2)-501, usd(2), 501)
}
