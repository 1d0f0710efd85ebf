-- The foreign keys of generations and the ledger are checked when their
-- transaction commits, not at the end of each statement.
--
-- Billing writes a flush's generations and ledger entries with multi-row
-- INSERTs in one transaction. A statement that an immediate key could
-- abort half-way needs a statement journal, so each of them copied every
-- page it changed first (16 KiB each, in 1 KiB pieces of fresh memory):
-- BenchmarkRecordGenerations takes 8-13% less CPU a record without them,
-- and a profile put them at 13% of a flush. With deferred keys (and
-- INSERT OR FAIL for the columns' own constraints) no statement can leave
-- half its rows, so none keeps a journal; a violation still fails the
-- COMMIT, which rolls the whole transaction back.
--
-- SQLite cannot change a constraint in place: both tables are rebuilt, as
-- its documentation describes, with the same columns, constraints and
-- indexes as 0001 to 0006 left them. generations is renamed first, which
-- points the ledger's key at the old table until the ledger too is
-- rebuilt; then nothing refers to the old table and it is dropped. The
-- copy rewrites both tables, once: on a large database it takes a while
-- and free disk of about twice their size (the new tables, and the WAL
-- that carries them); the old tables' pages are reused later.

ALTER TABLE generations RENAME TO generations_0006;

CREATE TABLE generations (
    id                   TEXT    PRIMARY KEY,
    account_id           INTEGER NOT NULL REFERENCES accounts (id) DEFERRABLE INITIALLY DEFERRED,
    key_hash             TEXT    NOT NULL REFERENCES api_keys (hash) DEFERRABLE INITIALLY DEFERRED,
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
    created_at           TEXT    NOT NULL,
    provider_responses   TEXT    NOT NULL DEFAULT '[]',
    is_byok              INTEGER NOT NULL DEFAULT 0 CHECK (is_byok IN (0, 1)),
    status               INTEGER NOT NULL DEFAULT 200,
    error                TEXT    NOT NULL DEFAULT '',
    category             TEXT    NOT NULL DEFAULT '',
    app_private          INTEGER NOT NULL DEFAULT 0 CHECK (app_private IN (0, 1))
) STRICT;

INSERT INTO generations (id, account_id, key_hash, model, provider_slug, provider_name, upstream_model,
    upstream_id, streamed, cancelled, finish_reason, native_finish_reason, prompt_tokens, completion_tokens,
    reasoning_tokens, cached_tokens, cache_write_tokens, cost, latency_ms, generation_time_ms, http_referer,
    app_title, end_user, session_id, attempts, created_at, provider_responses, is_byok, status, error,
    category, app_private)
SELECT id, account_id, key_hash, model, provider_slug, provider_name, upstream_model,
    upstream_id, streamed, cancelled, finish_reason, native_finish_reason, prompt_tokens, completion_tokens,
    reasoning_tokens, cached_tokens, cache_write_tokens, cost, latency_ms, generation_time_ms, http_referer,
    app_title, end_user, session_id, attempts, created_at, provider_responses, is_byok, status, error,
    category, app_private
FROM generations_0006;

CREATE TABLE ledger_0007 (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id    INTEGER NOT NULL REFERENCES accounts (id) DEFERRABLE INITIALLY DEFERRED,
    kind          TEXT    NOT NULL,
    amount        INTEGER NOT NULL, -- signed nano-dollars
    generation_id TEXT    UNIQUE REFERENCES generations (id) DEFERRABLE INITIALLY DEFERRED,
    key_hash      TEXT    REFERENCES api_keys (hash) DEFERRABLE INITIALLY DEFERRED,
    note          TEXT    NOT NULL DEFAULT '',
    created_at    TEXT    NOT NULL,
    ref           TEXT    NOT NULL DEFAULT ''
) STRICT;

INSERT INTO ledger_0007 (id, account_id, kind, amount, generation_id, key_hash, note, created_at, ref)
SELECT id, account_id, kind, amount, generation_id, key_hash, note, created_at, ref FROM ledger;

-- Entry ids keep counting from where the old table's did, deleted entries
-- included.
UPDATE sqlite_sequence
SET seq = max(seq, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'ledger'), 0))
WHERE name = 'ledger_0007';
INSERT INTO sqlite_sequence (name, seq)
SELECT 'ledger_0007', seq FROM sqlite_sequence
WHERE name = 'ledger' AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'ledger_0007');

DROP TABLE ledger;
ALTER TABLE ledger_0007 RENAME TO ledger;
DROP TABLE generations_0006;

CREATE INDEX generations_account_created ON generations (account_id, created_at);
CREATE INDEX generations_key_created ON generations (key_hash, created_at);
CREATE INDEX generations_created ON generations (created_at);

CREATE INDEX ledger_account ON ledger (account_id, id);
CREATE UNIQUE INDEX ledger_purchase_ref ON ledger (ref) WHERE kind = 'purchase' AND ref <> '';
CREATE INDEX ledger_purchases ON ledger (account_id) WHERE kind = 'purchase';
