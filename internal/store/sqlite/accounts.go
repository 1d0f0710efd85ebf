package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// accountColumns are what accountDest scans.
const accountColumns = `id, name, balance, total_credits, total_usage, created_at`

func accountDest(a *store.Account) []any {
	return []any{&a.ID, &a.Name, &a.Balance, &a.TotalCredits, &a.TotalUsage, timeText{&a.CreatedAt}}
}

func scanAccount(row scanner) (store.Account, error) {
	var a store.Account
	err := row.Scan(accountDest(&a)...)
	return a, err
}

// CreateAccount implements store.Store.
func (s *Store) CreateAccount(ctx context.Context, name string, credits money.Amount) (store.Account, error) {
	a, err := store.OpenAccount(name, credits, time.Now())
	if err != nil {
		return store.Account{}, fmt.Errorf("create account: %w", err)
	}
	if err := s.inTx(ctx, func(tx *sql.Tx) error { return insertAccount(ctx, tx, &a) }); err != nil {
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
	err = s.inTx(ctx, func(tx *sql.Tx) error {
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
func insertAccount(ctx context.Context, tx *sql.Tx, a *store.Account) error {
	at := formatTime(a.CreatedAt)
	err := tx.QueryRowContext(ctx,
		`INSERT INTO accounts (name, balance, total_credits, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
		a.Name, a.Balance, a.TotalCredits, at).Scan(&a.ID)
	if err != nil || a.TotalCredits == 0 {
		return err
	}
	return insertLedger(ctx, tx, ledgerRow{accountID: a.ID, kind: store.LedgerCredit, amount: a.TotalCredits, note: "initial credits", at: at})
}

// accountExists returns ErrNotFound unless the account exists.
func accountExists(ctx context.Context, tx *sql.Tx, id int64) error {
	var exists bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE id = ?)`, id).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return fmt.Errorf("account %d: %w", id, store.ErrNotFound)
	}
	return nil
}

// Account implements store.Store.
func (s *Store) Account(ctx context.Context, id int64) (store.Account, error) {
	a, err := scanAccount(s.read.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Account{}, fmt.Errorf("get account %d: %w", id, err)
	}
	return a, nil
}

// ListAccounts implements store.BillingStore.
func (s *Store) ListAccounts(ctx context.Context) ([]store.Account, error) {
	accounts, err := collect(ctx, s.read, scanAccount, `SELECT `+accountColumns+` FROM accounts ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	return accounts, nil
}

// AddCredits implements store.Store.
func (s *Store) AddCredits(ctx context.Context, accountID int64, amount money.Amount, note string) (money.Amount, error) {
	if amount <= 0 {
		return 0, fmt.Errorf("add credits to account %d: amount %s is not positive: %w", accountID, amount, store.ErrInvalid)
	}
	var a store.Account
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		a, err = credit(ctx, tx, accountID, amount)
		if err != nil {
			return err
		}
		return insertLedger(ctx, tx, ledgerRow{accountID: accountID, kind: store.LedgerCredit, amount: amount, note: note, at: formatTime(time.Now())})
	})
	if err != nil {
		return 0, fmt.Errorf("add credits to account %d: %w", accountID, err)
	}
	return a.Balance, nil
}

// credit adds amount (of either sign) to the account's balance and total
// credits and returns the account, or ErrNotFound.
func credit(ctx context.Context, tx *sql.Tx, accountID int64, amount money.Amount) (store.Account, error) {
	a, err := scanAccount(tx.QueryRowContext(ctx,
		`UPDATE accounts SET balance = balance + ?, total_credits = total_credits + ? WHERE id = ? RETURNING `+accountColumns,
		amount, amount, accountID))
	if errors.Is(err, sql.ErrNoRows) {
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
	at                    string
}

// insertLedgerSQL inserts the values of ledgerRow.args.
const insertLedgerSQL = `INSERT INTO ledger (account_id, kind, amount, generation_id, key_hash, ref, note, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?)`

func (r ledgerRow) args() []any {
	return []any{r.accountID, r.kind, r.amount, r.generationID, r.keyHash, r.ref, r.note, r.at}
}

// insertLedger writes one ledger row.
func insertLedger(ctx context.Context, tx *sql.Tx, r ledgerRow) error {
	if _, err := tx.ExecContext(ctx, insertLedgerSQL, r.args()...); err != nil {
		return fmt.Errorf("insert ledger entry: %w", err)
	}
	return nil
}

// querier is a *sql.DB or *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// collect runs a query and scans every row with scan.
func collect[T any](ctx context.Context, q querier, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
