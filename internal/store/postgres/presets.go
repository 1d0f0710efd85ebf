package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchyard-dev/switchyard/internal/store"
)

// presetSelect selects what scanPreset reads, from presets p joined with
// their versions v; callers add WHERE and ORDER BY.
const presetSelect = `SELECT p.account_id, p.slug, v.name, v.description, v.config, v.version, p.created_at, v.created_at
	FROM presets p JOIN preset_versions v ON v.preset_id = p.id`

// latestVersion restricts presetSelect to each preset's latest version.
const latestVersion = `v.version = (SELECT MAX(version) FROM preset_versions WHERE preset_id = p.id)`

func scanPreset(row pgx.Row) (store.Preset, error) {
	var (
		p      store.Preset
		config string
	)
	err := row.Scan(&p.AccountID, &p.Slug, &p.Name, &p.Description, &config, &p.Version, &p.CreatedAt, &p.UpdatedAt)
	p.Config = []byte(config)
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return p, err
}

// CreatePreset implements store.Store.
func (s *Store) CreatePreset(ctx context.Context, np store.NewPreset) (store.Preset, error) {
	config, err := np.Validate()
	if err != nil {
		return store.Preset{}, fmt.Errorf("create preset: %w", err)
	}
	now := store.Timestamp(time.Now())
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1)`, np.AccountID).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return fmt.Errorf("account %d: %w", np.AccountID, store.ErrNotFound)
		}
		var id int64
		err := tx.QueryRow(ctx,
			`INSERT INTO presets (account_id, slug, created_at) VALUES ($1, $2, $3)
			ON CONFLICT (account_id, slug) DO NOTHING RETURNING id`,
			np.AccountID, np.Slug, now).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrAlreadyExists
		}
		if err != nil {
			return err
		}
		return insertPresetVersion(ctx, tx, id, 1, np, config, now)
	})
	if err != nil {
		return store.Preset{}, fmt.Errorf("create preset %s: %w", np.Slug, err)
	}
	return presetOf(np, config, 1, now, now), nil
}

// UpdatePreset implements store.Store. The preset row is locked first, so
// concurrent updates get consecutive versions.
func (s *Store) UpdatePreset(ctx context.Context, np store.NewPreset) (store.Preset, error) {
	config, err := np.Validate()
	if err != nil {
		return store.Preset{}, fmt.Errorf("update preset: %w", err)
	}
	now := store.Timestamp(time.Now())
	var (
		version int
		created time.Time
	)
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `SELECT id, created_at FROM presets WHERE account_id = $1 AND slug = $2 FOR UPDATE`,
			np.AccountID, np.Slug).Scan(&id, &created)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		// A new statement, so a new snapshot: it sees the versions of
		// updates that held the lock before us.
		if err := tx.QueryRow(ctx, `SELECT MAX(version) FROM preset_versions WHERE preset_id = $1`, id).Scan(&version); err != nil {
			return err
		}
		version++
		return insertPresetVersion(ctx, tx, id, version, np, config, now)
	})
	if err != nil {
		return store.Preset{}, fmt.Errorf("update preset %s: %w", np.Slug, err)
	}
	return presetOf(np, config, version, created.UTC(), now), nil
}

func insertPresetVersion(ctx context.Context, tx pgx.Tx, presetID int64, version int, np store.NewPreset, config []byte, at time.Time) error {
	_, err := tx.Exec(ctx,
		`INSERT INTO preset_versions (preset_id, version, name, description, config, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		presetID, version, np.Name, np.Description, string(config), at)
	return err
}

// presetOf returns the stored version of np.
func presetOf(np store.NewPreset, config []byte, version int, created, updated time.Time) store.Preset {
	return store.Preset{
		AccountID: np.AccountID, Slug: np.Slug, Name: np.Name, Description: np.Description,
		Config: config, Version: version, CreatedAt: created, UpdatedAt: updated,
	}
}

// Preset implements store.Store.
func (s *Store) Preset(ctx context.Context, accountID int64, slug string) (store.Preset, error) {
	p, err := scanPreset(s.pool.QueryRow(ctx,
		presetSelect+` WHERE p.account_id = $1 AND p.slug = $2 AND `+latestVersion, accountID, slug))
	if errors.Is(err, pgx.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Preset{}, fmt.Errorf("get preset %s: %w", slug, err)
	}
	return p, nil
}

// ListPresets implements store.Store.
func (s *Store) ListPresets(ctx context.Context, accountID int64) ([]store.Preset, error) {
	ps, err := s.queryPresets(ctx, presetSelect+` WHERE p.account_id = $1 AND `+latestVersion+` ORDER BY p.slug`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list presets of account %d: %w", accountID, err)
	}
	return ps, nil
}

// PresetVersions implements store.Store.
func (s *Store) PresetVersions(ctx context.Context, accountID int64, slug string) ([]store.Preset, error) {
	ps, err := s.queryPresets(ctx, presetSelect+` WHERE p.account_id = $1 AND p.slug = $2 ORDER BY v.version`, accountID, slug)
	if err == nil && len(ps) == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("list versions of preset %s: %w", slug, err)
	}
	return ps, nil
}

func (s *Store) queryPresets(ctx context.Context, query string, args ...any) ([]store.Preset, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	ps, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Preset, error) { return scanPreset(row) })
	if len(ps) == 0 {
		ps = nil
	}
	return ps, err
}

// DeletePreset implements store.Store. Its versions go with it (ON DELETE
// CASCADE).
func (s *Store) DeletePreset(ctx context.Context, accountID int64, slug string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM presets WHERE account_id = $1 AND slug = $2`, accountID, slug)
	if err := mustAffect(tag, err, store.ErrNotFound); err != nil {
		return fmt.Errorf("delete preset %s: %w", slug, err)
	}
	return nil
}
