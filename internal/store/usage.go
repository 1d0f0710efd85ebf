package store

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/switchyard-dev/switchyard/internal/money"
)

// UsageStore keeps the rollups of the generation records that usage
// analytics and the public rankings read: per UTC hour × key × model ×
// provider × app × category × privacy, and, derived from them in the same
// writes, per day × model × category and per day × app × model ×
// category (public requests of named apps only).
type UsageStore interface {
	// AddUsage adds each row's sums to the rollups, in one transaction:
	// to the stored row with the same key, created if absent. Rows' hours
	// are truncated to the hour (UTC).
	AddUsage(ctx context.Context, rows []UsageRow) error
	// RebuildUsage recomputes the rollups of the UTC days in [from, to)
	// (truncated to days) from the generation records, replacing what
	// they held, in one transaction, and returns how many generations it
	// counted. The rollups written by AddUsage for those records are then
	// exactly what RebuildUsage makes of them.
	RebuildUsage(ctx context.Context, from, to time.Time) (int64, error)

	// UsageByModel sums the days of q per model, largest total first.
	UsageByModel(ctx context.Context, q UsageQuery) ([]ModelUsage, error)
	// UsageByModelDay sums the days of q per day and model, by day then
	// largest total first.
	UsageByModelDay(ctx context.Context, q UsageQuery) ([]ModelDayUsage, error)
	// UsageByApp sums the public usage of named apps over the days of q
	// per app, largest total first, with each app's latest title.
	UsageByApp(ctx context.Context, q UsageQuery) ([]AppUsage, error)
	// UsageByCategory sums the days of q per category and model.
	UsageByCategory(ctx context.Context, q UsageQuery) ([]CategoryUsage, error)

	// ImportGenerations bulk-loads generation records as history (the
	// usage generator, imports): no ledger entry, no balance or key usage
	// changes, no rollups (AddUsage or RebuildUsage them). Ids must be
	// new: a stored one fails the whole batch with ErrAlreadyExists.
	// PostgreSQL loads with COPY.
	ImportGenerations(ctx context.Context, gens []Generation) error
}

// AllUsage is the category (and, in app rollups, the model) of the daily
// rollup rows that total over every category (every model): the stores
// write them with the others and read them for queries that do not
// filter on one. It is neither a category nor a model id.
const AllUsage = "*"

// UsageQuery selects rollups: the UTC days in [From, To), and, when set,
// one category and one model.
type UsageQuery struct {
	From, To time.Time
	Category string
	Model    string
	// Categories, for UsageByCategory, are the categories to report;
	// every one but AllUsage when empty. Naming them lets the stores read
	// each through an index.
	Categories []string
}

// SortModelDays orders rows as UsageByModelDay returns them: by day, then
// largest total first, then model. Stores read rows in index order and
// sort them here, which is cheaper than sorting by a sum in SQL.
func SortModelDays(rows []ModelDayUsage) {
	slices.SortFunc(rows, func(a, b ModelDayUsage) int {
		return cmp.Or(a.Day.Compare(b.Day), cmp.Compare(b.Total(), a.Total()), strings.Compare(a.Model, b.Model))
	})
}

// SortCategories orders rows as UsageByCategory returns them: by
// category, then largest total first, then model.
func SortCategories(rows []CategoryUsage) {
	slices.SortFunc(rows, func(a, b CategoryUsage) int {
		return cmp.Or(strings.Compare(a.Category, b.Category), cmp.Compare(b.Total(), a.Total()), strings.Compare(a.Model, b.Model))
	})
}

// Tokens are usage sums. Total is Prompt + Completion (completion tokens
// include reasoning tokens, as upstreams count them).
type Tokens struct {
	Requests, Errors              int64
	Prompt, Completion, Reasoning int64
	Spend                         money.Amount
}

// Total is the tokens rankings order by.
func (t Tokens) Total() int64 { return t.Prompt + t.Completion }

// Add adds u to t.
func (t *Tokens) Add(u Tokens) {
	t.Requests += u.Requests
	t.Errors += u.Errors
	t.Prompt += u.Prompt
	t.Completion += u.Completion
	t.Reasoning += u.Reasoning
	t.Spend += u.Spend
}

// ModelUsage is one model's usage over a period.
type ModelUsage struct {
	Model string
	Tokens
}

// ModelDayUsage is one model's usage on one UTC day.
type ModelDayUsage struct {
	Day   time.Time
	Model string
	Tokens
}

// AppUsage is one app's public usage over a period.
type AppUsage struct {
	App, Title string
	Tokens
}

// CategoryUsage is one model's usage for one task category over a period.
type CategoryUsage struct {
	Category, Model string
	Tokens
}

// UsageKey is what a rollup row of usage_hourly is keyed by.
type UsageKey struct {
	Hour      time.Time // UTC, truncated to the hour
	AccountID int64
	KeyHash   string
	Model     string
	Provider  string // '' when no provider served the request
	App       string // see AppOf
	Category  string
	Private   bool
}

// UsageRow is a rollup row: its key, the app's title, and its sums.
type UsageRow struct {
	UsageKey
	AppTitle     string
	LatencyMs    int64 // sum of time to first token
	GenerationMs int64 // sum of generation times
	Tokens
}

// Merge adds u, a later row of the same key, to r: its sums, and its app
// title when it has one.
func (r *UsageRow) Merge(u UsageRow) {
	r.Tokens.Add(u.Tokens)
	r.LatencyMs += u.LatencyMs
	r.GenerationMs += u.GenerationMs
	r.AppTitle = cmp.Or(u.AppTitle, r.AppTitle)
}

// AppOf is how rollups name the app of a request: its HTTP-Referer, or
// its title when it sent none.
func AppOf(referer, title string) string {
	if referer != "" {
		return referer
	}
	return title
}

// Failed reports whether g counts as an error in the rollups: any status
// but 200, or a generation that ended in an error.
func (g Generation) Failed() bool { return g.Status != 200 || g.FinishReason == "error" }

// UsageOf is one generation's contribution to the rollups.
func UsageOf(g Generation) UsageRow {
	r := UsageRow{
		UsageKey: UsageKey{
			Hour: g.CreatedAt.UTC().Truncate(time.Hour), AccountID: g.AccountID, KeyHash: g.KeyHash,
			Model: g.Model, Provider: g.ProviderSlug, App: AppOf(g.HTTPReferer, g.AppTitle),
			Category: g.Category, Private: g.AppPrivate,
		},
		AppTitle: g.AppTitle, LatencyMs: g.LatencyMs, GenerationMs: g.GenerationTimeMs,
		Tokens: Tokens{Requests: 1, Prompt: int64(g.PromptTokens), Completion: int64(g.CompletionTokens),
			Reasoning: int64(g.ReasoningTokens), Spend: g.Cost},
	}
	if g.Failed() {
		r.Errors = 1
	}
	return r
}

// Day truncates t to its UTC day.
func Day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// UsageMaintainer is implemented by stores whose rollups need upkeep
// after a bulk load (usage generate, usage rebuild) to be read at full
// speed at once rather than after the database's own background upkeep.
type UsageMaintainer interface {
	MaintainUsage(ctx context.Context) error
}
