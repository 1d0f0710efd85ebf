package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/switchyard-dev/switchyard/internal/store"
)

// presetSelect selects what scanPreset reads, from presets p joined with
// their versions v; callers add WHERE and ORDER BY.
const presetSelect = `SELECT p.account_id, p.slug, v.name, v.description, v.config, v.version, p.created_at, v.created_at
	FROM presets p JOIN preset_versions v ON v.preset_id = p.id`

// latestVersion restricts presetSelect to each preset's latest version.
const latestVersion = `v.version = (SELECT MAX(version) FROM preset_versions WHERE preset_id = p.id)`

func scanPreset(row scanner) (store.Preset, error) {
	var (
		p      store.Preset
		config string
	)
	err := row.Scan(&p.AccountID, &p.Slug, &p.Name, &p.Description, &config, &p.Version,
		timeText{&p.CreatedAt}, timeText{&p.UpdatedAt})
	p.Config = []byte(config)
	return p, err
}

// CreatePreset implements store.Store.
func (s *Store) CreatePreset(ctx context.Context, np store.NewPreset) (store.Preset, error) {
	config, err := np.Validate()
	if err != nil {
		return store.Preset{}, fmt.Errorf("create preset: %w", err)
	}
	now := store.Timestamp(time.Now())
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var exists bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE id = ?)`, np.AccountID).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return fmt.Errorf("account %d: %w", np.AccountID, store.ErrNotFound)
		}
		var id int64
		err := tx.QueryRowContext(ctx,
			`INSERT INTO presets (account_id, slug, created_at) VALUES (?, ?, ?)
			ON CONFLICT (account_id, slug) DO NOTHING RETURNING id`,
			np.AccountID, np.Slug, formatTime(now)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
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

// UpdatePreset implements store.Store.
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
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `
			SELECT p.id, p.created_at, (SELECT MAX(version) FROM preset_versions WHERE preset_id = p.id)
			FROM presets p WHERE p.account_id = ? AND p.slug = ?`,
			np.AccountID, np.Slug).Scan(&id, timeText{&created}, &version)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		version++
		return insertPresetVersion(ctx, tx, id, version, np, config, now)
	})
	if err != nil {
		return store.Preset{}, fmt.Errorf("update preset %s: %w", np.Slug, err)
	}
	return presetOf(np, config, version, created, now), nil
}

func insertPresetVersion(ctx context.Context, tx *sql.Tx, presetID int64, version int, np store.NewPreset, config []byte, at time.Time) error {
	_, err := tx.ExecContext(ctx,
		`INSERT INTO preset_versions (preset_id, version, name, description, config, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		presetID, version, np.Name, np.Description, string(config), formatTime(at))
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
	p, err := scanPreset(s.read.QueryRowContext(ctx,
		presetSelect+` WHERE p.account_id = ? AND p.slug = ? AND `+latestVersion, accountID, slug))
	if errors.Is(err, sql.ErrNoRows) {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Preset{}, fmt.Errorf("get preset %s: %w", slug, err)
	}
	return p, nil
}

// ListPresets implements store.Store.
func (s *Store) ListPresets(ctx context.Context, accountID int64) ([]store.Preset, error) {
	ps, err := s.queryPresets(ctx, presetSelect+` WHERE p.account_id = ? AND `+latestVersion+` ORDER BY p.slug`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list presets of account %d: %w", accountID, err)
	}
	return ps, nil
}

// PresetVersions implements store.Store.
func (s *Store) PresetVersions(ctx context.Context, accountID int64, slug string) ([]store.Preset, error) {
	ps, err := s.queryPresets(ctx, presetSelect+` WHERE p.account_id = ? AND p.slug = ? ORDER BY v.version`, accountID, slug)
	if err == nil && len(ps) == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("list versions of preset %s: %w", slug, err)
	}
	return ps, nil
}

func (s *Store) queryPresets(ctx context.Context, query string, args ...any) ([]store.Preset, error) {
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ps []store.Preset
	for rows.Next() {
		p, err := scanPreset(rows)
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, rows.Err()
}

// DeletePreset implements store.Store. Its versions go with it (ON DELETE
// CASCADE).
func (s *Store) DeletePreset(ctx context.Context, accountID int64, slug string) error {
	res, err := s.write.ExecContext(ctx, `DELETE FROM presets WHERE account_id = ? AND slug = ?`, accountID, slug)
	if err := mustAffect(res, err, store.ErrNotFound); err != nil {
		return fmt.Errorf("delete preset %s: %w", slug, err)
	}
	return nil
}
