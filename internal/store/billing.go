package store

import (
	"context"
	"fmt"
	"time"

	"github.com/switchyard-dev/switchyard/internal/money"
)

// BillingStore persists what billing needs beyond charging single
// generations: batched charges, purchases with their platform fee, refunds
// and adjustments, the ledger itself, key limits and lifecycle, the
// accounts' own provider keys (BYOK) and activity reports.
type BillingStore interface {
	// RecordGenerations records a batch in one transaction: each
	// generation's record; for each key the batch charges, one ledger
	// entry (kind LedgerUsage, amount minus the sum of the costs of its
	// generations recorded) whose id those generations carry as LedgerID;
	// each account's balance less, and usage more, by what its generations
	// cost, and each key's usage more by what its own cost. A generation
	// whose id is already recorded (before or earlier in the batch) is
	// skipped, never charged twice, and is not an error. It returns the
	// balance after the batch of every account in it.
	//
	// One entry per key and batch rather than per generation: recording a
	// generation's entry (a row and three index entries) was more than a
	// quarter of what recording the generation cost. The generations still
	// say what each was charged, and which entry charged it.
	//
	// Either the whole batch is written or nothing is: ErrInvalid if a
	// generation fails Generation.Validate, ErrNotFound if one's key is not
	// a key of its account. Charges are unconditional, as for
	// RecordGeneration, and a deleted key is still charged.
	RecordGenerations(ctx context.Context, gens []Generation) (map[int64]money.Amount, error)
	// AddPurchase credits gross − fee: ledger entries LedgerPurchase +gross
	// and LedgerFee −fee (none when fee is 0), with balance and total
	// credits raised by gross − fee. It is idempotent by ref: if a purchase
	// with this non-empty ref exists (on any account), it returns
	// ErrAlreadyExists and writes nothing. ErrInvalid unless
	// 0 ≤ fee ≤ gross and gross > 0; ErrNotFound for an unknown account.
	AddPurchase(ctx context.Context, accountID int64, gross, fee money.Amount, ref, note string) (Account, error)
	// Adjust adds a signed, non-zero amount to the account's balance and
	// total credits, as a ledger entry of kind LedgerRefund or
	// LedgerAdjustment (ErrInvalid for any other kind or a zero amount). A
	// negative amount that would leave the balance below zero fails with
	// ErrInsufficientCredits unless allowNegative. ErrNotFound for an
	// unknown account.
	Adjust(ctx context.Context, accountID int64, amount money.Amount, kind, note string, allowNegative bool) (Account, error)
	// Ledger returns the account's entries, newest first, at most limit
	// (≤ 0: all). An unknown account has none.
	Ledger(ctx context.Context, accountID int64, limit int) ([]LedgerEntry, error)
	// ListAccounts returns every account, by id.
	ListAccounts(ctx context.Context) ([]Account, error)
	// TotalPurchased is the sum of the account's purchases (gross), for the
	// free-variant rate limit tier. ErrNotFound for an unknown account.
	TotalPurchased(ctx context.Context, accountID int64) (money.Amount, error)

	// Key returns the key whose hash is hash, or ErrNotFound (also once it
	// is deleted).
	Key(ctx context.Context, hash string) (Key, error)
	// UpdateKey changes the fields u sets and returns the key as stored,
	// with UpdatedAt now. ErrNotFound for an unknown or deleted key,
	// ErrInvalid for a bad limit or limit reset (nothing is changed).
	UpdateKey(ctx context.Context, hash string, u KeyUpdate) (Key, error)
	// DeleteKey deletes a key: from then on every method but the charging
	// ones treats it as unknown. Its generations keep their key hash (and
	// the key its name, for Activity). ErrNotFound for an unknown or
	// already deleted key.
	DeleteKey(ctx context.Context, hash string) error
	// KeySpend is the key's charged cost since (inclusive), summed from its
	// generations; includeBYOK counts BYOK generations too. ErrNotFound for
	// an unknown or deleted key.
	KeySpend(ctx context.Context, hash string, since time.Time, includeBYOK bool) (money.Amount, error)
	// KeyUsage is KeySpend over several windows at once: for each start in
	// since, the key's charges since then, all and BYOK only, in one
	// query. ErrNotFound for an unknown or deleted key.
	KeyUsage(ctx context.Context, hash string, since []time.Time) ([]KeySpend, error)
	// HasManagementKey reports whether a management key exists (disabled
	// ones count; deleted ones do not).
	HasManagementKey(ctx context.Context) (bool, error)

	// SetProviderKey stores the account's upstream key for a provider slug,
	// sealed (encrypted) by the caller, replacing any it had. ErrInvalid for
	// an empty provider or sealed key, ErrNotFound for an unknown account.
	SetProviderKey(ctx context.Context, accountID int64, provider string, sealed []byte) error
	// ProviderKeys returns the account's sealed provider keys by provider
	// slug (an empty map if it has none).
	ProviderKeys(ctx context.Context, accountID int64) (map[string][]byte, error)
	// DeleteProviderKey deletes the account's key for provider, or returns
	// ErrNotFound.
	DeleteProviderKey(ctx context.Context, accountID int64, provider string) error

	// JournalInflight records, in one transaction, the requests in flight
	// that open lists (an id already journaled is kept as it was) and
	// forgets the ids closed lists: requests that ended, their generation
	// recorded. ErrInvalid for an entry without id, account, key or
	// instance.
	JournalInflight(ctx context.Context, open []Inflight, closed []string) error
	// RecoverInflight records, for every journaled request of instance
	// and for any other instance's journaled since before staleBefore, a
	// generation of an interrupted request (InterruptedGeneration: nothing
	// charged), and forgets them, in one transaction. It returns the
	// generations it recorded; an id already recorded is skipped.
	RecoverInflight(ctx context.Context, instance string, staleBefore time.Time) ([]Generation, error)

	// Activity aggregates the account's served generations (those with a
	// provider; failures are not usage) per UTC day × model × provider ×
	// key, over generations created in [since, until), ordered by day,
	// model, provider slug and key hash. Model is Generation.Model.
	Activity(ctx context.Context, accountID int64, since, until time.Time) ([]ActivityRow, error)
}

// Inflight is a request holding credit whose generation is not recorded
// yet, as the journal keeps it: a crash between the hold and the record
// leaves this trace, which RecoverInflight turns into a generation record.
type Inflight struct {
	ID        string // the generation id
	Instance  string // the gateway process that holds it
	AccountID int64
	KeyHash   string
	Model     string // the model the client asked for
	Held      money.Amount
	Streamed  bool
	CreatedAt time.Time
}

// InterruptedError is the Error of a generation recovered from the
// journal.
const InterruptedError = "interrupted: the gateway stopped before the request finished; nothing was charged"

// InterruptedGeneration is the record of a journaled request that never
// finished: status 0, finish reason "error", cancelled, nothing charged
// (what the upstream generated, if anything, is unknown).
func InterruptedGeneration(in Inflight) Generation {
	return Generation{
		ID: in.ID, AccountID: in.AccountID, KeyHash: in.KeyHash, Model: in.Model,
		Streamed: in.Streamed, Cancelled: true, FinishReason: "error",
		Error: InterruptedError, CreatedAt: in.CreatedAt,
	}
}

// KeySpend is a key's charges over a window: All of them, and those of
// BYOK generations.
type KeySpend struct {
	All, BYOK money.Amount
}

// Ledger entry kinds added for billing (see LedgerCredit).
const (
	LedgerPurchase   = "purchase"   // a credit purchase, gross (> 0)
	LedgerFee        = "fee"        // the platform fee of a purchase (< 0)
	LedgerRefund     = "refund"     // money given back (either sign)
	LedgerAdjustment = "adjustment" // an operator's correction (either sign)
)

// LedgerEntry is one row of an account's ledger.
type LedgerEntry struct {
	ID        int64 // increasing in the order entries were written
	AccountID int64
	Kind      string       // LedgerCredit, LedgerGeneration, LedgerPurchase…
	Amount    money.Amount // signed: credits positive, charges negative
	// Ref is the purchase reference of a purchase and its fee, or the
	// generation id of a LedgerGeneration charge.
	Ref       string
	Note      string
	CreatedAt time.Time
}

// ActivityRow is one UTC day's use of one model at one provider by one
// key.
type ActivityRow struct {
	Day              time.Time // midnight UTC
	Model            string
	ProviderSlug     string
	ProviderName     string
	KeyHash          string
	KeyName          string
	Requests         int64
	PromptTokens     int64
	CompletionTokens int64
	ReasoningTokens  int64
	Spend            money.Amount // charged cost
}

// Key limit reset periods (Key.LimitReset), in UTC; weeks start on Monday.
const (
	LimitResetNever   = ""
	LimitResetDaily   = "daily"
	LimitResetWeekly  = "weekly"
	LimitResetMonthly = "monthly"
)

// ValidLimitReset reports whether s is one of the LimitReset constants.
func ValidLimitReset(s string) bool {
	switch s {
	case LimitResetNever, LimitResetDaily, LimitResetWeekly, LimitResetMonthly:
		return true
	}
	return false
}

// checkLimits validates a key's limit and limit reset.
func checkLimits(limit *money.Amount, reset string) error {
	if limit != nil && *limit < 0 {
		return fmt.Errorf("key limit %s is negative: %w", *limit, ErrInvalid)
	}
	if !ValidLimitReset(reset) {
		return fmt.Errorf("key limit reset %q: want daily, weekly, monthly or none: %w", reset, ErrInvalid)
	}
	return nil
}

// KeyUpdate is what UpdateKey changes: each non-nil field.
type KeyUpdate struct {
	Name     *string
	Disabled *bool
	// Limit sets the spending limit; pointing to a nil *money.Amount
	// removes it.
	Limit              **money.Amount
	LimitReset         *string
	IncludeBYOKInLimit *bool
	// ExpiresAt sets the expiry; pointing to a nil *time.Time removes it.
	ExpiresAt **time.Time
}

// Apply validates u and applies it to k, leaving k unchanged on error (the
// shared step of every implementation's UpdateKey). It sets UpdatedAt to
// now.
func (u KeyUpdate) Apply(k *Key, now time.Time) error {
	next := *k
	if u.Name != nil {
		next.Name = *u.Name
	}
	if u.Disabled != nil {
		next.Disabled = *u.Disabled
	}
	if u.Limit != nil {
		next.Limit = clonePtr(*u.Limit)
	}
	if u.LimitReset != nil {
		next.LimitReset = *u.LimitReset
	}
	if u.IncludeBYOKInLimit != nil {
		next.IncludeBYOKInLimit = *u.IncludeBYOKInLimit
	}
	if u.ExpiresAt != nil {
		next.ExpiresAt = timestampPtr(*u.ExpiresAt)
	}
	if err := checkLimits(next.Limit, next.LimitReset); err != nil {
		return err
	}
	next.UpdatedAt = Timestamp(now)
	*k = next
	return nil
}

// Expired reports whether k has an expiry at or before now.
func (k Key) Expired(now time.Time) bool {
	return k.ExpiresAt != nil && !now.Before(*k.ExpiresAt)
}

// ValidatePurchase checks AddPurchase's amounts.
func ValidatePurchase(gross, fee money.Amount) error {
	if gross <= 0 || fee < 0 || fee > gross {
		return fmt.Errorf("purchase of %s with fee %s: want 0 ≤ fee ≤ gross and gross > 0: %w", gross, fee, ErrInvalid)
	}
	return nil
}

// ValidateAdjustment checks Adjust's amount and kind.
func ValidateAdjustment(amount money.Amount, kind string) error {
	if kind != LedgerRefund && kind != LedgerAdjustment {
		return fmt.Errorf("ledger kind %q: want %s or %s: %w", kind, LedgerRefund, LedgerAdjustment, ErrInvalid)
	}
	if amount == 0 {
		return fmt.Errorf("%s of zero: %w", kind, ErrInvalid)
	}
	return nil
}

// ValidateProviderKey checks SetProviderKey's arguments.
func ValidateProviderKey(provider string, sealed []byte) error {
	if provider == "" || len(sealed) == 0 {
		return fmt.Errorf("provider key: empty provider or key: %w", ErrInvalid)
	}
	return nil
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// timestampPtr returns a copy of t normalised with Timestamp, or nil.
func timestampPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := Timestamp(*t)
	return &v
}
