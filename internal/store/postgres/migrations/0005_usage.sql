-- Usage analytics: rollups of the generation records, written in batches
-- off the request path (package usage) and rebuilt from the generations
-- on demand (RebuildUsage). Tokens and counts are sums; money is
-- nano-dollars. Hours and days are UTC.

-- One row per UTC hour × key × model × provider × app × category ×
-- privacy: the finest grain, for an organisation's own analytics.
CREATE TABLE usage_hourly (
    hour          TIMESTAMPTZ NOT NULL,
    account_id    BIGINT      NOT NULL,
    key_hash      TEXT        NOT NULL,
    model         TEXT        NOT NULL,
    provider      TEXT        NOT NULL, -- '' for requests no provider served
    app           TEXT        NOT NULL, -- HTTP-Referer, else the title; '' for none
    category      TEXT        NOT NULL,
    private       BOOLEAN     NOT NULL,
    requests      BIGINT      NOT NULL,
    errors        BIGINT      NOT NULL,
    prompt        BIGINT      NOT NULL,
    completion    BIGINT      NOT NULL,
    reasoning     BIGINT      NOT NULL,
    spend         BIGINT      NOT NULL,
    latency_ms    BIGINT      NOT NULL, -- sums, for means
    generation_ms BIGINT      NOT NULL,
    PRIMARY KEY (hour, key_hash, model, provider, app, category, private)
);
CREATE INDEX usage_hourly_model ON usage_hourly (model, hour);
CREATE INDEX usage_hourly_account ON usage_hourly (account_id, hour);

-- Per UTC day × model × category: model rankings, trends, authors. Rows
-- of category '*' total a model's day over every category (what rankings
-- without a category read, through the index by category).
CREATE TABLE usage_model_daily (
    day        DATE   NOT NULL,
    model      TEXT   NOT NULL,
    category   TEXT   NOT NULL,
    requests   BIGINT NOT NULL,
    errors     BIGINT NOT NULL,
    prompt     BIGINT NOT NULL,
    completion BIGINT NOT NULL,
    reasoning  BIGINT NOT NULL,
    spend      BIGINT NOT NULL,
    PRIMARY KEY (day, model, category)
);
CREATE INDEX usage_model_daily_category ON usage_model_daily (category, day, model)
    INCLUDE (requests, errors, prompt, completion, reasoning, spend);

-- Per UTC day × app × model × category, public requests of named apps
-- only: app rankings and the apps using a model. Rows of model '*' or
-- category '*' total over every model or category.
CREATE TABLE usage_app_daily (
    day        DATE   NOT NULL,
    app        TEXT   NOT NULL,
    model      TEXT   NOT NULL,
    category   TEXT   NOT NULL,
    requests   BIGINT NOT NULL,
    prompt     BIGINT NOT NULL,
    completion BIGINT NOT NULL,
    reasoning  BIGINT NOT NULL,
    PRIMARY KEY (day, app, model, category)
);
CREATE INDEX usage_app_daily_model ON usage_app_daily (model, category, day, app)
    INCLUDE (requests, prompt, completion, reasoning);

-- The apps seen, by their key in the rollups, with the latest title.
CREATE TABLE apps (
    app        TEXT PRIMARY KEY,
    title      TEXT        NOT NULL,
    first_seen TIMESTAMPTZ NOT NULL,
    last_seen  TIMESTAMPTZ NOT NULL
);

-- Generations by time, for rebuilding the rollups of a period.
CREATE INDEX generations_created ON generations (created_at);
