package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// PresetStore persists presets: named chat configurations owned by an
// account, versioned so that every update adds a version and the latest is
// the one in use. A preset is identified by its account and slug.
type PresetStore interface {
	// CreatePreset stores version 1 of a new preset. ErrInvalid for a bad
	// slug or a config that is not a JSON object, ErrNotFound if the account
	// does not exist, ErrAlreadyExists if the account has a preset of that
	// slug.
	CreatePreset(ctx context.Context, p NewPreset) (Preset, error)
	// Preset returns the latest version of the account's preset slug, or
	// ErrNotFound.
	Preset(ctx context.Context, accountID int64, slug string) (Preset, error)
	// ListPresets returns the latest version of each of the account's
	// presets, by slug. An unknown account has none.
	ListPresets(ctx context.Context, accountID int64) ([]Preset, error)
	// UpdatePreset stores p as the next version of the account's preset
	// p.Slug and returns it. ErrNotFound if there is no such preset,
	// ErrInvalid as for CreatePreset.
	UpdatePreset(ctx context.Context, p NewPreset) (Preset, error)
	// PresetVersions returns every version of the account's preset slug,
	// oldest first, or ErrNotFound.
	PresetVersions(ctx context.Context, accountID int64, slug string) ([]Preset, error)
	// DeletePreset deletes the preset and all its versions; its slug may
	// then be used again, from version 1. ErrNotFound if there is none.
	DeletePreset(ctx context.Context, accountID int64, slug string) error
}

// NewPreset is what CreatePreset and UpdatePreset store.
type NewPreset struct {
	AccountID   int64
	Slug        string // lowercase letters, digits and '-'; see ValidPresetSlug
	Name        string
	Description string
	// Config is a JSON object: chat request fields plus "system_prompt".
	// The store checks only that it is an object and stores it compacted.
	Config json.RawMessage
}

// Preset is one version of a preset.
type Preset struct {
	AccountID   int64
	Slug        string
	Name        string
	Description string
	Config      json.RawMessage // compact JSON object
	Version     int             // 1 for the first, then 2, 3…
	CreatedAt   time.Time       // when version 1 was stored
	UpdatedAt   time.Time       // when this version was stored
}

// MaxPresetSlugLen bounds the length of a preset slug.
const MaxPresetSlugLen = 64

// ValidPresetSlug reports whether s may name a preset: 1 to
// MaxPresetSlugLen lowercase ASCII letters, digits and hyphens, starting and
// ending with a letter or digit.
func ValidPresetSlug(s string) bool {
	if s == "" || len(s) > MaxPresetSlugLen || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Validate checks p and returns its config compacted, as a store keeps it
// (the shared first step of CreatePreset and UpdatePreset).
func (p NewPreset) Validate() (json.RawMessage, error) {
	switch {
	case p.AccountID <= 0:
		return nil, fmt.Errorf("preset account id %d: %w", p.AccountID, ErrInvalid)
	case !ValidPresetSlug(p.Slug):
		return nil, fmt.Errorf("preset slug %q: want 1 to %d of a-z, 0-9 and '-': %w", p.Slug, MaxPresetSlugLen, ErrInvalid)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, p.Config); err != nil || buf.Len() == 0 || buf.Bytes()[0] != '{' {
		return nil, fmt.Errorf("preset %s config is not a JSON object: %w", p.Slug, ErrInvalid)
	}
	return buf.Bytes(), nil
}
