package router

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/switchyard-dev/switchyard/internal/apierr"
	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/money"
	"github.com/switchyard-dev/switchyard/internal/openai"
)

// spec is a request's provider preferences, validated and decoded once
// per decision. The zero value routes without preferences.
type spec struct {
	order, only, ignore []string
	quantizations       []string
	noFallbacks         bool
	requireParameters   bool
	denyDataCollection  bool
	zdr                 bool
	sort                sortBy
	partitionNone       bool
	maxPrice            priceLimit
	minThroughput       percentileLimit // tokens per second
	maxLatency          percentileLimit // milliseconds
}

// sortBy is provider.sort's metric.
type sortBy uint8

const (
	sortNone sortBy = iota
	sortPrice
	sortThroughput
	sortLatency
)

var sortNames = [...]string{sortNone: "", sortPrice: "price", sortThroughput: "throughput", sortLatency: "latency"}

// priceLimit is provider.max_price. Token limits are in femto-dollars per
// token, the unit of money.Rate: a price is within the limit when its Rate
// is at most the limit. Unset limits are -1.
type priceLimit struct {
	set                                bool
	prompt, completion, request, image int64
}

// percentileLimit is a preferred_min_throughput or preferred_max_latency:
// thresholds on the p50, p75, p90 and p99, 0 where unset.
type percentileLimit struct {
	set                bool
	p50, p75, p90, p99 float64
}

// parseSpec validates and decodes req's provider preferences into s.
func (p *planner) parseSpec(req *openai.ChatRequest, s *spec) error {
	switch req.Route {
	case "", "fallback":
	case "sort":
		s.partitionNone = true
	default:
		return invalid(`route must be "fallback" or "sort" (deprecated; use provider.sort)`)
	}
	pp := req.Provider
	if pp == nil {
		return nil
	}
	if err := p.checkProviderSlugs(pp); err != nil {
		return err
	}
	s.order, s.only, s.ignore, s.quantizations = pp.Order, pp.Only, pp.Ignore, pp.Quantizations
	s.noFallbacks = pp.AllowFallbacks != nil && !*pp.AllowFallbacks
	s.requireParameters, s.zdr = pp.RequireParameters, pp.ZDR
	switch pp.DataCollection {
	case "", "allow":
	case "deny":
		s.denyDataCollection = true
	default:
		return invalid(`provider.data_collection must be "allow" or "deny"`)
	}
	if err := parseSort(pp.Sort, s); err != nil {
		return err
	}
	var err error
	if s.maxPrice, err = parseMaxPrice(pp.MaxPrice); err != nil {
		return err
	}
	if s.minThroughput, err = parsePercentiles(pp.PreferredMinThroughput, "preferred_min_throughput", 1); err != nil {
		return err
	}
	s.maxLatency, err = parsePercentiles(pp.PreferredMaxLatency, "preferred_max_latency", 1000) // seconds → ms
	return err
}

func invalid(format string, args ...any) *apierr.Error {
	return apierr.New(apierr.InvalidRequest, format, args...).With("error_type", "invalid_request")
}

// isNull reports an absent or null raw field.
func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(raw) == "null"
}

// parseSort reads provider.sort: "price" | "throughput" | "latency", or
// {by, partition: "model" | "none"}.
func parseSort(raw json.RawMessage, s *spec) error {
	raw = bytes.TrimSpace(raw)
	if isNull(raw) {
		return nil
	}
	by, partition := raw, ""
	if raw[0] == '{' {
		var o struct {
			By        json.RawMessage `json:"by"`
			Partition string          `json:"partition"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			return invalid("provider.sort: %v", err)
		}
		by, partition = bytes.TrimSpace(o.By), o.Partition
	}
	switch partition {
	case "", "model":
	case "none":
		s.partitionNone = true
	default:
		return invalid(`provider.sort.partition must be "model" or "none"`)
	}
	if isNull(by) {
		return nil
	}
	for v, name := range sortNames {
		// A JSON string without escapes: compare the bytes inside the quotes.
		if v != int(sortNone) && len(by) == len(name)+2 && by[0] == '"' && string(by[1:len(by)-1]) == name {
			s.sort = sortBy(v)
			return nil
		}
	}
	return invalid(`provider.sort must be "price", "throughput" or "latency"`)
}

// parseMaxPrice reads provider.max_price: prompt and completion in USD
// per million tokens, request and image in USD per unit, each a JSON
// number or a numeric string. Conversion is exact (decimal, no floats).
func parseMaxPrice(raw json.RawMessage) (priceLimit, error) {
	if isNull(raw) {
		return priceLimit{prompt: -1, completion: -1, request: -1, image: -1}, nil
	}
	return decodeMaxPrice(raw)
}

func decodeMaxPrice(raw json.RawMessage) (priceLimit, error) {
	l := priceLimit{prompt: -1, completion: -1, request: -1, image: -1}
	var o map[string]json.RawMessage
	if err := json.Unmarshal(raw, &o); err != nil {
		return l, invalid("provider.max_price must be an object of prices: %v", err)
	}
	fields := []struct {
		name  string
		dst   *int64
		scale int64 // limit units per USD of the given figure
	}{
		// $/M tokens → femto-dollars per token: × 1e15 / 1e6.
		{"prompt", &l.prompt, 1e9},
		{"completion", &l.completion, 1e9},
		// $/unit → femto-dollars per unit.
		{"request", &l.request, 1e15},
		{"image", &l.image, 1e15},
	}
	for _, f := range fields {
		v, ok := o[f.name]
		if !ok || isNull(v) {
			continue
		}
		lim, err := decimalLimit(v, f.scale)
		if err != nil {
			return l, invalid("provider.max_price.%s: %v", f.name, err)
		}
		*f.dst, l.set = lim, true
	}
	return l, nil
}

// decimalLimit converts a JSON number or numeric string × scale to an
// integer limit, rounding down (a price is a whole number of units, so
// "price ≤ limit" is unchanged) and saturating at the int64 maximum.
func decimalLimit(raw json.RawMessage, scale int64) (int64, error) {
	s := strings.Trim(string(raw), `"`)
	v, ok := new(big.Rat).SetString(s)
	if !ok || strings.ContainsAny(s, "/ ") {
		return 0, fmt.Errorf("%s is not a number", raw)
	}
	if v.Sign() < 0 {
		return 0, fmt.Errorf("%s is negative", raw)
	}
	v.Mul(v, new(big.Rat).SetInt64(scale))
	q := new(big.Int).Quo(v.Num(), v.Denom())
	if !q.IsInt64() {
		return int64(^uint64(0) >> 1), nil
	}
	return q.Int64(), nil
}

// within reports whether a rate is within a limit (-1: no limit).
func within(r money.Rate, limit int64) bool { return limit < 0 || int64(r) <= limit }

// parsePercentiles reads a preferred threshold: a number (the p50) or
// {p50, p75, p90, p99}; unit converts the figure to the health unit.
func parsePercentiles(raw json.RawMessage, field string, unit float64) (percentileLimit, error) {
	raw = bytes.TrimSpace(raw)
	if isNull(raw) {
		return percentileLimit{}, nil
	}
	var l percentileLimit
	if raw[0] == '{' {
		var o struct{ P50, P75, P90, P99 *float64 }
		if err := json.Unmarshal(raw, &o); err != nil {
			return l, invalid("provider.%s: %v", field, err)
		}
		for _, f := range []struct {
			src *float64
			dst *float64
		}{{o.P50, &l.p50}, {o.P75, &l.p75}, {o.P90, &l.p90}, {o.P99, &l.p99}} {
			if f.src != nil {
				if *f.src < 0 {
					return l, invalid("provider.%s: percentiles must not be negative", field)
				}
				*f.dst, l.set = *f.src*unit, true
			}
		}
		return l, nil
	}
	var v float64
	if err := json.Unmarshal(raw, &v); err != nil || v < 0 {
		return l, invalid("provider.%s must be a non-negative number or an object of percentiles", field)
	}
	return percentileLimit{set: true, p50: v * unit}, nil
}

// checkProviderSlugs refuses provider preferences naming providers the
// catalog does not know, naming every unknown one.
func (p *planner) checkProviderSlugs(pp *openai.ProviderPrefs) error {
	var unknown []string
	for _, list := range [...][]string{pp.Order, pp.Only, pp.Ignore} {
		for _, s := range list {
			if !p.knownProvider(s) && !slices.Contains(unknown, s) {
				unknown = append(unknown, s)
			}
		}
	}
	switch len(unknown) {
	case 0:
		return nil
	case 1:
		return invalid("unknown provider %q in provider preferences", unknown[0]).With("unknown_providers", unknown)
	}
	quoted := make([]string, len(unknown))
	for i, s := range unknown {
		quoted[i] = fmt.Sprintf("%q", s)
	}
	return invalid("unknown providers %s in provider preferences", strings.Join(quoted, ", ")).
		With("unknown_providers", unknown)
}

// knownProvider reports whether s names a provider: its slug, an endpoint
// tag under it ("deepinfra/turbo"), or its display name.
func (p *planner) knownProvider(s string) bool {
	if p.known[s] || strings.EqualFold(s, catalog.StealthProvider) {
		return true
	}
	if base, _, ok := strings.Cut(s, "/"); ok && p.known[strings.ToLower(base)] {
		return true
	}
	return p.known[strings.ToLower(s)]
}
