package router

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/health"
	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

// The routing simulation of issue 4: a seeded RNG, a fake clock and fake
// upstreams make it deterministic. Three providers serve one model at $1,
// $2 and $3 per million prompt tokens; the $2 one fails 30% of requests.

// simUpstream is a fake upstream: it fails a share of requests with a 503
// (before the first byte), or cuts a share of streams after their first
// chunk.
type simUpstream struct {
	name     string
	failRate float64 // before the first byte
	cutRate  float64 // streams only: after the first chunk
	rng      *rand.Rand
	mu       sync.Mutex
	calls    int
}

func (u *simUpstream) roll() (fail, cut bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.calls++
	return u.rng.Float64() < u.failRate, u.rng.Float64() < u.cutRate
}

func (u *simUpstream) Chat(ctx context.Context, req *provider.Request) (*openai.ChatResponse, error) {
	if fail, _ := u.roll(); fail {
		return nil, &provider.Error{Provider: u.name, Status: 503, Type: "provider_overloaded", Message: "overloaded"}
	}
	return &openai.ChatResponse{Model: req.UpstreamModel,
		Choices: []openai.Choice{{Message: openai.ResponseMessage{Role: "assistant", Content: openai.Ptr("ok")}, FinishReason: openai.Ptr("stop")}},
		Usage:   &openai.Usage{PromptTokens: 1000, CompletionTokens: 50, TotalTokens: 1050}}, nil
}

func (u *simUpstream) ChatStream(ctx context.Context, req *provider.Request) (provider.Stream, error) {
	fail, cut := u.roll()
	if fail {
		return nil, &provider.Error{Provider: u.name, Status: 503, Type: "provider_overloaded", Message: "overloaded"}
	}
	return &simStream{name: u.name, cut: cut}, nil
}

type simStream struct {
	name string
	cut  bool
	n    int
}

func (s *simStream) Next() (*openai.Chunk, error) {
	s.n++
	switch {
	case s.n == 1:
		return &openai.Chunk{Choices: []openai.ChunkChoice{{Delta: openai.Delta{Role: "assistant", Content: openai.Ptr("Hel")}}}}, nil
	case s.cut:
		return nil, &provider.Error{Provider: s.name, Type: "provider_unavailable", Message: "upstream closed the stream before finishing"}
	case s.n == 2:
		return &openai.Chunk{Choices: []openai.ChunkChoice{{Delta: openai.Delta{Content: openai.Ptr("lo")}, FinishReason: openai.Ptr("stop")}},
			Usage: &openai.Usage{PromptTokens: 1000, CompletionTokens: 2, TotalTokens: 1002}}, nil
	}
	return nil, io.EOF
}

func (s *simStream) Close() error { return nil }

type simulation struct {
	router    *Router
	clock     *testClock
	upstreams map[string]*simUpstream
}

// newSimulation builds the three-provider world. cutRate makes the $2
// provider also cut streams after their first chunk.
func newSimulation(t *testing.T, cutRate float64) *simulation {
	t.Helper()
	perM := func(usd string) money.Rate { return money.MustRate(usd) / 1_000_000 }
	ep := func(p, usd, quant string) catalog.Endpoint {
		return catalog.Endpoint{Provider: p, UpstreamModel: "sim-1", ContextLength: 100_000, Quantization: quant,
			Pricing: catalog.Pricing{Prompt: perM(usd)}}
	}
	cat, err := catalog.New(&catalog.File{
		Providers: []catalog.Provider{
			{Slug: "one", Name: "One", Protocol: "openai"},
			{Slug: "two", Name: "Two", Protocol: "openai"},
			{Slug: "three", Name: "Three", Protocol: "openai"},
		},
		Models: []catalog.Model{{ID: "sim/model", ContextLength: 100_000, Endpoints: []catalog.Endpoint{
			ep("one", "1", "fp8"), ep("two", "2", "fp16"), ep("three", "3", "bf16"),
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	ups := map[string]*simUpstream{
		"one":   {name: "One", rng: rand.New(rand.NewPCG(11, 1))},
		"two":   {name: "Two", failRate: 0.3, cutRate: cutRate, rng: rand.New(rand.NewPCG(22, 2))},
		"three": {name: "Three", rng: rand.New(rand.NewPCG(33, 3))},
	}
	clients := map[string]provider.Provider{}
	for slug, u := range ups {
		clients[slug] = u
	}
	reg := health.NewRegistry(health.Options{Now: clock.Now})
	r := New(cat, Options{
		Clients: clients, Health: reg, Now: clock.Now, Rand: rand.New(rand.NewPCG(1, 2)),
		Retries: -1, FirstByteTimeout: time.Minute, RequestTimeout: time.Minute,
	})
	return &simulation{router: r, clock: clock, upstreams: ups}
}

func (s *simulation) request(prefs *openai.ProviderPrefs) *openai.ChatRequest {
	return &openai.ChatRequest{Model: "sim/model", Provider: prefs,
		Messages: []openai.Message{{Role: "user", Content: openai.TextContent("hello")}}}
}

// TestSimulationLoadBalancing: 2,000 non-streamed requests all succeed;
// first choices follow 1/price² among the endpoints eligible at the time;
// once the failing provider's breaker opens it only gets probes until it
// closes again.
func TestSimulationLoadBalancing(t *testing.T) {
	sim := newSimulation(t, 0)
	two := sim.router.health.Endpoint("two", "sim/model")
	first := map[string]float64{}
	expected := map[string]float64{}
	opened, probes := 0, 0
	const n = 2000
	for i := range n {
		sim.clock.Advance(500 * time.Millisecond)
		stateBefore := two.BreakerState()
		res, err := sim.router.Chat(context.Background(), sim.request(nil), Call{Explain: true})
		if err != nil {
			t.Fatalf("request %d failed: %v", i, err)
		}
		if res.Explain == nil {
			t.Fatal("no explanation")
		}
		for _, c := range res.Explain.Candidates {
			expected[c.Provider] += c.Probability
		}
		first[res.Attempts[0].Provider]++
		if stateBefore != health.BreakerClosed {
			opened++
		}
		for _, a := range res.Attempts {
			if a.Provider != "two" {
				continue
			}
			if a.Probe {
				probes++
			} else if stateBefore != health.BreakerClosed {
				t.Fatalf("request %d: provider two got a regular request while its breaker was %s", i, stateBefore)
			}
		}
	}
	if opened == 0 || probes == 0 {
		t.Fatalf("the failing provider's breaker never opened (%d requests while open, %d probes)", opened, probes)
	}
	for _, p := range []string{"one", "two", "three"} {
		if d := math.Abs(first[p]-expected[p]) / n; d > 0.03 {
			t.Errorf("provider %s first in %.1f%% of requests, expected %.1f%% (1/price² over the eligible endpoints)",
				p, 100*first[p]/n, 100*expected[p]/n)
		}
	}
	t.Logf("first choices %v; expected %v; %d requests with the breaker open, %d probes", first, expected, opened, probes)
}

// TestSimulationPreferences: sort by price always starts with the cheapest
// healthy endpoint, and only / ignore / max_price / quantizations never
// route outside their sets, however the failing provider behaves.
func TestSimulationPreferences(t *testing.T) {
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	tests := []struct {
		name    string
		prefs   *openai.ProviderPrefs
		allowed []string
		first   string
	}{
		{name: "sort price", prefs: &openai.ProviderPrefs{Sort: raw(`"price"`)}, allowed: []string{"one", "two", "three"}, first: "one"},
		{name: "sort price without the cheapest", prefs: &openai.ProviderPrefs{Sort: raw(`"price"`), Ignore: []string{"one"}}, allowed: []string{"two", "three"}},
		{name: "only", prefs: &openai.ProviderPrefs{Only: []string{"two", "three"}}, allowed: []string{"two", "three"}},
		{name: "ignore", prefs: &openai.ProviderPrefs{Ignore: []string{"three"}}, allowed: []string{"one", "two"}},
		{name: "max_price", prefs: &openai.ProviderPrefs{MaxPrice: raw(`{"prompt": 2}`)}, allowed: []string{"one", "two"}},
		{name: "quantizations", prefs: &openai.ProviderPrefs{Quantizations: []string{"fp16", "bf16"}}, allowed: []string{"two", "three"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := newSimulation(t, 0)
			two := sim.router.health.Endpoint("two", "sim/model")
			for i := range 500 {
				sim.clock.Advance(500 * time.Millisecond)
				// Healthy, or due for a breaker probe: either way in its place.
				healthyTwo := !two.RecentOutage() && (two.BreakerState() == health.BreakerClosed || two.ProbeDue())
				res, err := sim.router.Chat(context.Background(), sim.request(tt.prefs), Call{})
				if err != nil {
					if slices.Equal(tt.allowed, []string{"two"}) {
						continue // only the failing provider: its failures are the client's
					}
					t.Fatalf("request %d: %v", i, err)
				}
				for _, a := range res.Attempts {
					if !slices.Contains(tt.allowed, a.Provider) {
						t.Fatalf("request %d went to %s, outside %v", i, a.Provider, tt.allowed)
					}
				}
				want := tt.first
				if tt.name == "sort price without the cheapest" {
					want = "three"
					if healthyTwo {
						want = "two"
					}
				}
				if want != "" && res.Attempts[0].Provider != want {
					t.Fatalf("request %d started with %s, want %s (the cheapest healthy)", i, res.Attempts[0].Provider, want)
				}
			}
		})
	}
}

// TestSimulationStreams: with the $2 provider also cutting half of its
// streams after the first chunk, every stream either completes or ends
// with an error after its first chunk, and no stream is retried once a
// chunk has been received.
func TestSimulationStreams(t *testing.T) {
	sim := newSimulation(t, 0.5)
	cuts := 0
	for i := range 1000 {
		sim.clock.Advance(500 * time.Millisecond)
		before := sim.upstreams["one"].calls + sim.upstreams["two"].calls + sim.upstreams["three"].calls
		sr, err := sim.router.ChatStream(context.Background(), sim.request(nil), Call{})
		if err != nil {
			t.Fatalf("stream %d did not start: %v", i, err)
		}
		var chunks int
		for {
			_, err = sr.Stream.Next()
			if err != nil {
				break
			}
			chunks++
		}
		sr.Stream.Close()
		after := sim.upstreams["one"].calls + sim.upstreams["two"].calls + sim.upstreams["three"].calls
		if after-before != len(sr.Attempts) {
			t.Fatalf("stream %d: %d upstream calls for %d attempts: a stream was retried after its first byte", i, after-before, len(sr.Attempts))
		}
		if errors.Is(err, io.EOF) {
			continue
		}
		var pe *provider.Error
		if !errors.As(err, &pe) || chunks == 0 {
			t.Fatalf("stream %d ended with %v after %d chunks", i, err, chunks)
		}
		cuts++
	}
	if cuts == 0 {
		t.Fatal("no stream was cut: the simulation tests nothing")
	}
}
