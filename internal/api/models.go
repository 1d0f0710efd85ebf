package api

import (
	"cmp"
	"context"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/switchyard-dev/switchyard/internal/apierr"
	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/health"
	"github.com/switchyard-dev/switchyard/internal/money"
)

// modelJSON is OpenRouter's Model object (#/components/schemas/Model of
// OpenRouter's OpenAPI spec; openrouter_spec_test.go checks it). Fields the
// spec requires but the catalog has no data for are null. The spec allows
// additional properties; Switchyard's own are under "switchyard".
type modelJSON struct {
	ID                  string          `json:"id"`
	CanonicalSlug       string          `json:"canonical_slug"`
	HuggingFaceID       *string         `json:"hugging_face_id"`
	Name                string          `json:"name"`
	Created             int64           `json:"created"`
	Description         string          `json:"description"`
	ContextLength       int             `json:"context_length"`
	Architecture        architecture    `json:"architecture"`
	Pricing             pricingJSON     `json:"pricing"`
	TopProvider         topProvider     `json:"top_provider"`
	PerRequestLimits    *struct{}       `json:"per_request_limits"`
	SupportedParameters []string        `json:"supported_parameters"`
	DefaultParameters   *struct{}       `json:"default_parameters"`
	SupportedVoices     []string        `json:"supported_voices"` // nil: the catalog does not know
	Links               map[string]any  `json:"links"`
	Switchyard          modelSwitchyard `json:"switchyard"`
}

// architecture is OpenRouter's ModelArchitecture.
type architecture struct {
	Modality         string   `json:"modality"`
	InputModalities  []string `json:"input_modalities"`
	OutputModalities []string `json:"output_modalities"`
	Tokenizer        string   `json:"tokenizer"` // a ModelGroup, see tokenizer
	InstructType     *string  `json:"instruct_type"`
}

// tokenizer returns the model's tokenizer group. The spec's ModelGroup is a
// closed list with "Other" for the rest, and the endpoints list requires
// one, so a model the catalog gives no tokenizer is "Other", as it is for
// models that the config adds.
func tokenizer(m *catalog.Model) string {
	if m.Tokenizer == "" {
		return "Other"
	}
	return m.Tokenizer
}

// nonNil returns s, or an empty list if s is nil: the spec's lists are
// arrays, never null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// pricingJSON is OpenRouter's PublicPricing: strings of USD per unit.
type pricingJSON struct {
	Prompt            money.Rate `json:"prompt"`
	Completion        money.Rate `json:"completion"`
	Request           money.Rate `json:"request"`
	Image             money.Rate `json:"image"`
	InternalReasoning money.Rate `json:"internal_reasoning"`
	InputCacheRead    money.Rate `json:"input_cache_read"`
	InputCacheWrite   money.Rate `json:"input_cache_write"`
}

// topProvider is OpenRouter's TopProviderInfo; context_length is null for
// a model without endpoints.
type topProvider struct {
	ContextLength       *int `json:"context_length"`
	MaxCompletionTokens *int `json:"max_completion_tokens"`
	IsModerated         bool `json:"is_moderated"`
}

// modelSwitchyard is Switchyard's own addition: whether this gateway can
// route the model right now, and which simulated providers serve it.
type modelSwitchyard struct {
	Routable           bool     `json:"routable"`
	RoutableProviders  []string `json:"routable_providers"`
	SimulatedProviders []string `json:"simulated_providers,omitempty"`
}

func toPricing(p catalog.Pricing) pricingJSON {
	return pricingJSON{
		Prompt: p.Prompt, Completion: p.Completion, Request: p.Request, Image: p.Image,
		InternalReasoning: p.InternalReasoning, InputCacheRead: p.InputCacheRead, InputCacheWrite: p.InputCacheWrite,
	}
}

// topEndpoint is the endpoint whose prices and limits the model object
// shows: the cheapest routable one, else the cheapest.
func (s *Server) topEndpoint(m *catalog.Model) *catalog.Endpoint {
	var best *catalog.Endpoint
	bestRoutable := false
	for i := range m.Endpoints {
		e := &m.Endpoints[i]
		routable := s.router.Routable(e.Provider)
		switch {
		case best == nil, routable && !bestRoutable:
		case routable == bestRoutable && price(e) < price(best):
		default:
			continue
		}
		best, bestRoutable = e, routable
	}
	return best
}

func price(e *catalog.Endpoint) money.Rate { return e.Pricing.Prompt + e.Pricing.Completion }

func (s *Server) modelObject(m *catalog.Model) modelJSON {
	out := modelJSON{
		ID:            m.ID,
		CanonicalSlug: m.CanonicalSlug,
		Name:          m.Name,
		Created:       m.Created,
		Description:   m.Description,
		ContextLength: m.ContextLength,
		Architecture: architecture{
			Modality:         strings.Join(m.InputModalities, "+") + "->" + strings.Join(m.OutputModalities, "+"),
			InputModalities:  nonNil(m.InputModalities),
			OutputModalities: nonNil(m.OutputModalities),
			Tokenizer:        tokenizer(m),
		},
		SupportedParameters: nonNil(m.SupportedParameters()),
		Links:               map[string]any{"details": "/api/v1/models/" + m.ID + "/endpoints"},
		Switchyard:          modelSwitchyard{RoutableProviders: []string{}},
	}
	if e := s.topEndpoint(m); e != nil {
		out.Pricing = toPricing(e.Pricing)
		out.TopProvider = topProvider{ContextLength: &e.ContextLength}
		if e.MaxCompletionTokens > 0 {
			out.TopProvider.MaxCompletionTokens = &e.MaxCompletionTokens
		}
	}
	for _, e := range m.Endpoints {
		shown := endpointProvider(m, &e)
		if s.router.Routable(e.Provider) && !slices.Contains(out.Switchyard.RoutableProviders, shown) {
			out.Switchyard.RoutableProviders = append(out.Switchyard.RoutableProviders, shown)
		}
		if p := s.cat.Provider(e.Provider); p != nil && p.Simulated && !m.Stealth {
			out.Switchyard.SimulatedProviders = append(out.Switchyard.SimulatedProviders, e.Provider)
		}
	}
	out.Switchyard.Routable = len(out.Switchyard.RoutableProviders) > 0
	if len(out.Switchyard.SimulatedProviders) > 0 {
		out.Description = "[Demo] Served here by simulated providers (" +
			strings.Join(out.Switchyard.SimulatedProviders, ", ") + "), not the real model. " + out.Description
	}
	return out
}

// GET /models
func (s *Server) listModels(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f, err := parseModelFilter(q)
	if err != nil {
		return err
	}
	var models []*catalog.Model
	for _, m := range s.cat.Models() {
		if !m.Retired() && f.match(m, s) {
			models = append(models, m)
		}
	}
	if err := s.sortModels(r.Context(), models, q.Get("sort")); err != nil {
		return err
	}
	total := len(models)
	var next *string
	if f.paged {
		lo := min(f.offset, total)
		hi := min(lo+f.limit, total)
		models = models[lo:hi]
		if hi < total {
			v := url.Values{}
			for k, vs := range q {
				v[k] = vs
			}
			v.Set("offset", strconv.Itoa(hi))
			v.Set("limit", strconv.Itoa(f.limit))
			link := r.URL.Path + "?" + v.Encode()
			next = &link
		}
	}
	data := make([]modelJSON, 0, len(models))
	for _, m := range models {
		data = append(data, s.modelObject(m))
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"data": data, "total_count": total, "links": map[string]any{"next": next},
	})
	return nil
}

type modelFilter struct {
	q                   string
	params              []string
	outputs, inputs     []string // any-of; nil means no filter
	providers           []string
	minContext          int
	paged               bool
	offset, limit       int
	maxPrompt, minPrice *money.Rate
}

func parseModelFilter(q url.Values) (modelFilter, error) {
	bad := func(format string, args ...any) error {
		return apierr.New(apierr.InvalidRequest, format, args...).With("error_type", "invalid_request")
	}
	f := modelFilter{
		q:         strings.ToLower(strings.TrimSpace(q.Get("q"))),
		params:    splitList(q.Get("supported_parameters")),
		inputs:    splitList(q.Get("input_modalities")),
		providers: splitList(q.Get("providers")),
		outputs:   []string{"text"},
		limit:     500,
	}
	if o := q.Get("output_modalities"); o == "all" {
		f.outputs = nil
	} else if o != "" {
		f.outputs = splitList(o)
	}
	intParam := func(name string, dst *int, lo, hi int) error {
		v := q.Get(name)
		if v == "" {
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return bad("%s must be an integer between %d and %d", name, lo, hi)
		}
		*dst = n
		return nil
	}
	if err := intParam("offset", &f.offset, 0, 1<<30); err != nil {
		return f, err
	}
	if err := intParam("limit", &f.limit, 1, 1000); err != nil {
		return f, err
	}
	if err := intParam("context", &f.minContext, 0, 1<<30); err != nil {
		return f, err
	}
	f.paged = q.Has("offset") || q.Has("limit")
	for _, name := range []string{"max_price", "min_price"} {
		v := q.Get(name)
		if v == "" {
			continue
		}
		perM, err := money.ParseRate(v) // $ per million tokens
		if err != nil || perM < 0 {
			return f, bad("%s must be a non-negative number of USD per million prompt tokens", name)
		}
		perToken := perM / 1_000_000
		if name == "max_price" {
			f.maxPrompt = &perToken
		} else {
			f.minPrice = &perToken
		}
	}
	if s := q.Get("sort"); s != "" && !slices.Contains(modelSorts, s) {
		return f, bad("sort must be one of %s", strings.Join(modelSorts, ", "))
	}
	return f, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.ToLower(strings.TrimSpace(p)); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (f *modelFilter) match(m *catalog.Model, s *Server) bool {
	if f.q != "" && !strings.Contains(strings.ToLower(m.ID), f.q) &&
		!strings.Contains(strings.ToLower(m.Name), f.q) && !strings.Contains(strings.ToLower(m.Description), f.q) {
		return false
	}
	if f.minContext > 0 && m.ContextLength < f.minContext {
		return false
	}
	if f.outputs != nil && !anyIn(f.outputs, m.OutputModalities) {
		return false
	}
	if f.inputs != nil && !anyIn(f.inputs, m.InputModalities) {
		return false
	}
	if len(f.params) > 0 {
		have := m.SupportedParameters()
		for _, p := range f.params {
			if !slices.Contains(have, p) {
				return false
			}
		}
	}
	if len(f.providers) > 0 && !slices.ContainsFunc(m.Endpoints, func(e catalog.Endpoint) bool {
		return slices.Contains(f.providers, endpointProvider(m, &e))
	}) {
		return false
	}
	if f.maxPrompt != nil || f.minPrice != nil {
		e := s.topEndpoint(m)
		if e == nil || (f.maxPrompt != nil && e.Pricing.Prompt > *f.maxPrompt) ||
			(f.minPrice != nil && e.Pricing.Prompt < *f.minPrice) {
			return false
		}
	}
	return true
}

func anyIn(want, have []string) bool {
	for _, w := range want {
		if slices.Contains(have, w) {
			return true
		}
	}
	return false
}

// modelSorts are the accepted sort values. Those of live traffic
// (throughput, latency, popularity) read the health registry and the
// usage rollups (see sortByTraffic); models without data for them keep
// the catalog order after the others.
var modelSorts = []string{
	"pricing-low-to-high", "pricing-high-to-low", "context-high-to-low", "newest",
	sortThroughput, sortLatency, sortPopular, sortWeekly,
}

// sortModels orders models, given in catalog order, by the sort named
// by; "" keeps the catalog order.
func (s *Server) sortModels(ctx context.Context, models []*catalog.Model, by string) error {
	if ok, err := s.sortByTraffic(ctx, models, by); ok {
		return err
	}
	minPrice := func(m *catalog.Model) money.Rate {
		best := money.Rate(-1)
		for i := range m.Endpoints {
			if p := price(&m.Endpoints[i]); best < 0 || p < best {
				best = p
			}
		}
		return best
	}
	switch by {
	case "pricing-low-to-high":
		slices.SortStableFunc(models, func(a, b *catalog.Model) int { return cmp.Compare(minPrice(a), minPrice(b)) })
	case "pricing-high-to-low":
		slices.SortStableFunc(models, func(a, b *catalog.Model) int { return cmp.Compare(minPrice(b), minPrice(a)) })
	case "context-high-to-low":
		slices.SortStableFunc(models, func(a, b *catalog.Model) int { return cmp.Compare(b.ContextLength, a.ContextLength) })
	case "newest":
		slices.SortStableFunc(models, func(a, b *catalog.Model) int { return cmp.Compare(b.Created, a.Created) })
	}
	return nil
}

// GET /models/{author}/{slug}/endpoints (and /models/{author}/{slug})
func (s *Server) modelSubresource(w http.ResponseWriter, r *http.Request) error {
	rest := r.PathValue("rest")
	if id, ok := strings.CutSuffix(rest, "/activity"); ok && s.cat.Model(id) != nil {
		return s.modelActivity(w, r, s.cat.Model(id))
	}
	id, isEndpoints := strings.CutSuffix(rest, "/endpoints")
	m := s.cat.Model(id)
	if m == nil {
		return apierr.New(apierr.NotFound, "model %q not found", id).With("error_type", "not_found")
	}
	if !isEndpoints {
		writeJSON(w, http.StatusOK, map[string]any{"data": s.modelObject(m)})
		return nil
	}
	endpoints := make([]map[string]any, 0, len(m.Endpoints))
	for i := range m.Endpoints {
		e := &m.Endpoints[i]
		p := s.cat.Provider(e.Provider)
		var maxOut *int
		if e.MaxCompletionTokens > 0 {
			maxOut = &e.MaxCompletionTokens
		}
		quant := e.Quantization
		if quant == "" {
			quant = "unknown"
		}
		st := s.router.Health().Endpoint(p.Slug, m.ID).Stats()
		name, slug, tag, upstream, simulated := p.Name, p.Slug, e.Tag, e.UpstreamModel, p.Simulated
		if m.Stealth {
			name, slug, tag = catalog.StealthProviderName, catalog.StealthProvider, catalog.StealthProvider
			upstream, simulated = m.ID, false
		}
		endpoints = append(endpoints, map[string]any{
			"name":                      name + " | " + m.ID,
			"model_id":                  m.CanonicalSlug,
			"model_name":                m.Name,
			"provider_name":             name,
			"provider_slug":             slug,
			"tag":                       tag,
			"upstream_model":            upstream,
			"context_length":            e.ContextLength,
			"max_prompt_tokens":         nil,
			"max_completion_tokens":     maxOut,
			"quantization":              quant,
			"pricing":                   toPricing(e.Pricing),
			"supported_parameters":      nonNil(e.SupportedParameters),
			"supports_implicit_caching": e.Pricing.InputCacheRead != 0,
			"status":                    0,
			"uptime_last_5m":            uptimePercent(st.Uptime5m, st.Requests5m),
			"uptime_last_30m":           uptimePercent(st.Uptime30m, st.Requests30m),
			"uptime_last_1d":            uptimePercent(st.Uptime1d, st.Requests1d),
			"latency_last_30m":          percentiles(st.Latency30m),
			"throughput_last_30m":       percentiles(st.Throughput30m),
			"routable":                  s.router.Routable(p.Slug),
			"simulated":                 simulated,
			"health":                    healthObject(st),
		})
	}
	obj := s.modelObject(m)
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
		"id": m.ID, "name": m.Name, "created": m.Created, "description": obj.Description,
		"architecture": obj.Architecture, "endpoints": endpoints,
	}})
	return nil
}

// uptimePercent is an uptime as OpenRouter publishes it: a percentage,
// null without data.
func uptimePercent(fraction float64, requests int64) *float64 {
	if requests == 0 {
		return nil
	}
	v := math.Round(fraction*100_000) / 1000
	return &v
}

// percentiles is OpenRouter's PercentileStats, null without data.
func percentiles(p health.Percentiles) map[string]float64 {
	if p.Count == 0 {
		return nil
	}
	r := func(v float64) float64 { return math.Round(v*100) / 100 }
	return map[string]float64{"p50": r(p.P50), "p75": r(p.P75), "p90": r(p.P90), "p99": r(p.P99)}
}

// healthObject is Switchyard's own view of an endpoint's live health,
// beyond OpenRouter's fields: the 5-minute window, the outage flag, the
// circuit breaker and the tool-call error rate.
func healthObject(st health.Stats) map[string]any {
	var toolErrors *float64
	if st.ToolCalls30m > 0 {
		toolErrors = &st.ToolCallErrorRate30m
	}
	return map[string]any{
		"requests_last_5m":              st.Requests5m,
		"requests_last_30m":             st.Requests30m,
		"requests_last_1d":              st.Requests1d,
		"latency_last_5m":               percentiles(st.Latency5m),
		"throughput_last_5m":            percentiles(st.Throughput5m),
		"recent_outage":                 st.RecentOutage,
		"breaker":                       st.Breaker,
		"tool_call_error_rate_last_30m": toolErrors,
	}
}

// GET /providers
func (s *Server) listProviders(w http.ResponseWriter, r *http.Request) error {
	data := make([]map[string]any, 0, len(s.cat.Providers()))
	for _, p := range s.cat.Providers() {
		var privacy *string
		if p.PrivacyPolicyURL != "" {
			privacy = &p.PrivacyPolicyURL
		}
		data = append(data, map[string]any{
			"name": p.Name, "slug": p.Slug, "privacy_policy_url": privacy,
			"terms_of_service_url": nil, "status_page_url": nil,
			"protocol": p.Protocol, "routable": s.router.Routable(p.Slug), "simulated": p.Simulated,
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data})
	return nil
}
