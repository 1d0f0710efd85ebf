-- Every endpoint a generation tried (store.ProviderResponse), as a JSON
-- array; '[]' for generations recorded before this migration.
ALTER TABLE generations ADD COLUMN provider_responses TEXT NOT NULL DEFAULT '[]';

-- Presets: named chat configurations of an account. A preset row holds what
-- never changes; each update adds a row to preset_versions, and the highest
-- version is the one in use.
CREATE TABLE presets (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    slug       TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    UNIQUE (account_id, slug)
) STRICT;

CREATE TABLE preset_versions (
    preset_id   INTEGER NOT NULL REFERENCES presets (id) ON DELETE CASCADE,
    version     INTEGER NOT NULL CHECK (version >= 1),
    name        TEXT    NOT NULL DEFAULT '',
    description TEXT    NOT NULL DEFAULT '',
    config      TEXT    NOT NULL, -- a compact JSON object
    created_at  TEXT    NOT NULL,
    PRIMARY KEY (preset_id, version)
) STRICT;
