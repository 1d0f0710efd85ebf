package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/switchyard-dev/switchyard/internal/store"
	"github.com/switchyard-dev/switchyard/internal/store/internal/batch"
)

// JournalInflight implements store.BillingStore.
func (s *Store) JournalInflight(ctx context.Context, open []store.Inflight, closed []string) error {
	if len(open) == 0 && len(closed) == 0 {
		return nil
	}
	for _, in := range open {
		if err := in.Validate(); err != nil {
			return fmt.Errorf("journal in-flight requests: %w", err)
		}
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, in := range open {
			_, err := tx.ExecContext(ctx, `INSERT INTO inflight (id, instance, account_id, key_hash, model, held, streamed, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
				in.ID, in.Instance, in.AccountID, in.KeyHash, in.Model, in.Held, in.Streamed, formatTime(in.CreatedAt))
			if err != nil {
				return err
			}
		}
		for _, id := range closed {
			if _, err := tx.ExecContext(ctx, `DELETE FROM inflight WHERE id = ?`, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("journal in-flight requests: %w", err)
	}
	return nil
}

// RecoverInflight implements store.BillingStore.
func (s *Store) RecoverInflight(ctx context.Context, instance string, staleBefore time.Time) ([]store.Generation, error) {
	var recorded []store.Generation
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, instance, account_id, key_hash, model, held, streamed, created_at
			FROM inflight WHERE instance = ? OR created_at < ? ORDER BY id`, instance, formatTime(staleBefore))
		if err != nil {
			return err
		}
		var gens []store.Generation
		for rows.Next() {
			var in store.Inflight
			err := rows.Scan(&in.ID, &in.Instance, &in.AccountID, &in.KeyHash, &in.Model, &in.Held, &in.Streamed,
				timeText{&in.CreatedAt})
			if err != nil {
				rows.Close()
				return err
			}
			gens = append(gens, store.InterruptedGeneration(in))
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil || len(gens) == 0 {
			return err
		}
		if gens, err = batch.Prepare(gens, time.Now()); err != nil {
			return err
		}
		// Rare (at start) and atomic with the deletes below: the ids stored
		// already are looked up first, rather than found by a failed try.
		if recorded, err = unstored(ctx, tx, gens); err != nil {
			return err
		}
		if _, err = recordIn(ctx, tx, s.stmts, gens, recorded); err != nil {
			return err
		}
		for _, g := range gens {
			if _, err := tx.ExecContext(ctx, `DELETE FROM inflight WHERE id = ?`, g.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("recover in-flight requests: %w", err)
	}
	return recorded, nil
}
