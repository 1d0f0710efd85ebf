package api

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
	"github.com/switchyard-dev/switchyard/internal/store"
)

const modelC = "other/model-c"

// Every request of the rankings tests is 12 prompt + 10 completion tokens.
const (
	reqPrompt     = 12
	reqCompletion = 10
	reqTokens     = reqPrompt + reqCompletion
)

// sent is one batch of known traffic.
type sent struct {
	at             time.Time
	model          string
	referer, title string
	private        bool
	category       string
	n              int
}

// app is the name rankings give the batch's app ("" for none).
func (b sent) app() string { return store.AppOf(b.referer, b.title) }

// rankingsEnv serves the three models at one provider, classifies each
// prompt by a "[cat:…]" marker (the classifier itself is tested on its
// own), hides the app "https://hidden.example", and lets the test set the
// clock.
type rankingsEnv struct {
	*env
	mu  sync.Mutex
	now time.Time
}

func newRankingsEnv(t *testing.T, public bool) *rankingsEnv {
	fake := providertest.NewOpenAI(t, providertest.WithUsage(providertest.Usage{PromptTokens: reqPrompt, CompletionTokens: reqCompletion}))
	re := &rankingsEnv{}
	re.env = newEnv(t, envOptions{
		upstreams: []upstream{{slug: "p", fake: fake, prompt: "0.000001", completion: "0.000003"}},
		models:    []string{modelA, modelB, modelC},
		options: func(o *Options) {
			o.Rankings = Rankings{Public: public, HiddenApps: []string{"https://hidden.example"}}
			o.FlushInterval, o.UsageFlushInterval = time.Hour, time.Hour
			o.Classify = func(text string) string {
				_, c, _ := strings.Cut(text, "[cat:")
				c, _, _ = strings.Cut(c, "]")
				return c
			}
		},
	})
	re.api.now = func() time.Time { re.mu.Lock(); defer re.mu.Unlock(); return re.now }
	return re
}

// send sends the batches through the API at their times.
func (re *rankingsEnv) send(t *testing.T, batches []sent) {
	t.Helper()
	for _, b := range batches {
		re.mu.Lock()
		re.now = b.at
		re.mu.Unlock()
		body := fmt.Sprintf(`{"model":%q,"messages":[{"role":"user","content":"Do it [cat:%s]"}]}`, b.model, b.category)
		for range b.n {
			req, _ := http.NewRequest(http.MethodPost, re.srv.URL+"/api/v1/chat/completions", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+re.key)
			if b.referer != "" {
				req.Header.Set("HTTP-Referer", b.referer)
			}
			if b.title != "" {
				req.Header.Set("X-Title", b.title)
			}
			if b.private {
				req.Header.Set("X-Switchyard-Private", "true")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			readAll(t, resp.Body)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
		}
	}
	if err := re.api.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// get returns the JSON of GET path (with the env's key).
func (re *rankingsEnv) get(t *testing.T, path, key string) map[string]any {
	t.Helper()
	resp := re.do(http.MethodGet, path, "", key)
	b := readAll(t, resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// traffic is the known traffic: 2031-03-10 is a Monday. Requests near
// midnight UTC fall on either side of day and week boundaries.
func traffic() []sent {
	d := func(day, hour, minute int) time.Time { return time.Date(2031, 3, day, hour, minute, 0, 0, time.UTC) }
	code := func(at time.Time, model string, n int) sent {
		return sent{at: at, model: model, referer: "https://code.example", title: "Code", category: "programming", n: n}
	}
	return []sent{
		// Three weeks before the ranked one (Mar 2–8, Feb 23–Mar 1, Feb 16–22), for trends.
		code(d(2, 10, 0), modelA, 3),
		code(d(8, 23, 59), modelB, 2),
		code(time.Date(2031, 2, 24, 12, 0, 0, 0, time.UTC), modelA, 4),
		code(time.Date(2031, 2, 16, 0, 0, 0, 0, time.UTC), modelC, 6),
		// The week Mar 9–15 ranked with date=2031-03-15.
		code(d(9, 0, 0), modelA, 2),
		code(d(10, 23, 59), modelA, 3),
		{at: d(11, 0, 1), model: modelB, title: "Titled", category: "legal", n: 4},
		{at: d(12, 8, 0), model: modelC, referer: "https://private.example", title: "Private", private: true, category: "legal", n: 5},
		{at: d(13, 9, 0), model: modelC, referer: "https://hidden.example", title: "Hidden", category: "roleplay", n: 3},
		{at: d(14, 10, 0), model: modelB, category: "trivia", n: 2}, // no app
		{at: d(15, 23, 59), model: modelA, referer: "https://chat.example", title: "Chat", category: "roleplay", n: 1},
		// After the window: never counted in it.
		code(d(16, 0, 0), modelB, 7),
	}
}

// expect sums the traffic of [from, to) in the test, independently of
// the rollups.
type expect struct {
	models, apps, categories map[string]int64 // requests
	catModel                 map[[2]string]int64
	days                     map[[2]string]int64 // date, model → requests
}

func expectOf(batches []sent, from, to time.Time, hidden string) expect {
	e := expect{models: map[string]int64{}, apps: map[string]int64{}, categories: map[string]int64{},
		catModel: map[[2]string]int64{}, days: map[[2]string]int64{}}
	for _, b := range batches {
		if b.at.Before(from) || !b.at.Before(to) {
			continue
		}
		n := int64(b.n)
		e.models[b.model] += n
		e.categories[b.category] += n
		e.catModel[[2]string{b.category, b.model}] += n
		e.days[[2]string{b.at.Format(time.DateOnly), b.model}] += n
		if b.app() != "" && !b.private && b.app() != hidden {
			e.apps[b.app()] += n
		}
	}
	return e
}

func total(m map[string]int64) (t int64) {
	for _, v := range m {
		t += v
	}
	return t
}

// ranked orders m's keys by value, then key.
func ranked(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(m[b], m[a]), strings.Compare(a, b)) })
	return keys
}

func num(t *testing.T, v any) float64 {
	t.Helper()
	f, ok := v.(float64)
	if !ok {
		t.Fatalf("%v (%T) is not a number", v, v)
	}
	return f
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func rows(t *testing.T, v map[string]any) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, r := range v["data"].([]any) {
		out = append(out, r.(map[string]any))
	}
	return out
}

// TestRankingsExact sends known traffic across day and week boundaries
// and checks every figure of every rankings endpoint against sums the
// test makes of the traffic itself.
func TestRankingsExact(t *testing.T) {
	re := newRankingsEnv(t, false)
	batches := traffic()
	re.send(t, batches)
	admin := re.adminKey(re.account.ID)
	day := func(d int) time.Time { return time.Date(2031, 3, d, 0, 0, 0, 0, time.UTC) }
	week := func(ago int) (time.Time, time.Time) {
		to := day(16).AddDate(0, 0, -7*ago)
		return to.AddDate(0, 0, -7), to
	}
	from, to := week(0)
	cur := expectOf(batches, from, to, "https://hidden.example")
	pf, pt := week(1)
	prev := expectOf(batches, pf, pt, "https://hidden.example")
	const q = "?period=week&date=2031-03-15"

	t.Run("models", func(t *testing.T) {
		v := re.get(t, "/api/v1/rankings/models"+q, admin)
		got := rows(t, v)
		want := ranked(cur.models)
		if len(got) != len(want) {
			t.Fatalf("%d rows, want %d: %v", len(got), len(want), got)
		}
		for i, r := range got {
			m := want[i]
			n := cur.models[m]
			if r["model"] != m || num(t, r["rank"]) != float64(i+1) || num(t, r["total_tokens"]) != float64(n*reqTokens) ||
				num(t, r["prompt_tokens"]) != float64(n*reqPrompt) || num(t, r["completion_tokens"]) != float64(n*reqCompletion) ||
				num(t, r["requests"]) != float64(n) || !near(num(t, r["share"]), float64(n)/float64(total(cur.models))) {
				t.Errorf("row %d: %v; want %s with %d requests", i, r, m, n)
			}
			if p := prev.models[m]; p == 0 {
				if r["change"] != nil {
					t.Errorf("%s: change %v, want null (nothing before)", m, r["change"])
				}
			} else if !near(num(t, r["change"]), float64(n-p)/float64(p)) {
				t.Errorf("%s: change %v, want %v", m, r["change"], float64(n-p)/float64(p))
			}
		}
		meta := v["meta"].(map[string]any)
		if meta["from"] != "2031-03-09" || meta["to"] != "2031-03-15" || meta["period"] != "week" {
			t.Errorf("meta %v", meta)
		}
		// A category narrows the ranking to its requests.
		got = rows(t, re.get(t, "/api/v1/rankings/models"+q+"&category=legal", admin))
		if len(got) != 2 || got[0]["model"] != modelC || num(t, got[0]["requests"]) != 5 || got[1]["model"] != modelB {
			t.Errorf("category=legal: %v", got)
		}
		// A day: only Mar 15's.
		got = rows(t, re.get(t, "/api/v1/rankings/models?period=day&date=2031-03-15", admin))
		if len(got) != 1 || got[0]["model"] != modelA || num(t, got[0]["requests"]) != 1 {
			t.Errorf("period=day: %v", got)
		}
	})

	t.Run("trending", func(t *testing.T) {
		before := map[string]int64{}
		for ago := 1; ago <= 3; ago++ {
			f, tt := week(ago)
			for m, n := range expectOf(batches, f, tt, "").models {
				before[m] += n * reqTokens
			}
		}
		got := rows(t, re.get(t, "/api/v1/rankings/trending"+q, admin))
		growth := map[string]int64{}
		for m, n := range cur.models {
			growth[m] = n*reqTokens - before[m]/3
		}
		want := ranked(growth)
		if len(got) != len(want) {
			t.Fatalf("%v, want %v", got, want)
		}
		for i, r := range got {
			m := want[i]
			if r["model"] != m || num(t, r["growth_tokens"]) != float64(growth[m]) ||
				num(t, r["baseline_tokens"]) != float64(before[m]/3) {
				t.Errorf("row %d: %v; want %s growth %d baseline %d", i, r, m, growth[m], before[m]/3)
			}
		}
	})

	t.Run("authors", func(t *testing.T) {
		v := re.get(t, "/api/v1/rankings/authors"+q, admin)
		data := v["data"].(map[string]any)
		byAuthor := map[string]int64{}
		for m, n := range cur.models {
			byAuthor[author(m)] += n * reqTokens
		}
		authors := data["authors"].([]any)
		if len(authors) != len(byAuthor) {
			t.Fatalf("authors %v", authors)
		}
		for i, a := range ranked(byAuthor) {
			got := authors[i].(map[string]any)
			if got["author"] != a || num(t, got["total_tokens"]) != float64(byAuthor[a]) ||
				!near(num(t, got["share"]), float64(byAuthor[a])/float64(total(byAuthor))) {
				t.Errorf("author %d: %v, want %s %d", i, got, a, byAuthor[a])
			}
		}
		series := data["series"].([]any)
		if len(series) != 7*len(byAuthor) {
			t.Fatalf("%d points, want %d", len(series), 7*len(byAuthor))
		}
		for _, p := range series {
			p := p.(map[string]any)
			var want int64
			for k, n := range cur.days {
				if k[0] == p["date"] && author(k[1]) == p["author"] {
					want += n * reqTokens
				}
			}
			if num(t, p["tokens"]) != float64(want) {
				t.Errorf("point %v, want %d", p, want)
			}
		}
	})

	t.Run("apps", func(t *testing.T) {
		got := rows(t, re.get(t, "/api/v1/rankings/apps"+q, admin))
		want := ranked(cur.apps) // no private, no hidden, no app-less requests
		if len(got) != len(want) {
			t.Fatalf("%v, want %v", got, want)
		}
		names := map[string]string{"https://code.example": "Code", "Titled": "Titled", "https://chat.example": "Chat"}
		for i, r := range got {
			a := want[i]
			if r["app"] != a || r["name"] != names[a] || num(t, r["total_tokens"]) != float64(cur.apps[a]*reqTokens) ||
				num(t, r["requests"]) != float64(cur.apps[a]) || !near(num(t, r["share"]), float64(cur.apps[a])/float64(total(cur.apps))) {
				t.Errorf("row %d: %v, want %s %d", i, r, a, cur.apps[a])
			}
		}
	})

	t.Run("value", func(t *testing.T) {
		got := rows(t, re.get(t, "/api/v1/rankings/value"+q, admin))
		if len(got) != len(cur.models) {
			t.Fatalf("%v", got)
		}
		// Every model costs $1 + $3 per million tokens: value is share / 2.
		for _, r := range got {
			m := r["model"].(string)
			sh := float64(cur.models[m]) / float64(total(cur.models))
			if r["blended_price_per_million"] != "2" || !near(num(t, r["value"]), sh/2) || !near(num(t, r["share"]), sh) {
				t.Errorf("%v: want share %v value %v", r, sh, sh/2)
			}
		}
	})

	t.Run("providers", func(t *testing.T) {
		got := rows(t, re.get(t, "/api/v1/rankings/providers", admin))
		var all int64
		for _, b := range batches {
			all += int64(b.n)
		}
		if len(got) != 1 || got[0]["provider"] != "p" || num(t, got[0]["requests_1d"]) != float64(all) ||
			num(t, got[0]["uptime_1d"]) != 1 || num(t, got[0]["endpoints"]) != 3 {
			t.Errorf("providers %v, want p with %d requests, uptime 1, 3 endpoints", got, all)
		}
	})

	t.Run("rankings-daily", func(t *testing.T) {
		v := re.get(t, "/api/v1/datasets/rankings-daily?days=7&date=2031-03-15", admin)
		got := rows(t, v)
		var want []string
		for dd := range 7 {
			date := day(9 + dd).Format(time.DateOnly)
			perModel := map[string]int64{}
			for k, n := range cur.days {
				if k[0] == date {
					perModel[k[1]] = n * reqTokens
				}
			}
			for _, m := range ranked(perModel) {
				want = append(want, date+" "+m+" "+strconv.FormatInt(perModel[m], 10))
			}
		}
		var have []string
		for _, r := range got {
			have = append(have, fmt.Sprintf("%s %s %s", r["date"], r["model_permaslug"], r["total_tokens"]))
		}
		if !slices.Equal(have, want) {
			t.Errorf("rows\n%v\nwant\n%v", have, want)
		}
		meta := v["meta"].(map[string]any)
		if meta["start_date"] != "2031-03-09" || meta["end_date"] != "2031-03-15" || meta["version"] != "1" {
			t.Errorf("meta %v", meta)
		}
	})

	t.Run("app-rankings", func(t *testing.T) {
		got := rows(t, re.get(t, "/api/v1/datasets/app-rankings"+q+"&sort=popular", admin))
		want := ranked(cur.apps)
		for i, r := range got {
			if r["app_id"] != want[i] || num(t, r["total_requests"]) != float64(cur.apps[want[i]]) ||
				num(t, r["total_tokens"]) != float64(cur.apps[want[i]]*reqTokens) || num(t, r["rank"]) != float64(i+1) {
				t.Errorf("popular row %d: %v", i, r)
			}
		}
		before := map[string]int64{}
		for ago := 1; ago <= 3; ago++ {
			f, tt := week(ago)
			for a, n := range expectOf(batches, f, tt, "https://hidden.example").apps {
				before[a] += n * reqTokens
			}
		}
		growth := map[string]int64{}
		for a, n := range cur.apps {
			growth[a] = n*reqTokens - before[a]/3
		}
		got = rows(t, re.get(t, "/api/v1/datasets/app-rankings"+q+"&sort=trending", admin))
		for i, a := range ranked(growth) {
			if got[i]["app_id"] != a || num(t, got[i]["score"]) != float64(growth[a]) {
				t.Errorf("trending row %d: %v, want %s %d", i, got[i], a, growth[a])
			}
		}
	})

	t.Run("classifications", func(t *testing.T) {
		v := re.get(t, "/api/v1/classifications/task?date=2031-03-15", admin)
		got := rows(t, v)
		if len(got) != len(cur.categories) {
			t.Fatalf("%v, want %v", got, cur.categories)
		}
		all := total(cur.categories)
		for _, it := range got {
			c := it["tag"].(string)
			n := cur.categories[c]
			if !near(num(t, it["usage_share"]), float64(n)/float64(all)) || !near(num(t, it["token_share"]), float64(n)/float64(all)) {
				t.Errorf("%s: %v, want share %d/%d", c, it, n, all)
			}
			for _, m := range it["models"].([]any) {
				m := m.(map[string]any)
				k := [2]string{c, m["id"].(string)}
				if !near(num(t, m["tag_usage_share"]), float64(cur.catModel[k])/float64(n)) {
					t.Errorf("%s/%s: %v, want %d/%d", c, m["id"], m, cur.catModel[k], n)
				}
			}
		}
	})

	t.Run("model activity", func(t *testing.T) {
		re.mu.Lock()
		re.now = day(15).Add(12 * time.Hour)
		re.mu.Unlock()
		v := re.get(t, "/api/v1/models/"+modelA+"/activity?days=7", admin)
		data := v["data"].(map[string]any)
		days := data["days"].([]any)
		if len(days) != 7 {
			t.Fatalf("%d days", len(days))
		}
		for _, dd := range days {
			dd := dd.(map[string]any)
			n := cur.days[[2]string{dd["date"].(string), modelA}]
			if num(t, dd["prompt_tokens"]) != float64(n*reqPrompt) || num(t, dd["completion_tokens"]) != float64(n*reqCompletion) {
				t.Errorf("day %v, want %d requests", dd, n)
			}
		}
		apps := data["apps"].([]any)
		if len(apps) != 2 || apps[0].(map[string]any)["name"] != "Code" || num(t, apps[0].(map[string]any)["tokens"]) != 5*reqTokens ||
			apps[1].(map[string]any)["url"] != "https://chat.example" {
			t.Errorf("apps %v", apps)
		}
		if len(data["cheapest_hours"].([]any)) != 0 {
			t.Errorf("cheapest hours %v for a model without time-of-day prices", data["cheapest_hours"])
		}
	})
}

// TestRankingsAccess: without rankings.public, rankings need a management
// key; with it, anyone may read them.
func TestRankingsAccess(t *testing.T) {
	re := newRankingsEnv(t, false)
	resp := re.do(http.MethodGet, "/api/v1/rankings/models", "", re.key)
	errorEnvelope(t, resp, http.StatusForbidden)
	resp = re.do(http.MethodGet, "/api/v1/datasets/rankings-daily", "", "")
	errorEnvelope(t, resp, http.StatusUnauthorized)
	resp = re.do(http.MethodGet, "/api/v1/rankings/models?period=year", "", re.adminKey(re.account.ID))
	errorEnvelope(t, resp, http.StatusBadRequest)

	public := newRankingsEnv(t, true)
	for _, path := range []string{"/api/v1/rankings/models", "/api/v1/rankings/trending", "/api/v1/rankings/authors",
		"/api/v1/rankings/apps", "/api/v1/rankings/providers", "/api/v1/rankings/value", "/api/v1/datasets/rankings-daily",
		"/api/v1/datasets/app-rankings", "/api/v1/classifications/task", "/api/v1/models/" + modelA + "/activity"} {
		public.get(t, path, "")
	}
}
