package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchyard-dev/switchyard/internal/store"
	"github.com/switchyard-dev/switchyard/internal/store/internal/batch"
)

// JournalInflight implements store.BillingStore: one round trip for the
// whole journal update, whatever its size.
func (s *Store) JournalInflight(ctx context.Context, open []store.Inflight, closed []string) error {
	if len(open) == 0 && len(closed) == 0 {
		return nil
	}
	var b pgx.Batch
	for _, in := range open {
		if err := in.Validate(); err != nil {
			return fmt.Errorf("journal in-flight requests: %w", err)
		}
		b.Queue(`INSERT INTO inflight (id, instance, account_id, key_hash, model, held, streamed, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
			in.ID, in.Instance, in.AccountID, in.KeyHash, in.Model, in.Held, in.Streamed, store.Timestamp(in.CreatedAt))
	}
	if len(closed) > 0 {
		b.Queue(`DELETE FROM inflight WHERE id = ANY($1)`, closed)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return tx.SendBatch(ctx, &b).Close() })
	if err != nil {
		return fmt.Errorf("journal in-flight requests: %w", err)
	}
	return nil
}

// RecoverInflight implements store.BillingStore.
func (s *Store) RecoverInflight(ctx context.Context, instance string, staleBefore time.Time) ([]store.Generation, error) {
	var recorded []store.Generation
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `DELETE FROM inflight WHERE instance = $1 OR created_at < $2
			RETURNING id, instance, account_id, key_hash, model, held, streamed, created_at`,
			instance, store.Timestamp(staleBefore))
		if err != nil {
			return err
		}
		journal, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Inflight, error) {
			var in store.Inflight
			err := row.Scan(&in.ID, &in.Instance, &in.AccountID, &in.KeyHash, &in.Model, &in.Held, &in.Streamed, &in.CreatedAt)
			return in, err
		})
		if err != nil || len(journal) == 0 {
			return err
		}
		gens := make([]store.Generation, len(journal))
		for i, in := range journal {
			gens[i] = store.InterruptedGeneration(in)
		}
		if gens, err = batch.Prepare(gens, time.Now()); err != nil {
			return err
		}
		recorded, _, err = record(ctx, tx, gens)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("recover in-flight requests: %w", err)
	}
	return recorded, nil
}
