// Package demo runs the simulated upstream providers behind
// `switchyard serve --demo`, so that a new user can get a streamed answer
// without any provider key.
//
// Each simulated provider is a real net/http server on a random loopback port
// that speaks the OpenAI Chat Completions wire protocol (POST
// /v1/chat/completions, streamed or not, and GET /v1/models). The gateway
// reaches it through its ordinary OpenAI adapter, so a demo request exercises
// the same routing, failover, streaming and accounting code as a real one.
//
// Replies are generated locally: they say plainly that they are simulated,
// quote the user's question and add filler about Switchyard. Each Profile
// sets a provider's time to first token, its generation speed and how often it
// fails, so that latency-aware routing and failover can be watched at work.
// Prices are copied from real list prices (see the table in models.go) and are
// for demonstration only.
//
// Start launches a Cluster; its Providers, Endpoints, Models and AddTo
// methods describe it in catalog terms, and Close stops it.
package demo

import (
	"fmt"
	"slices"
	"time"
)

// Profile describes one simulated provider.
type Profile struct {
	// Slug is the provider's routing slug, e.g. "demo-alpha".
	Slug string
	// Name is the display name, used verbatim in the catalog and in replies,
	// e.g. "Simulated Alpha (demo)".
	Name string
	// Latency is the time to first token: how long the server waits before
	// sending the response status.
	Latency time.Duration
	// TokensPerSecond paces generation. Zero sends every token at once.
	TokensPerSecond float64
	// FailureRate is the fraction of requests answered with an OpenAI-shaped
	// error before any byte of the response: one failure in four is a 429
	// rate limit (with Retry-After), the others a 503 overload.
	FailureRate float64
	// MidStreamFailureRate is the fraction of the remaining requests that
	// fail part-way: a stream ends with an in-band error event and no
	// [DONE]; a non-streamed request gets a 500 after its generation time.
	MidStreamFailureRate float64
	// PricePercent scales the demo list price of every model the provider
	// serves (80 means 20% cheaper). Zero means 100.
	PricePercent int
	// Models are the canonical ids served; each must be in the demo model
	// table (see ModelIDs).
	Models []string
	// Rand, when set, replaces math/rand/v2's Float64 for the failure
	// decisions, so tests can force outcomes. It must return values in
	// [0, 1) and be safe for concurrent use.
	Rand func() float64
}

// Demo model ids, in one place so that matching the generated catalog is a
// one-line change.
const (
	modelGPT4oMini = "openai/gpt-4o-mini"
	modelLlama70B  = "meta-llama/llama-3.3-70b-instruct"
	modelHaiku     = "anthropic/claude-3.5-haiku"
	modelDeepSeek  = "deepseek/deepseek-chat"
	modelMistralSm = "mistralai/mistral-small"
)

// DefaultProfiles returns the providers `serve --demo` starts: a fast,
// cheap one that sometimes fails, a slower reliable one and a cheap flaky
// one. Every demo model is served by at least two of them, so failover
// always has somewhere to go.
func DefaultProfiles() []Profile {
	return []Profile{
		{
			Slug:            "demo-alpha",
			Name:            "Simulated Alpha (demo)",
			Latency:         150 * time.Millisecond,
			TokensPerSecond: 120,
			FailureRate:     0.05,
			PricePercent:    80,
			Models:          []string{modelGPT4oMini, modelLlama70B, modelDeepSeek, modelMistralSm},
		},
		{
			Slug:            "demo-beta",
			Name:            "Simulated Beta (demo)",
			Latency:         600 * time.Millisecond,
			TokensPerSecond: 40,
			PricePercent:    100,
			Models:          []string{modelGPT4oMini, modelLlama70B, modelHaiku, modelDeepSeek, modelMistralSm},
		},
		{
			Slug:                 "demo-gamma",
			Name:                 "Simulated Gamma (demo)",
			Latency:              300 * time.Millisecond,
			TokensPerSecond:      70,
			FailureRate:          0.20,
			MidStreamFailureRate: 0.05,
			PricePercent:         90,
			Models:               []string{modelGPT4oMini, modelLlama70B, modelHaiku, modelDeepSeek, modelMistralSm},
		},
	}
}

// validate checks a profile's fields and that its models are priced.
func (p *Profile) validate() error {
	switch {
	case p.Slug == "":
		return fmt.Errorf("demo: profile %q has no slug", p.Name)
	case p.Name == "":
		return fmt.Errorf("demo: profile %q has no name", p.Slug)
	case len(p.Models) == 0:
		return fmt.Errorf("demo: profile %q serves no model", p.Slug)
	case p.Latency < 0:
		return fmt.Errorf("demo: profile %q: negative latency", p.Slug)
	case !(p.TokensPerSecond >= 0): // also rejects NaN
		return fmt.Errorf("demo: profile %q: tokens per second must be >= 0", p.Slug)
	case !(p.FailureRate >= 0 && p.FailureRate <= 1):
		return fmt.Errorf("demo: profile %q: failure rate must be in [0, 1]", p.Slug)
	case !(p.MidStreamFailureRate >= 0 && p.MidStreamFailureRate <= 1):
		return fmt.Errorf("demo: profile %q: mid-stream failure rate must be in [0, 1]", p.Slug)
	case p.PricePercent < 0:
		return fmt.Errorf("demo: profile %q: negative price percent", p.Slug)
	}
	seen := make(map[string]bool, len(p.Models))
	for _, id := range p.Models {
		if _, ok := lookupModel(id); !ok {
			return fmt.Errorf("demo: profile %q: model %q is not in the demo model table", p.Slug, id)
		}
		if seen[id] {
			return fmt.Errorf("demo: profile %q lists model %q twice", p.Slug, id)
		}
		seen[id] = true
	}
	return nil
}

// serves reports whether the profile serves model id.
func (p *Profile) serves(id string) bool {
	return slices.Contains(p.Models, id)
}

// pricePercent returns PricePercent with its default, 100, applied.
func (p *Profile) pricePercent() int64 {
	if p.PricePercent == 0 {
		return 100
	}
	return int64(p.PricePercent)
}
