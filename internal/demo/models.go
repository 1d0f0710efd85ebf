package demo

import (
	"slices"
	"strings"

	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/money"
)

// modelInfo is one row of the demo model table.
type modelInfo struct {
	id, name, tokenizer string
	created             int64 // unix seconds, approximate release date
	contextLength       int
	maxCompletion       int
	// prompt and completion are USD per token, copied from a real list
	// price of the model. They are demo prices: nothing is ever charged
	// for a simulated reply, they only make price routing visible.
	prompt, completion string
}

// demoModels is the demo model table. It is a function, not a variable, so
// that the package holds no mutable state.
func demoModels() []modelInfo {
	return []modelInfo{
		// OpenAI list price: $0.15 / $0.60 per million tokens.
		{modelGPT4oMini, "OpenAI: GPT-4o-mini", "GPT", 1721260800, 128000, 16384, "0.00000015", "0.0000006"},
		// A typical hosted price: $0.13 / $0.40 per million tokens.
		{modelLlama70B, "Meta: Llama 3.3 70B Instruct", "Llama3", 1733443200, 131072, 16384, "0.00000013", "0.0000004"},
		// Anthropic list price: $0.80 / $4 per million tokens.
		{modelHaiku, "Anthropic: Claude 3.5 Haiku", "Claude", 1730678400, 200000, 8192, "0.0000008", "0.000004"},
		// DeepSeek list price for V3: $0.27 / $1.10 per million tokens.
		{modelDeepSeek, "DeepSeek: DeepSeek V3", "DeepSeek", 1735171200, 64000, 8192, "0.00000027", "0.0000011"},
		// Mistral list price: $0.20 / $0.60 per million tokens.
		{modelMistralSm, "Mistral: Mistral Small", "Mistral", 1704844800, 32768, 8192, "0.0000002", "0.0000006"},
	}
}

// lookupModel returns the demo table row of id.
func lookupModel(id string) (modelInfo, bool) {
	for _, m := range demoModels() {
		if m.id == id {
			return m, true
		}
	}
	return modelInfo{}, false
}

// ModelIDs returns the canonical ids of the demo model table, the models a
// Profile may serve.
func ModelIDs() []string {
	var ids []string
	for _, m := range demoModels() {
		ids = append(ids, m.id)
	}
	return ids
}

// supportedParameters are the request parameters the simulated servers
// accept and honour (max tokens, stop, tools) or accept and ignore
// (sampling parameters, as a real model would make them no visible
// difference to a canned reply).
func supportedParameters() []string {
	return []string{
		"frequency_penalty", "max_completion_tokens", "max_tokens", "presence_penalty",
		"seed", "stop", "temperature", "tool_choice", "tools", "top_p",
	}
}

// Providers returns one catalog provider per profile, in profile order.
func (c *Cluster) Providers() []catalog.Provider {
	out := make([]catalog.Provider, 0, len(c.nodes))
	for _, n := range c.nodes {
		out = append(out, catalog.Provider{
			Slug:      n.profile.Slug,
			Name:      n.profile.Name,
			Protocol:  catalog.ProtocolOpenAI,
			BaseURL:   n.baseURL,
			Simulated: true,
		})
	}
	return out
}

// Endpoints returns, per canonical model id, the simulated endpoints to add
// to the catalog, in profile order. UpstreamModel is the canonical id.
func (c *Cluster) Endpoints() map[string][]catalog.Endpoint {
	out := make(map[string][]catalog.Endpoint)
	for _, n := range c.nodes {
		for _, id := range n.profile.Models {
			m, _ := lookupModel(id) // validated by Start
			out[id] = append(out[id], endpoint(&n.profile, m))
		}
	}
	return out
}

// Models returns a full catalog entry, endpoints included, for every model
// the cluster serves, sorted by id. Use it for demo models the catalog
// lacks; AddTo does both.
func (c *Cluster) Models() []catalog.Model {
	eps := c.Endpoints()
	var out []catalog.Model
	for _, m := range demoModels() {
		if len(eps[m.id]) == 0 {
			continue
		}
		out = append(out, catalog.Model{
			ID:               m.id,
			CanonicalSlug:    m.id,
			Name:             m.name,
			Description:      m.name + ", served in demo mode by simulated providers that return canned replies.",
			Created:          m.created,
			ContextLength:    m.contextLength,
			InputModalities:  []string{"text"},
			OutputModalities: []string{"text"},
			Tokenizer:        m.tokenizer,
			Endpoints:        eps[m.id],
		})
	}
	slices.SortFunc(out, func(a, b catalog.Model) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// AddTo adds the cluster to a catalog file: its providers, its endpoints
// on the models f already has (matched by exact id), and whole model
// entries for the demo models f lacks.
func (c *Cluster) AddTo(f *catalog.File) {
	f.Providers = append(f.Providers, c.Providers()...)
	eps := c.Endpoints()
	for i := range f.Models {
		m := &f.Models[i]
		if e, ok := eps[m.ID]; ok {
			m.Endpoints = append(m.Endpoints, e...)
			delete(eps, m.ID)
		}
	}
	for _, m := range c.Models() {
		if _, missing := eps[m.ID]; missing {
			f.Models = append(f.Models, m)
		}
	}
}

// endpoint builds the catalog endpoint of model m on profile p.
func endpoint(p *Profile, m modelInfo) catalog.Endpoint {
	pct := p.pricePercent()
	scale := func(s string) money.Rate { return money.Rate(int64(money.MustRate(s)) * pct / 100) }
	return catalog.Endpoint{
		Provider:      p.Slug,
		UpstreamModel: m.id,
		Pricing: catalog.Pricing{
			Prompt:     scale(m.prompt),
			Completion: scale(m.completion),
		},
		ContextLength:       m.contextLength,
		MaxCompletionTokens: m.maxCompletion,
		SupportedParameters: supportedParameters(),
	}
}
