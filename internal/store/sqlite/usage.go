package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	driver "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/switchyard-dev/switchyard/internal/store"
	"github.com/switchyard-dev/switchyard/internal/store/internal/rollup"
)

const dayLayout = time.DateOnly

// AddUsage implements store.UsageStore.
func (s *Store) AddUsage(ctx context.Context, rows []store.UsageRow) error {
	if len(rows) == 0 {
		return nil
	}
	b := rollup.Prepare(rows)
	err := s.inTx(ctx, func(tx *sql.Tx) error { return addUsage(ctx, tx, b) })
	if err != nil {
		return fmt.Errorf("add usage: %w", err)
	}
	return nil
}

func addUsage(ctx context.Context, tx *sql.Tx, b rollup.Batch) error {
	hourly, err := tx.PrepareContext(ctx, `INSERT INTO usage_hourly (hour, account_id, key_hash, model, provider, app, category,
			private, requests, errors, prompt, completion, reasoning, spend, latency_ms, generation_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (hour, key_hash, model, provider, app, category, private) DO UPDATE SET
			requests = requests + excluded.requests, errors = errors + excluded.errors,
			prompt = prompt + excluded.prompt, completion = completion + excluded.completion,
			reasoning = reasoning + excluded.reasoning, spend = spend + excluded.spend,
			latency_ms = latency_ms + excluded.latency_ms, generation_ms = generation_ms + excluded.generation_ms`)
	if err != nil {
		return err
	}
	defer hourly.Close()
	for _, r := range b.Hourly {
		_, err := hourly.ExecContext(ctx, formatTime(r.Hour), r.AccountID, r.KeyHash, r.Model, r.Provider, r.App, r.Category,
			r.Private, r.Requests, r.Errors, r.Prompt, r.Completion, r.Reasoning, r.Spend, r.LatencyMs, r.GenerationMs)
		if err != nil {
			return err
		}
	}
	models, err := tx.PrepareContext(ctx, `INSERT INTO usage_model_daily (day, model, category,
			requests, errors, prompt, completion, reasoning, spend)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (category, day, model) DO UPDATE SET
			requests = requests + excluded.requests, errors = errors + excluded.errors,
			prompt = prompt + excluded.prompt, completion = completion + excluded.completion,
			reasoning = reasoning + excluded.reasoning, spend = spend + excluded.spend`)
	if err != nil {
		return err
	}
	defer models.Close()
	for _, m := range b.Models {
		_, err := models.ExecContext(ctx, m.Day.Format(dayLayout), m.Model, m.Category,
			m.Requests, m.Errors, m.Prompt, m.Completion, m.Reasoning, m.Spend)
		if err != nil {
			return err
		}
	}
	apps, err := tx.PrepareContext(ctx, `INSERT INTO usage_app_daily (day, app, model, category,
			requests, prompt, completion, reasoning)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (model, category, day, app) DO UPDATE SET
			requests = requests + excluded.requests, prompt = prompt + excluded.prompt,
			completion = completion + excluded.completion, reasoning = reasoning + excluded.reasoning`)
	if err != nil {
		return err
	}
	defer apps.Close()
	for _, a := range b.Apps {
		_, err := apps.ExecContext(ctx, a.Day.Format(dayLayout), a.App, a.Model, a.Category,
			a.Requests, a.Prompt, a.Completion, a.Reasoning)
		if err != nil {
			return err
		}
	}
	for _, t := range b.Titles {
		_, err := tx.ExecContext(ctx, `INSERT INTO apps (app, title, first_seen, last_seen) VALUES (?, ?, ?, ?)
			ON CONFLICT (app) DO UPDATE SET
				title = CASE WHEN excluded.title <> '' AND excluded.last_seen >= apps.last_seen THEN excluded.title ELSE apps.title END,
				first_seen = min(apps.first_seen, excluded.first_seen), last_seen = max(apps.last_seen, excluded.last_seen)`,
			t.App, t.Title, formatTime(t.FirstSeen), formatTime(t.LastSeen))
		if err != nil {
			return err
		}
	}
	return nil
}

// RebuildUsage implements store.UsageStore: the generations of the days
// are read in order and rolled up exactly as AddUsage rolls up the rows
// store.UsageOf makes of them.
func (s *Store) RebuildUsage(ctx context.Context, from, to time.Time) (int64, error) {
	from, to = store.Day(from), store.Day(to)
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		lo, hi := formatTime(from), formatTime(to)
		dlo, dhi := from.Format(dayLayout), to.Format(dayLayout)
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`DELETE FROM usage_hourly WHERE hour >= ? AND hour < ?`, []any{lo, hi}},
			{`DELETE FROM usage_model_daily WHERE day >= ? AND day < ?`, []any{dlo, dhi}},
			{`DELETE FROM usage_app_daily WHERE day >= ? AND day < ?`, []any{dlo, dhi}},
		} {
			if _, err := tx.ExecContext(ctx, q.sql, q.args...); err != nil {
				return err
			}
		}
		res, err := tx.QueryContext(ctx, `SELECT account_id, key_hash, model, provider_slug, http_referer, app_title,
				category, app_private, status, finish_reason, prompt_tokens, completion_tokens, reasoning_tokens,
				cost, latency_ms, generation_time_ms, created_at
			FROM generations WHERE created_at >= ? AND created_at < ?`, lo, hi)
		if err != nil {
			return err
		}
		var m rollup.Merger
		for res.Next() {
			var g store.Generation
			err := res.Scan(&g.AccountID, &g.KeyHash, &g.Model, &g.ProviderSlug, &g.HTTPReferer, &g.AppTitle,
				&g.Category, &g.AppPrivate, &g.Status, &g.FinishReason, &g.PromptTokens, &g.CompletionTokens,
				&g.ReasoningTokens, &g.Cost, &g.LatencyMs, &g.GenerationTimeMs, timeText{&g.CreatedAt})
			if err != nil {
				res.Close()
				return err
			}
			m.Add(store.UsageOf(g))
			n++
		}
		if err := res.Close(); err != nil {
			return err
		}
		if err := res.Err(); err != nil {
			return err
		}
		return addUsage(ctx, tx, m.Batch())
	})
	if err != nil {
		return 0, fmt.Errorf("rebuild usage: %w", err)
	}
	return n, nil
}

// modelRows is the FROM and WHERE clauses of q over usage_model_daily:
// one category's rows, or the rows totalling every category. The table is
// keyed by category and day, so a query is one range of it; one model's
// rows are read through its index (which SQLite's planner, without
// statistics, would pass over for the longer range of the key).
func modelRows(q store.UsageQuery) (string, []any) {
	from := `FROM usage_model_daily WHERE category = ? AND day >= ? AND day < ?`
	args := []any{cmp.Or(q.Category, store.AllUsage), store.Day(q.From).Format(dayLayout), store.Day(q.To).Format(dayLayout)}
	if q.Model != "" {
		from = `FROM usage_model_daily INDEXED BY usage_model_daily_model WHERE category = ? AND day >= ? AND day < ? AND model = ?`
		args = append(args, q.Model)
	}
	return from, args
}

// appFilter is the WHERE clause of q over usage_app_daily: the rows of
// one model or every model, one category or every category.
func appFilter(q store.UsageQuery) (string, []any) {
	return `model = ? AND category = ? AND day >= ? AND day < ?`, []any{cmp.Or(q.Model, store.AllUsage),
		cmp.Or(q.Category, store.AllUsage), store.Day(q.From).Format(dayLayout), store.Day(q.To).Format(dayLayout)}
}

const tokenSums = `SUM(requests), SUM(prompt), SUM(completion), SUM(reasoning)`

// UsageByModel implements store.UsageStore.
func (s *Store) UsageByModel(ctx context.Context, q store.UsageQuery) ([]store.ModelUsage, error) {
	from, args := modelRows(q)
	out, err := collect(ctx, s.read, func(row scanner) (store.ModelUsage, error) {
		var m store.ModelUsage
		err := row.Scan(&m.Model, &m.Requests, &m.Prompt, &m.Completion, &m.Reasoning, &m.Errors, &m.Spend)
		return m, err
	}, `SELECT model, `+tokenSums+`, SUM(errors), SUM(spend) `+from+`
		GROUP BY model ORDER BY SUM(prompt) + SUM(completion) DESC, model`, args...)
	if err != nil {
		return nil, fmt.Errorf("usage by model: %w", err)
	}
	return out, nil
}

// UsageByModelDay implements store.UsageStore. The rows of one category
// are unique per day and model, so they are read as stored, without a
// GROUP BY: at scale a month is 20,000 rows, and what each costs counts.
func (s *Store) UsageByModelDay(ctx context.Context, q store.UsageQuery) ([]store.ModelDayUsage, error) {
	from, args := modelRows(q)
	var (
		lastDay string
		last    time.Time
	)
	out, err := collect(ctx, s.read, func(row scanner) (store.ModelDayUsage, error) {
		var (
			m   store.ModelDayUsage
			day []byte
		)
		err := row.Scan(&day, &m.Model, &m.Requests, &m.Prompt, &m.Completion, &m.Reasoning, &m.Errors, &m.Spend)
		if err != nil {
			return m, err
		}
		if string(day) != lastDay { // rows come by day: parse each day once
			if last, err = time.Parse(dayLayout, string(day)); err != nil {
				return m, err
			}
			lastDay = string(day)
		}
		m.Day = last
		return m, nil
	}, `SELECT day, model, requests, prompt, completion, reasoning, errors, spend `+from, args...)
	if err != nil {
		return nil, fmt.Errorf("usage by model and day: %w", err)
	}
	store.SortModelDays(out)
	return out, nil
}

// UsageByApp implements store.UsageStore.
func (s *Store) UsageByApp(ctx context.Context, q store.UsageQuery) ([]store.AppUsage, error) {
	where, args := appFilter(q)
	out, err := collect(ctx, s.read, func(row scanner) (store.AppUsage, error) {
		var a store.AppUsage
		err := row.Scan(&a.App, &a.Title, &a.Requests, &a.Prompt, &a.Completion, &a.Reasoning)
		return a, err
	}, `SELECT u.app, COALESCE(apps.title, ''), u.requests, u.prompt, u.completion, u.reasoning
		FROM (SELECT app, SUM(requests) AS requests, SUM(prompt) AS prompt,
		             SUM(completion) AS completion, SUM(reasoning) AS reasoning
		      FROM usage_app_daily WHERE `+where+` GROUP BY app) u
		LEFT JOIN apps ON apps.app = u.app
		ORDER BY u.prompt + u.completion DESC, u.app`, args...)
	if err != nil {
		return nil, fmt.Errorf("usage by app: %w", err)
	}
	return out, nil
}

// UsageByCategory implements store.UsageStore. Named categories are read
// one query each, run side by side on the read pool: each is a range of
// the table summed per model, and at scale (50,000 rows for a week of
// every category) one query on one core was most of the time.
func (s *Store) UsageByCategory(ctx context.Context, q store.UsageQuery) ([]store.CategoryUsage, error) {
	categories := q.Categories
	if q.Category != "" {
		categories = []string{q.Category}
	}
	var (
		parts = make([][]store.CategoryUsage, len(categories))
		errs  = make([]error, len(categories))
		sem   = make(chan struct{}, runtime.GOMAXPROCS(0))
		wg    sync.WaitGroup
	)
	for i, c := range categories {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			parts[i], errs[i] = s.usageByCategory(ctx, q, `category = ?`, c)
		})
	}
	if len(categories) == 0 {
		parts, errs = make([][]store.CategoryUsage, 1), make([]error, 1)
		parts[0], errs[0] = s.usageByCategory(ctx, q, `category <> ?`, store.AllUsage)
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("usage by category: %w", err)
	}
	out := slices.Concat(parts...)
	store.SortCategories(out)
	return out, nil
}

// usageByCategory sums the daily rollups of q's days (and model) matching
// cond per category and model.
func (s *Store) usageByCategory(ctx context.Context, q store.UsageQuery, cond string, arg string) ([]store.CategoryUsage, error) {
	where := cond + ` AND day >= ? AND day < ?`
	args := []any{arg, store.Day(q.From).Format(dayLayout), store.Day(q.To).Format(dayLayout)}
	if q.Model != "" {
		where += ` AND model = ?`
		args = append(args, q.Model)
	}
	return collect(ctx, s.read, func(row scanner) (store.CategoryUsage, error) {
		var c store.CategoryUsage
		err := row.Scan(&c.Category, &c.Model, &c.Requests, &c.Prompt, &c.Completion, &c.Reasoning, &c.Errors, &c.Spend)
		return c, err
	}, `SELECT category, model, `+tokenSums+`, SUM(errors), SUM(spend) FROM usage_model_daily WHERE `+where+`
		GROUP BY category, model`, args...)
}

// ImportGenerations implements store.UsageStore with multi-row INSERTs in
// one transaction.
func (s *Store) ImportGenerations(ctx context.Context, gens []store.Generation) error {
	if len(gens) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var full *sql.Stmt
		args := make([]any, 0, importRows*generationColumnCount)
		for i := 0; i < len(gens); i += importRows {
			chunk := gens[i:min(i+importRows, len(gens))]
			args = args[:0]
			for _, g := range chunk {
				if err := g.Validate(); err != nil {
					return err
				}
				var err error
				if args, err = appendGenerationArgs(args, g); err != nil {
					return err
				}
			}
			var err error
			if len(chunk) == importRows {
				if full == nil {
					if full, err = tx.PrepareContext(ctx, insertGenerationsSQL(importRows)); err != nil {
						return err
					}
					defer full.Close()
				}
				_, err = full.ExecContext(ctx, args...)
			} else {
				_, err = tx.ExecContext(ctx, insertGenerationsSQL(len(chunk)), args...)
			}
			if err != nil {
				if isUniqueViolation(err) {
					return store.ErrAlreadyExists
				}
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("import generations: %w", err)
	}
	return nil
}

// isUniqueViolation reports a primary key or unique constraint failure.
func isUniqueViolation(err error) bool {
	var se *driver.Error
	return errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE)
}
