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

// AddPurchase implements store.BillingStore.
func (s *Store) AddPurchase(ctx context.Context, accountID int64, gross, fee money.Amount, ref, note string) (store.Account, error) {
	if err := store.ValidatePurchase(gross, fee); err != nil {
		return store.Account{}, fmt.Errorf("add purchase to account %d: %w", accountID, err)
	}
	var a store.Account
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if a, err = credit(ctx, tx, accountID, gross-fee); err != nil {
			return err
		}
		at := store.Timestamp(time.Now())
		// The partial unique index on purchase refs decides a replay (a
		// concurrent one waits for this transaction); the rollback then
		// undoes the credit above.
		tag, err := tx.Exec(ctx, `INSERT INTO ledger (account_id, kind, amount, ref, note, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (ref) WHERE kind = 'purchase' AND ref <> '' DO NOTHING`,
			accountID, store.LedgerPurchase, gross, ref, note, at)
		if err := mustAffect(tag, err, fmt.Errorf("purchase %q: %w", ref, store.ErrAlreadyExists)); err != nil {
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
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		// The balance checked is the one this UPDATE wrote, with the row
		// locked: no concurrent charge can come between.
		if a, err = credit(ctx, tx, accountID, amount); err != nil {
			return err
		}
		if amount < 0 && a.Balance < 0 && !allowNegative {
			return fmt.Errorf("%s of %s leaves balance %s: %w", kind, amount, a.Balance, store.ErrInsufficientCredits)
		}
		return insertLedger(ctx, tx, ledgerRow{accountID: accountID, kind: kind, amount: amount, note: note, at: time.Now()})
	})
	if err != nil {
		return store.Account{}, fmt.Errorf("adjust account %d: %w", accountID, err)
	}
	return a, nil
}

// Ledger implements store.BillingStore.
func (s *Store) Ledger(ctx context.Context, accountID int64, limit int) ([]store.LedgerEntry, error) {
	var lim *int // NULL: LIMIT ALL
	if limit > 0 {
		lim = &limit
	}
	rows, err := s.pool.Query(ctx, `
		SELECT id, account_id, kind, amount, COALESCE(generation_id, ref), note, created_at
		FROM ledger WHERE account_id = $1 ORDER BY id DESC LIMIT $2`, accountID, lim)
	if err == nil {
		var entries []store.LedgerEntry
		entries, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.LedgerEntry, error) {
			var e store.LedgerEntry
			err := row.Scan(&e.ID, &e.AccountID, &e.Kind, &e.Amount, &e.Ref, &e.Note, &e.CreatedAt)
			e.CreatedAt = e.CreatedAt.UTC()
			return e, err
		})
		if err == nil {
			return entries, nil
		}
	}
	return nil, fmt.Errorf("ledger of account %d: %w", accountID, err)
}

// TotalPurchased implements store.BillingStore.
func (s *Store) TotalPurchased(ctx context.Context, accountID int64) (money.Amount, error) {
	var total money.Amount
	err := s.pool.QueryRow(ctx, `
		SELECT (SELECT COALESCE(SUM(amount), 0)::bigint FROM ledger WHERE account_id = a.id AND kind = $1)
		FROM accounts a WHERE a.id = $2`, store.LedgerPurchase, accountID).Scan(&total)
	if errors.Is(err, pgx.ErrNoRows) {
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
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := accountExists(ctx, tx, accountID); err != nil {
			return err
		}
		now := store.Timestamp(time.Now())
		_, err := tx.Exec(ctx, `INSERT INTO provider_keys (account_id, provider, sealed, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $4)
			ON CONFLICT (account_id, provider) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`,
			accountID, provider, sealed, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("set provider key of account %d: %w", accountID, err)
	}
	return nil
}

// ProviderKeys implements store.BillingStore.
func (s *Store) ProviderKeys(ctx context.Context, accountID int64) (map[string][]byte, error) {
	rows, err := s.pool.Query(ctx, `SELECT provider, sealed FROM provider_keys WHERE account_id = $1`, accountID)
	if err != nil {
		return nil, fmt.Errorf("provider keys of account %d: %w", accountID, err)
	}
	keys := map[string][]byte{}
	var (
		provider string
		sealed   []byte
	)
	_, err = pgx.ForEachRow(rows, []any{&provider, &sealed}, func() error {
		keys[provider] = sealed
		sealed = nil // the next row scans into a new slice
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("provider keys of account %d: %w", accountID, err)
	}
	return keys, nil
}

// DeleteProviderKey implements store.BillingStore.
func (s *Store) DeleteProviderKey(ctx context.Context, accountID int64, provider string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM provider_keys WHERE account_id = $1 AND provider = $2`, accountID, provider)
	if err := mustAffect(tag, err, store.ErrNotFound); err != nil {
		return fmt.Errorf("delete %s key of account %d: %w", provider, accountID, err)
	}
	return nil
}

// Activity implements store.BillingStore. Models and key hashes are ordered
// by byte (COLLATE "C"), as SQLite orders them.
func (s *Store) Activity(ctx context.Context, accountID int64, since, until time.Time) ([]store.ActivityRow, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT a.day, a.model, a.provider_slug, a.provider_name, a.key_hash, k.name,
		       a.requests, a.prompt, a.completion, a.reasoning, a.spend
		FROM (SELECT (g.created_at AT TIME ZONE 'UTC')::date AS day, g.model, g.provider_slug,
		             MAX(g.provider_name) AS provider_name, g.key_hash, COUNT(*) AS requests,
		             SUM(g.prompt_tokens)::bigint AS prompt, SUM(g.completion_tokens)::bigint AS completion,
		             SUM(g.reasoning_tokens)::bigint AS reasoning, SUM(g.cost)::bigint AS spend
		      FROM generations g
		      WHERE g.account_id = $1 AND g.created_at >= $2 AND g.created_at < $3 AND g.provider_slug <> ''
		      GROUP BY 1, 2, 3, 5) a
		JOIN api_keys k ON k.hash = a.key_hash
		ORDER BY a.day, a.model COLLATE "C", a.provider_slug COLLATE "C", a.key_hash COLLATE "C"`,
		accountID, store.Timestamp(since), store.Timestamp(until))
	if err == nil {
		var out []store.ActivityRow
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.ActivityRow, error) {
			var r store.ActivityRow
			err := row.Scan(&r.Day, &r.Model, &r.ProviderSlug, &r.ProviderName, &r.KeyHash, &r.KeyName, &r.Requests,
				&r.PromptTokens, &r.CompletionTokens, &r.ReasoningTokens, &r.Spend)
			r.Day = r.Day.UTC()
			return r, err
		})
		if err == nil {
			return out, nil
		}
	}
	return nil, fmt.Errorf("activity of account %d: %w", accountID, err)
}
