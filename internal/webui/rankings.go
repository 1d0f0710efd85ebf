package webui

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// rankingsTopModels is how many models the models-over-time chart shows
// before "Other".
const rankingsTopModels = 8

// Rows of the rankings APIs, as the page shows them.
type (
	rankModel struct {
		Rank        int      `json:"rank"`
		Model       string   `json:"model"`
		Name        string   `json:"name"`
		Author      string   `json:"author"`
		TotalTokens int64    `json:"total_tokens"`
		Requests    int64    `json:"requests"`
		Share       float64  `json:"share"`
		Change      *float64 `json:"change"`
	}
	rankTrend struct {
		Rank         int      `json:"rank"`
		Model        string   `json:"model"`
		Name         string   `json:"name"`
		TotalTokens  int64    `json:"total_tokens"`
		BaseTokens   int64    `json:"baseline_tokens"`
		GrowthTokens int64    `json:"growth_tokens"`
		Growth       *float64 `json:"growth"`
	}
	rankAuthor struct {
		Author      string  `json:"author"`
		TotalTokens int64   `json:"total_tokens"`
		Share       float64 `json:"share"`
	}
	rankApp struct {
		Rank        int     `json:"rank"`
		App         string  `json:"app"`
		Name        string  `json:"name"`
		TotalTokens int64   `json:"total_tokens"`
		Requests    int64   `json:"requests"`
		Share       float64 `json:"share"`
	}
	rankProvider struct {
		Rank          int      `json:"rank"`
		Provider      string   `json:"provider"`
		Name          string   `json:"name"`
		Endpoints     int      `json:"endpoints"`
		Requests1d    int64    `json:"requests_1d"`
		Uptime1d      *float64 `json:"uptime_1d"`
		LatencyP50Ms  *float64 `json:"latency_p50_ms"`
		ThroughputP50 *float64 `json:"throughput_p50"`
		OpenBreakers  int      `json:"open_breakers"`
	}
	rankValue struct {
		Rank         int      `json:"rank"`
		Model        string   `json:"model"`
		Name         string   `json:"name"`
		TotalTokens  int64    `json:"total_tokens"`
		Share        float64  `json:"share"`
		BlendedPrice string   `json:"blended_price_per_million"`
		Value        *float64 `json:"value"`
	}
	rankCategory struct {
		Tag           string  `json:"tag"`
		DisplayName   string  `json:"display_name"`
		UsageShare    float64 `json:"usage_share"`
		TokenShare    float64 `json:"token_share"`
		MacroCategory string  `json:"macro_category"`
	}
)

// rankingsData is the rankings page.
type rankingsData struct {
	Period   string
	Periods  []option
	Denied   string // why the rankings cannot be shown
	From, To string

	Models     []rankModel
	Trending   []rankTrend
	Authors    []rankAuthor
	Apps       []rankApp
	Providers  []rankProvider
	Value      []rankValue
	Categories []rankCategory

	OverTime, AuthorChart, CategoryChart, ValueChart chartSpec
}

// GET /rankings: charts and tables from the rankings APIs.
func (u *UI) rankingsPage(w http.ResponseWriter, r *http.Request, s *session) error {
	d := rankingsData{Period: r.URL.Query().Get("period"),
		Periods: []option{{"day", "Day"}, {"week", "Week"}, {"month", "Month"}}}
	if _, ok := map[string]bool{"day": true, "week": true, "month": true}[d.Period]; !ok {
		d.Period = "week"
	}
	q := url.Values{"period": {d.Period}}.Encode()
	var models struct {
		Data []rankModel `json:"data"`
		Meta struct {
			From string `json:"from"`
			To   string `json:"to"`
		} `json:"meta"`
	}
	var ae *apiError
	switch err := u.get(r, s, "/api/v1/rankings/models?"+q, &models); {
	case asAPIError(err, &ae) && (ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden):
		d.Denied = "The rankings on this server are shown to management keys only."
		if s != nil && !s.management {
			d.Denied += " You are signed in with an API key: sign in with a management key to see them."
		}
		u.render(w, r, s, http.StatusOK, "rankings", view{Title: "Rankings", Active: "rankings", Data: d})
		return nil
	case err != nil:
		return err
	}
	d.Models, d.From, d.To = models.Data, models.Meta.From, models.Meta.To
	var (
		trending  struct{ Data []rankTrend }
		apps      struct{ Data []rankApp }
		providers struct{ Data []rankProvider }
		value     struct{ Data []rankValue }
		authors   struct {
			Data struct {
				Authors []rankAuthor `json:"authors"`
			} `json:"data"`
		}
		cats  struct{ Data []rankCategory }
		daily struct {
			Data []struct {
				Date   string `json:"date"`
				Model  string `json:"model_permaslug"`
				Tokens string `json:"total_tokens"`
			} `json:"data"`
			Meta struct {
				Start string `json:"start_date"`
				End   string `json:"end_date"`
			} `json:"meta"`
		}
	)
	for path, out := range map[string]any{
		"/api/v1/rankings/trending?" + q:          &trending,
		"/api/v1/rankings/apps?" + q:              &apps,
		"/api/v1/rankings/providers":              &providers,
		"/api/v1/rankings/value?" + q:             &value,
		"/api/v1/rankings/authors?" + q:           &authors,
		"/api/v1/classifications/task":            &cats,
		"/api/v1/datasets/rankings-daily?days=30": &daily,
	} {
		if err := u.get(r, s, path, out); err != nil {
			return err
		}
	}
	d.Trending, d.Apps, d.Providers, d.Value = trending.Data, apps.Data, providers.Data, value.Data
	d.Authors, d.Categories = authors.Data.Authors, cats.Data

	rows := make([]dayTokens, 0, len(daily.Data))
	ids := u.idsBySlug()
	for _, row := range daily.Data {
		n, _ := strconv.ParseInt(row.Tokens, 10, 64)
		rows = append(rows, dayTokens{row.Date, cmp.Or(ids[row.Model], row.Model), n})
	}
	d.OverTime = overTimeChart(daily.Meta.Start, daily.Meta.End, rows)
	d.AuthorChart = barChart("Share of tokens by author", "Share", d.Authors,
		func(a rankAuthor) (string, float64) { return a.Author, a.Share })
	d.CategoryChart = barChart("Share of tokens by task category", "Token share", d.Categories,
		func(c rankCategory) (string, float64) { return c.DisplayName, c.TokenShare })
	d.ValueChart = valueChart(d.Value)
	v := view{Title: "Rankings", Active: "rankings", Data: d, Scripts: []string{"js/app.js"}}
	if !d.OverTime.Empty() || !d.AuthorChart.Empty() || !d.CategoryChart.Empty() || len(d.ValueChart.X) > 0 {
		v.withCharts() // the template draws those that have data
	}
	u.render(w, r, s, http.StatusOK, "rankings", v)
	return nil
}

// idsBySlug maps the catalog's permaslugs (rankings-daily names models
// by them) to model ids.
func (u *UI) idsBySlug() map[string]string {
	m := map[string]string{}
	if u.cat != nil {
		for _, model := range u.cat.Models() {
			if model.CanonicalSlug != "" {
				m[model.CanonicalSlug] = model.ID
			}
		}
	}
	return m
}

// dayTokens is a model's tokens on a day (rankings-daily).
type dayTokens struct {
	Date, Model string
	Tokens      int64
}

// overTimeChart stacks the tokens of the top models per day from start to
// end (inclusive), the others (and rankings-daily's "other") summed as
// "Other".
func overTimeChart(start, end string, rows []dayTokens) chartSpec {
	c := chartSpec{Kind: "stacked", Title: "Tokens per day by model", YLabel: "tokens"}
	from, err1 := time.Parse(time.DateOnly, start)
	to, err2 := time.Parse(time.DateOnly, end)
	if err1 != nil || err2 != nil || to.Before(from) {
		return c
	}
	totals := map[string]int64{}
	for _, r := range rows {
		totals[r.Model] += r.Tokens
	}
	models := make([]string, 0, len(totals))
	for m := range totals {
		if m != "other" {
			models = append(models, m)
		}
	}
	slices.SortFunc(models, func(a, b string) int { return cmp.Or(cmp.Compare(totals[b], totals[a]), cmp.Compare(a, b)) })
	top := models[:min(len(models), rankingsTopModels)]
	index := map[string]int{}
	for i, m := range top {
		index[m] = i
		c.Series = append(c.Series, chartSeries{Label: m})
	}
	other := len(top)
	c.Series = append(c.Series, chartSeries{Label: "Other"})
	dayIndex := map[string]int{}
	for day := from; !day.After(to); day = day.AddDate(0, 0, 1) {
		dayIndex[day.Format(time.DateOnly)] = len(c.X)
		c.X = append(c.X, float64(day.Unix()))
	}
	for i := range c.Series {
		c.Series[i].Values = make([]float64, len(c.X))
	}
	for _, r := range rows {
		di, ok := dayIndex[r.Date]
		if !ok {
			continue
		}
		si, ok := index[r.Model]
		if !ok {
			si = other
		}
		c.Series[si].Values[di] += float64(r.Tokens)
	}
	return c
}

// barChart is a chart of one bar per row, labelled.
func barChart[T any](title, label string, rows []T, f func(T) (string, float64)) chartSpec {
	c := chartSpec{Kind: "bars", Title: title, YPct: true, Series: []chartSeries{{Label: label}}}
	for i, row := range rows[:min(len(rows), 15)] {
		name, v := f(row)
		c.X = append(c.X, float64(i))
		c.Labels = append(c.Labels, name)
		c.Series[0].Values = append(c.Series[0].Values, v)
	}
	return c
}

// valueChart plots each priced model's blended price against its share of
// tokens. Prices are plotted as floats: a chart's position, not money.
func valueChart(rows []rankValue) chartSpec {
	c := chartSpec{Kind: "scatter", Title: "Share of tokens against blended price ($/M tokens)", XLog: true,
		XLabel: "Model", YPct: true, Series: []chartSeries{{Label: "Share"}}}
	type point struct {
		price, share float64
		name         string
	}
	var pts []point
	for _, v := range rows {
		p, err := strconv.ParseFloat(v.BlendedPrice, 64)
		if err != nil || p <= 0 {
			continue
		}
		pts = append(pts, point{p, v.Share, v.Name})
	}
	slices.SortStableFunc(pts, func(a, b point) int { return cmp.Compare(a.price, b.price) })
	for _, p := range pts {
		c.X = append(c.X, p.price)
		c.Labels = append(c.Labels, p.name)
		c.Series[0].Values = append(c.Series[0].Values, p.share)
	}
	return c
}
