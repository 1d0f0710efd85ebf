package webui

import (
	"errors"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/health"
)

var (
	catalogRowRe  = regexp.MustCompile(`<code class="id">([^<]+)</code>`)
	catalogNextRe = regexp.MustCompile(`<a href="([^"]+)" rel="next">`)
)

// catalogIDs walks the catalog's pages from path by their Next links and
// returns the model ids they list, in order; every page lists at most
// modelsPerPage models, and all but the last exactly that many.
func catalogIDs(t *testing.T, c *client, path string) []string {
	t.Helper()
	var out []string
	for n := 1; ; n++ {
		r := c.get(path)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", path, r.StatusCode)
		}
		rows := catalogRowRe.FindAllStringSubmatch(r.body, -1)
		for _, m := range rows {
			out = append(out, m[1])
		}
		next := catalogNextRe.FindStringSubmatch(r.body)
		if next == nil {
			if len(rows) > modelsPerPage {
				t.Errorf("%s: %d models on the last page", path, len(rows))
			}
			return out
		}
		if len(rows) != modelsPerPage {
			t.Errorf("%s: %d models on a page that has a next one; want %d", path, len(rows), modelsPerPage)
		}
		if n > 100 {
			t.Fatalf("%s: more than 100 pages", path)
		}
		path = html.UnescapeString(next[1])
	}
}

// apiModelIDs are the ids the models API lists for query.
func apiModelIDs(t *testing.T, e *env, query string) []string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/api/v1/models?"+query, nil)
	var out struct {
		Data []struct{ ID string } `json:"data"`
	}
	e.apiJSON(t, req, &out)
	var ids []string
	for _, m := range out.Data {
		ids = append(ids, m.ID)
	}
	return ids
}

// TestModelsPagination walks the whole catalog page by page, sorted by
// the API and by the page itself: every model once, in the API's order,
// the filters and sort kept by every page link.
func TestModelsPagination(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	c := e.client()

	all := apiModelIDs(t, e, "")
	if len(all) <= 2*modelsPerPage {
		t.Fatalf("the catalog has %d models; the test needs more than %d", len(all), 2*modelsPerPage)
	}
	first := c.get("/models")
	if n := len(catalogRowRe.FindAllString(first.body, -1)); n != modelsPerPage {
		t.Errorf("/models lists %d models; want %d", n, modelsPerPage)
	}
	pages := (len(all) + modelsPerPage - 1) / modelsPerPage
	first.wantContains(t, "/models", "Page 1 of "+strconv.Itoa(pages), `href="/models?page=`+strconv.Itoa(pages)+`"`,
		thousands(len(all))+" models")
	if got := catalogIDs(t, c, "/models"); !slices.Equal(got, all) {
		t.Errorf("the pages list %d models, the API %d", len(got), len(all))
	}
	byPrice := apiModelIDs(t, e, "sort=pricing-low-to-high")
	if got := catalogIDs(t, c, "/models?sort=price"); !slices.Equal(got, byPrice) {
		t.Errorf("sorted by price, the pages list %d models, the API %d", len(got), len(byPrice))
	}
	// Sorted here: every page is a slice of the whole sorted list.
	byName := catalogIDs(t, c, "/models?sort=name")
	if len(byName) != len(all) || !slices.Equal(sorted(byName), sorted(all)) {
		t.Errorf("sorted by name, the pages list %d models (some twice or missing), the API %d", len(byName), len(all))
	}

	// A page's links keep the filters and the sort.
	r := c.get("/models?q=a&sort=newest&page=2")
	for _, link := range regexp.MustCompile(`<a href="(/models\?[^"]*)"`).FindAllStringSubmatch(r.body, -1) {
		u, err := url.Parse(html.UnescapeString(link[1]))
		if err != nil {
			t.Fatal(err)
		}
		if q := u.Query(); q.Get("q") != "a" || q.Get("sort") != "newest" {
			t.Errorf("page link %s lost the filter or the sort", link[1])
		}
	}
	r.wantContains(t, "page 2", `rel="prev"`, `aria-current="page">2<`)

	// Past the last page: nothing, and a way back.
	r = c.get("/models?page=" + strconv.Itoa(pages+1))
	r.wantContains(t, "past the last page", "No model on this page", `href="/models"`)
	if n := len(catalogRowRe.FindAllString(r.body, -1)); n != 0 {
		t.Errorf("past the last page: %d models", n)
	}
	// A page too far for any catalog is served all the same.
	for _, p := range []string{"/models?page=9223372036854775807", "/models?sort=name&page=9223372036854775807"} {
		if r := c.get(p); r.StatusCode != http.StatusOK || !strings.Contains(r.body, "No model on this page") {
			t.Errorf("%s: status %d", p, r.StatusCode)
		}
	}
	// A malformed page is the first.
	if got := catalogRowRe.FindAllStringSubmatch(c.get("/models?page=x").body, -1); len(got) == 0 || got[0][1] != all[0] {
		t.Error("page=x is not the first page")
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// firstIDs are the first n model ids a catalog page lists.
func firstIDs(t *testing.T, c *client, path string, n int) []string {
	t.Helper()
	r := c.get(path)
	var out []string
	for _, m := range catalogRowRe.FindAllStringSubmatch(r.body, n) {
		out = append(out, m[1])
	}
	return out
}

// TestModelsSortByThroughputAndUse sorts the catalog by the live
// throughput of the models' endpoints, by their requests (signed out: the
// rankings are a management key's) and by their tokens in the rankings.
func TestModelsSortByThroughputAndUse(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	anon := e.client()

	// Throughput: the fastest endpoint of each model counts.
	record := func(provider, model string, n int, tokensPerSecond int) {
		for range n {
			e.ui.health.Endpoint(provider, model).Record(health.Outcome{Success: true, TTFT: 100 * time.Millisecond,
				OutputTokens: tokensPerSecond, Generation: time.Second})
		}
	}
	record("p1", "mistralai/mistral-small", 1, 40)
	record("p2", "mistralai/mistral-small", 1, 90)
	record("p1", "deepseek/deepseek-chat", 3, 60)
	record("p1", "openai/gpt-4o-mini", 2, 20)
	want := []string{"mistralai/mistral-small", "deepseek/deepseek-chat", "openai/gpt-4o-mini"}
	if got := firstIDs(t, anon, "/models?sort=throughput", 3); !slices.Equal(got, want) {
		t.Errorf("by throughput: %v, want %v", got, want)
	}
	tokS := func(provider, model string) string {
		return strconv.FormatFloat(e.ui.health.Endpoint(provider, model).Stats().Throughput30m.P50, 'f', 1, 64) + " tok/s"
	}
	r := anon.get("/models?sort=throughput")
	r.wantContains(t, "by throughput", `data-type="num">Throughput</th>`, tokS("p2", "mistralai/mistral-small"),
		tokS("p1", "deepseek/deepseek-chat"))

	// Use, signed out: requests over the last day, over all endpoints (4
	// for GPT-4o Mini, 3, 2).
	record("p2", "openai/gpt-4o-mini", 2, 20)
	want = []string{"openai/gpt-4o-mini", "deepseek/deepseek-chat", "mistralai/mistral-small"}
	if got := firstIDs(t, anon, "/models?sort=used", 3); !slices.Equal(got, want) {
		t.Errorf("by requests: %v, want %v", got, want)
	}
	anon.get("/models?sort=used").wantContains(t, "by requests", "Requests (1 day)")

	// Use, with a management key: tokens over 7 days from the rankings,
	// which know only the requests made through the API.
	for i, m := range []string{"meta-llama/llama-3.3-70b-instruct", "meta-llama/llama-3.3-70b-instruct", "openai/gpt-4o-mini"} {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/chat/completions",
			strings.NewReader(`{"model":"`+m+`","max_tokens":40,"messages":[{"role":"user","content":"Hello `+strconv.Itoa(i)+`"}]}`))
		req.Header.Set("Authorization", "Bearer "+e.key)
		var out map[string]any
		e.apiJSON(t, req, &out)
	}
	var ranked struct {
		Data []rankModel `json:"data"`
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/api/v1/rankings/models?period=week", nil)
		req.Header.Set("Authorization", "Bearer "+e.mgmt)
		e.apiJSON(t, req, &ranked)
		if len(ranked.Data) == 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(ranked.Data) != 2 {
		t.Fatalf("the rankings list %d models; want 2", len(ranked.Data))
	}
	mgmt := e.client()
	mgmt.signIn(e.mgmt)
	want = []string{ranked.Data[0].Model, ranked.Data[1].Model}
	if got := firstIDs(t, mgmt, "/models?sort=used", 2); !slices.Equal(got, want) {
		t.Errorf("by tokens: %v, want %v", got, want)
	}
	mgmt.get("/models?sort=used").wantContains(t, "by tokens", "Tokens (7 days)", compactTokens(ranked.Data[0].TotalTokens))
}

// TestTTLCache reuses a value for figureTTL, recomputes it after, never
// caches an error and holds at most maxCached values.
func TestTTLCache(t *testing.T) {
	var c ttlCache[int]
	calls := 0
	compute := func() (int, error) { calls++; return calls, nil }
	t0 := time.Unix(1_000_000, 0)
	get := func(key string, at time.Time) int {
		t.Helper()
		v, err := c.get(key, at, compute)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := get("a", t0); v != 1 {
		t.Fatalf("first get: %d", v)
	}
	if v := get("a", t0.Add(figureTTL-time.Millisecond)); v != 1 {
		t.Errorf("within the TTL: %d, want the cached 1", v)
	}
	if v := get("a", t0.Add(figureTTL)); v != 2 {
		t.Errorf("after the TTL: %d, want a new 2", v)
	}
	if v := get("a", t0.Add(-time.Second)); v != 3 {
		t.Errorf("the clock gone back: %d, want a new 3", v)
	}
	boom := errors.New("boom")
	if _, err := c.get("b", t0, func() (int, error) { return 0, boom }); err != boom {
		t.Errorf("error: %v", err)
	}
	if v := get("b", t0); v != 4 {
		t.Errorf("after an error: %d, want a new 4", v)
	}
	for i := range 3 * maxCached {
		get(strconv.Itoa(i), t0.Add(time.Duration(i)*time.Millisecond))
	}
	if n := len(c.entries); n > maxCached {
		t.Errorf("%d entries; want at most %d", n, maxCached)
	}
	// The newest stay.
	before := calls
	get(strconv.Itoa(3*maxCached-1), t0.Add(time.Second))
	if calls != before {
		t.Error("the newest entry was evicted")
	}
}

// TestChartsDoNotBlockPaint: uPlot is preloaded, never a stylesheet or a
// script that rendering waits for, and only where a chart is drawn.
func TestChartsDoNotBlockPaint(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	c := e.client()
	c.signIn(e.mgmt)
	blocking := regexp.MustCompile(`<link rel="stylesheet" href="/ui/static/vendor/|<script src="/ui/static/vendor/`)
	for _, tc := range []struct {
		path   string
		charts bool
	}{
		{"/activity", true},                   // always charted
		{"/models/openai/gpt-4o-mini", false}, // no tokens yet: no chart
		{"/models", false},
	} {
		r := c.get(tc.path)
		if m := blocking.FindString(r.body); m != "" {
			t.Errorf("%s: render-blocking %s", tc.path, m)
		}
		preloads := strings.Contains(r.body, `id="uplot-js"`) && strings.Contains(r.body, `id="uplot-css"`) &&
			strings.Contains(r.body, "/ui/static/js/charts.js")
		if preloads != tc.charts {
			t.Errorf("%s: preloads uPlot and runs charts.js: %v, want %v", tc.path, preloads, tc.charts)
		}
	}
}
