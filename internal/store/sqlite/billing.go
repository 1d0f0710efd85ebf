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

// AddPurchase implements store.BillingStore.
func (s *Store) AddPurchase(ctx context.Context, accountID int64, gross, fee money.Amount, ref, note string) (store.Account, error) {
	if err := store.ValidatePurchase(gross, fee); err != nil {
		return store.Account{}, fmt.Errorf("add purchase to account %d: %w", accountID, err)
	}
	var a store.Account
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if a, err = credit(ctx, tx, accountID, gross-fee); err != nil {
			return err
		}
		at := formatTime(time.Now())
		// The partial unique index on purchase refs decides a replay; the
		// rollback then undoes the credit above.
		res, err := tx.ExecContext(ctx, `INSERT INTO ledger (account_id, kind, amount, ref, note, created_at)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (ref) WHERE kind = 'purchase' AND ref <> '' DO NOTHING`,
			accountID, store.LedgerPurchase, gross, ref, note, at)
		if err := mustAffect(res, err, fmt.Errorf("purchase %q: %w", ref, store.ErrAlreadyExists)); err != nil {
			return err
		}
		if fee == 0 {
			return nil
		}
		return insertLedger(ctx, tx, ledgerRow{accountID: accountID, kind: store.LedgerFee, amount: -fee, ref: ref, note: note, at: at})
	})
	if err != nil {
		return store.Account{}, fmt.Errorf("add purchase to account %d: %w", accountID, err)
	}
	return a, nil
}

// Adjust implements store.BillingStore.
func (s *Store) Adjust(ctx context.Context, accountID int64, amount money.Amount, kind, note string, allowNegative bool) (store.Account, error) {
	if err := store.ValidateAdjustment(amount, kind); err != nil {
		return store.Account{}, fmt.Errorf("adjust account %d: %w", accountID, err)
	}
	var a store.Account
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if a, err = credit(ctx, tx, accountID, amount); err != nil {
			return err
		}
		if amount < 0 && a.Balance < 0 && !allowNegative {
			return fmt.Errorf("%s of %s leaves balance %s: %w", kind, amount, a.Balance, store.ErrInsufficientCredits)
		}
		return insertLedger(ctx, tx, ledgerRow{accountID: accountID, kind: kind, amount: amount, note: note, at: formatTime(time.Now())})
	})
	if err != nil {
		return store.Account{}, fmt.Errorf("adjust account %d: %w", accountID, err)
	}
	return a, nil
}

// Ledger implements store.BillingStore.
func (s *Store) Ledger(ctx context.Context, accountID int64, limit int) ([]store.LedgerEntry, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	entries, err := collect(ctx, s.read, scanLedgerEntry, `
		SELECT id, account_id, kind, amount, COALESCE(generation_id, ref), note, created_at
		FROM ledger WHERE account_id = ? ORDER BY id DESC LIMIT ?`, accountID, limit)
	if err != nil {
		return nil, fmt.Errorf("ledger of account %d: %w", accountID, err)
	}
	return entries, nil
}

func scanLedgerEntry(row scanner) (store.LedgerEntry, error) {
	var e store.LedgerEntry
	err := row.Scan(&e.ID, &e.AccountID, &e.Kind, &e.Amount, &e.Ref, &e.Note, timeText{&e.CreatedAt})
	return e, err
}

// TotalPurchased implements store.BillingStore.
func (s *Store) TotalPurchased(ctx context.Context, accountID int64) (money.Amount, error) {
	var total money.Amount
	err := s.read.QueryRowContext(ctx, `
		SELECT (SELECT COALESCE(SUM(amount), 0) FROM ledger WHERE account_id = a.id AND kind = ?)
		FROM accounts a WHERE a.id = ?`, store.LedgerPurchase, accountID).Scan(&total)
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("total purchased by account %d: %w", accountID, err)
	}
	return total, nil
}

// SetProviderKey implements store.BillingStore.
func (s *Store) SetProviderKey(ctx context.Context, accountID int64, provider string, sealed []byte) error {
	if err := store.ValidateProviderKey(provider, sealed); err != nil {
		return fmt.Errorf("set provider key of account %d: %w", accountID, err)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := accountExists(ctx, tx, accountID); err != nil {
			return err
		}
		now := formatTime(time.Now())
		_, err := tx.ExecContext(ctx, `INSERT INTO provider_keys (account_id, provider, sealed, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (account_id, provider) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`,
			accountID, provider, sealed, now, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("set provider key of account %d: %w", accountID, err)
	}
	return nil
}

// ProviderKeys implements store.BillingStore.
func (s *Store) ProviderKeys(ctx context.Context, accountID int64) (map[string][]byte, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT provider, sealed FROM provider_keys WHERE account_id = ?`, accountID)
	if err != nil {
		return nil, fmt.Errorf("provider keys of account %d: %w", accountID, err)
	}
	defer rows.Close()
	keys := map[string][]byte{}
	for rows.Next() {
		var (
			provider string
			sealed   []byte
		)
		if err := rows.Scan(&provider, &sealed); err != nil {
			return nil, fmt.Errorf("provider keys of account %d: %w", accountID, err)
		}
		keys[provider] = sealed
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("provider keys of account %d: %w", accountID, err)
	}
	return keys, nil
}

// DeleteProviderKey implements store.BillingStore.
func (s *Store) DeleteProviderKey(ctx context.Context, accountID int64, provider string) error {
	res, err := s.write.ExecContext(ctx, `DELETE FROM provider_keys WHERE account_id = ? AND provider = ?`, accountID, provider)
	if err := mustAffect(res, err, store.ErrNotFound); err != nil {
		return fmt.Errorf("delete %s key of account %d: %w", provider, accountID, err)
	}
	return nil
}

// Activity implements store.BillingStore. Stored times are fixed-width UTC
// text, so a day is their first ten characters.
func (s *Store) Activity(ctx context.Context, accountID int64, since, until time.Time) ([]store.ActivityRow, error) {
	rows, err := collect(ctx, s.read, scanActivity, `
		SELECT substr(g.created_at, 1, 10) AS day, g.model, g.provider_slug, MAX(g.provider_name),
		       g.key_hash, k.name, COUNT(*),
		       SUM(g.prompt_tokens), SUM(g.completion_tokens), SUM(g.reasoning_tokens), SUM(g.cost)
		FROM generations g JOIN api_keys k ON k.hash = g.key_hash
		WHERE g.account_id = ? AND g.created_at >= ? AND g.created_at < ? AND g.provider_slug <> ''
		GROUP BY day, g.model, g.provider_slug, g.key_hash
		ORDER BY day, g.model, g.provider_slug, g.key_hash`,
		accountID, formatTime(since), formatTime(until))
	if err != nil {
		return nil, fmt.Errorf("activity of account %d: %w", accountID, err)
	}
	return rows, nil
}

func scanActivity(row scanner) (store.ActivityRow, error) {
	var (
		r   store.ActivityRow
		day string
	)
	err := row.Scan(&day, &r.Model, &r.ProviderSlug, &r.ProviderName, &r.KeyHash, &r.KeyName, &r.Requests,
		&r.PromptTokens, &r.CompletionTokens, &r.ReasoningTokens, &r.Spend)
	if err != nil {
		return r, err
	}
	r.Day, err = time.Parse(time.DateOnly, day)
	return r, err
}
