// Package catalog is Switchyard's knowledge of models, providers, endpoints
// and prices. The bundled catalog (data/catalog.json) is generated from the
// price file in source/ by `go generate` (see gen.go) and embedded in the
// binary; the config file overlays providers, endpoints, models and prices.
//
// A Catalog is immutable once built; lookups are safe for concurrent use.
package catalog

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/switchyard-dev/switchyard/internal/money"
)

// Protocols an upstream provider can speak. Endpoints of a protocol without
// an adapter (see app.newAdapters) are listed but not routed to.
const (
	ProtocolOpenAI    = "openai"
	ProtocolAnthropic = "anthropic"
	ProtocolGemini    = "gemini"
	ProtocolVertex    = "vertex"
	ProtocolBedrock   = "bedrock"
	ProtocolCohere    = "cohere"
	ProtocolAzure     = "azure"
	ProtocolOllama    = "ollama"
)

// File is the serialized form of a catalog: data/catalog.json.
type File struct {
	// Source names the price file the catalog was generated from.
	Source    string     `json:"source"`
	Providers []Provider `json:"providers"`
	Models    []Model    `json:"models"`
}

// Provider is an upstream that serves endpoints.
type Provider struct {
	Slug     string `json:"slug"` // routing slug: provider.order / only / ignore
	Name     string `json:"name"` // display name, e.g. "Together"
	Protocol string `json:"protocol"`
	BaseURL  string `json:"base_url,omitempty"`
	// APIKeyEnv lists the conventional environment variables holding the
	// credential, first match wins (e.g. ["TOGETHER_API_KEY", "TOGETHERAI_API_KEY"]).
	APIKeyEnv        []string `json:"api_key_env,omitempty"`
	PrivacyPolicyURL string   `json:"privacy_policy_url,omitempty"`
	// DataPolicy is what the provider does with prompts, for the
	// provider.data_collection and provider.zdr routing filters. The
	// bundled catalog knows none; operators state them in the config file.
	DataPolicy DataPolicy `json:"data_policy"`
	// Simulated marks the demo providers; they are labelled everywhere.
	Simulated bool `json:"simulated,omitempty"`
}

// DataPolicy is a provider's treatment of prompts and completions.
type DataPolicy struct {
	// Training: the provider may train on them.
	Training bool `json:"training" yaml:"training"`
	// RetainsPrompts: the provider stores them (beyond abuse monitoring).
	RetainsPrompts bool `json:"retains_prompts" yaml:"retains_prompts"`
	// ZDR: the provider has a zero-data-retention agreement.
	ZDR bool `json:"zdr" yaml:"zdr"`
}

// CollectsData reports whether provider.data_collection "deny" excludes
// the provider.
func (d DataPolicy) CollectsData() bool { return d.Training || d.RetainsPrompts }

// Model is a canonical model: one id whatever the provider calls it.
type Model struct {
	ID               string     `json:"id"`             // author/slug, e.g. anthropic/claude-3.7-sonnet
	CanonicalSlug    string     `json:"canonical_slug"` // permaslug, e.g. anthropic/claude-3-7-sonnet-20250219
	Name             string     `json:"name"`           // e.g. "Anthropic: Claude 3.7 Sonnet"
	Description      string     `json:"description"`
	Created          int64      `json:"created"` // unix seconds
	ContextLength    int        `json:"context_length"`
	InputModalities  []string   `json:"input_modalities"`
	OutputModalities []string   `json:"output_modalities"`
	Tokenizer        string     `json:"tokenizer"` // OpenRouter ModelGroup: GPT, Claude, Llama3, …
	Endpoints        []Endpoint `json:"endpoints"`
	// Stealth models are served under their id (an alias) for labs that
	// want unbiased feedback: everything a client sees names the provider
	// "Stealth" and never the real provider or upstream model (see
	// StealthProvider). Only the operator's management API shows them.
	Stealth bool `json:"stealth,omitempty"`
	// Successor, when set, retires the model: requests for it fail with
	// model_deprecated naming this public model.
	Successor string `json:"successor,omitempty"`
}

// Stealth provider identity: what clients see of a stealth model's
// endpoints, in place of the real provider.
const (
	StealthProvider     = "stealth"
	StealthProviderName = "Stealth"
)

// Retired reports whether requests for m fail with model_deprecated.
func (m *Model) Retired() bool { return m.Successor != "" }

// Endpoint is one provider's offer of a model.
type Endpoint struct {
	Provider            string   `json:"provider"`       // Provider.Slug
	UpstreamModel       string   `json:"upstream_model"` // the id the provider's API expects
	Tag                 string   `json:"tag,omitempty"`  // routing tag, defaults to the provider slug
	Pricing             Pricing  `json:"pricing"`
	ContextLength       int      `json:"context_length"`
	MaxCompletionTokens int      `json:"max_completion_tokens,omitempty"`
	Quantization        string   `json:"quantization,omitempty"`
	SupportedParameters []string `json:"supported_parameters"`
}

// Pricing is an endpoint's prices, each in USD per unit as a money.Rate
// (per token for token prices, per request, per image). Overrides change
// token prices by time of day or prompt size; use At for the prices that
// apply to a given generation.
type Pricing struct {
	Prompt            money.Rate `json:"prompt"`
	Completion        money.Rate `json:"completion"`
	Request           money.Rate `json:"request,omitempty"`
	Image             money.Rate `json:"image,omitempty"`
	InputCacheRead    money.Rate `json:"input_cache_read,omitempty"`
	InputCacheWrite   money.Rate `json:"input_cache_write,omitempty"`
	InternalReasoning money.Rate `json:"internal_reasoning,omitempty"`
	// Overrides, applied in order by At; see PriceOverride.
	Overrides []PriceOverride `json:"overrides,omitempty"`
}

//go:embed data/catalog.json
var bundled []byte

// Bundled returns the catalog file embedded in the binary.
func Bundled() (*File, error) {
	var f File
	if err := json.Unmarshal(bundled, &f); err != nil {
		return nil, fmt.Errorf("catalog: decode bundled catalog: %w", err)
	}
	return &f, nil
}

// Catalog is an indexed, validated, immutable catalog.
type Catalog struct {
	providers map[string]*Provider
	models    map[string]*Model
	aliases   map[string]string // lowercased alternative id → canonical id
	order     []*Model          // sorted by id
	provOrder []*Provider       // sorted by slug
}

// New indexes f. It refuses duplicates, endpoints of unknown providers and
// invalid prices (see Pricing.Validate).
func New(f *File) (*Catalog, error) {
	c := &Catalog{
		providers: make(map[string]*Provider, len(f.Providers)),
		models:    make(map[string]*Model, len(f.Models)),
		aliases:   make(map[string]string),
	}
	for i := range f.Providers {
		p := &f.Providers[i]
		if p.Slug == "" {
			return nil, fmt.Errorf("catalog: provider %d has no slug", i)
		}
		if _, dup := c.providers[p.Slug]; dup {
			return nil, fmt.Errorf("catalog: duplicate provider %q", p.Slug)
		}
		c.providers[p.Slug] = p
		c.provOrder = append(c.provOrder, p)
	}
	for i := range f.Models {
		m := &f.Models[i]
		if !validModelID(m.ID) {
			return nil, fmt.Errorf("catalog: model id %q is not author/slug", m.ID)
		}
		if _, dup := c.models[m.ID]; dup {
			return nil, fmt.Errorf("catalog: duplicate model %q", m.ID)
		}
		seen := make(map[string]bool, len(m.Endpoints))
		for j := range m.Endpoints {
			e := &m.Endpoints[j]
			if _, ok := c.providers[e.Provider]; !ok {
				return nil, fmt.Errorf("catalog: model %q: endpoint of unknown provider %q", m.ID, e.Provider)
			}
			if e.Tag == "" {
				e.Tag = e.Provider
			}
			if seen[e.Tag] {
				return nil, fmt.Errorf("catalog: model %q: duplicate endpoint %q", m.ID, e.Tag)
			}
			seen[e.Tag] = true
			if err := e.Pricing.Validate(); err != nil {
				return nil, fmt.Errorf("catalog: model %q: endpoint %q: %w", m.ID, e.Tag, err)
			}
		}
		c.models[m.ID] = m
		c.order = append(c.order, m)
	}
	for _, m := range c.order {
		if m.Successor != "" {
			if next := c.models[m.Successor]; next == nil || next.Stealth || next.Retired() {
				return nil, fmt.Errorf("catalog: model %q: successor %q is not a public model of the catalog", m.ID, m.Successor)
			}
		}
		for _, alt := range []string{m.CanonicalSlug, m.ID} {
			if alt != "" {
				c.aliases[strings.ToLower(alt)] = m.ID
			}
		}
	}
	sort.Slice(c.order, func(i, j int) bool { return c.order[i].ID < c.order[j].ID })
	sort.Slice(c.provOrder, func(i, j int) bool { return c.provOrder[i].Slug < c.provOrder[j].Slug })
	return c, nil
}

func validModelID(id string) bool {
	author, slug, ok := strings.Cut(id, "/")
	return ok && author != "" && slug != "" && !strings.ContainsAny(id, " \t\n")
}

// Model returns the model with the given id or canonical slug
// (case-insensitive), or nil.
func (c *Catalog) Model(id string) *Model {
	if m, ok := c.models[id]; ok {
		return m
	}
	if canon, ok := c.aliases[strings.ToLower(id)]; ok {
		return c.models[canon]
	}
	return nil
}

// Provider returns the provider with the given slug, or nil.
func (c *Catalog) Provider(slug string) *Provider { return c.providers[slug] }

// Models returns every model, sorted by id. The slice must not be modified.
func (c *Catalog) Models() []*Model { return c.order }

// Providers returns every provider, sorted by slug. The slice must not be modified.
func (c *Catalog) Providers() []*Provider { return c.provOrder }

// SupportedParameters returns the union of the endpoints' parameters, sorted.
func (m *Model) SupportedParameters() []string {
	var out []string
	for _, e := range m.Endpoints {
		for _, p := range e.SupportedParameters {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	slices.Sort(out)
	return out
}
