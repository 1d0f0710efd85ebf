package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/switchyard-dev/switchyard/internal/store"
	"github.com/switchyard-dev/switchyard/internal/store/internal/jsoncol"
)

const generationColumns = `id, account_id, key_hash, model, provider_slug, provider_name, upstream_model, upstream_id,
	streamed, cancelled, finish_reason, native_finish_reason,
	prompt_tokens, completion_tokens, reasoning_tokens, cached_tokens, cache_write_tokens,
	cost, latency_ms, generation_time_ms, http_referer, app_title, end_user, session_id, attempts, created_at,
	provider_responses`

// RecordGeneration implements store.Store.
func (s *Store) RecordGeneration(ctx context.Context, g store.Generation) error {
	if err := g.Validate(); err != nil {
		return fmt.Errorf("record generation: %w", err)
	}
	if g.CreatedAt.IsZero() {
		g.CreatedAt = time.Now()
	}
	at := formatTime(g.CreatedAt)
	attempts, err := jsoncol.EncodeProviderResponses(g.ProviderResponses)
	if err != nil {
		return fmt.Errorf("record generation %s: %w", g.ID, err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		// Key first, then account: the same lock order as every other
		// transaction (it matters to PostgreSQL; here writes are serial).
		res, err := tx.ExecContext(ctx,
			`UPDATE api_keys SET total_usage = total_usage + ? WHERE hash = ? AND account_id = ?`,
			g.Cost, g.KeyHash, g.AccountID)
		if err := mustAffect(res, err, fmt.Errorf("key of account %d: %w", g.AccountID, store.ErrNotFound)); err != nil {
			return err
		}
		res, err = tx.ExecContext(ctx,
			`UPDATE accounts SET balance = balance - ?, total_usage = total_usage + ? WHERE id = ?`,
			g.Cost, g.Cost, g.AccountID)
		if err := mustAffect(res, err, fmt.Errorf("account %d: %w", g.AccountID, store.ErrNotFound)); err != nil {
			return err
		}
		res, err = tx.ExecContext(ctx, `INSERT INTO generations (`+generationColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO NOTHING`,
			g.ID, g.AccountID, g.KeyHash, g.Model, g.ProviderSlug, g.ProviderName, g.UpstreamModel, g.UpstreamID,
			g.Streamed, g.Cancelled, g.FinishReason, g.NativeFinishReason,
			g.PromptTokens, g.CompletionTokens, g.ReasoningTokens, g.CachedTokens, g.CacheWriteTokens,
			g.Cost, g.LatencyMs, g.GenerationTimeMs, g.HTTPReferer, g.AppTitle, g.User, g.SessionID, g.Attempts, at,
			string(attempts))
		if err := mustAffect(res, err, store.ErrAlreadyExists); err != nil {
			return err // the rollback undoes the charge above
		}
		if g.Cost == 0 {
			return nil
		}
		return insertLedger(ctx, tx, g.AccountID, store.LedgerGeneration, -g.Cost, &g.ID, &g.KeyHash, "", at)
	})
	if err != nil {
		return fmt.Errorf("record generation %s: %w", g.ID, err)
	}
	return nil
}

// mustAffect returns err, or else errNone if the statement changed no row.
func mustAffect(res sql.Result, err, errNone error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return errNone
	}
	return nil
}

// Generation implements store.Store.
func (s *Store) Generation(ctx context.Context, id string) (store.Generation, error) {
	var (
		g        store.Generation
		attempts []byte
	)
	err := s.read.QueryRowContext(ctx, `SELECT `+generationColumns+` FROM generations WHERE id = ?`, id).Scan(
		&g.ID, &g.AccountID, &g.KeyHash, &g.Model, &g.ProviderSlug, &g.ProviderName, &g.UpstreamModel, &g.UpstreamID,
		&g.Streamed, &g.Cancelled, &g.FinishReason, &g.NativeFinishReason,
		&g.PromptTokens, &g.CompletionTokens, &g.ReasoningTokens, &g.CachedTokens, &g.CacheWriteTokens,
		&g.Cost, &g.LatencyMs, &g.GenerationTimeMs, &g.HTTPReferer, &g.AppTitle, &g.User, &g.SessionID, &g.Attempts,
		timeText{&g.CreatedAt}, &attempts)
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err == nil {
		g.ProviderResponses, err = jsoncol.DecodeProviderResponses(attempts)
	}
	if err != nil {
		return store.Generation{}, fmt.Errorf("get generation %s: %w", id, err)
	}
	return g, nil
}

// VerifyLedger implements store.Store.
func (s *Store) VerifyLedger(ctx context.Context) ([]store.LedgerMismatch, error) {
	rows, err := s.read.QueryContext(ctx, `
		SELECT a.id, a.balance, COALESCE(l.total, 0)
		FROM accounts a
		LEFT JOIN (SELECT account_id, SUM(amount) AS total FROM ledger GROUP BY account_id) l ON l.account_id = a.id
		WHERE a.balance <> COALESCE(l.total, 0)
		ORDER BY a.id`)
	if err != nil {
		return nil, fmt.Errorf("verify ledger: %w", err)
	}
	defer rows.Close()
	var out []store.LedgerMismatch
	for rows.Next() {
		var m store.LedgerMismatch
		if err := rows.Scan(&m.AccountID, &m.Balance, &m.LedgerSum); err != nil {
			return nil, fmt.Errorf("verify ledger: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("verify ledger: %w", err)
	}
	return out, nil
}
