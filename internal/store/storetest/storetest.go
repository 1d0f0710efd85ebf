// Package storetest is the conformance suite every store.Store
// implementation must pass. An implementation's tests call Run with a
// function that creates a fresh database.
package storetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/store"
	"github.com/switchyard-dev/switchyard/internal/store/internal/batch"
)

// Opener opens a Store on one particular database.
type Opener func(ctx context.Context) (store.Store, error)

// Run runs the conformance suite. Each test calls newDB once: it must create
// a fresh, empty database isolated from every other test's (removing it when
// t ends) and return an Opener for it. A test may call the Opener more than
// once, to reopen the database; the suite closes every Store it opens.
// Tests run in parallel.
func Run(t *testing.T, newDB func(t *testing.T) Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"AccountAndKey", testAccountAndKey},
		{"CreateKeyErrors", testCreateKeyErrors},
		{"CreateAccountWithKey", testCreateAccountWithKey},
		{"CreateAccountWithKeyAtomic", testCreateAccountWithKeyAtomic},
		{"NotFound", testNotFound},
		{"DisableKey", testDisableKey},
		{"AddCredits", testAddCredits},
		{"RecordGenerationCharges", testRecordGenerationCharges},
		{"RecordGenerationDuplicate", testRecordGenerationDuplicate},
		{"RecordGenerationRejected", testRecordGenerationRejected},
		{"BalanceMayGoNegative", testBalanceMayGoNegative},
		{"ConcurrentCharges", testConcurrentCharges},
		{"ConcurrentDuplicates", testConcurrentDuplicates},
		{"GenerationRoundTrip", testGenerationRoundTrip},
		{"GenerationDefaultTime", testGenerationDefaultTime},
		{"GenerationProviderResponses", testGenerationProviderResponses},
		{"PresetLifecycle", testPresetLifecycle},
		{"PresetErrors", testPresetErrors},
		{"PresetsPerAccount", testPresetsPerAccount},
		{"ConcurrentPresetUpdates", testConcurrentPresetUpdates},
		{"RecordGenerations", testRecordGenerations},
		{"RecordGenerationsDuplicateInBatch", testRecordGenerationsDuplicateInBatch},
		{"RecordGenerationsAtomic", testRecordGenerationsAtomic},
		{"ConcurrentBatches", testConcurrentBatches},
		{"AddPurchase", testAddPurchase},
		{"Adjust", testAdjust},
		{"Ledger", testLedger},
		{"ListAccounts", testListAccounts},
		{"KeyLimits", testKeyLimits},
		{"UpdateKey", testUpdateKey},
		{"DeleteKey", testDeleteKey},
		{"KeySpend", testKeySpend},
		{"HasManagementKey", testHasManagementKey},
		{"ProviderKeys", testProviderKeys},
		{"Activity", testActivity},
		{"InflightJournal", testInflightJournal},
		{"FailureRecord", testFailureRecord},
		{"UsageRollups", testUsageRollups},
		{"ImportGenerations", testImportGenerations},
		{"RecentGenerations", testRecentGenerations},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t, newDB(t)))
		})
	}
	t.Run("Reopen", func(t *testing.T) {
		t.Parallel()
		testReopen(t, newDB(t))
	})
}

// open opens a store and closes it when t ends.
func open(t *testing.T, opener Opener) store.Store {
	t.Helper()
	s, err := opener(t.Context())
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

// usd converts whole dollars to an Amount.
func usd(n int64) money.Amount { return money.Amount(n) * money.NanoPerUSD }

// newHash returns the SHA-256 hex hash of a random plaintext key.
func newHash(t *testing.T) string {
	t.Helper()
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("sk-sy-v1-" + hex.EncodeToString(b)))
	return hex.EncodeToString(sum[:])
}

func newGenID(t *testing.T) string {
	t.Helper()
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "gen-" + hex.EncodeToString(b)
}

func mustAccount(t *testing.T, s store.Store, credits money.Amount) store.Account {
	t.Helper()
	a, err := s.CreateAccount(t.Context(), "acct-"+newGenID(t)[4:12], credits)
	if err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	return a
}

func mustKey(t *testing.T, s store.Store, accountID int64) store.Key {
	t.Helper()
	k, err := s.CreateKey(t.Context(), store.NewKey{AccountID: accountID, Hash: newHash(t), Name: "key", Label: "sk-sy-v1-abc…xyz"})
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	return k
}

func mustAccountByID(t *testing.T, s store.Store, id int64) store.Account {
	t.Helper()
	a, err := s.Account(t.Context(), id)
	if err != nil {
		t.Fatalf("Account(%d): %v", id, err)
	}
	return a
}

func mustKeyByHash(t *testing.T, s store.Store, hash string) (store.Key, store.Account) {
	t.Helper()
	k, a, err := s.KeyByHash(t.Context(), hash)
	if err != nil {
		t.Fatalf("KeyByHash: %v", err)
	}
	return k, a
}

func gen(t *testing.T, k store.Key, cost money.Amount) store.Generation {
	return store.Generation{ID: newGenID(t), AccountID: k.AccountID, KeyHash: k.Hash, Model: "test/model", Cost: cost}
}

func mustRecord(t *testing.T, s store.Store, g store.Generation) {
	t.Helper()
	if err := s.RecordGeneration(t.Context(), g); err != nil {
		t.Fatalf("RecordGeneration(%s): %v", g.ID, err)
	}
}

// wantErr fails t unless err is target.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: error %v, want %v", what, err, target)
	}
}

// wantMoney checks an account's balance, total credits and total usage.
func wantMoney(t *testing.T, s store.Store, id int64, balance, credits, usage money.Amount) {
	t.Helper()
	a := mustAccountByID(t, s, id)
	if a.Balance != balance || a.TotalCredits != credits || a.TotalUsage != usage {
		t.Errorf("account %d: balance %s, credits %s, usage %s; want %s, %s, %s",
			id, a.Balance, a.TotalCredits, a.TotalUsage, balance, credits, usage)
	}
}

func wantKeyUsage(t *testing.T, s store.Store, hash string, usage money.Amount) {
	t.Helper()
	if k, _ := mustKeyByHash(t, s, hash); k.Usage != usage {
		t.Errorf("key usage %s, want %s", k.Usage, usage)
	}
}

// wantLedgerConsistent fails t if VerifyLedger or VerifyCharges reports a
// mismatch.
func wantLedgerConsistent(t *testing.T, s store.Store) {
	t.Helper()
	ms, err := s.VerifyLedger(t.Context())
	if err != nil {
		t.Fatalf("VerifyLedger: %v", err)
	}
	if len(ms) != 0 {
		t.Errorf("VerifyLedger: mismatches %+v, want none", ms)
	}
	cs, err := s.VerifyCharges(t.Context())
	if err != nil {
		t.Fatalf("VerifyCharges: %v", err)
	}
	if len(cs) != 0 {
		t.Errorf("VerifyCharges: mismatches %+v, want none", cs)
	}
}

// wantUsageEntries checks the account's usage entries against the
// generations that charged it, gens (which may hold others' and repeat
// ids, and must hold every generation recorded with a cost for the
// account): each that costs something names an entry of kind
// store.LedgerUsage, and those are the account's only usage entries, each
// of minus the costs of the generations that name it, its note their
// count (as batch words it; testLedger holds the words themselves). It returns how many entries there are.
func wantUsageEntries(t *testing.T, s store.Store, accountID int64, gens []store.Generation) int {
	t.Helper()
	type usage struct {
		amount money.Amount
		note   string
	}
	want := map[int64]usage{}
	count := map[int64]int{}
	seen := map[string]bool{}
	for _, g := range gens {
		if g.AccountID != accountID || seen[g.ID] {
			continue
		}
		seen[g.ID] = true
		got, err := s.Generation(t.Context(), g.ID)
		if err != nil {
			t.Fatalf("Generation(%s): %v", g.ID, err)
		}
		if (got.LedgerID != 0) != (got.Cost > 0) {
			t.Errorf("generation %s costs %s and names ledger entry %d", g.ID, got.Cost, got.LedgerID)
		}
		if got.LedgerID != 0 {
			count[got.LedgerID]++
			want[got.LedgerID] = usage{want[got.LedgerID].amount - got.Cost,
				batch.OwnerCharge{Generations: count[got.LedgerID]}.Note()}
		}
	}
	entries, err := s.Ledger(t.Context(), accountID, 0)
	if err != nil {
		t.Fatalf("Ledger: %v", err)
	}
	got := map[int64]usage{}
	for _, e := range entries {
		if e.Kind != store.LedgerUsage {
			continue
		}
		if e.Ref != "" {
			t.Errorf("usage entry %d: ref %q, want none", e.ID, e.Ref)
		}
		got[e.ID] = usage{e.Amount, e.Note}
	}
	if !maps.Equal(got, want) {
		t.Errorf("account %d: usage entries (id: amount, note) %v, want %v", accountID, got, want)
	}
	return len(got)
}

// wantRecentUTC checks a store-assigned timestamp.
func wantRecentUTC(t *testing.T, what string, got time.Time, before time.Time) {
	t.Helper()
	if got.Location() != time.UTC {
		t.Errorf("%s: location %v, want UTC", what, got.Location())
	}
	if !got.Equal(store.Timestamp(got)) {
		t.Errorf("%s: %v is finer than %v", what, got, store.TimeResolution)
	}
	if got.Before(before.Add(-time.Second)) || got.After(time.Now().Add(time.Second)) {
		t.Errorf("%s: %v, want about %v", what, got, before)
	}
}

// equalAccount, equalKey and equalGeneration compare times with Equal.
func equalAccount(a, b store.Account) bool {
	ta, tb := a.CreatedAt, b.CreatedAt
	a.CreatedAt, b.CreatedAt = time.Time{}, time.Time{}
	return a == b && ta.Equal(tb)
}

func equalKey(a, b store.Key) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) || !a.UpdatedAt.Equal(b.UpdatedAt) ||
		!equalPtr(a.Limit, b.Limit, func(x, y money.Amount) bool { return x == y }) ||
		!equalPtr(a.ExpiresAt, b.ExpiresAt, time.Time.Equal) {
		return false
	}
	a.CreatedAt, b.CreatedAt = time.Time{}, time.Time{}
	a.UpdatedAt, b.UpdatedAt = time.Time{}, time.Time{}
	a.Limit, b.Limit = nil, nil
	a.ExpiresAt, b.ExpiresAt = nil, nil
	return a == b
}

// equalPtr reports whether a and b are both nil or point to equal values.
func equalPtr[T any](a, b *T, eq func(T, T) bool) bool {
	if a == nil || b == nil {
		return a == b
	}
	return eq(*a, *b)
}

// equalGeneration ignores LedgerID, which the store assigns (see
// wantUsageEntries).
func equalGeneration(a, b store.Generation) bool {
	ta, tb := a.CreatedAt, b.CreatedAt
	pa, pb := a.ProviderResponses, b.ProviderResponses
	a.CreatedAt, b.CreatedAt = time.Time{}, time.Time{}
	a.ProviderResponses, b.ProviderResponses = nil, nil
	a.LedgerID, b.LedgerID = 0, 0
	return reflect.DeepEqual(a, b) && ta.Equal(tb) && slices.Equal(pa, pb)
}

func fmtGen(g store.Generation) string { return fmt.Sprintf("%+v", g) }
