package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/store"
)

// testInflightJournal journals requests of two instances, forgets one
// that ended, and recovers: the restarting instance's requests and the
// other's stale ones become interrupted generations charging nothing; a
// journaled request whose generation was recorded meanwhile is not
// recorded twice; the other instance's recent request stays journaled.
func testInflightJournal(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := mustAccount(t, s, usd(5))
	k := mustKey(t, s, a.ID)
	now := time.Now().UTC()
	entry := func(instance string, age time.Duration) store.Inflight {
		return store.Inflight{ID: newGenID(t), Instance: instance, AccountID: a.ID, KeyHash: k.Hash,
			Model: "test/model", Held: usd(1), Streamed: true, CreatedAt: now.Add(-age)}
	}
	mine, ended, settled := entry("a", time.Second), entry("a", time.Second), entry("a", time.Second)
	staleOther, liveOther := entry("b", 48*time.Hour), entry("b", time.Second)
	open := []store.Inflight{mine, ended, settled, staleOther, liveOther}
	if err := s.JournalInflight(ctx, open, nil); err != nil {
		t.Fatalf("JournalInflight: %v", err)
	}
	// Journaling again (a retried flush) changes nothing.
	if err := s.JournalInflight(ctx, open[:1], []string{ended.ID}); err != nil {
		t.Fatalf("JournalInflight again: %v", err)
	}
	// settled's generation was recorded, but the crash came before its
	// journal entry was forgotten.
	mustRecord(t, s, store.Generation{ID: settled.ID, AccountID: a.ID, KeyHash: k.Hash, Model: "test/model",
		Cost: usd(1) / 2, Status: 200, FinishReason: "stop"})

	got, err := s.RecoverInflight(ctx, "a", now.Add(-24*time.Hour))
	if err != nil {
		t.Fatalf("RecoverInflight: %v", err)
	}
	var ids []string
	for _, g := range got {
		ids = append(ids, g.ID)
	}
	want := []string{mine.ID, staleOther.ID}
	if strings.Join(sorted(ids), ",") != strings.Join(sorted(want), ",") {
		t.Fatalf("recovered %v, want %v (mine and the other instance's stale one)", ids, want)
	}
	for _, in := range []store.Inflight{mine, staleOther} {
		g, err := s.Generation(ctx, in.ID)
		if err != nil {
			t.Fatalf("Generation(%s): %v", in.ID, err)
		}
		w := store.InterruptedGeneration(in)
		w.CreatedAt = store.Timestamp(in.CreatedAt)
		if !equalGeneration(g, w) {
			t.Errorf("recovered generation:\n got %s\nwant %s", fmtGen(g), fmtGen(w))
		}
		if g.Cost != 0 || g.Status != 0 || g.FinishReason != "error" || !g.Cancelled {
			t.Errorf("recovered %+v: want nothing charged, status 0, finish error, cancelled", g)
		}
	}
	if g, err := s.Generation(ctx, settled.ID); err != nil || g.Cost != usd(1)/2 || g.Status != 200 {
		t.Errorf("settled generation after recovery: %+v, %v; want the recorded one untouched", g, err)
	}
	wantErr(t, "the ended request", func() error { _, err := s.Generation(ctx, ended.ID); return err }(), store.ErrNotFound)
	if acct := mustAccountByID(t, s, a.ID); acct.Balance != usd(5)-usd(1)/2 {
		t.Errorf("balance %s, want $4.50: recovery charges nothing", acct.Balance)
	}
	// A second recovery finds only what is left: the other instance's
	// live request, which is not this instance's to recover.
	if again, err := s.RecoverInflight(ctx, "a", now.Add(-24*time.Hour)); err != nil || len(again) != 0 {
		t.Errorf("second RecoverInflight = %v, %v; want nothing", again, err)
	}
	if got, err := s.RecoverInflight(ctx, "b", now.Add(-24*time.Hour)); err != nil || len(got) != 1 || got[0].ID != liveOther.ID {
		t.Errorf("instance b's recovery = %v, %v; want its live request", got, err)
	}
	if mm, err := s.VerifyLedger(ctx); err != nil || len(mm) != 0 {
		t.Errorf("VerifyLedger = %v, %v", mm, err)
	}

	bad := entry("a", 0)
	bad.Instance = ""
	wantErr(t, "JournalInflight without instance", s.JournalInflight(ctx, []store.Inflight{bad}, nil), store.ErrInvalid)
}

// testFailureRecord records a request that failed before any upstream
// answered: no provider, nothing charged, its status and error kept.
func testFailureRecord(t *testing.T, s store.Store) {
	a := mustAccount(t, s, usd(1))
	k := mustKey(t, s, a.ID)
	g := store.Generation{ID: newGenID(t), AccountID: a.ID, KeyHash: k.Hash, Model: "test/model",
		FinishReason: "error", Status: 402, Error: strings.Repeat("é", store.MaxProviderErrorBytes), CreatedAt: time.Now()}
	mustRecordBatch(t, s, []store.Generation{g})
	got, err := s.Generation(t.Context(), g.ID)
	if err != nil {
		t.Fatalf("Generation: %v", err)
	}
	if got.Status != 402 || got.Error != store.ClipError(g.Error) || got.Cost != 0 || len(got.Error) > store.MaxProviderErrorBytes {
		t.Errorf("failure record: status %d, error %d bytes, cost %s; want 402, clipped, 0", got.Status, len(got.Error), got.Cost)
	}
	if acct := mustAccountByID(t, s, a.ID); acct.Balance != usd(1) {
		t.Errorf("balance %s after a failure record, want $1", acct.Balance)
	}
	bad := g
	bad.ID, bad.Status = newGenID(t), 1000
	if _, err := s.RecordGenerations(t.Context(), []store.Generation{bad}); err == nil {
		t.Error("status 1000 recorded, want ErrInvalid")
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	slices.Sort(out)
	return out
}

// testRecentGenerations: an account's generations, newest first, at most
// limit, none of another account's.
func testRecentGenerations(t *testing.T, s store.Store) {
	a, other := mustAccount(t, s, usd(1)), mustAccount(t, s, usd(1))
	k, ko := mustKey(t, s, a.ID), mustKey(t, s, other.ID)
	base := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	var gens []store.Generation
	for i := range 5 {
		g := gen(t, k, 1)
		g.CreatedAt, g.Status = base.Add(time.Duration(i)*time.Minute), 200
		gens = append(gens, g)
	}
	theirs := gen(t, ko, 1)
	theirs.CreatedAt = base.Add(time.Hour)
	mustRecordBatch(t, s, append(gens, theirs))
	got, err := s.RecentGenerations(t.Context(), a.ID, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].ID != gens[4].ID || got[1].ID != gens[3].ID || got[2].ID != gens[2].ID {
		t.Errorf("RecentGenerations = %v, want the last three, newest first", got)
	}
	if got, err := s.RecentGenerations(t.Context(), a.ID+other.ID+1000, 3); err != nil || len(got) != 0 {
		t.Errorf("RecentGenerations(unknown account) = %v, %v", got, err)
	}
}
