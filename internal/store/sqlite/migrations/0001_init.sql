-- Accounts, API keys, generations and the credit ledger.
-- Money columns are INTEGER nano-dollars (money.Amount). Times are TEXT
-- 'YYYY-MM-DDTHH:MM:SS.sssZ' in UTC: fixed width, so they sort, and
-- understood by SQLite's date functions.

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT    NOT NULL,
    balance       INTEGER NOT NULL DEFAULT 0, -- = total_credits - total_usage = sum(ledger.amount)
    total_credits INTEGER NOT NULL DEFAULT 0,
    total_usage   INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT    NOT NULL
) STRICT;

-- Keys are identified by the SHA-256 hex digest of their plaintext.
CREATE TABLE api_keys (
    hash          TEXT    PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts (id),
    name          TEXT    NOT NULL DEFAULT '',
    label         TEXT    NOT NULL DEFAULT '',
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    is_management INTEGER NOT NULL DEFAULT 0 CHECK (is_management IN (0, 1)),
    total_usage   INTEGER NOT NULL DEFAULT 0, -- sum of the key's generation costs
    created_at    TEXT    NOT NULL
) STRICT;

CREATE INDEX api_keys_account ON api_keys (account_id, created_at);

CREATE TABLE generations (
    id                   TEXT    PRIMARY KEY,
    account_id           INTEGER NOT NULL REFERENCES accounts (id),
    key_hash             TEXT    NOT NULL REFERENCES api_keys (hash),
    model                TEXT    NOT NULL DEFAULT '',
    provider_slug        TEXT    NOT NULL DEFAULT '',
    provider_name        TEXT    NOT NULL DEFAULT '',
    upstream_model       TEXT    NOT NULL DEFAULT '',
    upstream_id          TEXT    NOT NULL DEFAULT '',
    streamed             INTEGER NOT NULL DEFAULT 0 CHECK (streamed IN (0, 1)),
    cancelled            INTEGER NOT NULL DEFAULT 0 CHECK (cancelled IN (0, 1)),
    finish_reason        TEXT    NOT NULL DEFAULT '',
    native_finish_reason TEXT    NOT NULL DEFAULT '',
    prompt_tokens        INTEGER NOT NULL DEFAULT 0,
    completion_tokens    INTEGER NOT NULL DEFAULT 0,
    reasoning_tokens     INTEGER NOT NULL DEFAULT 0,
    cached_tokens        INTEGER NOT NULL DEFAULT 0,
    cache_write_tokens   INTEGER NOT NULL DEFAULT 0,
    cost                 INTEGER NOT NULL DEFAULT 0 CHECK (cost >= 0),
    latency_ms           INTEGER NOT NULL DEFAULT 0,
    generation_time_ms   INTEGER NOT NULL DEFAULT 0,
    http_referer         TEXT    NOT NULL DEFAULT '',
    app_title            TEXT    NOT NULL DEFAULT '',
    end_user             TEXT    NOT NULL DEFAULT '',
    session_id           TEXT    NOT NULL DEFAULT '',
    attempts             INTEGER NOT NULL DEFAULT 0,
    created_at           TEXT    NOT NULL
) STRICT;

CREATE INDEX generations_account_created ON generations (account_id, created_at);
CREATE INDEX generations_key_created ON generations (key_hash, created_at);

-- Every change to accounts.balance is one row here, written in the same
-- transaction. kind is 'credit' (amount > 0) or 'generation' (amount < 0,
-- generation_id set); later kinds (refunds, adjustments, holds) add rows
-- of new kinds, so kind has no CHECK that a migration would have to rebuild.
CREATE TABLE ledger (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id    INTEGER NOT NULL REFERENCES accounts (id),
    kind          TEXT    NOT NULL,
    amount        INTEGER NOT NULL, -- signed nano-dollars
    generation_id TEXT    UNIQUE REFERENCES generations (id),
    key_hash      TEXT    REFERENCES api_keys (hash),
    note          TEXT    NOT NULL DEFAULT '',
    created_at    TEXT    NOT NULL
) STRICT;

CREATE INDEX ledger_account ON ledger (account_id, id);
