-- Billing: key limits and lifecycle, BYOK generations, purchase references
-- in the ledger, and the accounts' own provider keys.

-- A key's spending limit (NULL: none) over its reset period, its expiry
-- (NULL: never) and deletion: a deleted key stays, so that its generations
-- keep their key, but the store treats it as unknown.
ALTER TABLE api_keys
    ADD COLUMN limit_amount          BIGINT      CHECK (limit_amount >= 0),
    ADD COLUMN limit_reset           TEXT        NOT NULL DEFAULT ''
        CHECK (limit_reset IN ('', 'daily', 'weekly', 'monthly')),
    ADD COLUMN include_byok_in_limit BOOLEAN     NOT NULL DEFAULT FALSE,
    ADD COLUMN expires_at            TIMESTAMPTZ,
    ADD COLUMN updated_at            TIMESTAMPTZ,
    ADD COLUMN deleted_at            TIMESTAMPTZ;
UPDATE api_keys SET updated_at = created_at;
ALTER TABLE api_keys ALTER COLUMN updated_at SET NOT NULL;

-- Served with the account's own provider key (cost is then the BYOK fee).
ALTER TABLE generations ADD COLUMN is_byok BOOLEAN NOT NULL DEFAULT FALSE;

-- A purchase's reference (such as a payment provider's event id), also on
-- its fee entry. A purchase reference is recorded once: a replayed payment
-- notification finds it and credits nothing.
ALTER TABLE ledger ADD COLUMN ref TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX ledger_purchase_ref ON ledger (ref) WHERE kind = 'purchase' AND ref <> '';
CREATE INDEX ledger_purchases ON ledger (account_id) WHERE kind = 'purchase';

-- BYOK: an account's upstream key per provider slug, encrypted by the
-- application before it is stored.
CREATE TABLE provider_keys (
    account_id BIGINT      NOT NULL REFERENCES accounts (id),
    provider   TEXT        NOT NULL,
    sealed     BYTEA       NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account_id, provider)
);
