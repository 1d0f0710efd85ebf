// Package rollup prepares store.UsageRow batches for the stores: it merges
// rows of one key and derives the daily rollups, so that each
// implementation writes each rollup row once per batch.
package rollup

import (
	"cmp"
	"slices"
	"time"

	"github.com/switchyard-dev/switchyard/internal/store"
)

// ModelDay is a row of usage_model_daily.
type ModelDay struct {
	Day             time.Time
	Model, Category string
	store.Tokens
}

// AppDay is a row of usage_app_daily.
type AppDay struct {
	Day                  time.Time
	App, Model, Category string
	store.Tokens
}

// App is an app seen in a batch: its latest title and the hours it was
// first and last seen in.
type App struct {
	App, Title          string
	FirstSeen, LastSeen time.Time
}

// Batch is a batch of usage rows prepared for writing.
type Batch struct {
	Hourly []store.UsageRow
	Models []ModelDay
	Apps   []AppDay
	Titles []App
}

type modelKey struct {
	day             time.Time
	model, category string
}

type appKey struct {
	day                  time.Time
	app, model, category string
}

// Prepare merges rows by key (hours truncated to UTC hours) and derives
// the daily rows, each slice sorted by key so that concurrent writers
// lock rows in one order. Apps are those of public requests of named
// apps; a later row's non-empty title wins.
func Prepare(rows []store.UsageRow) Batch {
	hourly := make(map[store.UsageKey]*store.UsageRow, len(rows))
	models := map[modelKey]*ModelDay{}
	apps := map[appKey]*AppDay{}
	titles := map[string]*App{}
	for _, r := range rows {
		r.Hour = r.Hour.UTC().Truncate(time.Hour)
		if h := hourly[r.UsageKey]; h != nil {
			h.Merge(r)
		} else {
			c := r
			hourly[r.UsageKey] = &c
		}
		day := store.Day(r.Hour)
		// Each daily row also counts toward the rows of its day that
		// total over every category (and, for apps, every model), so that
		// a ranking reads a few rows per model or app and day, not one
		// per combination.
		for _, category := range []string{r.Category, store.AllUsage} {
			mk := modelKey{day, r.Model, category}
			if m := models[mk]; m != nil {
				m.Tokens.Add(r.Tokens)
			} else {
				models[mk] = &ModelDay{Day: day, Model: r.Model, Category: category, Tokens: r.Tokens}
			}
		}
		if r.App == "" || r.Private {
			continue
		}
		for _, model := range []string{r.Model, store.AllUsage} {
			for _, category := range []string{r.Category, store.AllUsage} {
				ak := appKey{day, r.App, model, category}
				if a := apps[ak]; a != nil {
					a.Tokens.Add(r.Tokens)
				} else {
					apps[ak] = &AppDay{Day: day, App: r.App, Model: model, Category: category, Tokens: r.Tokens}
				}
			}
		}
		if t := titles[r.App]; t != nil {
			t.Title = cmp.Or(r.AppTitle, t.Title)
			t.FirstSeen, t.LastSeen = minTime(t.FirstSeen, r.Hour), maxTime(t.LastSeen, r.Hour)
		} else {
			titles[r.App] = &App{App: r.App, Title: r.AppTitle, FirstSeen: r.Hour, LastSeen: r.Hour}
		}
	}
	var b Batch
	for _, r := range hourly {
		b.Hourly = append(b.Hourly, *r)
	}
	slices.SortFunc(b.Hourly, func(x, y store.UsageRow) int { return compareKeys(x.UsageKey, y.UsageKey) })
	for _, m := range models {
		b.Models = append(b.Models, *m)
	}
	slices.SortFunc(b.Models, func(x, y ModelDay) int {
		return cmp.Or(x.Day.Compare(y.Day), cmp.Compare(x.Model, y.Model), cmp.Compare(x.Category, y.Category))
	})
	for _, a := range apps {
		b.Apps = append(b.Apps, *a)
	}
	slices.SortFunc(b.Apps, func(x, y AppDay) int {
		return cmp.Or(x.Day.Compare(y.Day), cmp.Compare(x.App, y.App), cmp.Compare(x.Model, y.Model),
			cmp.Compare(x.Category, y.Category))
	})
	for _, t := range titles {
		b.Titles = append(b.Titles, *t)
	}
	slices.SortFunc(b.Titles, func(x, y App) int { return cmp.Compare(x.App, y.App) })
	return b
}

func compareKeys(x, y store.UsageKey) int {
	return cmp.Or(x.Hour.Compare(y.Hour), cmp.Compare(x.KeyHash, y.KeyHash), cmp.Compare(x.Model, y.Model),
		cmp.Compare(x.Provider, y.Provider), cmp.Compare(x.App, y.App), cmp.Compare(x.Category, y.Category),
		boolCompare(x.Private, y.Private))
}

func boolCompare(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Merger accumulates usage rows one at a time, merging them by key as it
// goes so that its memory follows the distinct keys, not the rows.
type Merger struct {
	rows  []store.UsageRow
	limit int
}

// mergeEvery is how many rows a Merger takes before merging.
const mergeEvery = 50_000

// Add adds a row.
func (m *Merger) Add(r store.UsageRow) {
	m.rows = append(m.rows, r)
	if len(m.rows) >= max(m.limit, mergeEvery) {
		m.rows = Prepare(m.rows).Hourly
		m.limit = 2 * len(m.rows)
	}
}

// Batch returns everything added, prepared.
func (m *Merger) Batch() Batch { return Prepare(m.rows) }
