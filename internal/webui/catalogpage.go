package webui

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchyard-dev/switchyard/internal/health"
)

// modelsPerPage is how many models a page of the catalog lists: the whole
// catalog (hundreds of models) in one table takes Chromium hundreds of
// milliseconds to lay out before its first paint.
const modelsPerPage = 50

// modelFilter is the catalog page's query: search, filters, sort and page.
type modelFilter struct {
	Q          string
	Modality   string
	MinContext string
	MaxPrice   string
	Param      string
	Provider   string
	Sort       string
	Page       int // from 1
}

// modelSort is a sort the catalog page offers.
type modelSort struct {
	Value, Label string
	// api is the API's sort; local sorts are done here, over every model
	// that matches the filters, from figures the API's catalog lacks.
	api   string
	local bool
}

// modelSorts are the catalog page's sorts.
var modelSorts = []modelSort{
	{Value: "", Label: "Catalog order"},
	{Value: "price", Label: "Price (low to high)", api: "pricing-low-to-high"},
	{Value: "context", Label: "Context (high to low)", api: "context-high-to-low"},
	{Value: "newest", Label: "Newest", api: "newest"},
	{Value: "used", Label: "Most used", local: true},
	{Value: "throughput", Label: "Throughput (high to low)", local: true},
	{Value: "name", Label: "Name", local: true},
}

// sortNamed returns the sort whose value is v, or the catalog order.
func sortNamed(v string) modelSort {
	for _, s := range modelSorts {
		if s.Value == v {
			return s
		}
	}
	return modelSorts[0]
}

// maxCatalogPage bounds the page a query may ask for (so that its offset
// cannot overflow).
const maxCatalogPage = 1 << 20

// parseModelFilter reads the catalog page's query; an unknown sort is the
// catalog order, a missing or malformed page the first.
func parseModelFilter(q url.Values) modelFilter {
	f := modelFilter{Q: strings.TrimSpace(q.Get("q")), Modality: q.Get("modality"), MinContext: q.Get("min_context"),
		MaxPrice: q.Get("max_price"), Param: q.Get("param"), Provider: q.Get("provider"),
		Sort: sortNamed(q.Get("sort")).Value, Page: 1}
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 1 {
		f.Page = min(n, maxCatalogPage)
	}
	return f
}

// apiQuery is the /api/v1/models query of the filter, without paging.
func (f modelFilter) apiQuery() url.Values {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("q", f.Q)
	set("context", f.MinContext)
	set("max_price", f.MaxPrice)
	set("supported_parameters", f.Param)
	set("providers", f.Provider)
	switch f.Modality {
	case "":
	case "image-output":
		q.Set("output_modalities", "image")
	default:
		q.Set("input_modalities", f.Modality)
		q.Set("output_modalities", "all")
	}
	set("sort", sortNamed(f.Sort).api)
	return q
}

// PageURL is the catalog page's address for page n of the same filters
// and sort.
func (f modelFilter) PageURL(n int) string {
	q := url.Values{}
	for _, kv := range [][2]string{{"q", f.Q}, {"modality", f.Modality}, {"min_context", f.MinContext},
		{"max_price", f.MaxPrice}, {"param", f.Param}, {"provider", f.Provider}, {"sort", f.Sort}} {
		if kv[1] != "" {
			q.Set(kv[0], kv[1])
		}
	}
	if n > 1 {
		q.Set("page", strconv.Itoa(n))
	}
	if len(q) == 0 {
		return "/models"
	}
	return "/models?" + q.Encode()
}

// pageLink is a link of the catalog's page navigation; a Gap stands for
// the pages left out between two links.
type pageLink struct {
	Number  int
	URL     string
	Current bool
	Gap     bool
}

// pager is the catalog's page navigation.
type pager struct {
	Page, Pages int
	First, Last int // the models shown, counted from 1 (0, 0 when none)
	Prev, Next  string
	Links       []pageLink
}

// newPager is the navigation of page p of total models: links to the
// first and last pages and to the two pages either side of p.
func newPager(f modelFilter, total int) pager {
	pg := pager{Page: f.Page, Pages: max(1, (total+modelsPerPage-1)/modelsPerPage)}
	if lo := (f.Page - 1) * modelsPerPage; lo < total {
		pg.First, pg.Last = lo+1, min(lo+modelsPerPage, total)
	}
	if f.Page > 1 {
		pg.Prev = f.PageURL(min(f.Page-1, pg.Pages))
	}
	if f.Page < pg.Pages {
		pg.Next = f.PageURL(f.Page + 1)
	}
	for n := 1; n <= pg.Pages; n++ {
		if n != 1 && n != pg.Pages && (n < f.Page-2 || n > f.Page+2) {
			if l := len(pg.Links); l > 0 && !pg.Links[l-1].Gap {
				pg.Links = append(pg.Links, pageLink{Gap: true})
			}
			continue
		}
		pg.Links = append(pg.Links, pageLink{Number: n, URL: f.PageURL(n), Current: n == f.Page})
	}
	return pg
}

// modelRow is a model of the catalog page with the figure it is sorted by
// when the sort is one of the page's own (usage, throughput).
type modelRow struct {
	apiModel
	Figure    string
	FigureRaw float64
}

// modelList is a page of the models API.
type modelList struct {
	Data  []apiModel `json:"data"`
	Total int        `json:"total_count"`
}

// modelsData is the catalog page.
type modelsData struct {
	Filter      modelFilter
	Models      []modelRow
	Total       int
	Pager       pager
	FigureLabel string // the heading of the sort's figure column; "" for none
	FigureNote  string // where the figure comes from
	Modalities  []option
	Params      []string
	Providers   []option
	Sorts       []option
	Error       string
}

// GET / and /models: the catalog, filtered, sorted and paginated on the
// server. The API's sorts are paged by the API; the page's own sorts
// (usage, throughput, name) read every matching model and sort them here.
func (u *UI) modelsPage(w http.ResponseWriter, r *http.Request, s *session) error {
	f := parseModelFilter(r.URL.Query())
	d := modelsData{Filter: f, Params: u.parameters(), Providers: u.providerOptions(),
		Modalities: []option{{"", "Any"}, {"text", "Text input"}, {"image", "Image input"}, {"file", "File input"},
			{"audio", "Audio input"}, {"image-output", "Image output"}}}
	for _, so := range modelSorts {
		d.Sorts = append(d.Sorts, option{so.Value, so.Label})
	}
	sorted := sortNamed(f.Sort)
	q := f.apiQuery()
	if !sorted.local {
		q.Set("offset", strconv.Itoa((f.Page-1)*modelsPerPage))
		q.Set("limit", strconv.Itoa(modelsPerPage))
	}
	var out modelList
	var err error
	if sorted.local {
		out, err = u.matchingModels(r, s, q)
	} else {
		err = u.get(r, s, "/api/v1/models?"+q.Encode(), &out)
	}
	var ae *apiError
	switch {
	case asAPIError(err, &ae) && ae.Status == http.StatusBadRequest:
		d.Error = ae.Message // a filter the API refuses: say why
	case err != nil:
		return err
	}
	rows := make([]modelRow, len(out.Data))
	for i, m := range out.Data {
		rows[i].apiModel = m
	}
	if sorted.local {
		if err := u.sortRows(r, s, f.Sort, rows, &d); err != nil {
			return err
		}
		lo := min((f.Page-1)*modelsPerPage, len(rows))
		rows = rows[lo:min(lo+modelsPerPage, len(rows))]
	}
	d.Models, d.Total = rows, out.Total
	d.Pager = newPager(f, out.Total)
	u.render(w, r, s, http.StatusOK, "models", view{Title: "Models", Active: "models",
		Scripts: []string{"js/app.js"}, Data: d})
	return nil
}

// matchingModels are all the models the API lists for query q (without
// paging), kept for figureTTL: the list is the same for every session
// (the models API does not depend on the key), and encoding and decoding
// the whole catalog takes tens of milliseconds.
func (u *UI) matchingModels(r *http.Request, s *session, q url.Values) (modelList, error) {
	return u.lists.get(q.Encode(), u.now(), func() (modelList, error) {
		var l modelList
		return l, u.get(r, s, "/api/v1/models?"+q.Encode(), &l)
	})
}

// sortRows sorts every matching model by one of the page's own sorts and
// sets the figure each row shows.
func (u *UI) sortRows(r *http.Request, s *session, by string, rows []modelRow, d *modelsData) error {
	if by == "name" {
		slices.SortStableFunc(rows, func(a, b modelRow) int {
			return cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
		})
		return nil
	}
	var fig figures
	if by == "used" {
		var err error
		if fig, err = u.usageFigures(r, s); err != nil {
			return err
		}
	} else {
		fig = u.throughputFigures()
	}
	d.FigureLabel, d.FigureNote = fig.label, fig.note
	for i := range rows {
		if v, ok := fig.by[rows[i].ID]; ok {
			rows[i].FigureRaw, rows[i].Figure = v, fig.format(v)
		}
	}
	// Most first; models without a figure keep the catalog order after.
	slices.SortStableFunc(rows, func(a, b modelRow) int { return cmp.Compare(b.FigureRaw, a.FigureRaw) })
	return nil
}

// figures are a figure per model id that the catalog sorts by.
type figures struct {
	label, note string
	by          map[string]float64
	format      func(float64) string
}

// figureTTL is how long the catalog reuses what its own sorts read: the
// usage and throughput figures (from the usage rollups and every
// endpoint's histograms) and the whole list of the models matching a
// query (hundreds of models encoded and decoded as JSON). A page of the
// catalog need not be fresher than that.
const figureTTL = 15 * time.Second

// maxCached bounds the entries of a ttlCache.
const maxCached = 32

// ttlCache holds values for figureTTL, at most maxCached of them (the
// zero value is empty).
type ttlCache[V any] struct {
	mu      sync.Mutex
	entries map[string]cached[V]
}

type cached[V any] struct {
	at time.Time
	v  V
}

// get returns the value cached under key if fresh, or computes and caches
// it. Errors are not cached. Concurrent misses may compute twice.
func (c *ttlCache[V]) get(key string, now time.Time, compute func() (V, error)) (V, error) {
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < figureTTL && !now.Before(e.at) {
		return e.v, nil
	}
	v, err := compute()
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]cached[V]{}
	}
	if len(c.entries) >= maxCached {
		c.evict(now)
	}
	c.entries[key] = cached[V]{at: now, v: v}
	return v, nil
}

// evict drops the stale entries, or the oldest when none is.
func (c *ttlCache[V]) evict(now time.Time) {
	var oldest string
	for k, e := range c.entries {
		if now.Sub(e.at) >= figureTTL || now.Before(e.at) {
			delete(c.entries, k)
		} else if oldest == "" || e.at.Before(c.entries[oldest].at) {
			oldest = k
		}
	}
	if len(c.entries) >= maxCached {
		delete(c.entries, oldest)
	}
}

// usageFigures are the models' tokens over the last 7 days from the
// rankings (the usage rollups), when the session may read them; otherwise
// (the rankings are a management key's) the requests their endpoints
// served over the last day, from the live health. Whether the rankings
// may be read depends only on the kind of key, so the cache is per kind.
func (u *UI) usageFigures(r *http.Request, s *session) (figures, error) {
	class := "other"
	if s != nil && s.management {
		class = "management"
	}
	return u.figures.get("used:"+class, u.now(), func() (figures, error) {
		var ranked struct {
			Data []rankModel `json:"data"`
		}
		var ae *apiError
		switch err := u.get(r, s, "/api/v1/rankings/models?period=week&limit=500", &ranked); {
		case asAPIError(err, &ae) && ae.denied():
			return u.requestFigures(), nil
		case err != nil:
			return figures{}, err
		}
		fig := figures{label: "Tokens (7 days)", note: "Most used: tokens over the last 7 days.",
			by: map[string]float64{}, format: func(v float64) string { return compactTokens(int64(v)) }}
		for _, m := range ranked.Data {
			fig.by[m.Model] = float64(m.TotalTokens)
		}
		return fig, nil
	})
}

// requestFigures are the requests each model's endpoints served over the
// last day, from the live health.
func (u *UI) requestFigures() figures {
	fig := figures{label: "Requests (1 day)", note: "Most used: requests served over the last day.",
		by: map[string]float64{}, format: func(v float64) string { return thousands(int64(v)) }}
	u.eachEndpoint(func(model string, st health.Stats) {
		if st.Requests1d > 0 {
			fig.by[model] += float64(st.Requests1d)
		}
	})
	return fig
}

// throughputFigures are each model's best median throughput over its
// endpoints over the last 30 minutes, from the live health.
func (u *UI) throughputFigures() figures {
	fig, _ := u.figures.get("throughput", u.now(), func() (figures, error) {
		fig := figures{label: "Throughput", note: "Throughput: the fastest endpoint's median over the last 30 minutes.",
			by: map[string]float64{}, format: func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + " tok/s" }}
		u.eachEndpoint(func(model string, st health.Stats) {
			if p := st.Throughput30m; p.Count > 0 && p.P50 > fig.by[model] {
				fig.by[model] = p.P50
			}
		})
		return fig, nil
	})
	return fig
}

// eachEndpoint calls f with the stats of every endpoint the health
// registry holds (those that have seen traffic or been read).
func (u *UI) eachEndpoint(f func(model string, st health.Stats)) {
	if u.health == nil {
		return
	}
	u.health.Each(func(_, model string, e *health.Endpoint) { f(model, e.Stats()) })
}
