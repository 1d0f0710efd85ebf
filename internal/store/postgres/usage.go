package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/switchyard-dev/switchyard/internal/store"
	"github.com/switchyard-dev/switchyard/internal/store/internal/jsoncol"
	"github.com/switchyard-dev/switchyard/internal/store/internal/rollup"
)

// AddUsage implements store.UsageStore: one statement per rollup table,
// pipelined, whatever the batch's size.
func (s *Store) AddUsage(ctx context.Context, rows []store.UsageRow) error {
	if len(rows) == 0 {
		return nil
	}
	b := rollup.Prepare(rows)
	if err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return addUsage(ctx, tx, b) }); err != nil {
		return fmt.Errorf("add usage: %w", err)
	}
	return nil
}

func addUsage(ctx context.Context, tx pgx.Tx, b rollup.Batch) error {
	var q pgx.Batch
	if n := len(b.Hourly); n > 0 {
		var (
			hour                                                  = make([]time.Time, n)
			account, requests, errors, prompt, completion, reason = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
			spend, latency, generation                            = make([]int64, n), make([]int64, n), make([]int64, n)
			key, model, provider, app, category                   = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
			private                                               = make([]bool, n)
		)
		for i, r := range b.Hourly {
			hour[i], account[i], key[i], model[i], provider[i], app[i], category[i], private[i] =
				r.Hour, r.AccountID, r.KeyHash, r.Model, r.Provider, r.App, r.Category, r.Private
			requests[i], errors[i], prompt[i], completion[i], reason[i] = r.Requests, r.Errors, r.Prompt, r.Completion, r.Reasoning
			spend[i], latency[i], generation[i] = int64(r.Spend), r.LatencyMs, r.GenerationMs
		}
		q.Queue(`INSERT INTO usage_hourly (hour, account_id, key_hash, model, provider, app, category, private,
				requests, errors, prompt, completion, reasoning, spend, latency_ms, generation_ms)
			SELECT * FROM unnest($1::timestamptz[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],
				$7::text[], $8::boolean[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[],
				$14::bigint[], $15::bigint[], $16::bigint[])
			ON CONFLICT (hour, key_hash, model, provider, app, category, private) DO UPDATE SET
				requests = usage_hourly.requests + excluded.requests, errors = usage_hourly.errors + excluded.errors,
				prompt = usage_hourly.prompt + excluded.prompt, completion = usage_hourly.completion + excluded.completion,
				reasoning = usage_hourly.reasoning + excluded.reasoning, spend = usage_hourly.spend + excluded.spend,
				latency_ms = usage_hourly.latency_ms + excluded.latency_ms,
				generation_ms = usage_hourly.generation_ms + excluded.generation_ms`,
			hour, account, key, model, provider, app, category, private,
			requests, errors, prompt, completion, reason, spend, latency, generation)
	}
	if n := len(b.Models); n > 0 {
		day := make([]time.Time, n)
		model, category := make([]string, n), make([]string, n)
		requests, errors, prompt, completion, reason, spend := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		for i, m := range b.Models {
			day[i], model[i], category[i] = m.Day, m.Model, m.Category
			requests[i], errors[i], prompt[i], completion[i], reason[i], spend[i] = m.Requests, m.Errors, m.Prompt, m.Completion, m.Reasoning, int64(m.Spend)
		}
		q.Queue(`INSERT INTO usage_model_daily (day, model, category, requests, errors, prompt, completion, reasoning, spend)
			SELECT d::date, m, c, r, e, p, co, re, s
			FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[],
				$7::bigint[], $8::bigint[], $9::bigint[]) AS u(d, m, c, r, e, p, co, re, s)
			ON CONFLICT (day, model, category) DO UPDATE SET
				requests = usage_model_daily.requests + excluded.requests, errors = usage_model_daily.errors + excluded.errors,
				prompt = usage_model_daily.prompt + excluded.prompt, completion = usage_model_daily.completion + excluded.completion,
				reasoning = usage_model_daily.reasoning + excluded.reasoning, spend = usage_model_daily.spend + excluded.spend`,
			utcDates(day), model, category, requests, errors, prompt, completion, reason, spend)
	}
	if n := len(b.Apps); n > 0 {
		day := make([]time.Time, n)
		app, model, category := make([]string, n), make([]string, n), make([]string, n)
		requests, prompt, completion, reason := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		for i, a := range b.Apps {
			day[i], app[i], model[i], category[i] = a.Day, a.App, a.Model, a.Category
			requests[i], prompt[i], completion[i], reason[i] = a.Requests, a.Prompt, a.Completion, a.Reasoning
		}
		q.Queue(`INSERT INTO usage_app_daily (day, app, model, category, requests, prompt, completion, reasoning)
			SELECT d::date, a, m, c, r, p, co, re
			FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[],
				$7::bigint[], $8::bigint[]) AS u(d, a, m, c, r, p, co, re)
			ON CONFLICT (day, app, model, category) DO UPDATE SET
				requests = usage_app_daily.requests + excluded.requests, prompt = usage_app_daily.prompt + excluded.prompt,
				completion = usage_app_daily.completion + excluded.completion,
				reasoning = usage_app_daily.reasoning + excluded.reasoning`,
			utcDates(day), app, model, category, requests, prompt, completion, reason)
	}
	if n := len(b.Titles); n > 0 {
		app, title := make([]string, n), make([]string, n)
		first, last := make([]time.Time, n), make([]time.Time, n)
		for i, t := range b.Titles {
			app[i], title[i], first[i], last[i] = t.App, t.Title, t.FirstSeen, t.LastSeen
		}
		q.Queue(`INSERT INTO apps (app, title, first_seen, last_seen)
			SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[])
			ON CONFLICT (app) DO UPDATE SET
				title = CASE WHEN excluded.title <> '' AND excluded.last_seen >= apps.last_seen THEN excluded.title ELSE apps.title END,
				first_seen = LEAST(apps.first_seen, excluded.first_seen), last_seen = GREATEST(apps.last_seen, excluded.last_seen)`,
			app, title, first, last)
	}
	return tx.SendBatch(ctx, &q).Close()
}

// utcDates returns days (UTC midnights) as timestamps that the server's
// ::date cast turns into the same dates whatever its time zone.
func utcDates(days []time.Time) []time.Time {
	out := make([]time.Time, len(days))
	for i, d := range days {
		y, m, dd := d.Date()
		out[i] = time.Date(y, m, dd, 12, 0, 0, 0, time.UTC) // noon: the date in every zone within ±12 h
	}
	return out
}

// RebuildUsage implements store.UsageStore: the generations of the days
// are read in order and rolled up exactly as AddUsage rolls up the rows
// store.UsageOf makes of them.
func (s *Store) RebuildUsage(ctx context.Context, from, to time.Time) (int64, error) {
	from, to = store.Day(from), store.Day(to)
	var n int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var del pgx.Batch
		del.Queue(`DELETE FROM usage_hourly WHERE hour >= $1 AND hour < $2`, from, to)
		del.Queue(`DELETE FROM usage_model_daily WHERE day >= $1::date AND day < $2::date`, from.Format(time.DateOnly), to.Format(time.DateOnly))
		del.Queue(`DELETE FROM usage_app_daily WHERE day >= $1::date AND day < $2::date`, from.Format(time.DateOnly), to.Format(time.DateOnly))
		if err := tx.SendBatch(ctx, &del).Close(); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT account_id, key_hash, model, provider_slug, http_referer, app_title,
				category, app_private, status, finish_reason, prompt_tokens, completion_tokens, reasoning_tokens,
				cost, latency_ms, generation_time_ms, created_at
			FROM generations WHERE created_at >= $1 AND created_at < $2`, from, to)
		if err != nil {
			return err
		}
		var m rollup.Merger
		var g store.Generation
		_, err = pgx.ForEachRow(rows, []any{&g.AccountID, &g.KeyHash, &g.Model, &g.ProviderSlug, &g.HTTPReferer, &g.AppTitle,
			&g.Category, &g.AppPrivate, &g.Status, &g.FinishReason, &g.PromptTokens, &g.CompletionTokens,
			&g.ReasoningTokens, &g.Cost, &g.LatencyMs, &g.GenerationTimeMs, &g.CreatedAt}, func() error {
			m.Add(store.UsageOf(g))
			n++
			return nil
		})
		if err != nil {
			return err
		}
		return addUsage(ctx, tx, m.Batch())
	})
	if err != nil {
		return 0, fmt.Errorf("rebuild usage: %w", err)
	}
	return n, nil
}

// usageFilter is the WHERE clause of q over usage_model_daily: one
// category's rows, or the rows totalling every category.
func usageFilter(q store.UsageQuery) (string, []any) {
	where := `category = $1 AND day >= $2::date AND day < $3::date`
	args := []any{cmp.Or(q.Category, store.AllUsage), store.Day(q.From).Format(time.DateOnly), store.Day(q.To).Format(time.DateOnly)}
	if q.Model != "" {
		args = append(args, q.Model)
		where += ` AND model = $4`
	}
	return where, args
}

// appFilter is the WHERE clause of q over usage_app_daily: the rows of
// one model or every model, one category or every category.
func appFilter(q store.UsageQuery) (string, []any) {
	return `model = $1 AND category = $2 AND day >= $3::date AND day < $4::date`, []any{cmp.Or(q.Model, store.AllUsage),
		cmp.Or(q.Category, store.AllUsage), store.Day(q.From).Format(time.DateOnly), store.Day(q.To).Format(time.DateOnly)}
}

const tokenSums = `SUM(requests)::bigint, SUM(prompt)::bigint, SUM(completion)::bigint, SUM(reasoning)::bigint`

// UsageByModel implements store.UsageStore.
func (s *Store) UsageByModel(ctx context.Context, q store.UsageQuery) ([]store.ModelUsage, error) {
	where, args := usageFilter(q)
	rows, err := s.pool.Query(ctx, `SELECT model, `+tokenSums+`, SUM(errors)::bigint, SUM(spend)::bigint
		FROM usage_model_daily WHERE `+where+`
		GROUP BY model ORDER BY SUM(prompt) + SUM(completion) DESC, model COLLATE "C"`, args...)
	out, err := collectRows(rows, err, func(row pgx.CollectableRow) (store.ModelUsage, error) {
		var m store.ModelUsage
		err := row.Scan(&m.Model, &m.Requests, &m.Prompt, &m.Completion, &m.Reasoning, &m.Errors, &m.Spend)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("usage by model: %w", err)
	}
	return out, nil
}

// UsageByModelDay implements store.UsageStore.
func (s *Store) UsageByModelDay(ctx context.Context, q store.UsageQuery) ([]store.ModelDayUsage, error) {
	where, args := usageFilter(q)
	rows, err := s.pool.Query(ctx, `SELECT day, model, `+tokenSums+`, SUM(errors)::bigint, SUM(spend)::bigint
		FROM usage_model_daily WHERE `+where+` GROUP BY day, model`, args...)
	out, err := collectRows(rows, err, func(row pgx.CollectableRow) (store.ModelDayUsage, error) {
		var m store.ModelDayUsage
		err := row.Scan(&m.Day, &m.Model, &m.Requests, &m.Prompt, &m.Completion, &m.Reasoning, &m.Errors, &m.Spend)
		m.Day = time.Date(m.Day.Year(), m.Day.Month(), m.Day.Day(), 0, 0, 0, 0, time.UTC)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("usage by model and day: %w", err)
	}
	store.SortModelDays(out)
	return out, nil
}

// UsageByApp implements store.UsageStore.
func (s *Store) UsageByApp(ctx context.Context, q store.UsageQuery) ([]store.AppUsage, error) {
	where, args := appFilter(q)
	rows, err := s.pool.Query(ctx, `SELECT u.app, COALESCE(apps.title, ''), u.requests, u.prompt, u.completion, u.reasoning
		FROM (SELECT app, `+tokenSums+` FROM usage_app_daily WHERE `+where+` GROUP BY app)
		     AS u(app, requests, prompt, completion, reasoning)
		LEFT JOIN apps ON apps.app = u.app
		ORDER BY u.prompt + u.completion DESC, u.app COLLATE "C"`, args...)
	out, err := collectRows(rows, err, func(row pgx.CollectableRow) (store.AppUsage, error) {
		var a store.AppUsage
		err := row.Scan(&a.App, &a.Title, &a.Requests, &a.Prompt, &a.Completion, &a.Reasoning)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("usage by app: %w", err)
	}
	return out, nil
}

// UsageByCategory implements store.UsageStore.
func (s *Store) UsageByCategory(ctx context.Context, q store.UsageQuery) ([]store.CategoryUsage, error) {
	where := `day >= $1::date AND day < $2::date`
	args := []any{store.Day(q.From).Format(time.DateOnly), store.Day(q.To).Format(time.DateOnly)}
	switch {
	case q.Category != "":
		args = append(args, q.Category)
		where += fmt.Sprintf(` AND category = $%d`, len(args))
	case len(q.Categories) > 0:
		args = append(args, q.Categories)
		where += fmt.Sprintf(` AND category = ANY($%d)`, len(args))
	default:
		args = append(args, store.AllUsage)
		where += fmt.Sprintf(` AND category <> $%d`, len(args))
	}
	if q.Model != "" {
		args = append(args, q.Model)
		where += fmt.Sprintf(` AND model = $%d`, len(args))
	}
	rows, err := s.pool.Query(ctx, `SELECT category, model, `+tokenSums+`, SUM(errors)::bigint, SUM(spend)::bigint
		FROM usage_model_daily WHERE `+where+` GROUP BY category, model`, args...)
	out, err := collectRows(rows, err, func(row pgx.CollectableRow) (store.CategoryUsage, error) {
		var c store.CategoryUsage
		err := row.Scan(&c.Category, &c.Model, &c.Requests, &c.Prompt, &c.Completion, &c.Reasoning, &c.Errors, &c.Spend)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("usage by category: %w", err)
	}
	store.SortCategories(out)
	return out, nil
}

// collectRows collects the rows of a query that may have failed.
func collectRows[T any](rows pgx.Rows, err error, fn pgx.RowToFunc[T]) ([]T, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, fn)
}

// ImportGenerations implements store.UsageStore with COPY.
func (s *Store) ImportGenerations(ctx context.Context, gens []store.Generation) error {
	if len(gens) == 0 {
		return nil
	}
	cols := columnNames(generationColumns)
	rows := make([][]any, len(gens))
	for i, g := range gens {
		if err := g.Validate(); err != nil {
			return fmt.Errorf("import generations: %w", err)
		}
		prs, err := jsoncol.EncodeProviderResponses(g.ProviderResponses)
		if err != nil {
			return fmt.Errorf("import generations: %w", err)
		}
		rows[i] = []any{g.ID, g.AccountID, g.KeyHash, g.Model, g.ProviderSlug, g.ProviderName, g.UpstreamModel,
			g.UpstreamID, g.Streamed, g.Cancelled, g.FinishReason, g.NativeFinishReason,
			int64(g.PromptTokens), int64(g.CompletionTokens), int64(g.ReasoningTokens), int64(g.CachedTokens), int64(g.CacheWriteTokens),
			int64(g.Cost), g.LatencyMs, g.GenerationTimeMs, g.HTTPReferer, g.AppTitle, g.User, g.SessionID, int64(g.Attempts),
			store.Timestamp(g.CreatedAt), string(prs), g.IsBYOK, int32(g.Status), store.ClipError(g.Error), g.Category, g.AppPrivate}
	}
	_, err := s.pool.CopyFrom(ctx, pgx.Identifier{"generations"}, cols, pgx.CopyFromRows(rows))
	if isUniqueViolation(err) {
		err = store.ErrAlreadyExists
	}
	if err != nil {
		return fmt.Errorf("import generations: %w", err)
	}
	return nil
}

// isUniqueViolation reports a unique constraint failure (SQLSTATE 23505).
func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// MaintainUsage implements store.UsageMaintainer: VACUUM (ANALYZE) of the
// rollup tables. A bulk load leaves their pages out of the visibility map
// until autovacuum comes by, and until then every index-only scan of the
// rankings also reads the table: ten times slower at 10 M records.
func (s *Store) MaintainUsage(ctx context.Context) error {
	for _, table := range []string{"usage_hourly", "usage_model_daily", "usage_app_daily", "apps"} {
		if _, err := s.pool.Exec(ctx, `VACUUM (ANALYZE) `+table); err != nil {
			return fmt.Errorf("maintain usage: %s: %w", table, err)
		}
	}
	return nil
}
