package storetest

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/store"
)

func mustLedger(t *testing.T, s store.Store, accountID int64, limit int) []store.LedgerEntry {
	t.Helper()
	entries, err := s.Ledger(t.Context(), accountID, limit)
	if err != nil {
		t.Fatalf("Ledger(%d, %d): %v", accountID, limit, err)
	}
	return entries
}

// ledgerLine is a ledger entry without its id, account and time.
type ledgerLine struct {
	Kind   string
	Amount money.Amount
	Ref    string
	Note   string
}

func lines(entries []store.LedgerEntry) []ledgerLine {
	out := make([]ledgerLine, len(entries))
	for i, e := range entries {
		out[i] = ledgerLine{e.Kind, e.Amount, e.Ref, e.Note}
	}
	return out
}

func mustTotalPurchased(t *testing.T, s store.Store, accountID int64) money.Amount {
	t.Helper()
	total, err := s.TotalPurchased(t.Context(), accountID)
	if err != nil {
		t.Fatalf("TotalPurchased(%d): %v", accountID, err)
	}
	return total
}

func testAddPurchase(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := mustAccount(t, s, usd(1)), mustAccount(t, s, 0)
	if got := mustTotalPurchased(t, s, a.ID); got != 0 {
		t.Errorf("TotalPurchased before any purchase = %s, want 0", got)
	}

	// $10 with a fee of $0.55: $9.45 to spend.
	got, err := s.AddPurchase(ctx, a.ID, usd(10), 550_000_000, "evt_1", "Stripe evt_1")
	if err != nil {
		t.Fatalf("AddPurchase: %v", err)
	}
	net := usd(10) - 550_000_000
	if got.ID != a.ID || got.Balance != usd(1)+net || got.TotalCredits != usd(1)+net || got.TotalUsage != 0 {
		t.Errorf("AddPurchase = %+v, want balance and credits %s", got, usd(1)+net)
	}
	wantMoney(t, s, a.ID, usd(1)+net, usd(1)+net, 0)

	// A replay, on this account or another, credits nothing.
	_, err = s.AddPurchase(ctx, a.ID, usd(10), 550_000_000, "evt_1", "replay")
	wantErr(t, "AddPurchase(same ref)", err, store.ErrAlreadyExists)
	_, err = s.AddPurchase(ctx, b.ID, usd(3), 0, "evt_1", "replay elsewhere")
	wantErr(t, "AddPurchase(same ref, other account)", err, store.ErrAlreadyExists)
	wantMoney(t, s, a.ID, usd(1)+net, usd(1)+net, 0)
	wantMoney(t, s, b.ID, 0, 0, 0)

	// No fee: one entry. An empty ref is not a reference: each counts.
	for range 2 {
		if _, err := s.AddPurchase(ctx, b.ID, usd(2), 0, "", "manual"); err != nil {
			t.Fatalf("AddPurchase(no ref): %v", err)
		}
	}
	// The whole amount as fee is allowed; nothing to spend comes of it.
	if _, err := s.AddPurchase(ctx, b.ID, 3, 3, "evt_2", ""); err != nil {
		t.Fatalf("AddPurchase(all fee): %v", err)
	}
	wantMoney(t, s, b.ID, usd(4), usd(4), 0)

	for _, c := range []struct {
		name       string
		gross, fee money.Amount
	}{{"zero", 0, 0}, {"negative", -5, 0}, {"negative fee", 10, -1}, {"fee above gross", 10, 11}} {
		_, err := s.AddPurchase(ctx, a.ID, c.gross, c.fee, "evt_"+c.name, "")
		wantErr(t, "AddPurchase("+c.name+")", err, store.ErrInvalid)
	}
	_, err = s.AddPurchase(ctx, b.ID+1000, usd(1), 0, "evt_unknown", "")
	wantErr(t, "AddPurchase(unknown account)", err, store.ErrNotFound)
	// A failed purchase does not use up its ref.
	if _, err := s.AddPurchase(ctx, b.ID, 1, 0, "evt_unknown", ""); err != nil {
		t.Errorf("AddPurchase(ref of a failed purchase): %v", err)
	}

	wantLines := []ledgerLine{
		{store.LedgerFee, -550_000_000, "evt_1", "Stripe evt_1"},
		{store.LedgerPurchase, usd(10), "evt_1", "Stripe evt_1"},
		{store.LedgerCredit, usd(1), "", "initial credits"},
	}
	if got := lines(mustLedger(t, s, a.ID, 0)); !slices.Equal(got, wantLines) {
		t.Errorf("Ledger(a) =\n%+v\nwant\n%+v", got, wantLines)
	}
	if got := mustTotalPurchased(t, s, a.ID); got != usd(10) {
		t.Errorf("TotalPurchased(a) = %s, want %s (gross)", got, usd(10))
	}
	if got := mustTotalPurchased(t, s, b.ID); got != usd(4)+4 {
		t.Errorf("TotalPurchased(b) = %s, want %s", got, usd(4)+4)
	}
	_, err = s.TotalPurchased(ctx, b.ID+1000)
	wantErr(t, "TotalPurchased(unknown account)", err, store.ErrNotFound)
	wantLedgerConsistent(t, s)
}

func testAdjust(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := mustAccount(t, s, usd(2))
	k := mustKey(t, s, a.ID)
	mustRecord(t, s, gen(t, k, usd(1)))

	got, err := s.Adjust(ctx, a.ID, 300, store.LedgerRefund, "bad answer", false)
	if err != nil {
		t.Fatalf("Adjust(refund): %v", err)
	}
	if got.Balance != usd(1)+300 || got.TotalCredits != usd(2)+300 || got.TotalUsage != usd(1) {
		t.Errorf("Adjust(refund) = %+v", got)
	}
	// Down to exactly zero is allowed; below it is not, unless asked.
	if got, err = s.Adjust(ctx, a.ID, -(usd(1) + 300), store.LedgerAdjustment, "to zero", false); err != nil || got.Balance != 0 {
		t.Fatalf("Adjust(to zero) = %+v, %v", got, err)
	}
	_, err = s.Adjust(ctx, a.ID, -1, store.LedgerAdjustment, "below", false)
	wantErr(t, "Adjust(below zero)", err, store.ErrInsufficientCredits)
	_, err = s.Adjust(ctx, a.ID, -7, store.LedgerRefund, "below", false)
	wantErr(t, "Adjust(refund below zero)", err, store.ErrInsufficientCredits)
	wantMoney(t, s, a.ID, 0, usd(1), usd(1))
	if got, err = s.Adjust(ctx, a.ID, -7, store.LedgerAdjustment, "allowed", true); err != nil || got.Balance != -7 {
		t.Fatalf("Adjust(allow negative) = %+v, %v", got, err)
	}
	// A positive amount is never refused, even on a negative balance.
	if got, err = s.Adjust(ctx, a.ID, 2, store.LedgerAdjustment, "", false); err != nil || got.Balance != -5 {
		t.Fatalf("Adjust(+2 on negative) = %+v, %v", got, err)
	}
	wantMoney(t, s, a.ID, -5, usd(1)-5, usd(1))

	for _, c := range []struct {
		name   string
		amount money.Amount
		kind   string
	}{{"zero", 0, store.LedgerAdjustment}, {"credit kind", 5, store.LedgerCredit}, {"purchase kind", 5, store.LedgerPurchase},
		{"generation kind", -5, store.LedgerGeneration}, {"empty kind", 5, ""}} {
		_, err := s.Adjust(ctx, a.ID, c.amount, c.kind, "", true)
		wantErr(t, "Adjust("+c.name+")", err, store.ErrInvalid)
	}
	_, err = s.Adjust(ctx, a.ID+1000, 5, store.LedgerRefund, "", true)
	wantErr(t, "Adjust(unknown account)", err, store.ErrNotFound)
	wantMoney(t, s, a.ID, -5, usd(1)-5, usd(1))

	entries := mustLedger(t, s, a.ID, 3)
	wantLines := []ledgerLine{
		{store.LedgerAdjustment, 2, "", ""},
		{store.LedgerAdjustment, -7, "", "allowed"},
		{store.LedgerAdjustment, -(usd(1) + 300), "", "to zero"},
	}
	if got := lines(entries); !slices.Equal(got, wantLines) {
		t.Errorf("Ledger(3) =\n%+v\nwant\n%+v", got, wantLines)
	}
	wantLedgerConsistent(t, s)
}

func testLedger(t *testing.T, s store.Store) {
	ctx := t.Context()
	before := time.Now()
	a, other := mustAccount(t, s, usd(5)), mustAccount(t, s, usd(1))
	k := mustKey(t, s, a.ID)
	g := gen(t, k, 1234)
	mustRecord(t, s, g)
	mustRecord(t, s, gen(t, k, 0)) // free: no ledger entry
	if _, err := s.AddCredits(ctx, a.ID, 99, "top-up"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddPurchase(ctx, a.ID, usd(1), 10, "ref-1", "buy"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Adjust(ctx, a.ID, -3, store.LedgerRefund, "refund", false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddCredits(ctx, other.ID, 1, "other"); err != nil {
		t.Fatal(err)
	}

	all := mustLedger(t, s, a.ID, 0)
	wantLines := []ledgerLine{
		{store.LedgerRefund, -3, "", "refund"},
		{store.LedgerFee, -10, "ref-1", "buy"},
		{store.LedgerPurchase, usd(1), "ref-1", "buy"},
		{store.LedgerCredit, 99, "", "top-up"},
		{store.LedgerUsage, -1234, "", "1 generation"},
		{store.LedgerCredit, usd(5), "", "initial credits"},
	}
	if got := lines(all); !slices.Equal(got, wantLines) {
		t.Fatalf("Ledger =\n%+v\nwant\n%+v", got, wantLines)
	}
	var sum money.Amount
	for i, e := range all {
		sum += e.Amount
		if e.AccountID != a.ID {
			t.Errorf("entry %d: account %d, want %d", i, e.AccountID, a.ID)
		}
		if i > 0 && e.ID >= all[i-1].ID {
			t.Errorf("entry %d: id %d not below %d (newest first)", i, e.ID, all[i-1].ID)
		}
		wantRecentUTC(t, "ledger CreatedAt", e.CreatedAt, before)
	}
	if bal := mustAccountByID(t, s, a.ID).Balance; sum != bal {
		t.Errorf("ledger sum %s, balance %s", sum, bal)
	}
	if got := mustLedger(t, s, a.ID, 2); !slices.Equal(got, all[:2]) {
		t.Errorf("Ledger(limit 2) = %+v, want %+v", got, all[:2])
	}
	if got := mustLedger(t, s, a.ID, 100); len(got) != len(all) {
		t.Errorf("Ledger(limit 100): %d entries, want %d", len(got), len(all))
	}
	if got := mustLedger(t, s, a.ID, -1); len(got) != len(all) {
		t.Errorf("Ledger(limit -1): %d entries, want %d", len(got), len(all))
	}
	if got := mustLedger(t, s, other.ID+1000, 0); len(got) != 0 {
		t.Errorf("Ledger(unknown account) = %+v, want none", got)
	}
	wantLedgerConsistent(t, s)
}

func testListAccounts(t *testing.T, s store.Store) {
	accounts, err := s.ListAccounts(t.Context())
	if err != nil || len(accounts) != 0 {
		t.Fatalf("ListAccounts(empty store) = %+v, %v", accounts, err)
	}
	var want []store.Account
	for i := range 4 {
		want = append(want, mustAccount(t, s, usd(int64(i))))
	}
	k := mustKey(t, s, want[2].ID)
	mustRecord(t, s, gen(t, k, 40))
	want[2].Balance -= 40
	want[2].TotalUsage += 40
	accounts, err = s.ListAccounts(t.Context())
	if err != nil {
		t.Fatalf("ListAccounts: %v", err)
	}
	if len(accounts) != len(want) {
		t.Fatalf("ListAccounts: %d accounts, want %d", len(accounts), len(want))
	}
	for i := range want {
		if !equalAccount(accounts[i], want[i]) {
			t.Errorf("ListAccounts[%d] = %+v, want %+v", i, accounts[i], want[i])
		}
	}
}

func testKeyLimits(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := mustAccount(t, s, usd(1))
	limit := money.Amount(2_500_000)
	expires := time.Date(2027, 1, 2, 3, 4, 5, 678_901_234, time.FixedZone("Y", -3*3600))
	nk := store.NewKey{AccountID: a.ID, Hash: newHash(t), Name: "limited", Label: "sk-…",
		Limit: &limit, LimitReset: store.LimitResetWeekly, IncludeBYOKInLimit: true, ExpiresAt: &expires}
	k, err := s.CreateKey(ctx, nk)
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	wantLimit, wantExp := limit, store.Timestamp(expires)
	// The key returned holds copies, not its argument's pointers.
	limit++
	expires = expires.Add(time.Hour)
	want := store.Key{Hash: nk.Hash, AccountID: a.ID, Name: "limited", Label: "sk-…", Limit: &wantLimit,
		LimitReset: store.LimitResetWeekly, IncludeBYOKInLimit: true, ExpiresAt: &wantExp,
		CreatedAt: k.CreatedAt, UpdatedAt: k.CreatedAt}
	if !equalKey(k, want) {
		t.Errorf("CreateKey = %+v, want %+v", k, want)
	}
	for name, get := range map[string]func() (store.Key, error){
		"Key": func() (store.Key, error) { return s.Key(ctx, k.Hash) },
		"KeyByHash": func() (store.Key, error) {
			k, _, err := s.KeyByHash(ctx, k.Hash)
			return k, err
		},
		"ListKeys": func() (store.Key, error) {
			keys, err := s.ListKeys(ctx, a.ID)
			if len(keys) != 1 {
				t.Fatalf("ListKeys = %+v, %v; want one key", keys, err)
			}
			return keys[0], err
		},
	} {
		got, err := get()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !equalKey(got, want) {
			t.Errorf("%s = %+v, want %+v", name, got, want)
		}
		if got.ExpiresAt.Location() != time.UTC || got.UpdatedAt.Location() != time.UTC {
			t.Errorf("%s: times not in UTC: %v, %v", name, got.ExpiresAt, got.UpdatedAt)
		}
		if got.Expired(wantExp.Add(-time.Millisecond)) || !got.Expired(wantExp) {
			t.Errorf("%s: Expired wrong around %v", name, wantExp)
		}
	}

	// A zero limit is a limit, not none.
	zero := money.Amount(0)
	zk, err := s.CreateKey(ctx, store.NewKey{AccountID: a.ID, Hash: newHash(t), Limit: &zero})
	if err != nil {
		t.Fatalf("CreateKey(zero limit): %v", err)
	}
	if got, err := s.Key(ctx, zk.Hash); err != nil || got.Limit == nil || *got.Limit != 0 || got.ExpiresAt != nil {
		t.Errorf("Key(zero limit) = %+v, %v", got, err)
	}

	negative := money.Amount(-1)
	for name, nk := range map[string]store.NewKey{
		"negative limit": {AccountID: a.ID, Hash: newHash(t), Limit: &negative},
		"bad reset":      {AccountID: a.ID, Hash: newHash(t), LimitReset: "hourly"},
	} {
		_, err := s.CreateKey(ctx, nk)
		wantErr(t, "CreateKey("+name+")", err, store.ErrInvalid)
		_, err = s.Key(ctx, nk.Hash)
		wantErr(t, "Key("+name+")", err, store.ErrNotFound)
	}
}

func testUpdateKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := mustAccount(t, s, usd(1))
	k, other := mustKey(t, s, a.ID), mustKey(t, s, a.ID)
	time.Sleep(5 * time.Millisecond) // so that UpdatedAt moves
	before := time.Now()

	name, disabled, reset, byok := "renamed", true, store.LimitResetDaily, true
	limit := money.Amount(777)
	limitPtr := &limit
	exp := time.Now().Add(24 * time.Hour)
	expPtr := &exp
	got, err := s.UpdateKey(ctx, k.Hash, store.KeyUpdate{Name: &name, Disabled: &disabled, Limit: &limitPtr,
		LimitReset: &reset, IncludeBYOKInLimit: &byok, ExpiresAt: &expPtr})
	if err != nil {
		t.Fatalf("UpdateKey: %v", err)
	}
	wantExp := store.Timestamp(exp)
	want := k
	want.Name, want.Disabled, want.Limit, want.LimitReset, want.IncludeBYOKInLimit, want.ExpiresAt =
		name, true, &limit, reset, true, &wantExp
	want.UpdatedAt = got.UpdatedAt
	if !equalKey(got, want) {
		t.Errorf("UpdateKey =\n%+v\nwant\n%+v", got, want)
	}
	wantRecentUTC(t, "key UpdatedAt", got.UpdatedAt, before)
	if !got.UpdatedAt.After(k.CreatedAt) || !got.CreatedAt.Equal(k.CreatedAt) {
		t.Errorf("UpdateKey: created %v, updated %v; key created %v", got.CreatedAt, got.UpdatedAt, k.CreatedAt)
	}
	if stored, err := s.Key(ctx, k.Hash); err != nil || !equalKey(stored, got) {
		t.Errorf("Key after UpdateKey = %+v, %v; want %+v", stored, err, got)
	}

	// Pointing to nil removes the limit and the expiry; fields not set
	// are kept.
	var noLimit *money.Amount
	var noExp *time.Time
	enabled := false
	got, err = s.UpdateKey(ctx, k.Hash, store.KeyUpdate{Limit: &noLimit, ExpiresAt: &noExp, Disabled: &enabled})
	if err != nil {
		t.Fatalf("UpdateKey(remove): %v", err)
	}
	if got.Limit != nil || got.ExpiresAt != nil || got.Disabled || got.Name != name || got.LimitReset != reset || !got.IncludeBYOKInLimit {
		t.Errorf("UpdateKey(remove) = %+v", got)
	}
	if stored, err := s.Key(ctx, k.Hash); err != nil || !equalKey(stored, got) {
		t.Errorf("Key after UpdateKey(remove) = %+v, %v; want %+v", stored, err, got)
	}
	if _, a2, err := s.KeyByHash(ctx, k.Hash); err != nil || a2.ID != a.ID {
		t.Errorf("KeyByHash after UpdateKey = %+v, %v", a2, err)
	}

	// Invalid updates change nothing.
	bad := "yearly"
	negative := money.Amount(-5)
	negPtr := &negative
	for what, u := range map[string]store.KeyUpdate{
		"bad reset":      {Name: &bad, LimitReset: &bad},
		"negative limit": {Name: &bad, Limit: &negPtr},
	} {
		_, err := s.UpdateKey(ctx, k.Hash, u)
		wantErr(t, "UpdateKey("+what+")", err, store.ErrInvalid)
	}
	if stored, err := s.Key(ctx, k.Hash); err != nil || !equalKey(stored, got) {
		t.Errorf("Key after invalid updates = %+v, %v; want %+v", stored, err, got)
	}
	_, err = s.UpdateKey(ctx, newHash(t), store.KeyUpdate{Name: &name})
	wantErr(t, "UpdateKey(unknown)", err, store.ErrNotFound)
	if stored, err := s.Key(ctx, other.Hash); err != nil || !equalKey(stored, other) {
		t.Errorf("other key = %+v, %v; want %+v unchanged", stored, err, other)
	}
}

func testDeleteKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := mustAccount(t, s, usd(1))
	k, kept := mustKey(t, s, a.ID), mustKey(t, s, a.ID)
	g := gen(t, k, 100)
	mustRecord(t, s, g)

	if err := s.DeleteKey(ctx, k.Hash); err != nil {
		t.Fatalf("DeleteKey: %v", err)
	}
	wantErr(t, "DeleteKey(again)", s.DeleteKey(ctx, k.Hash), store.ErrNotFound)
	wantErr(t, "DeleteKey(unknown)", s.DeleteKey(ctx, newHash(t)), store.ErrNotFound)
	_, err := s.Key(ctx, k.Hash)
	wantErr(t, "Key(deleted)", err, store.ErrNotFound)
	_, _, err = s.KeyByHash(ctx, k.Hash)
	wantErr(t, "KeyByHash(deleted)", err, store.ErrNotFound)
	wantErr(t, "DisableKey(deleted)", s.DisableKey(ctx, k.Hash), store.ErrNotFound)
	name := "again"
	_, err = s.UpdateKey(ctx, k.Hash, store.KeyUpdate{Name: &name})
	wantErr(t, "UpdateKey(deleted)", err, store.ErrNotFound)
	_, err = s.KeySpend(ctx, k.Hash, time.Time{}, true)
	wantErr(t, "KeySpend(deleted)", err, store.ErrNotFound)
	_, err = s.CreateKey(ctx, store.NewKey{AccountID: a.ID, Hash: k.Hash})
	wantErr(t, "CreateKey(hash of a deleted key)", err, store.ErrAlreadyExists)
	keys, err := s.ListKeys(ctx, a.ID)
	if err != nil || len(keys) != 1 || keys[0].Hash != kept.Hash {
		t.Errorf("ListKeys after DeleteKey = %+v, %v; want only the kept key", keys, err)
	}

	// Its generations stay, with their key, and the charging methods still
	// charge it for what it started before deletion.
	if got, err := s.Generation(ctx, g.ID); err != nil || got.KeyHash != k.Hash {
		t.Errorf("Generation of a deleted key = %+v, %v", got, err)
	}
	mustRecord(t, s, gen(t, k, 20))
	mustRecordBatch(t, s, []store.Generation{gen(t, k, 3), gen(t, kept, 4)})
	wantMoney(t, s, a.ID, usd(1)-127, usd(1), 127)
	wantKeyUsage(t, s, kept.Hash, 4)
	wantLedgerConsistent(t, s)
}

func testKeySpend(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := mustAccount(t, s, usd(10))
	k, other := mustKey(t, s, a.ID), mustKey(t, s, a.ID)
	base := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	var gens []store.Generation
	add := func(k store.Key, at time.Time, cost money.Amount, byok bool) {
		g := gen(t, k, cost)
		g.CreatedAt, g.IsBYOK = at, byok
		gens = append(gens, g)
	}
	add(k, base.Add(-48*time.Hour), 1, false)
	add(k, base.Add(-time.Millisecond), 10, false)
	add(k, base, 100, false) // since is inclusive
	add(k, base.Add(time.Hour), 1000, true)
	add(k, base.Add(2*time.Hour), 10000, false)
	add(other, base.Add(time.Hour), 100000, false)
	mustRecordBatch(t, s, gens)

	for _, c := range []struct {
		since time.Time
		byok  bool
		want  money.Amount
	}{
		{time.Time{}, true, 11111},
		{time.Time{}, false, 10111},
		{base.Add(-time.Hour), true, 11110},
		{base, true, 11100},
		{base, false, 10100},
		{base.Add(time.Millisecond), true, 11000},
		{base.Add(time.Millisecond), false, 10000},
		{base.Add(3 * time.Hour), true, 0},
		// Another zone, same instant.
		{base.In(time.FixedZone("Z", 9*3600)), false, 10100},
	} {
		got, err := s.KeySpend(ctx, k.Hash, c.since, c.byok)
		if err != nil || got != c.want {
			t.Errorf("KeySpend(since %v, byok %v) = %s, %v; want %s", c.since, c.byok, got, err, c.want)
		}
	}
	fresh := mustKey(t, s, a.ID)
	if got, err := s.KeySpend(ctx, fresh.Hash, time.Time{}, true); err != nil || got != 0 {
		t.Errorf("KeySpend(new key) = %s, %v; want 0", got, err)
	}
	_, err := s.KeySpend(ctx, newHash(t), time.Time{}, true)
	wantErr(t, "KeySpend(unknown)", err, store.ErrNotFound)

	// KeyUsage: the same sums, several windows in one query.
	windows := []time.Time{{}, base.Add(-time.Hour), base, base.Add(time.Millisecond), base.Add(3 * time.Hour)}
	want := []store.KeySpend{{All: 11111, BYOK: 1000}, {All: 11110, BYOK: 1000}, {All: 11100, BYOK: 1000}, {All: 11000, BYOK: 1000}, {}}
	got, err := s.KeyUsage(ctx, k.Hash, windows)
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("KeyUsage = %v, %v; want %v", got, err, want)
	}
	if got, err := s.KeyUsage(ctx, fresh.Hash, windows[:2]); err != nil || !slices.Equal(got, []store.KeySpend{{}, {}}) {
		t.Errorf("KeyUsage(new key) = %v, %v; want zeros", got, err)
	}
	_, err = s.KeyUsage(ctx, newHash(t), windows)
	wantErr(t, "KeyUsage(unknown)", err, store.ErrNotFound)
}

func testHasManagementKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	want := func(what string, want bool) {
		t.Helper()
		if got, err := s.HasManagementKey(ctx); err != nil || got != want {
			t.Errorf("HasManagementKey(%s) = %v, %v; want %v", what, got, err, want)
		}
	}
	want("empty store", false)
	a := mustAccount(t, s, 0)
	mustKey(t, s, a.ID)
	want("inference key only", false)
	mk, err := s.CreateKey(ctx, store.NewKey{AccountID: a.ID, Hash: newHash(t), IsManagement: true})
	if err != nil {
		t.Fatal(err)
	}
	want("management key", true)
	if err := s.DisableKey(ctx, mk.Hash); err != nil {
		t.Fatal(err)
	}
	want("disabled management key", true)
	if err := s.DeleteKey(ctx, mk.Hash); err != nil {
		t.Fatal(err)
	}
	want("deleted management key", false)
}

func testProviderKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := mustAccount(t, s, 0), mustAccount(t, s, 0)
	if keys, err := s.ProviderKeys(ctx, a.ID); err != nil || keys == nil || len(keys) != 0 {
		t.Errorf("ProviderKeys(none) = %v, %v; want an empty map", keys, err)
	}
	sealed := []byte{0, 1, 2, 0xff, 0, 'x'}
	if err := s.SetProviderKey(ctx, a.ID, "openai", sealed); err != nil {
		t.Fatalf("SetProviderKey: %v", err)
	}
	sealed[0] = 9 // the store kept its own copy
	if err := s.SetProviderKey(ctx, a.ID, "groq", []byte("g1")); err != nil {
		t.Fatal(err)
	}
	if err := s.SetProviderKey(ctx, a.ID, "groq", []byte("g2")); err != nil { // replaces
		t.Fatal(err)
	}
	if err := s.SetProviderKey(ctx, b.ID, "openai", []byte("b's")); err != nil {
		t.Fatal(err)
	}
	wantKeys := func(id int64, want map[string][]byte) {
		t.Helper()
		got, err := s.ProviderKeys(ctx, id)
		if err != nil {
			t.Fatalf("ProviderKeys(%d): %v", id, err)
		}
		if len(got) != len(want) {
			t.Errorf("ProviderKeys(%d) = %q, want %q", id, got, want)
		}
		for p, w := range want {
			if !bytes.Equal(got[p], w) {
				t.Errorf("ProviderKeys(%d)[%s] = %q, want %q", id, p, got[p], w)
			}
		}
	}
	wantKeys(a.ID, map[string][]byte{"openai": {0, 1, 2, 0xff, 0, 'x'}, "groq": []byte("g2")})
	wantKeys(b.ID, map[string][]byte{"openai": []byte("b's")})

	if err := s.DeleteProviderKey(ctx, a.ID, "openai"); err != nil {
		t.Fatalf("DeleteProviderKey: %v", err)
	}
	wantErr(t, "DeleteProviderKey(again)", s.DeleteProviderKey(ctx, a.ID, "openai"), store.ErrNotFound)
	wantErr(t, "DeleteProviderKey(never set)", s.DeleteProviderKey(ctx, a.ID, "anthropic"), store.ErrNotFound)
	wantKeys(a.ID, map[string][]byte{"groq": []byte("g2")})
	wantKeys(b.ID, map[string][]byte{"openai": []byte("b's")})

	wantErr(t, "SetProviderKey(empty provider)", s.SetProviderKey(ctx, a.ID, "", []byte("k")), store.ErrInvalid)
	wantErr(t, "SetProviderKey(empty key)", s.SetProviderKey(ctx, a.ID, "groq", nil), store.ErrInvalid)
	wantErr(t, "SetProviderKey(unknown account)", s.SetProviderKey(ctx, b.ID+1000, "groq", []byte("k")), store.ErrNotFound)
	wantKeys(a.ID, map[string][]byte{"groq": []byte("g2")})
}

func testActivity(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, other := mustAccount(t, s, usd(10)), mustAccount(t, s, usd(10))
	k1, k2, ko := mustKey(t, s, a.ID), mustKey(t, s, a.ID), mustKey(t, s, other.ID)
	name := "second"
	if _, err := s.UpdateKey(ctx, k2.Hash, store.KeyUpdate{Name: &name}); err != nil {
		t.Fatal(err)
	}
	day1 := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	day2 := day1.AddDate(0, 0, 1)
	// 23:30 on day 1 in UTC is day 2 in Tokyo: the day is UTC's.
	tokyo := time.FixedZone("JST", 9*3600)
	var gens []store.Generation
	add := func(k store.Key, model string, at time.Time, cost money.Amount, prompt, completion, reasoning int) {
		g := gen(t, k, cost)
		g.Model, g.CreatedAt = model, at
		g.ProviderSlug, g.ProviderName = "p", "Provider P"
		g.PromptTokens, g.CompletionTokens, g.ReasoningTokens = prompt, completion, reasoning
		gens = append(gens, g)
	}
	add(k1, "b/model", day1.Add(-time.Millisecond), 1, 1, 1, 1) // before since
	add(k1, "b/model", day1, 10, 100, 10, 1)
	add(k1, "b/model", day1.Add(23*time.Hour+30*time.Minute).In(tokyo), 20, 200, 20, 2)
	add(k2, "b/model", day1.Add(time.Hour), 30, 300, 30, 3)
	add(k1, "a/model", day1.Add(2*time.Hour), 40, 400, 40, 4)
	add(k1, "b/model", day2.Add(-time.Millisecond), 50, 500, 50, 5)
	add(k1, "b/model", day2, 60, 600, 60, 6)
	add(k2, "a/model", day2.Add(5*time.Hour), 70, 700, 70, 7)
	add(k1, "a/model", day2.AddDate(0, 0, 1), 80, 800, 80, 8) // at until: excluded
	add(ko, "a/model", day1.Add(time.Hour), 90, 900, 90, 9)   // another account
	add(k1, "a/model", day1.Add(3*time.Hour), 45, 450, 45, 4) // another provider: its own row
	gens[len(gens)-1].ProviderSlug, gens[len(gens)-1].ProviderName = "q", "Provider Q"
	failed := gen(t, k1, 0) // served by no provider: not usage
	failed.Model, failed.CreatedAt, failed.Status, failed.FinishReason = "a/model", day1.Add(time.Hour), 502, "error"
	gens = append(gens, failed)
	mustRecordBatch(t, s, gens)
	if err := s.DeleteKey(ctx, k2.Hash); err != nil { // still reported, by name
		t.Fatal(err)
	}

	rows, err := s.Activity(ctx, a.ID, day1, day2.AddDate(0, 0, 1))
	if err != nil {
		t.Fatalf("Activity: %v", err)
	}
	row := func(day time.Time, model string, k store.Key, keyName string, n int64, spend money.Amount) store.ActivityRow {
		// Each generation's tokens are 10, 1 and 0.1 times its cost.
		return store.ActivityRow{Day: day, Model: model, ProviderSlug: "p", ProviderName: "Provider P",
			KeyHash: k.Hash, KeyName: keyName, Requests: n,
			PromptTokens: 10 * int64(spend), CompletionTokens: int64(spend), ReasoningTokens: int64(spend) / 10, Spend: spend}
	}
	atQ := row(day1, "a/model", k1, k1.Name, 1, 45)
	atQ.ProviderSlug, atQ.ProviderName = "q", "Provider Q"
	want := []store.ActivityRow{
		row(day1, "a/model", k1, k1.Name, 1, 40),
		atQ,
		row(day1, "b/model", k1, k1.Name, 3, 80),
		row(day1, "b/model", k2, name, 1, 30),
		row(day2, "a/model", k2, name, 1, 70),
		row(day2, "b/model", k1, k1.Name, 1, 60),
	}
	// Rows of one day, model and provider are ordered by key hash.
	if k2.Hash < k1.Hash {
		want[2], want[3] = want[3], want[2]
	}
	if len(rows) != len(want) {
		t.Fatalf("Activity: %d rows, want %d:\n%+v", len(rows), len(want), rows)
	}
	for i := range want {
		if !rows[i].Day.Equal(want[i].Day) || rows[i].Day.Location() != time.UTC {
			t.Errorf("row %d: day %v, want %v UTC", i, rows[i].Day, want[i].Day)
		}
		got := rows[i]
		got.Day = want[i].Day
		if got != want[i] {
			t.Errorf("row %d = %+v, want %+v", i, got, want[i])
		}
	}

	// A window within a day, and an empty one.
	rows, err = s.Activity(ctx, a.ID, day1.Add(90*time.Minute), day1.Add(3*time.Hour))
	if err != nil || len(rows) != 1 || rows[0].Model != "a/model" || rows[0].Requests != 1 || rows[0].Spend != 40 {
		t.Errorf("Activity(within day 1) = %+v, %v", rows, err)
	}
	if rows, err := s.Activity(ctx, a.ID, day2, day2); err != nil || len(rows) != 0 {
		t.Errorf("Activity(empty window) = %+v, %v", rows, err)
	}
	if rows, err := s.Activity(ctx, other.ID+1000, day1, day2); err != nil || len(rows) != 0 {
		t.Errorf("Activity(unknown account) = %+v, %v", rows, err)
	}
}

// VerifyChargesDetectsMismatch records three generations in s, then with
// exec, which runs SQL on s's database behind its back, alters a recorded
// cost and moves a generation to another account's entry: VerifyCharges
// must report both entries.
func VerifyChargesDetectsMismatch(t *testing.T, s store.Store, exec func(query string) error) {
	ctx := t.Context()
	a, b := mustAccount(t, s, 1000), mustAccount(t, s, 1000)
	ka, kb := mustKey(t, s, a.ID), mustKey(t, s, b.ID)
	g1, g2, g3 := gen(t, ka, 5), gen(t, ka, 7), gen(t, kb, 3)
	mustRecordBatch(t, s, []store.Generation{g1, g2, g3})
	wantLedgerConsistent(t, s)
	stored := func(id string) store.Generation {
		g, err := s.Generation(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	e1, e3 := stored(g1.ID).LedgerID, stored(g3.ID).LedgerID
	for _, q := range []string{
		fmt.Sprintf(`UPDATE generations SET cost = 6 WHERE id = '%s'`, g1.ID),
		fmt.Sprintf(`UPDATE generations SET ledger_id = %d WHERE id = '%s'`, e1, g3.ID),
	} {
		if err := exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	ms, err := s.VerifyCharges(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.ChargeMismatch{
		{EntryID: e1, AccountID: a.ID, Kind: store.LedgerUsage, Amount: -12, Costs: 16, Generations: 3, Foreign: 1},
		{EntryID: e3, AccountID: b.ID, Kind: store.LedgerUsage, Amount: -3},
	}
	slices.SortFunc(want, func(x, y store.ChargeMismatch) int { return cmp.Compare(x.EntryID, y.EntryID) })
	if !slices.Equal(ms, want) {
		t.Errorf("VerifyCharges =\n%+v\nwant\n%+v", ms, want)
	}
}
