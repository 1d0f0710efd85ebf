package batch

import (
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/store"
)

func g(id string, account int64, key string, cost money.Amount) store.Generation {
	return store.Generation{ID: id, AccountID: account, KeyHash: key, Cost: cost}
}

func TestPrepare(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 678_901_234, time.FixedZone("X", 3600))
	given := time.Date(2026, 1, 1, 0, 0, 0, 999_999, time.UTC)
	in := []store.Generation{g("c", 1, "k", 3), g("a", 1, "k", 1), g("b", 2, "j", 2), g("a", 1, "k", 99), g("c", 1, "k", 98)}
	in[1].CreatedAt = given
	got, err := Prepare(in, now)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	var costs []money.Amount
	for _, g := range got {
		ids = append(ids, g.ID)
		costs = append(costs, g.Cost)
	}
	// Sorted by id, one per id, the first given.
	if want := []string{"a", "b", "c"}; !slices.Equal(ids, want) {
		t.Errorf("ids %v, want %v", ids, want)
	}
	if want := []money.Amount{1, 2, 3}; !slices.Equal(costs, want) {
		t.Errorf("costs %v, want %v (the first of each id)", costs, want)
	}
	if !got[0].CreatedAt.Equal(store.Timestamp(given)) || !got[1].CreatedAt.Equal(store.Timestamp(now)) {
		t.Errorf("CreatedAt %v, %v; want %v, %v", got[0].CreatedAt, got[1].CreatedAt, store.Timestamp(given), store.Timestamp(now))
	}
	if got[1].CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt in %v, want UTC", got[1].CreatedAt.Location())
	}
	if in[0].ID != "c" || !in[2].CreatedAt.IsZero() {
		t.Errorf("Prepare changed its argument: %+v", in)
	}

	// Any invalid generation fails the batch, even a duplicate id's.
	bad := slices.Clone(in)
	bad[3].Cost = -1
	if _, err := Prepare(bad, now); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Prepare(invalid duplicate) = %v, want ErrInvalid", err)
	}
	if got, err := Prepare(nil, now); err != nil || len(got) != 0 {
		t.Errorf("Prepare(nil) = %v, %v", got, err)
	}
}

func TestOwners(t *testing.T) {
	gens := []store.Generation{g("1", 2, "k", 0), g("2", 1, "k", 0), g("3", 2, "k", 0), g("4", 1, "a", 0)}
	want := []Owner{{"a", 1}, {"k", 1}, {"k", 2}}
	if got := Owners(gens); !slices.Equal(got, want) {
		t.Errorf("Owners = %v, want %v", got, want)
	}
}

func TestSum(t *testing.T) {
	all := []store.Generation{g("1", 2, "k", 5), g("2", 1, "j", 7), g("3", 2, "i", 11), g("4", 3, "h", 13), g("5", 2, "i", 0),
		g("6", 2, "i", 4)}
	recorded := []store.Generation{all[0], all[2], all[1], all[4], all[5]} // "4" was already stored
	c, err := Sum(all, recorded)
	if err != nil {
		t.Fatal(err)
	}
	// A free generation is in no owner's count: no entry charges it.
	wantOwners := []OwnerCharge{{Owner{"i", 2}, 15, 2}, {Owner{"j", 1}, 7, 1}, {Owner{"k", 2}, 5, 1}}
	wantKeys := []KeyCharge{{"i", 15}, {"j", 7}, {"k", 5}}
	wantAccounts := []AccountCharge{{1, 7}, {2, 20}, {3, 0}}
	if !slices.Equal(c.Owners, wantOwners) || !slices.Equal(c.Keys, wantKeys) || !slices.Equal(c.Accounts, wantAccounts) {
		t.Errorf("Sum = %+v, want owners %v, keys %v, accounts %v", c, wantOwners, wantKeys, wantAccounts)
	}

	huge := []store.Generation{g("1", 1, "k", math.MaxInt64), g("2", 1, "k", 1)}
	if _, err := Sum(huge, huge); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Sum(overflow) = %v, want ErrInvalid", err)
	}
}

func TestOwnerChargeNote(t *testing.T) {
	for n, want := range map[int]string{1: "1 generation", 2: "2 generations", 300: "300 generations"} {
		if got := (OwnerCharge{Generations: n}).Note(); got != want {
			t.Errorf("Note of %d = %q, want %q", n, got, want)
		}
	}
}
