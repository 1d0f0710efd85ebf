-- Usage analytics: rollups of the generation records, written in batches
-- off the request path (package usage) and rebuilt from the generations
-- on demand (RebuildUsage). Tokens and counts are sums; money is
-- nano-dollars. Hours and days are UTC, as text like created_at.

-- One row per UTC hour × key × model × provider × app × category ×
-- privacy: the finest grain, for an organisation's own analytics.
CREATE TABLE usage_hourly (
    hour          TEXT    NOT NULL, -- 2026-12-05T13:00:00.000Z
    account_id    INTEGER NOT NULL,
    key_hash      TEXT    NOT NULL,
    model         TEXT    NOT NULL,
    provider      TEXT    NOT NULL, -- '' for requests no provider served
    app           TEXT    NOT NULL, -- HTTP-Referer, else the title; '' for none
    category      TEXT    NOT NULL,
    private       INTEGER NOT NULL CHECK (private IN (0, 1)),
    requests      INTEGER NOT NULL,
    errors        INTEGER NOT NULL,
    prompt        INTEGER NOT NULL,
    completion    INTEGER NOT NULL,
    reasoning     INTEGER NOT NULL,
    spend         INTEGER NOT NULL,
    latency_ms    INTEGER NOT NULL, -- sums, for means
    generation_ms INTEGER NOT NULL,
    PRIMARY KEY (hour, key_hash, model, provider, app, category, private)
) STRICT, WITHOUT ROWID;
CREATE INDEX usage_hourly_model ON usage_hourly (model, hour);
CREATE INDEX usage_hourly_account ON usage_hourly (account_id, hour);

-- Per UTC day × model × category: model rankings, trends, authors. Rows
-- of category '*' total a model's day over every category (what rankings
-- without a category read, through the index by category).
CREATE TABLE usage_model_daily (
    day        TEXT    NOT NULL, -- 2026-12-05
    model      TEXT    NOT NULL,
    category   TEXT    NOT NULL,
    requests   INTEGER NOT NULL,
    errors     INTEGER NOT NULL,
    prompt     INTEGER NOT NULL,
    completion INTEGER NOT NULL,
    reasoning  INTEGER NOT NULL,
    spend      INTEGER NOT NULL,
    PRIMARY KEY (day, model, category)
) STRICT, WITHOUT ROWID;
CREATE INDEX usage_model_daily_category ON usage_model_daily (category, day, model);

-- Per UTC day × app × model × category, public requests of named apps
-- only: app rankings and the apps using a model. Rows of model '*' or
-- category '*' total over every model or category.
CREATE TABLE usage_app_daily (
    day        TEXT    NOT NULL,
    app        TEXT    NOT NULL,
    model      TEXT    NOT NULL,
    category   TEXT    NOT NULL,
    requests   INTEGER NOT NULL,
    prompt     INTEGER NOT NULL,
    completion INTEGER NOT NULL,
    reasoning  INTEGER NOT NULL,
    PRIMARY KEY (day, app, model, category)
) STRICT, WITHOUT ROWID;
CREATE INDEX usage_app_daily_model ON usage_app_daily (model, category, day, app);

-- The apps seen, by their key in the rollups, with the latest title.
CREATE TABLE apps (
    app        TEXT PRIMARY KEY,
    title      TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen  TEXT NOT NULL
) STRICT;
CREATE INDEX generations_created ON generations (created_at);
