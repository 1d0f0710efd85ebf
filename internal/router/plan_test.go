package router

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/apierr"
	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

// stub is a Provider that is never called by Plan.
type stub struct{}

func (stub) Chat(context.Context, *provider.Request) (*openai.ChatResponse, error) { return nil, nil }
func (stub) ChatStream(context.Context, *provider.Request) (provider.Stream, error) {
	return nil, nil
}

// zeroSource makes load balancing deterministic: Float64 is always 0, so
// the draw picks the cheapest endpoint of the pool.
type zeroSource struct{}

func (zeroSource) Uint64() uint64 { return 0 }

// ep is an endpoint of provider p priced at rate USD per token for both
// prompt and completion.
func ep(p, rate string) catalog.Endpoint {
	r := money.MustRate(rate)
	return catalog.Endpoint{Provider: p, UpstreamModel: "x", Pricing: catalog.Pricing{Prompt: r, Completion: r},
		SupportedParameters: []string{"max_tokens", "temperature"}}
}

// newTestRouter builds a router over f whose clients are the named
// providers, with an adapter for the openai protocol only.
func newTestRouter(t testing.TB, f *catalog.File, clients []string, o Options) *Router {
	t.Helper()
	cat, err := catalog.New(f)
	if err != nil {
		t.Fatal(err)
	}
	reg := provider.NewRegistry()
	reg.Register("openai", func(provider.Config) (provider.Provider, error) { return stub{}, nil })
	o.Adapters = reg
	o.Clients = make(map[string]provider.Provider)
	for _, c := range clients {
		o.Clients[c] = stub{}
	}
	if o.Rand == nil {
		o.Rand = rand.New(zeroSource{})
	}
	return New(cat, o)
}

func testProviders() []catalog.Provider {
	return []catalog.Provider{
		{Slug: "cheap", Name: "Cheap", Protocol: "openai"},
		{Slug: "mid", Name: "Mid", Protocol: "openai"},
		{Slug: "pricey", Name: "Pricey", Protocol: "openai"},
		{Slug: "nokey", Name: "No Key", Protocol: "openai"},
		{Slug: "native", Name: "Native", Protocol: "anthropic"},
	}
}

func testRouter(t *testing.T) *Router {
	t.Helper()
	f := &catalog.File{
		Providers: testProviders(),
		Models: []catalog.Model{
			{ID: "a/one", CanonicalSlug: "a/one-2025", Endpoints: []catalog.Endpoint{
				ep("pricey", "0.000003"), ep("cheap", "0.000001"), ep("mid", "0.000002"), ep("nokey", "0.0000001"),
			}},
			{ID: "a/one:free", Endpoints: []catalog.Endpoint{ep("cheap", "0")}},
			{ID: "a/two", ContextLength: 8192, Endpoints: []catalog.Endpoint{ep("mid", "0.000001"), ep("native", "0.000001")}},
			{ID: "a/none", Endpoints: []catalog.Endpoint{ep("native", "0.000001"), ep("nokey", "0.000001")}},
			{ID: "a/empty"},
		},
	}
	return newTestRouter(t, f, []string{"cheap", "mid", "pricey"}, Options{})
}

// order renders a plan as "model@tag …".
func order(p *Plan) string {
	var got []string
	for _, c := range p.Candidates {
		got = append(got, c.Model.ID+"@"+c.Endpoint.Tag)
	}
	return strings.Join(got, " ")
}

func user(text string) []openai.Message {
	return []openai.Message{{Role: "user", Content: openai.TextContent(text)}}
}

func raw(s string) []byte { return []byte(s) }

func TestPlanOrder(t *testing.T) {
	r := testRouter(t)
	f := false
	tests := []struct {
		name string
		req  openai.ChatRequest
		want string
	}{
		{"by price, unroutable skipped", openai.ChatRequest{Model: "a/one"},
			"a/one@cheap a/one@mid a/one@pricey"},
		{"canonical slug resolves", openai.ChatRequest{Model: "A/ONE-2025"},
			"a/one@cheap a/one@mid a/one@pricey"},
		{"static variant is a catalog model", openai.ChatRequest{Model: "a/one:free"}, "a/one:free@cheap"},
		{"order first", openai.ChatRequest{Model: "a/one", Provider: &openai.ProviderPrefs{Order: []string{"pricey", "Mid"}}},
			"a/one@pricey a/one@mid a/one@cheap"},
		{"order by display name", openai.ChatRequest{Model: "a/one", Provider: &openai.ProviderPrefs{Order: []string{"Pricey"}}},
			"a/one@pricey a/one@cheap a/one@mid"},
		{"order without fallbacks", openai.ChatRequest{Model: "a/one",
			Provider: &openai.ProviderPrefs{Order: []string{"pricey", "mid"}, AllowFallbacks: &f}},
			"a/one@pricey a/one@mid"},
		{"no fallbacks keeps the first", openai.ChatRequest{Model: "a/one", Provider: &openai.ProviderPrefs{AllowFallbacks: &f}},
			"a/one@cheap"},
		{"models fallbacks, deduplicated", openai.ChatRequest{Model: "a/two", Models: []string{"a/one", "a/two"}},
			"a/two@mid a/one@cheap a/one@mid a/one@pricey"},
		{"models alone", openai.ChatRequest{Models: []string{"a/two"}}, "a/two@mid"},
		{"deprecated route fallback", openai.ChatRequest{Model: "a/two", Models: []string{"a/one"}, Route: "fallback"},
			"a/two@mid a/one@cheap a/one@mid a/one@pricey"},
		{"a model without endpoints falls through", openai.ChatRequest{Model: "a/empty", Models: []string{"a/two"}},
			"a/two@mid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := r.Plan(&tt.req, PlanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := order(p); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
			if p.Explain != nil {
				t.Error("an explanation nobody asked for")
			}
		})
	}
}

func TestPlanErrors(t *testing.T) {
	r := testRouter(t)
	tests := []struct {
		name    string
		req     openai.ChatRequest
		kind    apierr.Kind
		message string
	}{
		{"no model", openai.ChatRequest{}, apierr.InvalidRequest, "model is required"},
		{"unknown model", openai.ChatRequest{Model: "x/y"}, apierr.InvalidRequest, "x/y is not a valid model ID"},
		{"unknown static variant", openai.ChatRequest{Model: "a/two:free"}, apierr.InvalidRequest, "a/two:free is not a valid model ID"},
		{"unknown variant", openai.ChatRequest{Model: "x/y:nitro"}, apierr.InvalidRequest, "x/y:nitro is not a valid model ID"},
		{"unknown fallback model", openai.ChatRequest{Model: "a/one", Models: []string{"x/y"}}, apierr.InvalidRequest, "x/y is not a valid model ID"},
		{"unknown provider slug", openai.ChatRequest{Model: "a/one", Provider: &openai.ProviderPrefs{Only: []string{"acme"}}},
			apierr.InvalidRequest, `unknown provider "acme"`},
		{"unknown provider slugs, all named", openai.ChatRequest{Model: "a/one", Provider: &openai.ProviderPrefs{
			Order: []string{"acme", "cheap"}, Ignore: []string{"zeta/x", "acme"}}},
			apierr.InvalidRequest, `unknown providers "acme", "zeta/x"`},
		{"bad sort", openai.ChatRequest{Model: "a/one", Provider: &openai.ProviderPrefs{Sort: raw(`"speed"`)}},
			apierr.InvalidRequest, "provider.sort must be"},
		{"bad partition", openai.ChatRequest{Model: "a/one", Provider: &openai.ProviderPrefs{Sort: raw(`{"by":"price","partition":"x"}`)}},
			apierr.InvalidRequest, "provider.sort.partition"},
		{"bad max_price", openai.ChatRequest{Model: "a/one", Provider: &openai.ProviderPrefs{MaxPrice: raw(`{"prompt":"cheap"}`)}},
			apierr.InvalidRequest, "provider.max_price.prompt"},
		{"negative max_price", openai.ChatRequest{Model: "a/one", Provider: &openai.ProviderPrefs{MaxPrice: raw(`{"prompt":-1}`)}},
			apierr.InvalidRequest, "negative"},
		{"bad data_collection", openai.ChatRequest{Model: "a/one", Provider: &openai.ProviderPrefs{DataCollection: "never"}},
			apierr.InvalidRequest, "provider.data_collection"},
		{"bad threshold", openai.ChatRequest{Model: "a/one", Provider: &openai.ProviderPrefs{PreferredMaxLatency: raw(`"fast"`)}},
			apierr.InvalidRequest, "provider.preferred_max_latency"},
		{"bad route", openai.ChatRequest{Model: "a/one", Route: "random"}, apierr.InvalidRequest, "route must be"},
		{"filtered out", openai.ChatRequest{Model: "a/one", Provider: &openai.ProviderPrefs{Only: []string{"nokey"}}},
			apierr.NotFound, "matching your provider preferences (excluded by provider.only)"},
		{"no endpoints at all", openai.ChatRequest{Model: "a/empty"}, apierr.NotFound, "No endpoints found for a/empty"},
		{"nothing routable", openai.ChatRequest{Model: "a/none"}, apierr.Unavailable, "none of its 2 endpoints"},
		{"context too long", openai.ChatRequest{Model: "a/two", MaxTokens: ptr(1 << 20)}, apierr.InvalidRequest, "context length"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.Plan(&tt.req, PlanOptions{})
			var e *apierr.Error
			if !errors.As(err, &e) || e.Kind != tt.kind || !strings.Contains(e.Message, tt.message) {
				t.Fatalf("got %v, want kind %d with %q", err, tt.kind, tt.message)
			}
		})
	}
}

func TestPlanErrorMetadata(t *testing.T) {
	r := testRouter(t)
	_, err := r.Plan(&openai.ChatRequest{Model: "a/none"}, PlanOptions{})
	md := apierr.From(err).Metadata
	excluded := md["excluded"].([]string)
	if strings.Join(excluded, "; ") != "native: no adapter for protocol anthropic yet; nokey: no credentials configured" {
		t.Fatalf("excluded %q", excluded)
	}
	by := md["excluded_by"].([]Exclusion)
	want := []Exclusion{
		{Model: "a/none", Provider: "native", ExcludedBy: "unroutable", Reason: "no adapter for protocol anthropic yet"},
		{Model: "a/none", Provider: "nokey", ExcludedBy: "unroutable", Reason: "no credentials configured"},
	}
	if !slices.Equal(by, want) {
		t.Fatalf("excluded_by %+v", by)
	}

	// The constraints that excluded something are named, each once.
	_, err = r.Plan(&openai.ChatRequest{Model: "a/one", Provider: &openai.ProviderPrefs{
		Ignore: []string{"cheap"}, MaxPrice: raw(`{"prompt": 1.5}`)}}, PlanOptions{})
	e := apierr.From(err)
	if e.Kind != apierr.NotFound || !strings.Contains(e.Message, "excluded by provider.ignore, provider.max_price") {
		t.Fatalf("got %v", err)
	}
	if e.Metadata["error_type"] != "not_found" {
		t.Errorf("metadata %v", e.Metadata)
	}

	// A request too large for every endpoint says so, with its error type.
	_, err = r.Plan(&openai.ChatRequest{Model: "a/two", Messages: user("hi"), MaxTokens: ptr(9000)}, PlanOptions{})
	e = apierr.From(err)
	if e.Kind != apierr.InvalidRequest || e.Metadata["error_type"] != "context_length_exceeded" ||
		!strings.Contains(e.Message, "about 9000 tokens") {
		t.Fatalf("got %v %v", err, e.Metadata)
	}
}

func ptr[T any](v T) *T { return &v }
