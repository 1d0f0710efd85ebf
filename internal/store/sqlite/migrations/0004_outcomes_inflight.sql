-- Every request leaves a generation record, failures included; the
-- journal of requests in flight; what usage analytics need per generation.

-- The HTTP status the client got (0: the request never finished) and the
-- error it got. Rows written before this migration were all served.
ALTER TABLE generations ADD COLUMN status INTEGER NOT NULL DEFAULT 200;
ALTER TABLE generations ADD COLUMN error TEXT NOT NULL DEFAULT '';
-- The prompt's task category, and whether the app asked to stay out of
-- public rankings.
ALTER TABLE generations ADD COLUMN category TEXT NOT NULL DEFAULT '';
ALTER TABLE generations ADD COLUMN app_private INTEGER NOT NULL DEFAULT 0 CHECK (app_private IN (0, 1));

-- Requests holding credit whose generation is not recorded yet, written in
-- batches off the request path; a crash leaves them here, and the next
-- start records them as interrupted generations.
CREATE TABLE inflight (
    id         TEXT    PRIMARY KEY,
    instance   TEXT    NOT NULL,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    key_hash   TEXT    NOT NULL REFERENCES api_keys (hash),
    model      TEXT    NOT NULL,
    held       INTEGER NOT NULL,
    streamed   INTEGER NOT NULL CHECK (streamed IN (0, 1)),
    created_at TEXT    NOT NULL
) STRICT;
CREATE INDEX inflight_instance ON inflight (instance, created_at);
