package router

import (
	"context"
	"errors"
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

func testRouter(t *testing.T) *Router {
	t.Helper()
	ep := func(p, prompt string) catalog.Endpoint {
		return catalog.Endpoint{Provider: p, UpstreamModel: "x", Pricing: catalog.Pricing{Prompt: money.MustRate(prompt)}}
	}
	f := &catalog.File{
		Providers: []catalog.Provider{
			{Slug: "cheap", Name: "Cheap", Protocol: "openai"},
			{Slug: "mid", Name: "Mid", Protocol: "openai"},
			{Slug: "pricey", Name: "Pricey", Protocol: "openai"},
			{Slug: "nokey", Name: "No Key", Protocol: "openai"},
			{Slug: "native", Name: "Native", Protocol: "anthropic"},
		},
		Models: []catalog.Model{
			{ID: "a/one", CanonicalSlug: "a/one-2025", Endpoints: []catalog.Endpoint{
				ep("pricey", "0.000003"), ep("cheap", "0.000001"), ep("mid", "0.000002"), ep("nokey", "0.0000001"),
			}},
			{ID: "a/two", Endpoints: []catalog.Endpoint{ep("mid", "0.000001"), ep("native", "0.000001")}},
			{ID: "a/none", Endpoints: []catalog.Endpoint{ep("native", "0.000001"), ep("nokey", "0.000001")}},
		},
	}
	cat, err := catalog.New(f)
	if err != nil {
		t.Fatal(err)
	}
	reg := provider.NewRegistry()
	reg.Register("openai", func(provider.Config) (provider.Provider, error) { return stub{}, nil })
	return New(cat, Options{Adapters: reg, Clients: map[string]provider.Provider{
		"cheap": stub{}, "mid": stub{}, "pricey": stub{},
	}})
}

func TestPlanOrder(t *testing.T) {
	r := testRouter(t)
	f := false
	tests := []struct {
		name string
		req  openai.ChatRequest
		want string // model@provider, in order
	}{
		{"by price, unroutable skipped", openai.ChatRequest{Model: "a/one"},
			"a/one@cheap a/one@mid a/one@pricey"},
		{"canonical slug resolves", openai.ChatRequest{Model: "A/ONE-2025"},
			"a/one@cheap a/one@mid a/one@pricey"},
		{"dynamic variant resolves", openai.ChatRequest{Model: "a/one:nitro"},
			"a/one@cheap a/one@mid a/one@pricey"},
		{"order first", openai.ChatRequest{Model: "a/one", Provider: &openai.ProviderPrefs{Order: []string{"pricey", "Mid"}}},
			"a/one@pricey a/one@mid a/one@cheap"},
		{"order without fallbacks", openai.ChatRequest{Model: "a/one",
			Provider: &openai.ProviderPrefs{Order: []string{"pricey"}, AllowFallbacks: &f}},
			"a/one@pricey"},
		{"no fallbacks keeps the first", openai.ChatRequest{Model: "a/one", Provider: &openai.ProviderPrefs{AllowFallbacks: &f}},
			"a/one@cheap"},
		{"only", openai.ChatRequest{Model: "a/one", Provider: &openai.ProviderPrefs{Only: []string{"mid", "pricey"}}},
			"a/one@mid a/one@pricey"},
		{"ignore", openai.ChatRequest{Model: "a/one", Provider: &openai.ProviderPrefs{Ignore: []string{"cheap"}}},
			"a/one@mid a/one@pricey"},
		{"models fallbacks, deduplicated", openai.ChatRequest{Model: "a/two", Models: []string{"a/one", "a/two"}},
			"a/two@mid a/one@cheap a/one@mid a/one@pricey"},
		{"models alone", openai.ChatRequest{Models: []string{"a/two"}}, "a/two@mid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := r.Plan(&tt.req, PlanOptions{})
			var plan []Candidate
			if p != nil {
				plan = p.Candidates
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range plan {
				got = append(got, c.Model.ID+"@"+c.Provider.Slug)
			}
			if strings.Join(got, " ") != tt.want {
				t.Fatalf("got %v, want %s", got, tt.want)
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
		{"unknown fallback model", openai.ChatRequest{Model: "a/one", Models: []string{"x/y"}}, apierr.InvalidRequest, "x/y is not a valid model ID"},
		{"unknown provider slug", openai.ChatRequest{Model: "a/one", Provider: &openai.ProviderPrefs{Only: []string{"acme"}}},
			apierr.InvalidRequest, `unknown provider "acme"`},
		{"filtered out", openai.ChatRequest{Model: "a/one", Provider: &openai.ProviderPrefs{Only: []string{"nokey"}}},
			apierr.NotFound, "matching your provider preferences"},
		{"nothing routable", openai.ChatRequest{Model: "a/none"}, apierr.Unavailable, "none of its 2 endpoints"},
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
	_, err := r.Plan(&openai.ChatRequest{Model: "a/none"}, PlanOptions{})
	excluded := apierr.From(err).Metadata["excluded"].([]string)
	if strings.Join(excluded, "; ") != "native: no adapter for protocol anthropic yet; nokey: no credentials configured" {
		t.Fatalf("excluded %q", excluded)
	}
}

func TestUpstreamErrorKinds(t *testing.T) {
	tests := []struct {
		err  provider.Error
		kind apierr.Kind
	}{
		{provider.Error{Status: 429}, apierr.RateLimited},
		{provider.Error{Status: 400}, apierr.InvalidRequest},
		{provider.Error{Status: 422}, apierr.InvalidRequest},
		{provider.Error{Status: 413}, apierr.TooLarge},
		{provider.Error{Status: 401}, apierr.Upstream},
		{provider.Error{Status: 500}, apierr.Upstream},
		{provider.Error{Status: 503}, apierr.Unavailable},
		{provider.Error{Status: 529}, apierr.Unavailable},
		{provider.Error{Status: 504}, apierr.Timeout},
		{provider.Error{Type: "timeout"}, apierr.Timeout},
		{provider.Error{Type: "provider_unavailable"}, apierr.Upstream},
	}
	for _, tt := range tests {
		if got := UpstreamError(&tt.err).Kind; got != tt.kind {
			t.Errorf("%+v: kind %d, want %d", tt.err, got, tt.kind)
		}
	}
}
