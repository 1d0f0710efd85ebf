package catalog

// This file generates the bundled catalog from LiteLLM's community price
// file (MIT). Generate is a pure function of its input: same bytes in, same
// bytes out, no clock, no map-order dependence.
//
// Which entries become endpoints: chat entries (and "responses" entries
// that list /v1/chat/completions) of a mapped provider (providers.go) that
// carry both an input and an output token price. Tiered prices use the
// first tier (from 0 tokens) as the base price; later tiers and the
// "_above_200k_tokens"-style fields become long-context price overrides
// (longcontext.go). Prices above $0.001 per token ($1,000 per
// million) are treated as errors in the source and the entry is skipped.
// A price of 0 is kept as the source states it (local servers, free tiers,
// and some providers whose list shows 0); entries without token prices are
// skipped, never priced by guess.
//
// Snapshot rule: a model name with exactly one snapshot date in the whole
// source is one model — the undated alias and the dated snapshot are the
// same thing (claude-3-7-sonnet-20250219 ≡ claude-3-7-sonnet ≡ Anthropic's
// "latest"), the id drops the date (anthropic/claude-3.7-sonnet) and the
// canonical slug keeps it (anthropic/claude-3-7-sonnet-20250219). A name
// with two or more snapshot dates (gpt-4o: 2024-05-13, 2024-08-06,
// 2024-11-20) keeps one model per dated snapshot plus one for the undated
// alias, as OpenRouter does (openai/gpt-4o, openai/gpt-4o-2024-08-06).
//
// Duplicates: when several entries of one provider land on one model, one
// wins by, in order: lower rank (plain id before global/US/other regions,
// plain model before serving variants), a dated upstream id before an
// undated alias, lower prompt+completion price, lexically smaller key.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sort"
	"strings"

	"github.com/switchyard-dev/switchyard/internal/money"
)

// SourceName is the price file the bundled catalog is generated from,
// relative to the package's source/ directory.
const SourceName = "model-prices-2026-07-24.json"

// maxTokenPrice bounds plausible per-token prices; anything above it is a
// unit error in the source.
var maxTokenPrice = money.MustRate("0.001")

// sourceEntry is the part of a price-file value the catalog reads.
type sourceEntry struct {
	Provider        string       `json:"litellm_provider"`
	Mode            string       `json:"mode"`
	MaxInputTokens  json.Number  `json:"max_input_tokens"`
	MaxOutputTokens json.Number  `json:"max_output_tokens"`
	MaxTokens       json.Number  `json:"max_tokens"`
	Tiers           []sourceTier `json:"tiered_pricing"`
	sourcePrices

	Endpoints        []string `json:"supported_endpoints"`
	Modalities       []string `json:"supported_modalities"`
	OutputModalities []string `json:"supported_output_modalities"`

	FunctionCalling   bool  `json:"supports_function_calling"`
	ToolChoice        bool  `json:"supports_tool_choice"`
	ParallelToolCalls bool  `json:"supports_parallel_function_calling"`
	ResponseSchema    bool  `json:"supports_response_schema"`
	ReasoningSupport  bool  `json:"supports_reasoning"`
	Vision            bool  `json:"supports_vision"`
	PDFInput          bool  `json:"supports_pdf_input"`
	AudioInput        bool  `json:"supports_audio_input"`
	AudioOutput       bool  `json:"supports_audio_output"`
	VideoInput        bool  `json:"supports_video_input"`
	SamplingParams    *bool `json:"supports_sampling_params"`
}

// sourcePrices are the price fields, kept as the literal JSON numbers so no
// price ever passes through a float.
type sourcePrices struct {
	Input      json.Number `json:"input_cost_per_token"`
	Output     json.Number `json:"output_cost_per_token"`
	CacheRead  json.Number `json:"cache_read_input_token_cost"`
	CacheWrite json.Number `json:"cache_creation_input_token_cost"`
	Reasoning  json.Number `json:"output_cost_per_reasoning_token"`
	Image      json.Number `json:"input_cost_per_image"`
	Request    json.Number `json:"input_cost_per_request"`
}

// sourceTier is one band of a tiered price.
type sourceTier struct {
	Range []json.Number `json:"range"`
	sourcePrices
}

// candidate is one usable price-file entry.
type candidate struct {
	key     string
	spec    *providerSpec
	name    entryName
	modelID string
	entry   *sourceEntry
	pricing Pricing
}

// Generate turns the price file into the catalog file: indented JSON with
// providers, models and endpoints in a deterministic order, ending in a
// newline.
func Generate(src []byte) ([]byte, error) {
	f, err := build(src)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(f); err != nil {
		return nil, fmt.Errorf("catalog: encode: %w", err)
	}
	return buf.Bytes(), nil
}

// build parses the price file and assembles the catalog.
func build(src []byte) (*File, error) {
	cands, err := candidates(src)
	if err != nil {
		return nil, err
	}
	assignModelIDs(cands)
	byModel := make(map[string][]*candidate)
	for _, c := range cands {
		byModel[c.modelID] = append(byModel[c.modelID], c)
	}
	f := &File{Source: SourceName, Providers: []Provider{}, Models: make([]Model, 0, len(byModel))}
	used := make(map[string]*providerSpec)
	for _, id := range sortedKeys(byModel) {
		m := assembleModel(id, byModel[id])
		for _, c := range m.chosen {
			used[c.spec.Slug] = c.spec
		}
		f.Models = append(f.Models, m.Model)
	}
	for _, slug := range sortedKeys(used) {
		p := used[slug].Provider
		p.APIKeyEnv = slices.Clone(p.APIKeyEnv)
		f.Providers = append(f.Providers, p)
	}
	return f, nil
}

// candidates decodes the price file and keeps the usable chat entries, in
// key order.
func candidates(src []byte) ([]*candidate, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(src, &raw); err != nil {
		return nil, fmt.Errorf("catalog: decode price file: %w", err)
	}
	specs := specIndex()
	var out []*candidate
	for _, key := range sortedKeys(raw) {
		if key == "sample_spec" || !bytes.HasPrefix(bytes.TrimSpace(raw[key]), []byte("{")) {
			continue // documentation and metadata, not models
		}
		var e sourceEntry
		if err := json.Unmarshal(raw[key], &e); err != nil {
			return nil, fmt.Errorf("catalog: decode %q: %w", key, err)
		}
		spec, ok := specs[e.Provider]
		if !ok || !chatCapable(&e) {
			continue
		}
		pricing, ok, err := entryPricing(&e)
		if err != nil {
			return nil, fmt.Errorf("catalog: %q: %w", key, err)
		}
		if !ok {
			continue
		}
		pricing.Overrides, ok, err = longContextOverrides(raw[key], &e)
		if err != nil {
			return nil, fmt.Errorf("catalog: %q: %w", key, err)
		}
		if !ok {
			continue
		}
		name, ok := parseKey(key, spec)
		if !ok {
			continue
		}
		out = append(out, &candidate{key: key, spec: spec, name: name, entry: &e, pricing: pricing})
	}
	return out, nil
}

// chatCapable reports whether an entry can be served through chat
// completions.
func chatCapable(e *sourceEntry) bool {
	const chat = "/v1/chat/completions"
	switch e.Mode {
	case "chat":
		return e.Endpoints == nil || slices.Contains(e.Endpoints, chat)
	case "responses":
		return slices.Contains(e.Endpoints, chat)
	}
	return false
}

// entryPricing converts an entry's prices. It reports false for entries
// without both token prices or with implausible ones.
func entryPricing(e *sourceEntry) (Pricing, bool, error) {
	prices := e.sourcePrices
	if prices.Input == "" && prices.Output == "" {
		for _, t := range e.Tiers {
			if len(t.Range) > 0 && isZero(t.Range[0]) {
				prices = t.sourcePrices
				prices.Image, prices.Request = e.Image, e.Request
				break
			}
		}
	}
	if prices.Input == "" || prices.Output == "" {
		return Pricing{}, false, nil
	}
	var p Pricing
	for _, f := range []struct {
		dst *money.Rate
		src json.Number
	}{
		{&p.Prompt, prices.Input}, {&p.Completion, prices.Output},
		{&p.InputCacheRead, prices.CacheRead}, {&p.InputCacheWrite, prices.CacheWrite},
		{&p.InternalReasoning, prices.Reasoning}, {&p.Image, prices.Image},
		{&p.Request, prices.Request},
	} {
		if f.src == "" {
			continue
		}
		r, err := parsePrice(f.src.String())
		if err != nil {
			return Pricing{}, false, err
		}
		if r < 0 {
			return Pricing{}, false, nil
		}
		*f.dst = r
	}
	if p.Prompt > maxTokenPrice || p.Completion > maxTokenPrice {
		return Pricing{}, false, nil
	}
	return p, true, nil
}

func isZero(n json.Number) bool {
	r, ok := new(big.Rat).SetString(n.String())
	return ok && r.Sign() == 0
}

// parsePrice converts a decimal USD-per-unit literal to a Rate exactly.
// A few source prices carry float noise beyond femto-dollar precision
// (0.0000029999900000000002); those are rounded half away from zero to the
// nearest femto-dollar with exact rational arithmetic.
func parsePrice(s string) (money.Rate, error) {
	r, err := money.ParseRate(s)
	if !errors.Is(err, money.ErrRange) {
		return r, err
	}
	q, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0, err
	}
	q.Mul(q, new(big.Rat).SetInt64(1_000_000_000_000_000))
	num, den := q.Num(), q.Denom()
	whole, rem := new(big.Int).QuoRem(num, den, new(big.Int))
	if rem.Abs(rem).Lsh(rem, 1).Cmp(den) >= 0 {
		if num.Sign() < 0 {
			whole.Sub(whole, big.NewInt(1))
		} else {
			whole.Add(whole, big.NewInt(1))
		}
	}
	if !whole.IsInt64() {
		return 0, err
	}
	return money.Rate(whole.Int64()), nil
}

// assignModelIDs applies the snapshot rule: dates stay in the id only for
// names the source lists with more than one snapshot date.
func assignModelIDs(cands []*candidate) {
	dates := make(map[string]map[string]string) // base id → normalized date → written form
	for _, c := range cands {
		if c.name.date == "" {
			continue
		}
		id := c.name.id()
		if dates[id] == nil {
			dates[id] = make(map[string]string)
		}
		norm := normalizeDate(c.name.date)
		// Prefer the dashed form (2024-08-06) when spellings differ.
		if prev, ok := dates[id][norm]; !ok || strings.Contains(c.name.date, "-") && !strings.Contains(prev, "-") {
			dates[id][norm] = c.name.date
		}
	}
	for _, c := range cands {
		c.modelID = c.name.id()
		if d := dates[c.modelID]; len(d) > 1 && c.name.date != "" {
			c.modelID += "-" + d[normalizeDate(c.name.date)]
		}
	}
}

// assembled is a model with the candidates chosen as its endpoints.
type assembled struct {
	Model
	chosen []*candidate
}

// assembleModel builds one model from all candidates that map to it.
func assembleModel(id string, cands []*candidate) assembled {
	byProvider := make(map[string]*candidate)
	for _, c := range cands {
		if cur, ok := byProvider[c.spec.Slug]; !ok || better(c, cur) {
			byProvider[c.spec.Slug] = c
		}
	}
	author, slug, _ := strings.Cut(id, "/")
	m := assembled{Model: Model{
		ID:            id,
		CanonicalSlug: canonicalSlugOf(id, cands),
		Name:          modelName(id),
		Tokenizer:     tokenizer(author, slug),
		Endpoints:     []Endpoint{},
	}}
	var in, out []string
	for _, p := range sortedKeys(byProvider) {
		c := byProvider[p]
		m.chosen = append(m.chosen, c)
		e := endpointOf(c)
		m.Endpoints = append(m.Endpoints, e)
		m.ContextLength = max(m.ContextLength, e.ContextLength)
		in = append(in, inputModalities(c.entry)...)
		out = append(out, outputModalities(c.entry)...)
	}
	m.InputModalities = orderModalities(in)
	m.OutputModalities = orderModalities(out)
	m.Created = created(modelDate(cands), id)
	m.Description = description(&m.Model)
	return m
}

// better reports whether a should replace b as a provider's endpoint.
func better(a, b *candidate) bool {
	if a.name.rank != b.name.rank {
		return a.name.rank < b.name.rank
	}
	if ad, bd := a.name.date != "", b.name.date != ""; ad != bd {
		return ad
	}
	ap, bp := a.pricing.Prompt+a.pricing.Completion, b.pricing.Prompt+b.pricing.Completion
	if ap != bp {
		return ap < bp
	}
	return a.key < b.key
}

// modelDate is the snapshot date a model stands for, if any: the date of
// any of its dated candidates (they agree by construction).
func modelDate(cands []*candidate) string {
	for _, c := range cands {
		if c.name.date != "" {
			return c.name.date
		}
	}
	return ""
}

// canonicalSlugOf is the permanent slug: the vendor's own dated spelling
// when the model is a dated snapshot (the first-party provider's preferred
// entry first), else the id.
func canonicalSlugOf(id string, cands []*candidate) string {
	author, _, _ := strings.Cut(id, "/")
	var best *candidate
	bestFirst := false
	for _, c := range cands {
		if c.name.date == "" {
			continue
		}
		first := firstParty[author] == c.spec.Slug
		if best == nil || first && !bestFirst || first == bestFirst && better(c, best) {
			best, bestFirst = c, first
		}
	}
	if best == nil {
		return id
	}
	return author + "/" + best.name.native
}

// endpointOf converts a chosen candidate into an Endpoint.
func endpointOf(c *candidate) Endpoint {
	e := c.entry
	ctx := tokenCount(e.MaxInputTokens)
	if ctx == 0 {
		ctx = tokenCount(e.MaxTokens)
	}
	return Endpoint{
		Provider:            c.spec.Slug,
		UpstreamModel:       c.name.upstream,
		Pricing:             c.pricing,
		ContextLength:       ctx,
		MaxCompletionTokens: tokenCount(e.MaxOutputTokens),
		Quantization:        c.name.quant,
		SupportedParameters: supportedParameters(e, c.spec.Protocol, c.name.author),
	}
}

// tokenCount reads a token limit, which the source writes as an integer or
// occasionally as a float with no fraction.
func tokenCount(n json.Number) int {
	if n == "" {
		return 0
	}
	if i, err := n.Int64(); err == nil {
		return int(i)
	}
	if f, err := n.Float64(); err == nil && f > 0 {
		return int(f)
	}
	return 0
}

// supportedParameters lists the request parameters an endpoint accepts,
// from the protocol's sampling controls and the entry's capability flags.
func supportedParameters(e *sourceEntry, protocol, author string) []string {
	params := []string{"max_tokens", "stop"}
	sampling := []string{"temperature", "top_p"}
	switch {
	case protocol == ProtocolAnthropic || protocol == ProtocolVertex && author == "anthropic":
		sampling = append(sampling, "top_k")
	case protocol == ProtocolBedrock:
	default:
		sampling = append(sampling, "frequency_penalty", "presence_penalty", "seed")
	}
	if e.SamplingParams == nil || *e.SamplingParams {
		params = append(params, sampling...)
	}
	if e.FunctionCalling || e.ToolChoice { // tool_choice implies tools
		params = append(params, "tools", "tool_choice")
	}
	if e.ParallelToolCalls {
		params = append(params, "parallel_tool_calls")
	}
	if e.ResponseSchema {
		params = append(params, "response_format", "structured_outputs")
	}
	if e.ReasoningSupport {
		params = append(params, "reasoning", "include_reasoning")
	}
	slices.Sort(params)
	return slices.Compact(params)
}

// modalityOrder is the order modalities are listed in.
var modalityOrder = []string{"text", "image", "file", "audio", "video"}

func inputModalities(e *sourceEntry) []string {
	in := []string{"text"}
	if e.Vision || slices.Contains(e.Modalities, "image") {
		in = append(in, "image")
	}
	if e.PDFInput {
		in = append(in, "file")
	}
	if e.AudioInput || slices.Contains(e.Modalities, "audio") {
		in = append(in, "audio")
	}
	if e.VideoInput || slices.Contains(e.Modalities, "video") {
		in = append(in, "video")
	}
	return in
}

func outputModalities(e *sourceEntry) []string {
	out := []string{"text"}
	if slices.Contains(e.OutputModalities, "image") {
		out = append(out, "image")
	}
	if e.AudioOutput || slices.Contains(e.OutputModalities, "audio") {
		out = append(out, "audio")
	}
	return out
}

// orderModalities deduplicates and orders a modality list.
func orderModalities(ms []string) []string {
	out := []string{}
	for _, m := range modalityOrder {
		if slices.Contains(ms, m) {
			out = append(out, m)
		}
	}
	return out
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
