-- The daily rollups, stored in the order the rankings read them. SQLite
-- has no covering index with included columns: through 0005's secondary
-- indexes every row a ranking summed was a second lookup into the table,
-- and a month of one category (tens of thousands of rows at scale) took
-- 100-200 ms. Keyed by what the queries filter on, a ranking is one
-- contiguous range scan of the table itself.

-- Rankings read one category ('*': every category) over a range of days.
CREATE TABLE usage_model_daily_0006 (
    day        TEXT    NOT NULL, -- 2026-12-05
    model      TEXT    NOT NULL,
    category   TEXT    NOT NULL,
    requests   INTEGER NOT NULL,
    errors     INTEGER NOT NULL,
    prompt     INTEGER NOT NULL,
    completion INTEGER NOT NULL,
    reasoning  INTEGER NOT NULL,
    spend      INTEGER NOT NULL,
    PRIMARY KEY (category, day, model)
) STRICT, WITHOUT ROWID;
INSERT INTO usage_model_daily_0006 SELECT day, model, category, requests, errors, prompt, completion, reasoning, spend
    FROM usage_model_daily;
DROP TABLE usage_model_daily;
ALTER TABLE usage_model_daily_0006 RENAME TO usage_model_daily;
-- A model's own activity.
CREATE INDEX usage_model_daily_model ON usage_model_daily (model, category, day);

-- App rankings read one model ('*': every model) and one category over a
-- range of days.
CREATE TABLE usage_app_daily_0006 (
    day        TEXT    NOT NULL,
    app        TEXT    NOT NULL,
    model      TEXT    NOT NULL,
    category   TEXT    NOT NULL,
    requests   INTEGER NOT NULL,
    prompt     INTEGER NOT NULL,
    completion INTEGER NOT NULL,
    reasoning  INTEGER NOT NULL,
    PRIMARY KEY (model, category, day, app)
) STRICT, WITHOUT ROWID;
INSERT INTO usage_app_daily_0006 SELECT day, app, model, category, requests, prompt, completion, reasoning
    FROM usage_app_daily;
DROP TABLE usage_app_daily;
ALTER TABLE usage_app_daily_0006 RENAME TO usage_app_daily;
