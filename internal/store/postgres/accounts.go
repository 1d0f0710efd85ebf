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

const accountColumns = `id, name, balance, total_credits, total_usage, created_at`

func scanAccount(row pgx.Row) (store.Account, error) {
	var a store.Account
	err := row.Scan(&a.ID, &a.Name, &a.Balance, &a.TotalCredits, &a.TotalUsage, &a.CreatedAt)
	a.CreatedAt = a.CreatedAt.UTC()
	return a, err
}

const keyColumns = `hash, account_id, name, label, disabled, is_management, total_usage, created_at`

func scanKey(row pgx.Row) (store.Key, error) {
	var k store.Key
	err := row.Scan(&k.Hash, &k.AccountID, &k.Name, &k.Label, &k.Disabled, &k.IsManagement, &k.Usage, &k.CreatedAt)
	k.CreatedAt = k.CreatedAt.UTC()
	return k, err
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
	return insertLedger(ctx, tx, a.ID, store.LedgerCredit, a.TotalCredits, nil, nil, "initial credits", a.CreatedAt)
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

// AddCredits implements store.Store.
func (s *Store) AddCredits(ctx context.Context, accountID int64, amount money.Amount, note string) (money.Amount, error) {
	if amount <= 0 {
		return 0, fmt.Errorf("add credits to account %d: amount %s is not positive: %w", accountID, amount, store.ErrInvalid)
	}
	var balance money.Amount
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx,
			`UPDATE accounts SET balance = balance + $1, total_credits = total_credits + $1 WHERE id = $2 RETURNING balance`,
			amount, accountID).Scan(&balance)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		return insertLedger(ctx, tx, accountID, store.LedgerCredit, amount, nil, nil, note, store.Timestamp(time.Now()))
	})
	if err != nil {
		return 0, fmt.Errorf("add credits to account %d: %w", accountID, err)
	}
	return balance, nil
}

// insertLedger writes one ledger row; generationID and keyHash may be nil.
func insertLedger(ctx context.Context, tx pgx.Tx, accountID int64, kind string, amount money.Amount, generationID, keyHash *string, note string, at time.Time) error {
	_, err := tx.Exec(ctx,
		`INSERT INTO ledger (account_id, kind, amount, generation_id, key_hash, note, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		accountID, kind, amount, generationID, keyHash, note, at)
	if err != nil {
		return fmt.Errorf("insert ledger entry: %w", err)
	}
	return nil
}

// CreateKey implements store.Store.
func (s *Store) CreateKey(ctx context.Context, nk store.NewKey) (store.Key, error) {
	k, err := nk.Key(time.Now())
	if err != nil {
		return store.Key{}, fmt.Errorf("create key: %w", err)
	}
	if err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return insertKey(ctx, tx, k) }); err != nil {
		return store.Key{}, fmt.Errorf("create key for account %d: %w", nk.AccountID, err)
	}
	return k, nil
}

// insertKey inserts k (from NewKey.Key): ErrNotFound if its account does not
// exist, ErrAlreadyExists if its hash is already stored.
func insertKey(ctx context.Context, tx pgx.Tx, k store.Key) error {
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1)`, k.AccountID).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return fmt.Errorf("account %d: %w", k.AccountID, store.ErrNotFound)
	}
	tag, err := tx.Exec(ctx,
		`INSERT INTO api_keys (hash, account_id, name, label, is_management, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (hash) DO NOTHING`,
		k.Hash, k.AccountID, k.Name, k.Label, k.IsManagement, k.CreatedAt)
	return mustAffect(tag, err, fmt.Errorf("key hash: %w", store.ErrAlreadyExists))
}

// KeyByHash implements store.Store.
func (s *Store) KeyByHash(ctx context.Context, hash string) (store.Key, store.Account, error) {
	var (
		k store.Key
		a store.Account
	)
	err := s.pool.QueryRow(ctx, `
		SELECT k.hash, k.account_id, k.name, k.label, k.disabled, k.is_management, k.total_usage, k.created_at,
		       a.id, a.name, a.balance, a.total_credits, a.total_usage, a.created_at
		FROM api_keys k JOIN accounts a ON a.id = k.account_id
		WHERE k.hash = $1`, hash).Scan(
		&k.Hash, &k.AccountID, &k.Name, &k.Label, &k.Disabled, &k.IsManagement, &k.Usage, &k.CreatedAt,
		&a.ID, &a.Name, &a.Balance, &a.TotalCredits, &a.TotalUsage, &a.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Key{}, store.Account{}, fmt.Errorf("get key by hash: %w", err)
	}
	k.CreatedAt, a.CreatedAt = k.CreatedAt.UTC(), a.CreatedAt.UTC()
	return k, a, nil
}

// ListKeys implements store.Store.
func (s *Store) ListKeys(ctx context.Context, accountID int64) ([]store.Key, error) {
	rows, err := s.pool.Query(ctx,
		`SELECT `+keyColumns+` FROM api_keys WHERE account_id = $1 ORDER BY created_at, hash`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list keys of account %d: %w", accountID, err)
	}
	keys, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Key, error) { return scanKey(row) })
	if err != nil {
		return nil, fmt.Errorf("list keys of account %d: %w", accountID, err)
	}
	return keys, nil
}

// DisableKey implements store.Store.
func (s *Store) DisableKey(ctx context.Context, hash string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE api_keys SET disabled = TRUE WHERE hash = $1`, hash)
	if err := mustAffect(tag, err, store.ErrNotFound); err != nil {
		return fmt.Errorf("disable key: %w", err)
	}
	return nil
}
