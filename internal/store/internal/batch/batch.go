// Package batch holds the dialect-free steps of recording a batch of
// generations (store.BillingStore.RecordGenerations), shared by the store
// implementations: validating and normalising the batch, and summing what
// the generations actually recorded charge.
//
// Implementations lock rows in the order this package returns them —
// generation ids, then keys, then accounts, each sorted — so that
// concurrent batches cannot deadlock.
package batch

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// Prepare validates gens and returns the generations to record: one per id
// (the first given; later ones are skipped, as the store skips ids it has
// already recorded), sorted by id, each CreatedAt normalised with
// store.Timestamp (now if zero). The first invalid generation, duplicate or
// not, fails the whole batch.
func Prepare(gens []store.Generation, now time.Time) ([]store.Generation, error) {
	out := make([]store.Generation, len(gens))
	for i, g := range gens {
		if err := g.Validate(); err != nil {
			return nil, err
		}
		if g.CreatedAt.IsZero() {
			g.CreatedAt = now
		}
		g.CreatedAt = store.Timestamp(g.CreatedAt)
		out[i] = g
	}
	// Stable, so that of two generations with one id the first given is
	// kept by the compaction.
	slices.SortStableFunc(out, func(a, b store.Generation) int { return cmp.Compare(a.ID, b.ID) })
	return slices.CompactFunc(out, func(a, b store.Generation) bool { return a.ID == b.ID }), nil
}

// Owner is a key and the account a generation charges through it.
type Owner struct {
	KeyHash   string
	AccountID int64
}

// Owners returns the distinct owners of gens, sorted by key hash and
// account: each must be a key of its account for the batch to be recorded.
func Owners(gens []store.Generation) []Owner {
	out := make([]Owner, 0, len(gens))
	for _, g := range gens {
		out = append(out, Owner{g.KeyHash, g.AccountID})
	}
	slices.SortFunc(out, compareOwners)
	return slices.Compact(out)
}

// compareOwners orders owners by key hash, then account.
func compareOwners(a, b Owner) int {
	return cmp.Or(cmp.Compare(a.KeyHash, b.KeyHash), cmp.Compare(a.AccountID, b.AccountID))
}

// KeyCharge is what a batch adds to a key's usage.
type KeyCharge struct {
	Hash   string
	Amount money.Amount
}

// AccountCharge is what a batch takes from an account's balance.
type AccountCharge struct {
	ID     int64
	Amount money.Amount
}

// OwnerCharge is what a batch charges through one key of an account: the
// amount of its ledger entry (store.LedgerUsage), and how many
// generations it covers.
type OwnerCharge struct {
	Owner
	Amount      money.Amount
	Generations int
}

// Note is the note of c's ledger entry: how many generations it charges.
func (c OwnerCharge) Note() string {
	if c.Generations == 1 {
		return "1 generation"
	}
	return strconv.Itoa(c.Generations) + " generations"
}

// Charges is what the recorded generations of a batch charge.
type Charges struct {
	Owners   []OwnerCharge   // owners charged more than zero, sorted as Owners sorts them
	Keys     []KeyCharge     // keys charged more than zero, by hash
	Accounts []AccountCharge // every account of the batch, by id, even if charged zero
}

// Sum totals the costs of recorded (the generations of all that were
// inserted; those already stored are not) per owner, per key and per
// account. Every account of all is listed, so that the caller learns its
// balance.
func Sum(all, recorded []store.Generation) (Charges, error) {
	owners := map[Owner]OwnerCharge{}
	keys := map[string]money.Amount{}
	accounts := map[int64]money.Amount{}
	for _, g := range all {
		accounts[g.AccountID] += 0
	}
	for _, g := range recorded {
		var err error
		if keys[g.KeyHash], err = add(keys[g.KeyHash], g.Cost); err != nil {
			return Charges{}, err
		}
		if accounts[g.AccountID], err = add(accounts[g.AccountID], g.Cost); err != nil {
			return Charges{}, err
		}
		if g.Cost > 0 {
			o := Owner{g.KeyHash, g.AccountID}
			c := owners[o]
			c.Owner, c.Amount, c.Generations = o, c.Amount+g.Cost, c.Generations+1 // ≤ the key's sum: no overflow
			owners[o] = c
		}
	}
	var c Charges
	for _, o := range owners {
		c.Owners = append(c.Owners, o)
	}
	slices.SortFunc(c.Owners, func(a, b OwnerCharge) int { return compareOwners(a.Owner, b.Owner) })
	for _, h := range slices.Sorted(maps.Keys(keys)) {
		if keys[h] > 0 {
			c.Keys = append(c.Keys, KeyCharge{h, keys[h]})
		}
	}
	for _, id := range slices.Sorted(maps.Keys(accounts)) {
		c.Accounts = append(c.Accounts, AccountCharge{id, accounts[id]})
	}
	return c, nil
}

// add returns a + b (both ≥ 0), or ErrInvalid if the sum overflows.
func add(a, b money.Amount) (money.Amount, error) {
	if a > money.Amount(1<<63-1)-b {
		return 0, fmt.Errorf("batch charge overflows: %w", store.ErrInvalid)
	}
	return a + b, nil
}
