package api

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/apikey"
	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/openai/openaitest"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// activityRow is what a test expects of one activity row.
type activityRow struct {
	date, model, hash, name                 string
	requests, prompt, completion, reasoning int64
	usage                                   money.Amount
}

// add counts one generation into r.
func (r activityRow) add(g store.Generation) activityRow {
	r.requests++
	r.prompt += int64(g.PromptTokens)
	r.completion += int64(g.CompletionTokens)
	r.reasoning += int64(g.ReasoningTokens)
	r.usage += g.Cost
	return r
}

// activityProvider is the name of the provider of every fixture row.
const activityProvider = "Provider P"

// csvRecord is r as a CSV record of GET /activity.
func (r activityRow) csvRecord() []string {
	return []string{r.date, r.model, activityProvider, r.hash, r.name, fmt.Sprint(r.requests), fmt.Sprint(r.prompt),
		fmt.Sprint(r.completion), fmt.Sprint(r.reasoning), r.usage.String()}
}

// activityFixture is an account's generations over two months, around a
// fixed now, and the rows GET /activity should make of them.
type activityFixture struct {
	e            *env
	admin        string
	keyA, keyB   string // hashes; keyB's name needs CSV quoting
	today, older activityRow
	todayB       activityRow // model B, key B, today
	yesterday    activityRow // model A, key B
	outside      activityRow // 31 days ago: only when asked for by date
	gen          string      // a chat request's generation, of key A today
}

func newActivityFixture(t *testing.T, o envOptions) *activityFixture {
	t.Helper()
	o.credits = 20_000_000 * money.NanoPerUSD
	// Generations are written only when a handler flushes them.
	o.options = func(o *Options) { o.FlushInterval = time.Hour }
	e, admin := newKeysEnv(t, o)
	now := time.Date(2031, 3, 12, 15, 4, 5, 0, time.UTC)
	e.api.now = func() time.Time { return now }
	f := &activityFixture{e: e, admin: admin, keyA: apikey.Hash(e.key)}
	_, hash, label := apikey.New()
	const nameB = `nightly, "batch"`
	if _, err := e.store.CreateKey(context.Background(), store.NewKey{AccountID: e.account.ID, Hash: hash, Name: nameB, Label: label}); err != nil {
		t.Fatal(err)
	}
	f.keyB = hash

	n := 0
	record := func(r activityRow, accountID int64, key, model string, at time.Time, prompt, completion, reasoning int, cost money.Amount) activityRow {
		t.Helper()
		n++
		// Served by the env's provider, as the chat request of the fixture is.
		g := store.Generation{ID: fmt.Sprintf("gen-fixture-%d", n), AccountID: accountID, KeyHash: key, Model: model,
			ProviderSlug: "p", ProviderName: activityProvider, PromptTokens: prompt, CompletionTokens: completion, ReasoningTokens: reasoning, Cost: cost, CreatedAt: at}
		if err := e.store.RecordGeneration(context.Background(), g); err != nil {
			t.Fatal(err)
		}
		return r.add(g)
	}
	id := e.account.ID
	f.today = activityRow{date: "2031-03-12", model: modelA, hash: f.keyA, name: "test"}
	f.today = record(f.today, id, f.keyA, modelA, now.Add(-5*time.Hour), 10, 20, 5, 123_456_789)
	f.today = record(f.today, id, f.keyA, modelA, time.Date(2031, 3, 12, 0, 0, 0, 0, time.UTC), 1, 2, 0, 1)
	f.todayB = record(activityRow{date: "2031-03-12", model: modelB, hash: f.keyB, name: nameB}, id, f.keyB, modelB, now, 100, 0, 0, 2*money.NanoPerUSD)
	f.yesterday = record(activityRow{date: "2031-03-11", model: modelA, hash: f.keyB, name: nameB}, id, f.keyB, modelA,
		time.Date(2031, 3, 11, 23, 59, 59, 999e6, time.UTC), 7, 8, 9, 12_345_678_123_456_789) // beyond a float64's 53 bits
	f.older = record(activityRow{date: "2031-02-10", model: modelA, hash: f.keyA, name: "test"}, id, f.keyA, modelA,
		time.Date(2031, 2, 10, 0, 0, 0, 0, time.UTC), 3, 4, 0, 70)
	f.outside = record(activityRow{date: "2031-02-09", model: modelA, hash: f.keyA, name: "test"}, id, f.keyA, modelA,
		time.Date(2031, 2, 9, 23, 59, 59, 0, time.UTC), 1, 1, 0, 5)
	// Another account's use is never reported.
	other, otherAccount := e.newKey(money.NanoPerUSD)
	record(activityRow{}, otherAccount.ID, apikey.Hash(other), modelA, now, 1, 1, 1, 1)

	// And a request through the API, charged a moment ago, not yet written.
	resp := e.post("/api/v1/chat/completions", chatBody)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("chat: %d %s", resp.StatusCode, readAll(t, resp.Body))
	}
	f.gen = resp.Header.Get("X-Generation-Id")
	return f
}

// withChat is today's row of key A with the chat request's generation,
// which a handler has written by now.
func (f *activityFixture) withChat() activityRow {
	f.e.t.Helper()
	g := f.e.generation(f.gen)
	if g.CreatedAt.Format(time.DateOnly) != "2031-03-12" || g.Model != modelA || g.Cost != 10*mUSD {
		f.e.t.Fatalf("chat generation %+v", g)
	}
	return f.today.add(g)
}

// jsonRows decodes GET /activity's rows, checking each against what the
// spec requires and against the fields Switchyard adds.
func jsonRows(t *testing.T, body []byte) []activityRow {
	t.Helper()
	openaitest.OpenRouter.ValidateResponse(t, "GET", "/activity", http.StatusOK, body)
	list, ok := decodeMap(t, body)["data"].([]any)
	if !ok {
		t.Fatalf("no data array: %s", body)
	}
	rows := []activityRow{}
	for _, item := range list {
		m := item.(map[string]any)
		count := func(k string) int64 {
			v, err := m[k].(json.Number).Int64()
			if err != nil {
				t.Fatalf("%s: %v", k, err)
			}
			return v
		}
		if m["model_permaslug"] != m["model"] || usd(t, m["byok_usage_inference"]) != 0 ||
			m["provider_name"] != activityProvider || m["endpoint_id"] != "p" {
			t.Errorf("row %v", m)
		}
		rows = append(rows, activityRow{
			date: m["date"].(string), model: m["model"].(string), hash: m["api_key_hash"].(string), name: m["api_key_name"].(string),
			requests: count("requests"), prompt: count("prompt_tokens"), completion: count("completion_tokens"),
			reasoning: count("reasoning_tokens"), usage: usd(t, m["usage"]),
		})
	}
	return rows
}

// fetch sends GET path with the admin key and an Accept header.
func (f *activityFixture) fetch(path, accept string, want int) *http.Response {
	f.e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.e.srv.URL+path, nil)
	if err != nil {
		f.e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+f.admin)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.e.t.Fatal(err)
	}
	f.e.t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != want {
		f.e.t.Fatalf("GET %s: status %d, want %d: %s", path, resp.StatusCode, want, readAll(f.e.t, resp.Body))
	}
	return resp
}

func TestActivityJSON(t *testing.T) { forEachStore(t, testActivityJSON) }

func testActivityJSON(t *testing.T, o envOptions) {
	f := newActivityFixture(t, o)
	// The default window: 30 completed days and today, by day, model, key;
	// the request just made included.
	got := jsonRows(t, f.e.call("GET", "/api/v1/activity", "", f.admin, http.StatusOK, ""))
	want := []activityRow{f.older, f.yesterday, f.withChat(), f.todayB}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows\n%+v\nwant\n%+v", got, want)
	}
	if today := f.withChat(); today.usage.String() != "0.13345679" {
		t.Errorf("today's usage $%s, want $0.123456789 + $0.000000001 + $0.01", today.usage)
	}

	for _, tt := range []struct {
		query string
		want  []activityRow
	}{
		{"?date=2031-03-11", []activityRow{f.yesterday}},
		{"?date=2031-02-09", []activityRow{f.outside}},
		{"?date=2031-03-13", []activityRow{}},
		{"?api_key_hash=" + f.keyB, []activityRow{f.yesterday, f.todayB}},
		{"?date=2031-03-12&api_key_hash=" + f.keyA, []activityRow{f.withChat()}},
		{"?api_key_hash=" + strings.Repeat("0", 64), []activityRow{}},
		{"?format=json", want},
	} {
		got := jsonRows(t, f.e.call("GET", "/v1/activity"+tt.query, "", f.admin, http.StatusOK, ""))
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: rows\n%+v\nwant\n%+v", tt.query, got, tt.want)
		}
	}
	// Preferring JSON over CSV gets JSON.
	resp := f.fetch("/api/v1/activity?date=2031-03-11", "application/json, text/csv", http.StatusOK)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}

	for _, query := range []string{"?date=2031-13-01", "?date=12/03/2031", "?format=xml"} {
		body := f.e.call("GET", "/api/v1/activity"+query, "", f.admin, http.StatusBadRequest, "/activity")
		if msg := decodeMap(t, body)["error"].(map[string]any)["message"].(string); !strings.Contains(msg, "must be") {
			t.Errorf("%s: message %q", query, msg)
		}
	}
	f.e.call("GET", "/api/v1/activity", "", f.e.key, http.StatusForbidden, "/activity")
}

func TestActivityCSV(t *testing.T) {
	f := newActivityFixture(t, envOptions{})
	for _, tt := range []struct {
		query, accept, filename string
		want                    func() []activityRow
	}{
		{"?format=csv", "", "switchyard-activity-2031-02-10-to-2031-03-12.csv",
			func() []activityRow { return []activityRow{f.older, f.yesterday, f.withChat(), f.todayB} }},
		{"?date=2031-03-11", "text/csv", "switchyard-activity-2031-03-11.csv",
			func() []activityRow { return []activityRow{f.yesterday} }},
		{"?date=2031-01-01", "text/plain, text/csv;q=0.9", "switchyard-activity-2031-01-01.csv",
			func() []activityRow { return nil }},
	} {
		t.Run(tt.query, func(t *testing.T) {
			resp := f.fetch("/api/v1/activity"+tt.query, tt.accept, http.StatusOK)
			if ct := resp.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			disposition, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
			if err != nil || disposition != "attachment" || params["filename"] != tt.filename {
				t.Errorf("Content-Disposition %q", resp.Header.Get("Content-Disposition"))
			}
			records, err := csv.NewReader(resp.Body).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			want := [][]string{{"date", "model", "provider_name", "api_key_hash", "api_key_name", "requests",
				"prompt_tokens", "completion_tokens", "reasoning_tokens", "usage"}}
			for _, r := range tt.want() {
				want = append(want, r.csvRecord())
			}
			if !reflect.DeepEqual(records, want) {
				t.Errorf("CSV\n%q\nwant\n%q", records, want)
			}
		})
	}
	// Exact decimals, never a float's.
	body := string(readAll(t, f.fetch("/api/v1/activity?format=csv", "", http.StatusOK).Body))
	if !strings.Contains(body, ",0.13345679\n") || !strings.Contains(body, ",12345678.123456789\n") ||
		!strings.Contains(body, `"nightly, ""batch"""`) {
		t.Errorf("CSV %s", body)
	}
}
