package api

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard-dev/switchyard/internal/apierr"
	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/classify"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// datasetVersion is the version the datasets' meta reports.
const datasetVersion = "1"

// topModelsPerDay is how many models each day of rankings-daily lists
// before its "other" row, as OpenRouter's does.
const topModelsPerDay = 50

// GET /datasets/rankings-daily[?days=N][&date=D][&category=C]: per UTC day,
// the top 50 models by prompt + completion tokens and one "other" row for
// the rest, in OpenRouter's shape ({date, model_permaslug, total_tokens as
// a string}, meta {as_of, start_date, end_date, version}). It covers the
// N days (default 30, at most 366) ending on date (default today).
func (s *Server) datasetRankingsDaily(w http.ResponseWriter, r *http.Request) error {
	rq, err := s.parseRanking(r, 0, 1)
	if err != nil {
		return err
	}
	days := 30
	if d := r.URL.Query().Get("days"); d != "" {
		if days, err = strconv.Atoi(d); err != nil || days < 1 || days > 366 {
			return invalid("days must be between 1 and 366")
		}
	}
	from := rq.end.AddDate(0, 0, -days)
	rows, err := s.store.UsageByModelDay(r.Context(), store.UsageQuery{From: from, To: rq.end, Category: rq.category})
	if err != nil {
		return apierr.Wrap(apierr.Internal, err, "internal error while reading usage")
	}
	type row struct {
		Date           string `json:"date"`
		ModelPermaslug string `json:"model_permaslug"`
		TotalTokens    string `json:"total_tokens"`
	}
	out := []row{}
	// rows are by day, then by tokens: the first 50 of each day are its top.
	for i := 0; i < len(rows); {
		j := i
		for j < len(rows) && rows[j].Day.Equal(rows[i].Day) {
			j++
		}
		date := rows[i].Day.Format(time.DateOnly)
		var other int64
		for k, m := range rows[i:j] {
			if k < topModelsPerDay {
				out = append(out, row{date, s.permaslug(m.Model), strconv.FormatInt(m.Total(), 10)})
			} else {
				other += m.Total()
			}
		}
		if j-i > topModelsPerDay {
			out = append(out, row{date, "other", strconv.FormatInt(other, 10)})
		}
		i = j
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out, "meta": map[string]any{
		"as_of": s.now().UTC().Format(time.RFC3339), "start_date": from.Format(time.DateOnly),
		"end_date": rq.end.AddDate(0, 0, -1).Format(time.DateOnly), "version": datasetVersion,
	}})
	return nil
}

// GET /datasets/app-rankings[?sort=popular|trending][&period=P][&category=C][&limit=N]:
// the top public apps, {app_id, app_name, rank, total_requests,
// total_tokens}. popular ranks by tokens in the period; trending by
// tokens in the period minus the average of the three periods before.
func (s *Server) datasetAppRankings(w http.ResponseWriter, r *http.Request) error {
	rq, err := s.parseRanking(r, 50, 100)
	if err != nil {
		return err
	}
	sort := cmp.Or(r.URL.Query().Get("sort"), "popular")
	if sort != "popular" && sort != "trending" {
		return invalid("sort must be popular or trending")
	}
	cur, err := s.publicApps(r.Context(), rq.usage(rq.window(0)))
	if err != nil {
		return err
	}
	score := func(a store.AppUsage) int64 { return a.Total() }
	if sort == "trending" {
		before, err := baseline(rq, func(q store.UsageQuery) ([]store.AppUsage, error) { return s.publicApps(r.Context(), q) },
			func(a store.AppUsage) string { return a.App })
		if err != nil {
			return err
		}
		score = func(a store.AppUsage) int64 { return a.Total() - before[a.App] }
		slices.SortStableFunc(cur, func(a, b store.AppUsage) int {
			return cmp.Or(cmp.Compare(score(b), score(a)), strings.Compare(a.App, b.App))
		})
	}
	type row struct {
		AppID         string `json:"app_id"`
		AppName       string `json:"app_name"`
		Rank          int    `json:"rank"`
		TotalRequests int64  `json:"total_requests"`
		TotalTokens   int64  `json:"total_tokens"`
		Score         int64  `json:"score"` // tokens (popular) or growth in tokens (trending)
	}
	out := []row{}
	for i, a := range cur[:min(len(cur), rq.limit)] {
		out = append(out, row{AppID: a.App, AppName: appName(a), Rank: i + 1, TotalRequests: a.Requests,
			TotalTokens: a.Total(), Score: score(a)})
	}
	meta := rankingMeta(rq, rq.window(0))
	meta["sort"] = sort
	writeJSON(w, http.StatusOK, map[string]any{"data": out, "meta": meta})
	return nil
}

// macroCategories groups the task categories as OpenRouter's
// classifications do (code, data, agent, general).
var macroCategories = map[string]string{
	"programming": "code", "technology": "code",
	"science": "data", "academia": "data", "finance": "data",
}

// GET /classifications/task[?date=D]: each task category's share of the
// requests and tokens of the trailing 7 days, with the models used for
// it and their shares of the category, plus the macro categories.
func (s *Server) classificationsTask(w http.ResponseWriter, r *http.Request) error {
	rq, err := s.parseRanking(r, 0, 1)
	if err != nil {
		return err
	}
	rq.days, rq.period, rq.category = 7, "week", ""
	cur := rq.window(0)
	q := rq.usage(cur)
	for _, c := range classify.Categories {
		q.Categories = append(q.Categories, string(c))
	}
	rows, err := s.store.UsageByCategory(r.Context(), q)
	if err != nil {
		return apierr.Wrap(apierr.Internal, err, "internal error while reading usage")
	}
	type modelShare struct {
		ID            string  `json:"id"`
		TagUsageShare float64 `json:"tag_usage_share"`
		TagTokenShare float64 `json:"tag_token_share"`
	}
	type item struct {
		Tag           string       `json:"tag"`
		DisplayName   string       `json:"display_name"`
		UsageShare    float64      `json:"usage_share"`
		TokenShare    float64      `json:"token_share"`
		MacroCategory string       `json:"macro_category"`
		Models        []modelShare `json:"models"`
		requests      int64
		tokens        int64
	}
	var allRequests, allTokens int64
	byTag := map[string]*item{}
	for _, c := range rows {
		if c.Category == "" {
			continue // not classified
		}
		it := byTag[c.Category]
		if it == nil {
			it = &item{Tag: c.Category, DisplayName: classify.Category(c.Category).DisplayName(),
				MacroCategory: cmp.Or(macroCategories[c.Category], "general")}
			byTag[c.Category] = it
		}
		it.requests += c.Requests
		it.tokens += c.Total()
		allRequests += c.Requests
		allTokens += c.Total()
	}
	for _, c := range rows {
		if it := byTag[c.Category]; it != nil {
			it.Models = append(it.Models, modelShare{ID: s.permaslug(c.Model),
				TagUsageShare: share(c.Requests, it.requests), TagTokenShare: share(c.Total(), it.tokens)})
		}
	}
	items := make([]item, 0, len(byTag))
	macro := map[string][2]int64{}
	for _, it := range byTag {
		it.UsageShare, it.TokenShare = share(it.requests, allRequests), share(it.tokens, allTokens)
		m := macro[it.MacroCategory]
		macro[it.MacroCategory] = [2]int64{m[0] + it.requests, m[1] + it.tokens}
		items = append(items, *it)
	}
	slices.SortFunc(items, func(a, b item) int {
		return cmp.Or(cmp.Compare(b.TokenShare, a.TokenShare), strings.Compare(a.Tag, b.Tag))
	})
	type macroJSON struct {
		MacroCategory string  `json:"macro_category"`
		UsageShare    float64 `json:"usage_share"`
		TokenShare    float64 `json:"token_share"`
	}
	macros := []macroJSON{}
	for name, m := range macro {
		macros = append(macros, macroJSON{name, share(m[0], allRequests), share(m[1], allTokens)})
	}
	slices.SortFunc(macros, func(a, b macroJSON) int {
		return cmp.Or(cmp.Compare(b.TokenShare, a.TokenShare), strings.Compare(a.MacroCategory, b.MacroCategory))
	})
	meta := rankingMeta(rq, cur)
	meta["categories"] = classify.Categories
	writeJSON(w, http.StatusOK, map[string]any{"data": items, "macro_categories": macros, "meta": meta})
	return nil
}

// GET /models/{author}/{slug}/activity[?days=N]: the model's daily prompt,
// completion and reasoning tokens over the N days ending today (default
// 30), the public apps using it most, and, when its endpoints price by
// time of day, the UTC hours when it is cheapest.
func (s *Server) modelActivity(w http.ResponseWriter, r *http.Request, m *catalog.Model) error {
	if err := s.rankingsAllowed(r); err != nil {
		return err
	}
	days := 30
	if d := r.URL.Query().Get("days"); d != "" {
		var err error
		if days, err = strconv.Atoi(d); err != nil || days < 1 || days > 366 {
			return invalid("days must be between 1 and 366")
		}
	}
	to := store.Day(s.now()).AddDate(0, 0, 1)
	q := store.UsageQuery{From: to.AddDate(0, 0, -days), To: to, Model: m.ID}
	rows, err := s.store.UsageByModelDay(r.Context(), q)
	if err != nil {
		return apierr.Wrap(apierr.Internal, err, "internal error while reading usage")
	}
	type dayJSON struct {
		Date             string `json:"date"`
		PromptTokens     int64  `json:"prompt_tokens"`
		CompletionTokens int64  `json:"completion_tokens"`
		ReasoningTokens  int64  `json:"reasoning_tokens"`
		Requests         int64  `json:"requests"`
	}
	byDay := map[string]store.Tokens{}
	for _, d := range rows {
		byDay[d.Day.Format(time.DateOnly)] = d.Tokens
	}
	series := make([]dayJSON, 0, days)
	for day := q.From; day.Before(q.To); day = day.AddDate(0, 0, 1) {
		date := day.Format(time.DateOnly)
		t := byDay[date]
		series = append(series, dayJSON{date, t.Prompt, t.Completion, t.Reasoning, t.Requests})
	}
	apps, err := s.publicApps(r.Context(), q)
	if err != nil {
		return err
	}
	type appJSON struct {
		Name   string `json:"name"`
		URL    string `json:"url"`
		Tokens int64  `json:"tokens"`
	}
	topApps := []appJSON{}
	for _, a := range apps[:min(len(apps), 20)] {
		u := ""
		if strings.HasPrefix(a.App, "http://") || strings.HasPrefix(a.App, "https://") {
			u = a.App
		}
		topApps = append(topApps, appJSON{Name: appName(a), URL: u, Tokens: a.Total()})
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
		"id": m.ID, "days": series, "apps": topApps, "cheapest_hours": cheapestHours(m, to),
	}})
	return nil
}

// hourPriceJSON is a UTC hour's lowest price of a model.
type hourPriceJSON struct {
	Hour            int    `json:"hour"` // 0–23, UTC
	PromptPrice     string `json:"prompt_price_per_million"`
	CompletionPrice string `json:"completion_price_per_million"`
}

// cheapestHours lists the UTC hours, cheapest first, of a model whose
// endpoints have time-of-day prices; none when no price varies by hour.
// Each hour's price is its cheapest endpoint's then (prompt +
// completion), at a day's prices (overrides by prompt size aside).
func cheapestHours(m *catalog.Model, day time.Time) []hourPriceJSON {
	varies := false
	for _, e := range m.Endpoints {
		for _, o := range e.Pricing.Overrides {
			varies = varies || o.UTCStart != "" || o.UTCEnd != ""
		}
	}
	if !varies {
		return []hourPriceJSON{}
	}
	type hour struct {
		h int
		p catalog.Pricing
	}
	var hours []hour
	for h := range 24 {
		at := day.Add(time.Duration(h)*time.Hour + 30*time.Minute)
		var best catalog.Pricing
		for i, e := range m.Endpoints {
			p := e.Pricing.At(at, 0)
			if i == 0 || p.Prompt+p.Completion < best.Prompt+best.Completion {
				best = p
			}
		}
		hours = append(hours, hour{h, best})
	}
	slices.SortStableFunc(hours, func(a, b hour) int {
		return cmp.Compare(a.p.Prompt+a.p.Completion, b.p.Prompt+b.p.Completion)
	})
	out := make([]hourPriceJSON, len(hours))
	for i, h := range hours {
		out[i] = hourPriceJSON{h.h, h.p.Prompt.PerMillion(), h.p.Completion.PerMillion()}
	}
	return out
}
