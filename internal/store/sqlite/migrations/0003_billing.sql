-- Billing: key limits and lifecycle, BYOK generations, purchase references
-- in the ledger, and the accounts' own provider keys.

-- A key's spending limit (NULL: none) over its reset period, its expiry
-- (NULL: never) and deletion: a deleted key stays, so that its generations
-- keep their key, but the store treats it as unknown.
ALTER TABLE api_keys ADD COLUMN limit_amount INTEGER CHECK (limit_amount >= 0);
ALTER TABLE api_keys ADD COLUMN limit_reset TEXT NOT NULL DEFAULT ''
    CHECK (limit_reset IN ('', 'daily', 'weekly', 'monthly'));
ALTER TABLE api_keys ADD COLUMN include_byok_in_limit INTEGER NOT NULL DEFAULT 0
    CHECK (include_byok_in_limit IN (0, 1));
ALTER TABLE api_keys ADD COLUMN expires_at TEXT;
ALTER TABLE api_keys ADD COLUMN updated_at TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN deleted_at TEXT;
UPDATE api_keys SET updated_at = created_at;

-- Served with the account's own provider key (cost is then the BYOK fee).
ALTER TABLE generations ADD COLUMN is_byok INTEGER NOT NULL DEFAULT 0 CHECK (is_byok IN (0, 1));

-- A purchase's reference (such as a payment provider's event id), also on
-- its fee entry. A purchase reference is recorded once: a replayed payment
-- notification finds it and credits nothing.
ALTER TABLE ledger ADD COLUMN ref TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX ledger_purchase_ref ON ledger (ref) WHERE kind = 'purchase' AND ref <> '';
CREATE INDEX ledger_purchases ON ledger (account_id) WHERE kind = 'purchase';

-- BYOK: an account's upstream key per provider slug, encrypted by the
-- application before it is stored.
CREATE TABLE provider_keys (
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    provider   TEXT    NOT NULL,
    sealed     BLOB    NOT NULL,
    created_at TEXT    NOT NULL,
    updated_at TEXT    NOT NULL,
    PRIMARY KEY (account_id, provider)
) STRICT;
