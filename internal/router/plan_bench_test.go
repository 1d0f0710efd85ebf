package router

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/openai"
)

// benchRouter is a router over a synthetic catalog of 100,000 models with
// 5 endpoints each, all routable, built once.
var benchRouter = sync.OnceValue(func() *Router {
	const models, providers = 100_000, 5
	f := &catalog.File{}
	for p := range providers {
		f.Providers = append(f.Providers, catalog.Provider{Slug: fmt.Sprintf("p%d", p), Name: fmt.Sprintf("P%d", p), Protocol: "openai"})
	}
	f.Models = make([]catalog.Model, models)
	for m := range f.Models {
		eps := make([]catalog.Endpoint, providers)
		for p := range eps {
			rate := money.Rate((m%97 + 1) * (p + 1) * 100_000_000) // $0.1…$48.5 per M
			eps[p] = catalog.Endpoint{
				Provider: f.Providers[p].Slug, UpstreamModel: "up", ContextLength: 131072, MaxCompletionTokens: 8192,
				Pricing:             catalog.Pricing{Prompt: rate, Completion: 2 * rate},
				SupportedParameters: []string{"max_tokens", "temperature", "tools", "tool_choice"},
			}
		}
		f.Models[m] = catalog.Model{ID: fmt.Sprintf("author%d/model-%d", m%1000, m), ContextLength: 131072,
			InputModalities: []string{"text"}, Endpoints: eps}
	}
	clients := make([]string, providers)
	for p := range clients {
		clients[p] = f.Providers[p].Slug
	}
	return newTestRouter(&testing.B{}, f, clients, Options{Rand: rand.New(rand.NewPCG(1, 2))})
})

func benchPlan(b *testing.B, req *openai.ChatRequest) {
	r := benchRouter()
	if _, err := r.Plan(req, PlanOptions{}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := r.Plan(req, PlanOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlan is one routing decision over 100,000 models × 5
// endpoints: the target is under 5 µs and at most 2 allocations.
func BenchmarkPlan(b *testing.B) {
	msgs := []openai.Message{
		{Role: "system", Content: openai.TextContent("You are a helpful assistant.")},
		{Role: "user", Content: openai.TextContent("What is the capital of France? Answer in one word.")},
	}
	b.Run("plain", func(b *testing.B) {
		benchPlan(b, &openai.ChatRequest{Model: "author417/model-54417", Messages: msgs})
	})
	b.Run("only+sort", func(b *testing.B) {
		benchPlan(b, &openai.ChatRequest{Model: "author417/model-54417", Messages: msgs, Provider: &openai.ProviderPrefs{
			Only: []string{"p1", "p2", "p4"}, Sort: []byte(`"throughput"`),
		}})
	})
	b.Run("fallbacks+tools", func(b *testing.B) {
		benchPlan(b, &openai.ChatRequest{Model: "author417/model-54417", Models: []string{"author3/model-3"}, Messages: msgs,
			Tools: []openai.Tool{{Type: "function", Function: &openai.FunctionDef{Name: "f"}}}, MaxTokens: ptr(1000)})
	})
}
