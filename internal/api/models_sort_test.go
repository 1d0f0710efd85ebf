package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/health"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// sortEnv serves modelC, modelA and modelB (in that catalog order: by
// id) at two providers, with a clock the test moves.
type sortEnv struct {
	*env
	mu  sync.Mutex
	now time.Time
}

func newSortEnv(t *testing.T) *sortEnv {
	se := &sortEnv{now: time.Date(2031, 3, 12, 12, 0, 0, 0, time.UTC)}
	se.env = newEnv(t, envOptions{
		upstreams: []upstream{{slug: "p", prompt: "0.000001"}, {slug: "q", prompt: "0.000002"}},
		models:    []string{modelA, modelB, modelC},
	})
	se.api.now = func() time.Time { se.mu.Lock(); defer se.mu.Unlock(); return se.now }
	return se
}

// later moves the clock past the figures' cache.
func (se *sortEnv) later() {
	se.mu.Lock()
	defer se.mu.Unlock()
	se.now = se.now.Add(sortFigureTTL)
}

// order returns the ids GET /models?sort=by lists.
func (se *sortEnv) order(t *testing.T, by string) []string {
	t.Helper()
	resp := se.do(http.MethodGet, "/api/v1/models?sort="+by, "", "")
	b := readAll(t, resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sort=%s: %d %s", by, resp.StatusCode, b)
	}
	var v struct{ Data []struct{ ID string } }
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range v.Data {
		ids = append(ids, m.ID)
	}
	return ids
}

func (se *sortEnv) expect(t *testing.T, by string, want ...string) {
	t.Helper()
	if got := se.order(t, by); !slices.Equal(got, want) {
		t.Errorf("sort=%s: got %v, want %v", by, got, want)
	}
}

// observe records n successful requests of the endpoint with the given
// time to first token and throughput.
func (se *sortEnv) observe(provider, model string, n int, ttft time.Duration, tokensPerSecond int) {
	e := se.api.router.Health().Endpoint(provider, model)
	for range n {
		e.Record(health.Outcome{Success: true, TTFT: ttft, OutputTokens: tokensPerSecond, Generation: time.Second})
	}
}

func TestModelsSortThroughput(t *testing.T) {
	se := newSortEnv(t)
	se.expect(t, sortThroughput, modelC, modelA, modelB) // no data: the catalog order
	se.later()

	// Only modelB has data: the others follow in catalog order.
	se.observe("p", modelB, 5, 0, 100)
	se.expect(t, sortThroughput, modelB, modelC, modelA)

	// Within the cache's lifetime the figures stand; after it, the new
	// ones: modelC's best endpoint (q) beats modelB's.
	se.observe("p", modelC, 5, 0, 20)
	se.observe("q", modelC, 5, 0, 400)
	se.observe("p", modelA, 5, 0, 2000)
	se.expect(t, sortThroughput, modelB, modelC, modelA)
	se.later()
	se.expect(t, sortThroughput, modelA, modelC, modelB)
}

func TestModelsSortLatency(t *testing.T) {
	se := newSortEnv(t)
	// Requests without a time to first token give no latency: modelA
	// still has none.
	se.observe("p", modelA, 5, 0, 50)
	se.observe("p", modelB, 5, 2*time.Second, 0)
	se.observe("q", modelC, 5, 200*time.Millisecond, 0)
	se.observe("p", modelC, 5, 5*time.Second, 0)
	se.expect(t, sortLatency, modelC, modelB, modelA)

	se.later()
	se.observe("q", modelA, 5, 20*time.Millisecond, 0)
	se.expect(t, sortLatency, modelA, modelC, modelB)
}

func TestModelsSortUsage(t *testing.T) {
	se := newSortEnv(t)
	today := store.Day(se.api.now())
	add := func(model string, at time.Time, tokens int64) {
		t.Helper()
		err := se.store.AddUsage(t.Context(), []store.UsageRow{{
			UsageKey: store.UsageKey{Hour: at, AccountID: se.account.ID, Model: model, Provider: "p", Category: "programming"},
			Tokens:   store.Tokens{Requests: 1, Prompt: tokens / 2, Completion: tokens - tokens/2},
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
	add(modelB, today.Add(3*time.Hour), 500)
	add(modelC, today.AddDate(0, 0, -6), 900)  // the first day of the week
	add(modelA, today.AddDate(0, 0, -7), 5000) // the day before it
	for _, by := range []string{sortPopular, sortWeekly} {
		se.expect(t, by, modelC, modelB, modelA)
	}

	se.later()
	add(modelA, today.Add(time.Hour), 1000)
	for _, by := range []string{sortPopular, sortWeekly} {
		se.expect(t, by, modelA, modelC, modelB)
	}

	// A week on, none of that usage is left in the window: the catalog
	// order, until there is some.
	se.mu.Lock()
	se.now = today.AddDate(0, 0, 7).Add(12 * time.Hour)
	se.mu.Unlock()
	se.expect(t, sortPopular, modelC, modelA, modelB)
	add(modelB, today.AddDate(0, 0, 7), 10)
	se.later()
	se.expect(t, sortPopular, modelB, modelC, modelA)
}

// TestFigureCache: figures are reused for sortFigureTTL, per kind, and
// computed again after.
func TestFigureCache(t *testing.T) {
	var c figureCache
	now := time.Now()
	calls := 0
	compute := func() (map[string]float64, error) {
		calls++
		return map[string]float64{"m": float64(calls)}, nil
	}
	for _, at := range []time.Duration{0, time.Second, sortFigureTTL - time.Millisecond} {
		if fig, _ := c.get("k", now.Add(at), compute); fig["m"] != 1 {
			t.Fatalf("at +%v: %v, want the first figures", at, fig)
		}
	}
	if fig, _ := c.get("other", now, compute); fig["m"] != 2 {
		t.Fatalf("another kind: %v, want its own figures", fig)
	}
	if fig, _ := c.get("k", now.Add(sortFigureTTL), compute); fig["m"] != 3 {
		t.Fatalf("after the TTL: %v, want new figures", fig)
	}
}
