-- Every endpoint a generation tried (store.ProviderResponse), as a JSON
-- array; '[]' for generations recorded before this migration.
ALTER TABLE generations ADD COLUMN provider_responses TEXT NOT NULL DEFAULT '[]';

-- Presets: named chat configurations of an account. A preset row holds what
-- never changes; each update adds a row to preset_versions, and the highest
-- version is the one in use.
CREATE TABLE presets (
    id         BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id BIGINT      NOT NULL REFERENCES accounts (id),
    slug       TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (account_id, slug)
);

CREATE TABLE preset_versions (
    preset_id   BIGINT      NOT NULL REFERENCES presets (id) ON DELETE CASCADE,
    version     INTEGER     NOT NULL CHECK (version >= 1),
    name        TEXT        NOT NULL DEFAULT '',
    description TEXT        NOT NULL DEFAULT '',
    config      TEXT        NOT NULL, -- a compact JSON object, kept byte for byte
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (preset_id, version)
);
