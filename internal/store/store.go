// Package store defines Switchyard's persistence boundary: accounts, API
// keys, generation records, the credit ledger and presets.
//
// Store is implemented by package store/sqlite (a single file, the default
// for self-hosting) and package store/postgres; package store/storeopen picks
// one from a DSN, and package store/storetest is the conformance suite both
// pass. Callers depend on this package only.
//
// Money is integer nano-dollars (money.Amount) end to end, stored as 64-bit
// integers; no float ever touches a balance. Every change to an account's
// balance is written in the same transaction as a row of the ledger, so that
// an account's balance always equals the sum of its ledger rows (see
// VerifyLedger).
//
// Timestamps are kept at millisecond resolution and returned in UTC (see
// Timestamp). API keys are identified by the SHA-256 hex digest of their
// plaintext; the plaintext never reaches the store.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/switchyard-dev/switchyard/internal/money"
)

// Sentinel errors. Implementations wrap them with the operation, so test
// with errors.Is.
var (
	// ErrNotFound reports that an account, key or generation does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrAlreadyExists reports a duplicate key hash, generation id or
	// preset slug.
	ErrAlreadyExists = errors.New("store: already exists")
	// ErrInvalid reports an argument the store refuses, such as a negative
	// cost, a non-positive credit amount or an empty generation id.
	ErrInvalid = errors.New("store: invalid argument")
	// ErrInsufficientCredits reports an account with nothing left to spend;
	// see Account.CheckBalance.
	ErrInsufficientCredits = errors.New("store: insufficient credits")
)

// Store persists accounts, keys, generations and the ledger.
// Implementations are safe for concurrent use.
type Store interface {
	// CreateAccount creates an account named name holding credits (≥ 0),
	// recorded as the account's first ledger entry.
	CreateAccount(ctx context.Context, name string, credits money.Amount) (Account, error)
	// Account returns the account with the given id, or ErrNotFound.
	Account(ctx context.Context, id int64) (Account, error)
	// AddCredits adds amount (> 0) to the account's balance and total
	// credits, with a ledger entry carrying note, and returns the new
	// balance. ErrNotFound if the account does not exist.
	AddCredits(ctx context.Context, accountID int64, amount money.Amount, note string) (money.Amount, error)

	// CreateKey stores a new API key. ErrNotFound if the account does not
	// exist, ErrAlreadyExists if the hash is already stored.
	CreateKey(ctx context.Context, k NewKey) (Key, error)
	// CreateAccountWithKey creates an account named name holding credits
	// (≥ 0), exactly as CreateAccount does, and its first API key, in one
	// transaction: k.AccountID is ignored and the key belongs to the new
	// account. It returns both as stored. On any error, such as
	// ErrAlreadyExists if k.Hash is already stored or ErrInvalid for
	// negative credits or an empty hash, nothing is written.
	CreateAccountWithKey(ctx context.Context, name string, credits money.Amount, k NewKey) (Account, Key, error)
	// KeyByHash returns the key whose hash is hash and its account (with
	// its current balance), or ErrNotFound. Disabled keys are returned too;
	// the caller checks Key.Disabled.
	KeyByHash(ctx context.Context, hash string) (Key, Account, error)
	// ListKeys returns the account's keys, oldest first. An unknown account
	// has no keys.
	ListKeys(ctx context.Context, accountID int64) ([]Key, error)
	// DisableKey marks a key disabled; disabling a disabled key is a no-op.
	// ErrNotFound if no key has this hash.
	DisableKey(ctx context.Context, hash string) error

	// RecordGeneration atomically inserts the generation record and charges
	// its cost: the account's balance falls and its total usage and the
	// key's usage rise by g.Cost, with a ledger entry (a batch of one, as
	// BillingStore.RecordGenerations writes), in one transaction.
	//
	// The charge is unconditional: the pre-flight check is Balance > 0
	// (Account.CheckBalance), so a balance goes negative by at most the cost
	// of the generations in flight when it reached zero. A disabled key is
	// still charged for a generation it started.
	//
	// Recording an id twice returns ErrAlreadyExists and charges nothing the
	// second time. ErrNotFound if g.KeyHash is not a key of g.AccountID.
	// A zero g.CreatedAt means now.
	RecordGeneration(ctx context.Context, g Generation) error
	// Generation returns the generation with the given id, or ErrNotFound.
	Generation(ctx context.Context, id string) (Generation, error)
	// RecentGenerations returns the account's last limit generations,
	// newest first (by creation time, then id).
	RecentGenerations(ctx context.Context, accountID int64, limit int) ([]Generation, error)

	// Presets are named, versioned chat configurations of an account; see
	// PresetStore.
	PresetStore

	// Purchases, refunds, the ledger, key limits, BYOK keys and activity;
	// see BillingStore.
	BillingStore

	// Usage rollups for analytics and rankings; see UsageStore.
	UsageStore

	// VerifyLedger returns every account whose balance differs from the
	// sum of its ledger entries, ordered by account id; none when the
	// store is consistent.
	VerifyLedger(ctx context.Context) ([]LedgerMismatch, error)
	// VerifyCharges returns every ledger entry that charges generations
	// (LedgerUsage, LedgerGeneration, or any entry a generation names)
	// whose amount is not minus the sum of the costs of the generations
	// that name it, or that a generation of another account or key names,
	// ordered by entry id; none when the store is consistent.
	VerifyCharges(ctx context.Context) ([]ChargeMismatch, error)

	// Close releases the store's resources.
	Close() error
}

// Account is a holder of credits. Balance = TotalCredits − TotalUsage.
type Account struct {
	ID           int64
	Name         string
	Balance      money.Amount
	TotalCredits money.Amount // sum of all credits added
	TotalUsage   money.Amount // sum of all generation costs charged
	CreatedAt    time.Time
}

// OpenAccount checks credits and returns the account a store inserts for
// CreateAccount, created at now (the shared first step of every
// implementation).
func OpenAccount(name string, credits money.Amount, now time.Time) (Account, error) {
	if credits < 0 {
		return Account{}, fmt.Errorf("negative credits %s: %w", credits, ErrInvalid)
	}
	return Account{Name: name, Balance: credits, TotalCredits: credits, CreatedAt: Timestamp(now)}, nil
}

// CheckBalance is the pre-flight credit check made before a generation
// starts: it returns ErrInsufficientCredits unless the balance is positive.
func (a Account) CheckBalance() error {
	if a.Balance <= 0 {
		return fmt.Errorf("account %d balance %s: %w", a.ID, a.Balance, ErrInsufficientCredits)
	}
	return nil
}

// NewKey is what CreateKey and CreateAccountWithKey need to store an API
// key.
type NewKey struct {
	AccountID int64
	Hash      string // SHA-256 hex digest of the plaintext key
	Name      string // the owner's name for it
	// Label is a displayable fragment of the plaintext, such as
	// "sk-sy-v1-abc…xyz", so owners can tell keys apart.
	Label        string
	IsManagement bool // may manage keys instead of calling models

	Limit              *money.Amount // spending limit (≥ 0); nil for none
	LimitReset         string        // see the LimitReset constants
	IncludeBYOKInLimit bool          // BYOK generations count toward Limit
	ExpiresAt          *time.Time    // nil: never expires
}

// Validate reports whether k can be stored.
func (k NewKey) Validate() error {
	switch {
	case k.AccountID <= 0:
		return fmt.Errorf("key account id %d: %w", k.AccountID, ErrInvalid)
	case k.Hash == "":
		return fmt.Errorf("key hash is empty: %w", ErrInvalid)
	}
	return checkLimits(k.Limit, k.LimitReset)
}

// Key validates k and returns the key a store inserts for it, created at
// now (the shared first step of every implementation's CreateKey).
func (k NewKey) Key(now time.Time) (Key, error) {
	if err := k.Validate(); err != nil {
		return Key{}, err
	}
	return Key{
		Hash: k.Hash, AccountID: k.AccountID, Name: k.Name, Label: k.Label,
		IsManagement: k.IsManagement, Limit: clonePtr(k.Limit), LimitReset: k.LimitReset,
		IncludeBYOKInLimit: k.IncludeBYOKInLimit, ExpiresAt: timestampPtr(k.ExpiresAt),
		CreatedAt: Timestamp(now), UpdatedAt: Timestamp(now),
	}, nil
}

// Key is a stored API key.
type Key struct {
	Hash         string
	AccountID    int64
	Name         string
	Label        string
	Disabled     bool
	IsManagement bool
	CreatedAt    time.Time
	Usage        money.Amount // sum of the costs of the key's generations

	Limit              *money.Amount // spending limit; nil for none
	LimitReset         string        // the period Limit applies to; see the LimitReset constants
	IncludeBYOKInLimit bool          // BYOK generations count toward Limit
	ExpiresAt          *time.Time    // nil: never expires; see Expired
	UpdatedAt          time.Time     // when it was created or last updated by UpdateKey
}

// Generation is the record of one completed (or cancelled) request.
type Generation struct {
	ID        string // "gen-…"
	AccountID int64
	KeyHash   string

	Model         string // the model the client asked for
	ProviderSlug  string
	ProviderName  string
	UpstreamModel string // the upstream's name for the model
	UpstreamID    string // the upstream's response id

	Streamed           bool
	Cancelled          bool
	FinishReason       string // normalised
	NativeFinishReason string // as the upstream sent it

	PromptTokens     int
	CompletionTokens int
	ReasoningTokens  int
	CachedTokens     int
	CacheWriteTokens int

	Cost   money.Amount // charged to the account, ≥ 0
	IsBYOK bool         // served with the account's own provider key

	LatencyMs        int64 // time to first token (or to the response)
	GenerationTimeMs int64 // total upstream time

	HTTPReferer string
	AppTitle    string
	User        string // the client's end-user identifier
	SessionID   string

	Attempts int // how many endpoints were tried
	// ProviderResponses is every endpoint tried, in order, the one that
	// served the generation (if any) last.
	ProviderResponses []ProviderResponse
	CreatedAt         time.Time

	// Status is the HTTP status the client got: 200 for a generation
	// served (also for a stream that failed after its first byte, whose
	// FinishReason is "error"), the error's status for a request refused
	// or failed before any byte, and 0 for a request that never finished
	// (recorded from the journal after a crash; see Inflight).
	Status int
	// Error is the error the client got, clipped to MaxProviderErrorBytes
	// when recorded; empty when none.
	Error string
	// Category is the prompt's task category (package classify), for
	// usage analytics; empty when not classified.
	Category string
	// Categorize, when set, computes Category; the billing accountant
	// calls it just before the record is written, off the request's path
	// and a batch at a time (see billing.Accountant). It is not stored.
	Categorize func() string
	// AppPrivate keeps the generation's app out of public rankings.
	AppPrivate bool
	// LedgerID is the ledger entry that charged the generation, set by the
	// store as it records it (a value given is ignored): 0 for a free
	// generation and for one imported with its usage (ImportGenerations).
	LedgerID int64
}

// ProviderResponse is one routing attempt of a generation: an endpoint tried
// and how it answered.
type ProviderResponse struct {
	Provider  string `json:"provider"`   // routing slug, such as "groq"
	Name      string `json:"name"`       // display name, such as "Groq"
	Model     string `json:"model"`      // canonical model id
	Endpoint  string `json:"endpoint"`   // endpoint tag, such as "deepinfra/turbo"
	Status    int    `json:"status"`     // HTTP status of the attempt; 0 if none came back
	LatencyMs int64  `json:"latency_ms"` // time until the attempt answered or failed
	// Error is the upstream's message for a failed attempt, clipped to
	// MaxProviderErrorBytes (the store clips it when recording).
	Error string `json:"error,omitempty"`
}

// MaxProviderErrorBytes bounds ProviderResponse.Error as stored.
const MaxProviderErrorBytes = 500

// ClipError returns msg cut to at most MaxProviderErrorBytes bytes, on a
// UTF-8 character boundary.
func ClipError(msg string) string {
	if len(msg) <= MaxProviderErrorBytes {
		return msg
	}
	cut := MaxProviderErrorBytes
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut]
}

// Validate reports whether g can be recorded.
func (g Generation) Validate() error {
	switch {
	case g.ID == "":
		return fmt.Errorf("generation id is empty: %w", ErrInvalid)
	case g.AccountID <= 0:
		return fmt.Errorf("generation %s account id %d: %w", g.ID, g.AccountID, ErrInvalid)
	case g.KeyHash == "":
		return fmt.Errorf("generation %s key hash is empty: %w", g.ID, ErrInvalid)
	case g.Cost < 0:
		return fmt.Errorf("generation %s cost %s is negative: %w", g.ID, g.Cost, ErrInvalid)
	case g.PromptTokens < 0 || g.CompletionTokens < 0 || g.ReasoningTokens < 0 ||
		g.CachedTokens < 0 || g.CacheWriteTokens < 0 || g.Attempts < 0:
		return fmt.Errorf("generation %s has a negative count: %w", g.ID, ErrInvalid)
	case g.Status < 0 || g.Status > 999:
		return fmt.Errorf("generation %s status %d: %w", g.ID, g.Status, ErrInvalid)
	}
	for i, pr := range g.ProviderResponses {
		if pr.Status < 0 || pr.LatencyMs < 0 {
			return fmt.Errorf("generation %s provider response %d has a negative status or latency: %w", g.ID, i, ErrInvalid)
		}
	}
	return nil
}

// LedgerMismatch is an account whose balance is not the sum of its ledger.
type LedgerMismatch struct {
	AccountID int64
	Balance   money.Amount // accounts.balance
	LedgerSum money.Amount // sum of the account's ledger entries
}

// ChargeMismatch is a ledger entry that does not charge what the
// generations that name it cost (see Store.VerifyCharges).
type ChargeMismatch struct {
	EntryID   int64
	AccountID int64
	Kind      string
	Amount    money.Amount // the entry's: minus Costs when consistent
	Costs     money.Amount // the sum of the costs of the generations that name it
	// Generations name the entry; Foreign of them belong to another
	// account or key than the entry.
	Generations, Foreign int64
}

// Ledger entry kinds, stored in the ledger's kind column. Credits are
// positive amounts, charges negative ones; billing adds more
// (LedgerPurchase…).
const (
	LedgerCredit = "credit"
	// LedgerUsage is what one recorded batch of generations charged
	// through one key: minus the sum of their costs. Its generations carry
	// its id as their LedgerID; its note counts them.
	LedgerUsage = "usage"
	// LedgerGeneration is the charge of a single generation, its id the
	// entry's Ref: how generations were charged before usage entries
	// (SQLite migration 0008, PostgreSQL 0006). Such entries stay, and
	// their generations carry their ids as LedgerID.
	LedgerGeneration = "generation"
)

// TimeResolution is the precision timestamps are stored with.
const TimeResolution = time.Millisecond

// Timestamp returns t as the store keeps it: UTC, truncated to
// TimeResolution. Implementations normalise every time they write with it.
func Timestamp(t time.Time) time.Time { return t.UTC().Truncate(TimeResolution) }
