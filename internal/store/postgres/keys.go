package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// keyColumns are what keyDest scans.
const keyColumns = `hash, account_id, name, label, disabled, is_management, total_usage, created_at,
	limit_amount, limit_reset, include_byok_in_limit, expires_at, updated_at`

func keyDest(k *store.Key) []any {
	return []any{&k.Hash, &k.AccountID, &k.Name, &k.Label, &k.Disabled, &k.IsManagement, &k.Usage, &k.CreatedAt,
		&k.Limit, &k.LimitReset, &k.IncludeBYOKInLimit, &k.ExpiresAt, &k.UpdatedAt}
}

// keyUTC returns k with its times in UTC, as the store returns them.
func keyUTC(k store.Key) store.Key {
	k.CreatedAt, k.UpdatedAt = k.CreatedAt.UTC(), k.UpdatedAt.UTC()
	if k.ExpiresAt != nil {
		t := k.ExpiresAt.UTC()
		k.ExpiresAt = &t
	}
	return k
}

func scanKey(row pgx.Row) (store.Key, error) {
	var k store.Key
	err := row.Scan(keyDest(&k)...)
	return keyUTC(k), err
}

// live restricts a query of api_keys to keys not deleted.
const live = `deleted_at IS NULL`

// qualify prefixes each of the comma-separated columns with alias.
func qualify(alias, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// keyAccountSelect selects a key k and its account a, for KeyByHash.
var keyAccountSelect = `SELECT ` + qualify("k", keyColumns) + `, ` + qualify("a", accountColumns) + `
	FROM api_keys k JOIN accounts a ON a.id = k.account_id`

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
// exist, ErrAlreadyExists if its hash is already stored (even deleted).
func insertKey(ctx context.Context, tx pgx.Tx, k store.Key) error {
	if err := accountExists(ctx, tx, k.AccountID); err != nil {
		return err
	}
	tag, err := tx.Exec(ctx, `INSERT INTO api_keys (`+keyColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (hash) DO NOTHING`,
		k.Hash, k.AccountID, k.Name, k.Label, k.Disabled, k.IsManagement, k.Usage, k.CreatedAt,
		k.Limit, k.LimitReset, k.IncludeBYOKInLimit, k.ExpiresAt, k.UpdatedAt)
	return mustAffect(tag, err, fmt.Errorf("key hash: %w", store.ErrAlreadyExists))
}

// KeyByHash implements store.Store.
func (s *Store) KeyByHash(ctx context.Context, hash string) (store.Key, store.Account, error) {
	var (
		k store.Key
		a store.Account
	)
	err := s.pool.QueryRow(ctx, keyAccountSelect+` WHERE k.hash = $1 AND k.`+live, hash).
		Scan(append(keyDest(&k), accountDest(&a)...)...)
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Key{}, store.Account{}, fmt.Errorf("get key by hash: %w", err)
	}
	a.CreatedAt = a.CreatedAt.UTC()
	return keyUTC(k), a, nil
}

// Key implements store.BillingStore.
func (s *Store) Key(ctx context.Context, hash string) (store.Key, error) {
	k, err := liveKey(ctx, s.pool, hash, "")
	if err != nil {
		return store.Key{}, fmt.Errorf("get key: %w", err)
	}
	return k, nil
}

// rowQuerier is a *pgxpool.Pool or a pgx.Tx.
type rowQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// liveKey returns the key hash unless it is unknown or deleted
// (ErrNotFound); suffix ends the query, such as with FOR UPDATE.
func liveKey(ctx context.Context, q rowQuerier, hash, suffix string) (store.Key, error) {
	k, err := scanKey(q.QueryRow(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE hash = $1 AND `+live+suffix, hash))
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	return k, err
}

// ListKeys implements store.Store.
func (s *Store) ListKeys(ctx context.Context, accountID int64) ([]store.Key, error) {
	rows, err := s.pool.Query(ctx,
		`SELECT `+keyColumns+` FROM api_keys WHERE account_id = $1 AND `+live+` ORDER BY created_at, hash`, accountID)
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
	tag, err := s.pool.Exec(ctx, `UPDATE api_keys SET disabled = TRUE WHERE hash = $1 AND `+live, hash)
	if err := mustAffect(tag, err, store.ErrNotFound); err != nil {
		return fmt.Errorf("disable key: %w", err)
	}
	return nil
}

// UpdateKey implements store.BillingStore.
func (s *Store) UpdateKey(ctx context.Context, hash string, u store.KeyUpdate) (store.Key, error) {
	var k store.Key
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		// FOR NO KEY UPDATE: the lock the UPDATE below takes anyway, so
		// that a concurrent update cannot slip in between; charges (which
		// take the same lock to add usage) wait, as they would for the
		// UPDATE.
		if k, err = liveKey(ctx, tx, hash, ` FOR NO KEY UPDATE`); err != nil {
			return err
		}
		if err := u.Apply(&k, time.Now()); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE api_keys SET name = $1, disabled = $2, limit_amount = $3, limit_reset = $4,
			include_byok_in_limit = $5, expires_at = $6, updated_at = $7 WHERE hash = $8`,
			k.Name, k.Disabled, k.Limit, k.LimitReset, k.IncludeBYOKInLimit, k.ExpiresAt, k.UpdatedAt, hash)
		return err
	})
	if err != nil {
		return store.Key{}, fmt.Errorf("update key: %w", err)
	}
	return k, nil
}

// DeleteKey implements store.BillingStore.
func (s *Store) DeleteKey(ctx context.Context, hash string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE api_keys SET deleted_at = $1 WHERE hash = $2 AND `+live,
		store.Timestamp(time.Now()), hash)
	if err := mustAffect(tag, err, store.ErrNotFound); err != nil {
		return fmt.Errorf("delete key: %w", err)
	}
	return nil
}

// KeySpend implements store.BillingStore.
func (s *Store) KeySpend(ctx context.Context, hash string, since time.Time, includeBYOK bool) (money.Amount, error) {
	var spend money.Amount
	err := s.pool.QueryRow(ctx, `
		SELECT (SELECT COALESCE(SUM(g.cost), 0)::bigint FROM generations g
		        WHERE g.key_hash = k.hash AND g.created_at >= $1 AND ($2 OR NOT g.is_byok))
		FROM api_keys k WHERE k.hash = $3 AND k.`+live,
		store.Timestamp(since), includeBYOK, hash).Scan(&spend)
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("key spend: %w", err)
	}
	return spend, nil
}

// KeyUsage implements store.BillingStore.
func (s *Store) KeyUsage(ctx context.Context, hash string, since []time.Time) ([]store.KeySpend, error) {
	if len(since) == 0 {
		return nil, nil
	}
	var cols []string
	args := []any{hash}
	earliest := since[0]
	for _, t := range since {
		args = append(args, store.Timestamp(t))
		n := len(args)
		cols = append(cols, fmt.Sprintf(`COALESCE(SUM(g.cost) FILTER (WHERE g.created_at >= $%d), 0)::bigint`, n),
			fmt.Sprintf(`COALESCE(SUM(g.cost) FILTER (WHERE g.created_at >= $%d AND g.is_byok), 0)::bigint`, n))
		if t.Before(earliest) {
			earliest = t
		}
	}
	args = append(args, store.Timestamp(earliest))
	out := make([]store.KeySpend, len(since))
	dest := make([]any, 0, 2*len(since))
	for i := range out {
		dest = append(dest, &out[i].All, &out[i].BYOK)
	}
	err := s.pool.QueryRow(ctx, fmt.Sprintf(`SELECT %s
		FROM api_keys k LEFT JOIN generations g ON g.key_hash = k.hash AND g.created_at >= $%d
		WHERE k.hash = $1 AND k.`+live+` GROUP BY k.hash`, strings.Join(cols, ", "), len(args)), args...).Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("key usage: %w", err)
	}
	return out, nil
}

// HasManagementKey implements store.BillingStore.
func (s *Store) HasManagementKey(ctx context.Context) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM api_keys WHERE is_management AND `+live+`)`).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("has management key: %w", err)
	}
	return ok, nil
}
