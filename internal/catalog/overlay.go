package catalog

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/switchyard-dev/switchyard/internal/money"
)

// Overlay is the config file's amendment to the catalog: providers,
// endpoints and models to add or change. A field left empty keeps the
// catalog's value; a field given replaces it. Credentials themselves are
// the config package's business; the overlay only names the variable.
type Overlay struct {
	Providers []ProviderOverlay `yaml:"providers" json:"providers,omitempty"`
	Models    []ModelOverlay    `yaml:"models" json:"models,omitempty"`
}

// ProviderOverlay adds a provider or changes one, matched by slug, and
// adds or changes its endpoints. A new provider needs a protocol.
type ProviderOverlay struct {
	Slug     string `yaml:"slug" json:"slug"`
	Name     string `yaml:"name" json:"name,omitempty"`
	Protocol string `yaml:"protocol" json:"protocol,omitempty"`
	BaseURL  string `yaml:"base_url" json:"base_url,omitempty"`
	// APIKeyEnv names the one environment variable holding the credential;
	// it replaces the catalog's list.
	APIKeyEnv string `yaml:"api_key_env" json:"api_key_env,omitempty"`
	// DataPolicy, when given, replaces the provider's.
	DataPolicy *DataPolicy       `yaml:"data_policy" json:"data_policy,omitempty"`
	Endpoints  []EndpointOverlay `yaml:"endpoints" json:"endpoints,omitempty"`
}

// EndpointOverlay adds or changes the provider's endpoint for a model,
// given by id or canonical slug. A model the catalog does not know is
// created (name = id, text in and out, context = the endpoint's).
type EndpointOverlay struct {
	Model               string          `yaml:"model" json:"model"`
	UpstreamModel       string          `yaml:"upstream_model" json:"upstream_model,omitempty"` // new endpoints default to the model id
	Pricing             *PricingOverlay `yaml:"pricing" json:"pricing,omitempty"`               // new endpoints default to free
	ContextLength       int             `yaml:"context_length" json:"context_length,omitempty"`
	MaxCompletionTokens int             `yaml:"max_completion_tokens" json:"max_completion_tokens,omitempty"`
	Quantization        string          `yaml:"quantization" json:"quantization,omitempty"`
	SupportedParameters []string        `yaml:"supported_parameters" json:"supported_parameters,omitempty"`
}

// PricingOverlay holds prices as decimal USD-per-unit strings ("0.00000059",
// "5.9e-07"), parsed exactly by money.ParseRate. Nil fields keep the
// current price. Overrides, when given (even empty), replace the
// endpoint's list.
type PricingOverlay struct {
	Prompt            *string                `yaml:"prompt" json:"prompt,omitempty"`
	Completion        *string                `yaml:"completion" json:"completion,omitempty"`
	Request           *string                `yaml:"request" json:"request,omitempty"`
	Image             *string                `yaml:"image" json:"image,omitempty"`
	InputCacheRead    *string                `yaml:"input_cache_read" json:"input_cache_read,omitempty"`
	InputCacheWrite   *string                `yaml:"input_cache_write" json:"input_cache_write,omitempty"`
	InternalReasoning *string                `yaml:"internal_reasoning" json:"internal_reasoning,omitempty"`
	Overrides         []PriceOverrideOverlay `yaml:"overrides" json:"overrides,omitempty"`
}

// PriceOverrideOverlay is a PriceOverride as the config file writes it:
// the window and threshold as in PriceOverride, prices as decimal
// USD-per-token strings. An omitted price is left unchanged by the
// override.
type PriceOverrideOverlay struct {
	UTCStart          string `yaml:"utc_start" json:"utc_start,omitempty"`
	UTCEnd            string `yaml:"utc_end" json:"utc_end,omitempty"`
	MinPromptTokens   int    `yaml:"min_prompt_tokens" json:"min_prompt_tokens,omitempty"`
	Prompt            string `yaml:"prompt" json:"prompt,omitempty"`
	Completion        string `yaml:"completion" json:"completion,omitempty"`
	InputCacheRead    string `yaml:"input_cache_read" json:"input_cache_read,omitempty"`
	InputCacheWrite   string `yaml:"input_cache_write" json:"input_cache_write,omitempty"`
	InternalReasoning string `yaml:"internal_reasoning" json:"internal_reasoning,omitempty"`
}

// ModelOverlay adds a model or changes one, matched by id or canonical slug.
type ModelOverlay struct {
	ID               string   `yaml:"id" json:"id"`
	Name             string   `yaml:"name" json:"name,omitempty"`
	Description      string   `yaml:"description" json:"description,omitempty"`
	ContextLength    int      `yaml:"context_length" json:"context_length,omitempty"`
	InputModalities  []string `yaml:"input_modalities" json:"input_modalities,omitempty"`
	OutputModalities []string `yaml:"output_modalities" json:"output_modalities,omitempty"`
	Tokenizer        string   `yaml:"tokenizer" json:"tokenizer,omitempty"`
	// Stealth serves the model under its id with its provider and upstream
	// model hidden (see Model.Stealth); Successor retires it.
	Stealth   *bool  `yaml:"stealth" json:"stealth,omitempty"`
	Successor string `yaml:"successor" json:"successor,omitempty"`
}

// protocols are the valid Provider.Protocol values.
var protocols = []string{
	ProtocolOpenAI, ProtocolAnthropic, ProtocolGemini, ProtocolVertex,
	ProtocolBedrock, ProtocolCohere, ProtocolAzure, ProtocolOllama,
}

// Apply amends f with o: providers and their endpoints first, then models.
// It is all or nothing: on error f is unchanged. Afterwards providers,
// models and endpoints are in catalog order again.
func (f *File) Apply(o Overlay) error {
	g := f.clone()
	for i := range o.Providers {
		if err := g.applyProvider(&o.Providers[i]); err != nil {
			return fmt.Errorf("catalog overlay: %w", err)
		}
	}
	for i := range o.Models {
		if err := g.applyModel(&o.Models[i]); err != nil {
			return fmt.Errorf("catalog overlay: %w", err)
		}
	}
	g.sortAll()
	*f = *g
	return nil
}

func (f *File) applyProvider(po *ProviderOverlay) error {
	if po.Slug == "" {
		return fmt.Errorf("provider without slug")
	}
	if po.Protocol != "" && !slices.Contains(protocols, po.Protocol) {
		return fmt.Errorf("provider %q: unknown protocol %q (want one of %s)", po.Slug, po.Protocol, strings.Join(protocols, ", "))
	}
	i := slices.IndexFunc(f.Providers, func(p Provider) bool { return p.Slug == po.Slug })
	if i < 0 {
		if po.Protocol == "" {
			return fmt.Errorf("new provider %q needs a protocol", po.Slug)
		}
		f.Providers = append(f.Providers, Provider{Slug: po.Slug, Name: po.Slug})
		i = len(f.Providers) - 1
	}
	p := &f.Providers[i]
	setString(&p.Name, po.Name)
	setString(&p.Protocol, po.Protocol)
	setString(&p.BaseURL, po.BaseURL)
	if po.APIKeyEnv != "" {
		p.APIKeyEnv = []string{po.APIKeyEnv}
	}
	if po.DataPolicy != nil {
		p.DataPolicy = *po.DataPolicy
	}
	for j := range po.Endpoints {
		if err := f.applyEndpoint(p.Slug, p.Protocol, &po.Endpoints[j]); err != nil {
			return fmt.Errorf("provider %q: %w", po.Slug, err)
		}
	}
	return nil
}

func (f *File) applyEndpoint(provider, protocol string, eo *EndpointOverlay) error {
	if eo.Model == "" {
		return fmt.Errorf("endpoint without model")
	}
	m, err := f.modelOrNew(eo.Model)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(m.Endpoints, func(e Endpoint) bool {
		return e.Provider == provider && (e.Tag == "" || e.Tag == provider)
	})
	if i < 0 {
		m.Endpoints = append(m.Endpoints, Endpoint{
			Provider:            provider,
			UpstreamModel:       m.ID,
			ContextLength:       m.ContextLength,
			SupportedParameters: supportedParameters(&sourceEntry{}, protocol, ""),
		})
		i = len(m.Endpoints) - 1
	}
	e := &m.Endpoints[i]
	setString(&e.UpstreamModel, eo.UpstreamModel)
	setString(&e.Quantization, eo.Quantization)
	setInt(&e.ContextLength, eo.ContextLength)
	setInt(&e.MaxCompletionTokens, eo.MaxCompletionTokens)
	if eo.SupportedParameters != nil {
		e.SupportedParameters = slices.Sorted(slices.Values(eo.SupportedParameters))
	}
	if err := applyPricing(&e.Pricing, eo.Pricing); err != nil {
		return fmt.Errorf("model %q: %w", m.ID, err)
	}
	m.ContextLength = 0
	for _, e := range m.Endpoints {
		m.ContextLength = max(m.ContextLength, e.ContextLength)
	}
	return nil
}

// applyPricing parses the overlay's prices into p and validates the result.
func applyPricing(p *Pricing, po *PricingOverlay) error {
	if po == nil {
		return nil
	}
	for _, f := range []struct {
		name string
		src  *string
		dst  *money.Rate
	}{
		{"prompt", po.Prompt, &p.Prompt},
		{"completion", po.Completion, &p.Completion},
		{"request", po.Request, &p.Request},
		{"image", po.Image, &p.Image},
		{"input_cache_read", po.InputCacheRead, &p.InputCacheRead},
		{"input_cache_write", po.InputCacheWrite, &p.InputCacheWrite},
		{"internal_reasoning", po.InternalReasoning, &p.InternalReasoning},
	} {
		if f.src == nil {
			continue
		}
		r, err := money.ParseRate(*f.src)
		if err != nil {
			return fmt.Errorf("pricing.%s: %w", f.name, err)
		}
		*f.dst = r
	}
	if po.Overrides != nil {
		p.Overrides = make([]PriceOverride, len(po.Overrides))
		for i := range po.Overrides {
			if err := parseOverride(&p.Overrides[i], &po.Overrides[i]); err != nil {
				return fmt.Errorf("pricing.overrides[%d]: %w", i, err)
			}
		}
	}
	return p.Validate()
}

// parseOverride parses the overlay's override into o.
func parseOverride(o *PriceOverride, oo *PriceOverrideOverlay) error {
	*o = PriceOverride{UTCStart: oo.UTCStart, UTCEnd: oo.UTCEnd, MinPromptTokens: oo.MinPromptTokens}
	for _, f := range []struct {
		name, src string
		dst       *money.Rate
	}{
		{"prompt", oo.Prompt, &o.Prompt},
		{"completion", oo.Completion, &o.Completion},
		{"input_cache_read", oo.InputCacheRead, &o.InputCacheRead},
		{"input_cache_write", oo.InputCacheWrite, &o.InputCacheWrite},
		{"internal_reasoning", oo.InternalReasoning, &o.InternalReasoning},
	} {
		if f.src == "" {
			continue
		}
		r, err := money.ParseRate(f.src)
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		*f.dst = r
	}
	return nil
}

func (f *File) applyModel(mo *ModelOverlay) error {
	if mo.ID == "" {
		return fmt.Errorf("model without id")
	}
	m, err := f.modelOrNew(mo.ID)
	if err != nil {
		return err
	}
	setString(&m.Name, mo.Name)
	setString(&m.Description, mo.Description)
	setString(&m.Tokenizer, mo.Tokenizer)
	setInt(&m.ContextLength, mo.ContextLength)
	if mo.InputModalities != nil {
		m.InputModalities = slices.Clone(mo.InputModalities)
	}
	if mo.OutputModalities != nil {
		m.OutputModalities = slices.Clone(mo.OutputModalities)
	}
	if mo.Stealth != nil {
		m.Stealth = *mo.Stealth
	}
	setString(&m.Successor, mo.Successor)
	return nil
}

// modelOrNew finds a model by id or canonical slug (case-insensitively),
// creating it if absent. The pointer is valid until f.Models grows.
func (f *File) modelOrNew(id string) (*Model, error) {
	for i := range f.Models {
		m := &f.Models[i]
		if strings.EqualFold(m.ID, id) || strings.EqualFold(m.CanonicalSlug, id) {
			return m, nil
		}
	}
	if !validModelID(id) {
		return nil, fmt.Errorf("model id %q is not author/slug", id)
	}
	f.Models = append(f.Models, Model{
		ID:               id,
		CanonicalSlug:    id,
		Name:             id,
		InputModalities:  []string{"text"},
		OutputModalities: []string{"text"},
		Tokenizer:        "Other",
		Endpoints:        []Endpoint{},
	})
	return &f.Models[len(f.Models)-1], nil
}

// clone returns a deep copy of f.
func (f *File) clone() *File {
	g := &File{Source: f.Source, Providers: slices.Clone(f.Providers), Models: slices.Clone(f.Models)}
	for i := range g.Providers {
		g.Providers[i].APIKeyEnv = slices.Clone(g.Providers[i].APIKeyEnv)
	}
	for i := range g.Models {
		m := &g.Models[i]
		m.InputModalities = slices.Clone(m.InputModalities)
		m.OutputModalities = slices.Clone(m.OutputModalities)
		m.Endpoints = slices.Clone(m.Endpoints)
		for j := range m.Endpoints {
			e := &m.Endpoints[j]
			e.SupportedParameters = slices.Clone(e.SupportedParameters)
			e.Pricing.Overrides = slices.Clone(e.Pricing.Overrides)
		}
	}
	return g
}

// sortAll restores catalog order: providers by slug, models by id,
// endpoints by provider then tag.
func (f *File) sortAll() {
	sort.SliceStable(f.Providers, func(i, j int) bool { return f.Providers[i].Slug < f.Providers[j].Slug })
	sort.SliceStable(f.Models, func(i, j int) bool { return f.Models[i].ID < f.Models[j].ID })
	for i := range f.Models {
		es := f.Models[i].Endpoints
		sort.SliceStable(es, func(a, b int) bool {
			if es[a].Provider != es[b].Provider {
				return es[a].Provider < es[b].Provider
			}
			return es[a].Tag < es[b].Tag
		})
	}
}

func setString(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

func setInt(dst *int, v int) {
	if v != 0 {
		*dst = v
	}
}

// RestrictParameters removes from the supported_parameters of every
// endpoint of provider slug the parameters keep refuses for the endpoint's
// upstream model: those the provider's adapter declares it cannot
// translate.
func (f *File) RestrictParameters(slug string, keep func(upstreamModel, param string) bool) {
	for i := range f.Models {
		for j := range f.Models[i].Endpoints {
			e := &f.Models[i].Endpoints[j]
			if e.Provider != slug {
				continue
			}
			e.SupportedParameters = slices.DeleteFunc(slices.Clone(e.SupportedParameters), func(p string) bool {
				return !keep(e.UpstreamModel, p)
			})
		}
	}
}
