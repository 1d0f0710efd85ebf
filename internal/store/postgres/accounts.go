package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// accountColumns are what accountDest scans.
const accountColumns = `id, name, balance, total_credits, total_usage, created_at`

func accountDest(a *store.Account) []any {
	return []any{&a.ID, &a.Name, &a.Balance, &a.TotalCredits, &a.TotalUsage, &a.CreatedAt}
}

func scanAccount(row pgx.Row) (store.Account, error) {
	var a store.Account
	err := row.Scan(accountDest(&a)...)
	a.CreatedAt = a.CreatedAt.UTC()
	return a, err
}

// CreateAccount implements store.Store.
func (s *Store) CreateAccount(ctx context.Context, name string, credits money.Amount) (store.Account, error) {
	a, err := store.OpenAccount(name, credits, time.Now())
	if err != nil {
		return store.Account{}, fmt.Errorf("create account: %w", err)
	}
	if err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return insertAccount(ctx, tx, &a) }); err != nil {
		return store.Account{}, fmt.Errorf("create account: %w", err)
	}
	return a, nil
}

// CreateAccountWithKey implements store.Store.
func (s *Store) CreateAccountWithKey(ctx context.Context, name string, credits money.Amount, nk store.NewKey) (store.Account, store.Key, error) {
	now := time.Now()
	a, err := store.OpenAccount(name, credits, now)
	if err != nil {
		return store.Account{}, store.Key{}, fmt.Errorf("create account with key: %w", err)
	}
	var k store.Key
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := insertAccount(ctx, tx, &a); err != nil {
			return err
		}
		nk.AccountID = a.ID
		var err error
		if k, err = nk.Key(now); err != nil {
			return err
		}
		return insertKey(ctx, tx, k)
	})
	if err != nil {
		return store.Account{}, store.Key{}, fmt.Errorf("create account with key: %w", err)
	}
	return a, k, nil
}

// insertAccount inserts a (from store.OpenAccount) with its opening ledger entry
// and sets a.ID.
func insertAccount(ctx context.Context, tx pgx.Tx, a *store.Account) error {
	err := tx.QueryRow(ctx,
		`INSERT INTO accounts (name, balance, total_credits, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		a.Name, a.Balance, a.TotalCredits, a.CreatedAt).Scan(&a.ID)
	if err != nil || a.TotalCredits == 0 {
		return err
	}
	return insertLedger(ctx, tx, ledgerRow{accountID: a.ID, kind: store.LedgerCredit, amount: a.TotalCredits, note: "initial credits", at: a.CreatedAt})
}

// accountExists returns ErrNotFound unless the account exists.
func accountExists(ctx context.Context, tx pgx.Tx, id int64) error {
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1)`, id).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return fmt.Errorf("account %d: %w", id, store.ErrNotFound)
	}
	return nil
}

// Account implements store.Store.
func (s *Store) Account(ctx context.Context, id int64) (store.Account, error) {
	a, err := scanAccount(s.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Account{}, fmt.Errorf("get account %d: %w", id, err)
	}
	return a, nil
}

// ListAccounts implements store.BillingStore.
func (s *Store) ListAccounts(ctx context.Context) ([]store.Account, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+accountColumns+` FROM accounts ORDER BY id`)
	if err == nil {
		var accounts []store.Account
		accounts, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Account, error) { return scanAccount(row) })
		if err == nil {
			return accounts, nil
		}
	}
	return nil, fmt.Errorf("list accounts: %w", err)
}

// AddCredits implements store.Store.
func (s *Store) AddCredits(ctx context.Context, accountID int64, amount money.Amount, note string) (money.Amount, error) {
	if amount <= 0 {
		return 0, fmt.Errorf("add credits to account %d: amount %s is not positive: %w", accountID, amount, store.ErrInvalid)
	}
	var a store.Account
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if a, err = credit(ctx, tx, accountID, amount); err != nil {
			return err
		}
		return insertLedger(ctx, tx, ledgerRow{accountID: accountID, kind: store.LedgerCredit, amount: amount, note: note, at: time.Now()})
	})
	if err != nil {
		return 0, fmt.Errorf("add credits to account %d: %w", accountID, err)
	}
	return a.Balance, nil
}

// credit adds amount (of either sign) to the account's balance and total
// credits and returns the account, or ErrNotFound.
func credit(ctx context.Context, tx pgx.Tx, accountID int64, amount money.Amount) (store.Account, error) {
	a, err := scanAccount(tx.QueryRow(ctx,
		`UPDATE accounts SET balance = balance + $1, total_credits = total_credits + $1 WHERE id = $2 RETURNING `+accountColumns,
		amount, accountID))
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	return a, err
}

// ledgerRow is one ledger entry to write; generationID and keyHash may be
// nil.
type ledgerRow struct {
	accountID             int64
	kind                  string
	amount                money.Amount
	generationID, keyHash *string
	ref, note             string
	at                    time.Time
}

// insertLedger writes one ledger row.
func insertLedger(ctx context.Context, tx pgx.Tx, r ledgerRow) error {
	_, err := tx.Exec(ctx,
		`INSERT INTO ledger (account_id, kind, amount, generation_id, key_hash, ref, note, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		r.accountID, r.kind, r.amount, r.generationID, r.keyHash, r.ref, r.note, store.Timestamp(r.at))
	if err != nil {
		return fmt.Errorf("insert ledger entry: %w", err)
	}
	return nil
}
