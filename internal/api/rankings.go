package api

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard-dev/switchyard/internal/apierr"
	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/health"
	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// Rankings configures the rankings and datasets endpoints.
type Rankings struct {
	// Public serves them to anyone; otherwise they need a management key.
	Public bool
	// HiddenApps are apps (HTTP-Referer, or title) the operator keeps out
	// of public app rankings. Their tokens still count for their models.
	HiddenApps []string
}

func (s *Server) rankingRoutes(mux *http.ServeMux) {
	for _, prefix := range []string{"/api/v1", "/v1"} {
		mux.Handle("GET "+prefix+"/rankings/models", s.handle(s.rankModels))
		mux.Handle("GET "+prefix+"/rankings/trending", s.handle(s.rankTrending))
		mux.Handle("GET "+prefix+"/rankings/authors", s.handle(s.rankAuthors))
		mux.Handle("GET "+prefix+"/rankings/apps", s.handle(s.rankApps))
		mux.Handle("GET "+prefix+"/rankings/providers", s.handle(s.rankProviders))
		mux.Handle("GET "+prefix+"/rankings/value", s.handle(s.rankValue))
		mux.Handle("GET "+prefix+"/datasets/rankings-daily", s.handle(s.datasetRankingsDaily))
		mux.Handle("GET "+prefix+"/datasets/app-rankings", s.handle(s.datasetAppRankings))
		mux.Handle("GET "+prefix+"/classifications/task", s.handle(s.classificationsTask))
	}
}

// rankingsAllowed lets a request through when the rankings are public or
// it carries a management key.
func (s *Server) rankingsAllowed(r *http.Request) error {
	if s.rankings.Public {
		return nil
	}
	_, err := s.manage(r)
	return err
}

// window is a ranking period: the UTC days [From, To).
type window struct{ From, To time.Time }

// periods are the lengths in days of the ranking periods.
var periods = map[string]int{"day": 1, "week": 7, "month": 30}

// rankingQuery is what every ranking endpoint reads from its query string:
// the period (day, week or month; default week), the day it ends on
// (date=YYYY-MM-DD, inclusive; default today, UTC), a category, a limit.
type rankingQuery struct {
	period   string
	days     int
	end      time.Time // the exclusive end: the day after the last
	category string
	limit    int
}

func (s *Server) parseRanking(r *http.Request, defaultLimit, maxLimit int) (rankingQuery, error) {
	if err := s.rankingsAllowed(r); err != nil {
		return rankingQuery{}, err
	}
	q := r.URL.Query()
	rq := rankingQuery{period: cmp.Or(q.Get("period"), "week"), category: q.Get("category"), limit: defaultLimit}
	var ok bool
	if rq.days, ok = periods[rq.period]; !ok {
		return rq, invalid("period must be day, week or month")
	}
	rq.end = store.Day(s.now()).AddDate(0, 0, 1)
	if d := q.Get("date"); d != "" {
		t, err := time.Parse(time.DateOnly, d)
		if err != nil {
			return rq, invalid("date must be YYYY-MM-DD")
		}
		rq.end = t.AddDate(0, 0, 1)
	}
	if rq.category != "" && !validCategory(rq.category) {
		return rq, invalid("unknown category %q; see GET /api/v1/classifications/task for the categories", rq.category)
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxLimit {
			return rq, invalid("limit must be between 1 and %d", maxLimit)
		}
		rq.limit = n
	}
	return rq, nil
}

func invalid(format string, args ...any) error {
	return apierr.New(apierr.InvalidRequest, format, args...).With("error_type", "invalid_request")
}

// window returns the period ending at rq.end, or the one ago periods
// before it.
func (rq rankingQuery) window(ago int) window {
	to := rq.end.AddDate(0, 0, -ago*rq.days)
	return window{From: to.AddDate(0, 0, -rq.days), To: to}
}

func (rq rankingQuery) usage(w window) store.UsageQuery {
	return store.UsageQuery{From: w.From, To: w.To, Category: rq.category}
}

// rankingMeta describes the window a ranking covers.
func rankingMeta(rq rankingQuery, w window) map[string]any {
	return map[string]any{
		"period": rq.period, "category": nullable(rq.category),
		"from": w.From.Format(time.DateOnly), "to": w.To.AddDate(0, 0, -1).Format(time.DateOnly),
	}
}

// share is part/total, 0 when total is 0. Shares are ratios of token
// counts, not money.
func share(part, total int64) float64 {
	if total == 0 {
		return 0
	}
	return float64(part) / float64(total)
}

// change is (now − before) / before, nil when there was nothing before.
func change(now, before int64) *float64 {
	if before == 0 {
		return nil
	}
	c := float64(now-before) / float64(before)
	return &c
}

func (s *Server) usageByModel(ctx context.Context, q store.UsageQuery) (map[string]store.ModelUsage, []store.ModelUsage, int64, error) {
	rows, err := s.store.UsageByModel(ctx, q)
	if err != nil {
		return nil, nil, 0, apierr.Wrap(apierr.Internal, err, "internal error while reading usage")
	}
	by := make(map[string]store.ModelUsage, len(rows))
	var total int64
	for _, m := range rows {
		by[m.Model] = m
		total += m.Total()
	}
	return by, rows, total, nil
}

// modelRankJSON is one row of GET /rankings/models.
type modelRankJSON struct {
	Rank             int      `json:"rank"`
	Model            string   `json:"model"`
	Name             string   `json:"name"`
	Author           string   `json:"author"`
	TotalTokens      int64    `json:"total_tokens"`
	PromptTokens     int64    `json:"prompt_tokens"`
	CompletionTokens int64    `json:"completion_tokens"`
	ReasoningTokens  int64    `json:"reasoning_tokens"`
	Requests         int64    `json:"requests"`
	Share            float64  `json:"share"`
	Change           *float64 `json:"change"`
}

// GET /rankings/models: the top models by tokens over the period, with
// their share of all tokens and the change since the previous period.
func (s *Server) rankModels(w http.ResponseWriter, r *http.Request) error {
	rq, err := s.parseRanking(r, 50, 500)
	if err != nil {
		return err
	}
	cur := rq.window(0)
	_, rows, total, err := s.usageByModel(r.Context(), rq.usage(cur))
	if err != nil {
		return err
	}
	prev, _, _, err := s.usageByModel(r.Context(), rq.usage(rq.window(1)))
	if err != nil {
		return err
	}
	out := make([]modelRankJSON, 0, min(len(rows), rq.limit))
	for i, m := range rows[:min(len(rows), rq.limit)] {
		out = append(out, modelRankJSON{
			Rank: i + 1, Model: m.Model, Name: s.modelName(m.Model), Author: author(m.Model),
			TotalTokens: m.Total(), PromptTokens: m.Prompt, CompletionTokens: m.Completion,
			ReasoningTokens: m.Reasoning, Requests: m.Requests,
			Share: share(m.Total(), total), Change: change(m.Total(), prev[m.Model].Total()),
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out, "meta": rankingMeta(rq, cur)})
	return nil
}

// GET /rankings/trending: models by growth: their tokens in the period
// minus the average of the three periods before it.
func (s *Server) rankTrending(w http.ResponseWriter, r *http.Request) error {
	rq, err := s.parseRanking(r, 20, 500)
	if err != nil {
		return err
	}
	cur := rq.window(0)
	_, rows, _, err := s.usageByModel(r.Context(), rq.usage(cur))
	if err != nil {
		return err
	}
	before, err := baseline(rq, func(q store.UsageQuery) ([]store.ModelUsage, error) { return s.store.UsageByModel(r.Context(), q) },
		func(m store.ModelUsage) string { return m.Model })
	if err != nil {
		return err
	}
	type trend struct {
		Model        string   `json:"model"`
		Name         string   `json:"name"`
		Author       string   `json:"author"`
		TotalTokens  int64    `json:"total_tokens"`
		BaseTokens   int64    `json:"baseline_tokens"` // the average of the three previous periods, rounded down
		GrowthTokens int64    `json:"growth_tokens"`
		Growth       *float64 `json:"growth"` // growth_tokens / baseline_tokens; null for a model new in the period
		Rank         int      `json:"rank"`
	}
	var out []trend
	for _, m := range rows {
		base := before[m.Model]
		out = append(out, trend{Model: m.Model, Name: s.modelName(m.Model), Author: author(m.Model),
			TotalTokens: m.Total(), BaseTokens: base, GrowthTokens: m.Total() - base,
			Growth: change(m.Total(), base)})
	}
	slices.SortStableFunc(out, func(a, b trend) int {
		return cmp.Or(cmp.Compare(b.GrowthTokens, a.GrowthTokens), strings.Compare(a.Model, b.Model))
	})
	out = out[:min(len(out), rq.limit)]
	for i := range out {
		out[i].Rank = i + 1
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": orEmpty(out), "meta": rankingMeta(rq, cur)})
	return nil
}

// baseline is, by key, the average of the totals of the three periods
// before rq's (rounded down): what trends are measured against.
func baseline[T interface{ Total() int64 }](rq rankingQuery, read func(store.UsageQuery) ([]T, error), key func(T) string) (map[string]int64, error) {
	sum := map[string]int64{}
	for ago := 1; ago <= 3; ago++ {
		rows, err := read(rq.usage(rq.window(ago)))
		if err != nil {
			return nil, apierr.Wrap(apierr.Internal, err, "internal error while reading usage")
		}
		for _, r := range rows {
			sum[key(r)] += r.Total()
		}
	}
	for k := range sum {
		sum[k] /= 3
	}
	return sum, nil
}

// GET /rankings/authors: each author's share of the period's tokens, and
// per day.
func (s *Server) rankAuthors(w http.ResponseWriter, r *http.Request) error {
	rq, err := s.parseRanking(r, 20, 500)
	if err != nil {
		return err
	}
	cur := rq.window(0)
	days, err := s.store.UsageByModelDay(r.Context(), rq.usage(cur))
	if err != nil {
		return apierr.Wrap(apierr.Internal, err, "internal error while reading usage")
	}
	type point struct {
		Date   string `json:"date"`
		Author string `json:"author"`
		Tokens int64  `json:"tokens"`
	}
	totals := map[string]int64{}
	perDay := map[[2]string]int64{}
	var total int64
	for _, d := range days {
		a := author(d.Model)
		totals[a] += d.Total()
		perDay[[2]string{d.Day.Format(time.DateOnly), a}] += d.Total()
		total += d.Total()
	}
	type authorJSON struct {
		Author      string  `json:"author"`
		TotalTokens int64   `json:"total_tokens"`
		Share       float64 `json:"share"`
	}
	authors := make([]authorJSON, 0, len(totals))
	for a, t := range totals {
		authors = append(authors, authorJSON{Author: a, TotalTokens: t, Share: share(t, total)})
	}
	slices.SortFunc(authors, func(x, y authorJSON) int {
		return cmp.Or(cmp.Compare(y.TotalTokens, x.TotalTokens), strings.Compare(x.Author, y.Author))
	})
	authors = authors[:min(len(authors), rq.limit)]
	series := []point{}
	for day := cur.From; day.Before(cur.To); day = day.AddDate(0, 0, 1) {
		for _, a := range authors {
			date := day.Format(time.DateOnly)
			series = append(series, point{Date: date, Author: a.Author, Tokens: perDay[[2]string{date, a.Author}]})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"data": map[string]any{"authors": authors, "series": series}, "meta": rankingMeta(rq, cur),
	})
	return nil
}

// publicApps is the app usage of q without the apps the operator hides.
func (s *Server) publicApps(ctx context.Context, q store.UsageQuery) ([]store.AppUsage, error) {
	apps, err := s.store.UsageByApp(ctx, q)
	if err != nil {
		return nil, apierr.Wrap(apierr.Internal, err, "internal error while reading usage")
	}
	return slices.DeleteFunc(apps, func(a store.AppUsage) bool { return slices.Contains(s.rankings.HiddenApps, a.App) }), nil
}

// appName is how an app is shown: its title, else its URL.
func appName(a store.AppUsage) string { return cmp.Or(a.Title, a.App) }

// GET /rankings/apps: the top public apps by tokens over the period.
func (s *Server) rankApps(w http.ResponseWriter, r *http.Request) error {
	rq, err := s.parseRanking(r, 20, 500)
	if err != nil {
		return err
	}
	cur := rq.window(0)
	apps, err := s.publicApps(r.Context(), rq.usage(cur))
	if err != nil {
		return err
	}
	var total int64
	for _, a := range apps {
		total += a.Total()
	}
	type appJSON struct {
		Rank        int     `json:"rank"`
		App         string  `json:"app"`
		Name        string  `json:"name"`
		TotalTokens int64   `json:"total_tokens"`
		Requests    int64   `json:"requests"`
		Share       float64 `json:"share"`
	}
	out := []appJSON{}
	for i, a := range apps[:min(len(apps), rq.limit)] {
		out = append(out, appJSON{Rank: i + 1, App: a.App, Name: appName(a), TotalTokens: a.Total(),
			Requests: a.Requests, Share: share(a.Total(), total)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out, "meta": rankingMeta(rq, cur)})
	return nil
}

// GET /rankings/providers: the providers' live health: uptime over the
// last day, median latency and throughput over 5 minutes, across their
// endpoints; best uptime first, then lowest latency.
func (s *Server) rankProviders(w http.ResponseWriter, r *http.Request) error {
	if err := s.rankingsAllowed(r); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": s.providerHealth()})
	return nil
}

// providerHealthJSON is one row of GET /rankings/providers.
type providerHealthJSON struct {
	Rank          int      `json:"rank"`
	Provider      string   `json:"provider"`
	Name          string   `json:"name"`
	Endpoints     int      `json:"endpoints"`
	Requests1d    int64    `json:"requests_1d"`
	Uptime1d      *float64 `json:"uptime_1d"`      // null without requests
	LatencyP50Ms  *float64 `json:"latency_p50_ms"` // median over endpoints of their 5-minute medians
	ThroughputP50 *float64 `json:"throughput_p50"` // tokens per second, likewise
	OpenBreakers  int      `json:"open_breakers"`  // endpoints refusing traffic now
}

// providerHealth ranks the providers by their endpoints' live health.
func (s *Server) providerHealth() []providerHealthJSON {
	type acc struct {
		ok, requests        float64
		latency, throughput []float64
		endpoints, open     int
	}
	by := map[string]*acc{}
	if h := s.router.Health(); h != nil {
		h.Each(func(provider, model string, e *health.Endpoint) {
			if m := s.cat.Model(model); m != nil && m.Stealth {
				return // would tell which provider serves it
			}
			a := by[provider]
			if a == nil {
				a = new(acc)
				by[provider] = a
			}
			st := e.Stats()
			a.endpoints++
			a.requests += float64(st.Requests1d)
			a.ok += st.Uptime1d * float64(st.Requests1d)
			if st.Latency5m.Count > 0 {
				a.latency = append(a.latency, st.Latency5m.P50)
			}
			if st.Throughput5m.Count > 0 {
				a.throughput = append(a.throughput, st.Throughput5m.P50)
			}
			if st.Breaker == health.BreakerOpen {
				a.open++
			}
		})
	}
	out := []providerHealthJSON{}
	for slug, a := range by {
		p := providerHealthJSON{Provider: slug, Name: slug, Endpoints: a.endpoints, Requests1d: int64(a.requests),
			LatencyP50Ms: median(a.latency), ThroughputP50: median(a.throughput), OpenBreakers: a.open}
		if cp := s.cat.Provider(slug); cp != nil {
			p.Name = cp.Name
		}
		if a.requests > 0 {
			u := a.ok / a.requests
			p.Uptime1d = &u
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b providerHealthJSON) int {
		return cmp.Or(-cmpOptional(a.Uptime1d, b.Uptime1d), cmpOptional(a.LatencyP50Ms, b.LatencyP50Ms),
			strings.Compare(a.Provider, b.Provider))
	})
	for i := range out {
		out[i].Rank = i + 1
	}
	return out
}

// cmpOptional compares two optional figures, a missing one as the worst.
func cmpOptional(a, b *float64) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return cmp.Compare(*a, *b)
}

// median is the median of xs, nil when empty.
func median(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	slices.Sort(xs)
	m := xs[len(xs)/2]
	if len(xs)%2 == 0 {
		m = (xs[len(xs)/2-1] + m) / 2
	}
	return &m
}

// GET /rankings/value: models by tokens share against price: their share
// of the period's tokens per dollar of a million tokens at their blended
// price (the mean of prompt and completion prices at their cheapest
// endpoint). Free models have no price to weigh: they come last, by
// share, with value null.
func (s *Server) rankValue(w http.ResponseWriter, r *http.Request) error {
	rq, err := s.parseRanking(r, 50, 500)
	if err != nil {
		return err
	}
	cur := rq.window(0)
	_, rows, total, err := s.usageByModel(r.Context(), rq.usage(cur))
	if err != nil {
		return err
	}
	type valueJSON struct {
		Model           string   `json:"model"`
		Name            string   `json:"name"`
		TotalTokens     int64    `json:"total_tokens"`
		Share           float64  `json:"share"`
		PromptPrice     string   `json:"prompt_price_per_million"`
		CompletionPrice string   `json:"completion_price_per_million"`
		BlendedPrice    string   `json:"blended_price_per_million"`
		Value           *float64 `json:"value"` // share per dollar of blended price; null for free models
		Rank            int      `json:"rank"`
	}
	out := []valueJSON{}
	for _, m := range rows {
		model := s.cat.Model(m.Model)
		if model == nil {
			continue // no longer in the catalog: no price to weigh
		}
		p := cheapest(model)
		blended := (p.Prompt + p.Completion) / 2
		v := valueJSON{Model: m.Model, Name: model.Name, TotalTokens: m.Total(), Share: share(m.Total(), total),
			PromptPrice: p.Prompt.PerMillion(), CompletionPrice: p.Completion.PerMillion(), BlendedPrice: blended.PerMillion()}
		if usd := blendedUSD(blended); usd > 0 {
			x := v.Share / usd
			v.Value = &x
		}
		out = append(out, v)
	}
	slices.SortStableFunc(out, func(a, b valueJSON) int {
		switch {
		case a.Value == nil && b.Value == nil:
			return cmp.Compare(b.Share, a.Share)
		case a.Value == nil:
			return 1
		case b.Value == nil:
			return -1
		}
		return cmp.Compare(*b.Value, *a.Value)
	})
	out = out[:min(len(out), rq.limit)]
	for i := range out {
		out[i].Rank = i + 1
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out, "meta": rankingMeta(rq, cur)})
	return nil
}

// cheapest is the list price of the model's endpoint with the lowest
// prompt + completion price.
func cheapest(m *catalog.Model) catalog.Pricing {
	var best catalog.Pricing
	for i, e := range m.Endpoints {
		if i == 0 || e.Pricing.Prompt+e.Pricing.Completion < best.Prompt+best.Completion {
			best = e.Pricing
		}
	}
	return best
}

// blendedUSD is a per-token rate as USD per million tokens, for the value
// ratio (a ranking score, not money).
func blendedUSD(r money.Rate) float64 { return float64(r) * 1e6 / 1e15 }

// modelName is the catalog's name for a model, or its id.
func (s *Server) modelName(id string) string {
	if m := s.cat.Model(id); m != nil {
		return m.Name
	}
	return id
}

// author is the part of a model id before its slash.
func author(model string) string {
	if a, _, ok := strings.Cut(model, "/"); ok {
		return a
	}
	return model
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
