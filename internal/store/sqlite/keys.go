package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// keyColumns are what keyDest scans.
const keyColumns = `hash, account_id, name, label, disabled, is_management, total_usage, created_at,
	limit_amount, limit_reset, include_byok_in_limit, expires_at, updated_at`

func keyDest(k *store.Key) []any {
	return []any{&k.Hash, &k.AccountID, &k.Name, &k.Label, &k.Disabled, &k.IsManagement, &k.Usage, timeText{&k.CreatedAt},
		&k.Limit, &k.LimitReset, &k.IncludeBYOKInLimit, nullTimeText{&k.ExpiresAt}, timeText{&k.UpdatedAt}}
}

func scanKey(row scanner) (store.Key, error) {
	var k store.Key
	err := row.Scan(keyDest(&k)...)
	return k, err
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
	if err := s.inTx(ctx, func(tx *sql.Tx) error { return insertKey(ctx, tx, k) }); err != nil {
		return store.Key{}, fmt.Errorf("create key for account %d: %w", nk.AccountID, err)
	}
	return k, nil
}

// insertKey inserts k (from NewKey.Key): ErrNotFound if its account does not
// exist, ErrAlreadyExists if its hash is already stored (even deleted).
func insertKey(ctx context.Context, tx *sql.Tx, k store.Key) error {
	if err := accountExists(ctx, tx, k.AccountID); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO api_keys (`+keyColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING`,
		k.Hash, k.AccountID, k.Name, k.Label, k.Disabled, k.IsManagement, k.Usage, formatTime(k.CreatedAt),
		k.Limit, k.LimitReset, k.IncludeBYOKInLimit, formatNullTime(k.ExpiresAt), formatTime(k.UpdatedAt))
	return mustAffect(res, err, fmt.Errorf("key hash: %w", store.ErrAlreadyExists))
}

// KeyByHash implements store.Store.
func (s *Store) KeyByHash(ctx context.Context, hash string) (store.Key, store.Account, error) {
	var (
		k store.Key
		a store.Account
	)
	err := s.read.QueryRowContext(ctx, keyAccountSelect+` WHERE k.hash = ? AND k.`+live, hash).
		Scan(append(keyDest(&k), accountDest(&a)...)...)
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Key{}, store.Account{}, fmt.Errorf("get key by hash: %w", err)
	}
	return k, a, nil
}

// Key implements store.BillingStore.
func (s *Store) Key(ctx context.Context, hash string) (store.Key, error) {
	k, err := liveKey(ctx, s.read, hash)
	if err != nil {
		return store.Key{}, fmt.Errorf("get key: %w", err)
	}
	return k, nil
}

// rowQuerier is a *sql.DB or *sql.Tx.
type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// liveKey returns the key hash unless it is unknown or deleted
// (ErrNotFound).
func liveKey(ctx context.Context, q rowQuerier, hash string) (store.Key, error) {
	k, err := scanKey(q.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE hash = ? AND `+live, hash))
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	return k, err
}

// ListKeys implements store.Store.
func (s *Store) ListKeys(ctx context.Context, accountID int64) ([]store.Key, error) {
	keys, err := collect(ctx, s.read, scanKey,
		`SELECT `+keyColumns+` FROM api_keys WHERE account_id = ? AND `+live+` ORDER BY created_at, hash`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list keys of account %d: %w", accountID, err)
	}
	return keys, nil
}

// DisableKey implements store.Store.
func (s *Store) DisableKey(ctx context.Context, hash string) error {
	res, err := s.write.ExecContext(ctx, `UPDATE api_keys SET disabled = 1 WHERE hash = ? AND `+live, hash)
	if err := mustAffect(res, err, store.ErrNotFound); err != nil {
		return fmt.Errorf("disable key: %w", err)
	}
	return nil
}

// UpdateKey implements store.BillingStore.
func (s *Store) UpdateKey(ctx context.Context, hash string, u store.KeyUpdate) (store.Key, error) {
	var k store.Key
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if k, err = liveKey(ctx, tx, hash); err != nil {
			return err
		}
		if err := u.Apply(&k, time.Now()); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE api_keys SET name = ?, disabled = ?, limit_amount = ?, limit_reset = ?,
			include_byok_in_limit = ?, expires_at = ?, updated_at = ? WHERE hash = ?`,
			k.Name, k.Disabled, k.Limit, k.LimitReset, k.IncludeBYOKInLimit, formatNullTime(k.ExpiresAt), formatTime(k.UpdatedAt), hash)
		return err
	})
	if err != nil {
		return store.Key{}, fmt.Errorf("update key: %w", err)
	}
	return k, nil
}

// DeleteKey implements store.BillingStore.
func (s *Store) DeleteKey(ctx context.Context, hash string) error {
	res, err := s.write.ExecContext(ctx, `UPDATE api_keys SET deleted_at = ? WHERE hash = ? AND `+live,
		formatTime(time.Now()), hash)
	if err := mustAffect(res, err, store.ErrNotFound); err != nil {
		return fmt.Errorf("delete key: %w", err)
	}
	return nil
}

// KeySpend implements store.BillingStore.
func (s *Store) KeySpend(ctx context.Context, hash string, since time.Time, includeBYOK bool) (money.Amount, error) {
	var spend money.Amount
	err := s.read.QueryRowContext(ctx, `
		SELECT COALESCE(SUM(g.cost), 0)
		FROM api_keys k
		LEFT JOIN generations g ON g.key_hash = k.hash AND g.created_at >= ? AND (? OR NOT g.is_byok)
		WHERE k.hash = ? AND k.`+live+`
		GROUP BY k.hash`, formatTime(since), includeBYOK, hash).Scan(&spend)
	if errors.Is(err, sql.ErrNoRows) {
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
	var args []any
	earliest := since[0]
	for _, t := range since {
		at := formatTime(t)
		cols = append(cols, `COALESCE(SUM(CASE WHEN g.created_at >= ? THEN g.cost END), 0)`,
			`COALESCE(SUM(CASE WHEN g.created_at >= ? AND g.is_byok THEN g.cost END), 0)`)
		args = append(args, at, at)
		if t.Before(earliest) {
			earliest = t
		}
	}
	args = append(args, formatTime(earliest), hash)
	out := make([]store.KeySpend, len(since))
	dest := make([]any, 0, 2*len(since))
	for i := range out {
		dest = append(dest, &out[i].All, &out[i].BYOK)
	}
	err := s.read.QueryRowContext(ctx, `SELECT `+strings.Join(cols, ", ")+`
		FROM api_keys k LEFT JOIN generations g ON g.key_hash = k.hash AND g.created_at >= ?
		WHERE k.hash = ? AND k.`+live+` GROUP BY k.hash`, args...).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
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
	err := s.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM api_keys WHERE is_management AND `+live+`)`).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("has management key: %w", err)
	}
	return ok, nil
}
