package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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
	at := store.Timestamp(g.CreatedAt)
	attempts, err := jsoncol.EncodeProviderResponses(g.ProviderResponses)
	if err != nil {
		return fmt.Errorf("record generation %s: %w", g.ID, err)
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Lock order: key, then account. Every transaction that locks both
		// does so in this order.
		tag, err := tx.Exec(ctx,
			`UPDATE api_keys SET total_usage = total_usage + $1 WHERE hash = $2 AND account_id = $3`,
			g.Cost, g.KeyHash, g.AccountID)
		if err := mustAffect(tag, err, fmt.Errorf("key of account %d: %w", g.AccountID, store.ErrNotFound)); err != nil {
			return err
		}
		tag, err = tx.Exec(ctx,
			`UPDATE accounts SET balance = balance - $1, total_usage = total_usage + $1 WHERE id = $2`,
			g.Cost, g.AccountID)
		if err := mustAffect(tag, err, fmt.Errorf("account %d: %w", g.AccountID, store.ErrNotFound)); err != nil {
			return err
		}
		tag, err = tx.Exec(ctx, `INSERT INTO generations (`+generationColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
			        $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27)
			ON CONFLICT (id) DO NOTHING`,
			g.ID, g.AccountID, g.KeyHash, g.Model, g.ProviderSlug, g.ProviderName, g.UpstreamModel, g.UpstreamID,
			g.Streamed, g.Cancelled, g.FinishReason, g.NativeFinishReason,
			g.PromptTokens, g.CompletionTokens, g.ReasoningTokens, g.CachedTokens, g.CacheWriteTokens,
			g.Cost, g.LatencyMs, g.GenerationTimeMs, g.HTTPReferer, g.AppTitle, g.User, g.SessionID, g.Attempts, at,
			string(attempts))
		if err := mustAffect(tag, err, store.ErrAlreadyExists); err != nil {
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

// Generation implements store.Store.
func (s *Store) Generation(ctx context.Context, id string) (store.Generation, error) {
	var (
		g        store.Generation
		attempts string
	)
	err := s.pool.QueryRow(ctx, `SELECT `+generationColumns+` FROM generations WHERE id = $1`, id).Scan(
		&g.ID, &g.AccountID, &g.KeyHash, &g.Model, &g.ProviderSlug, &g.ProviderName, &g.UpstreamModel, &g.UpstreamID,
		&g.Streamed, &g.Cancelled, &g.FinishReason, &g.NativeFinishReason,
		&g.PromptTokens, &g.CompletionTokens, &g.ReasoningTokens, &g.CachedTokens, &g.CacheWriteTokens,
		&g.Cost, &g.LatencyMs, &g.GenerationTimeMs, &g.HTTPReferer, &g.AppTitle, &g.User, &g.SessionID, &g.Attempts,
		&g.CreatedAt, &attempts)
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err == nil {
		g.ProviderResponses, err = jsoncol.DecodeProviderResponses([]byte(attempts))
	}
	if err != nil {
		return store.Generation{}, fmt.Errorf("get generation %s: %w", id, err)
	}
	g.CreatedAt = g.CreatedAt.UTC()
	return g, nil
}

// VerifyLedger implements store.Store.
func (s *Store) VerifyLedger(ctx context.Context) ([]store.LedgerMismatch, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT a.id, a.balance, COALESCE(l.total, 0)::bigint
		FROM accounts a
		LEFT JOIN (SELECT account_id, SUM(amount) AS total FROM ledger GROUP BY account_id) l ON l.account_id = a.id
		WHERE a.balance <> COALESCE(l.total, 0)
		ORDER BY a.id`)
	if err != nil {
		return nil, fmt.Errorf("verify ledger: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.LedgerMismatch, error) {
		var m store.LedgerMismatch
		err := row.Scan(&m.AccountID, &m.Balance, &m.LedgerSum)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("verify ledger: %w", err)
	}
	return out, nil
}
