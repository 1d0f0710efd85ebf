package catalog

// This file maps the price file's long-context prices onto PriceOverrides
// with a MinPromptTokens threshold. The source states them two ways:
//
//   - flat fields named for the threshold: input_cost_per_token_above_200k_tokens,
//     output_cost_per_token_above_…, cache_read_input_token_cost_above_…,
//     cache_creation_input_token_cost_above_…; the _priority, _flex and
//     _batches service tiers and the 1-hour cache writes (_above_1hr) are
//     other products and are ignored;
//   - tiered_pricing bands after the first, each starting at range[0].
//
// Vendors (and LiteLLM's cost code) charge the higher price to prompts of
// MORE than the threshold ("prompts > 200k tokens"), so a threshold of N
// becomes MinPromptTokens N+1.

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/switchyard-dev/switchyard/internal/money"
)

// longContextThresholds are the thresholds the source names, in order.
var longContextThresholds = []struct {
	name   string
	tokens int
}{{"128k", 128_000}, {"200k", 200_000}, {"256k", 256_000}, {"272k", 272_000}, {"512k", 512_000}}

// longContextFields are the flat field prefixes and the rates they set.
var longContextFields = []struct {
	prefix string
	rate   func(*PriceOverride) *money.Rate
}{
	{"input_cost_per_token_above_", func(o *PriceOverride) *money.Rate { return &o.Prompt }},
	{"output_cost_per_token_above_", func(o *PriceOverride) *money.Rate { return &o.Completion }},
	{"cache_read_input_token_cost_above_", func(o *PriceOverride) *money.Rate { return &o.InputCacheRead }},
	{"cache_creation_input_token_cost_above_", func(o *PriceOverride) *money.Rate { return &o.InputCacheWrite }},
}

// longContextOverrides returns an entry's long-context prices sorted by
// threshold, from its raw JSON (flat fields) and its tiers. It reports
// false when one of them is implausible, so the entry is skipped like one
// with an implausible base price.
func longContextOverrides(raw json.RawMessage, e *sourceEntry) ([]PriceOverride, bool, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, false, err
	}
	var out []PriceOverride
	for _, th := range longContextThresholds {
		o := PriceOverride{MinPromptTokens: th.tokens + 1}
		for _, f := range longContextFields {
			v, ok := fields[f.prefix+th.name+"_tokens"]
			if !ok {
				continue
			}
			var n json.Number
			if err := json.Unmarshal(v, &n); err != nil {
				return nil, false, fmt.Errorf("%s%s_tokens: %w", f.prefix, th.name, err)
			}
			if err := setOverridePrice(f.rate(&o), n); err != nil {
				return nil, false, err
			}
		}
		out = appendOverride(out, o)
	}
	for _, t := range e.Tiers {
		if len(t.Range) == 0 || isZero(t.Range[0]) || e.Input != "" {
			continue // the first band is the base price; flat prices win over tiers
		}
		start, err := t.Range[0].Float64()
		if err != nil || start < 0 || start != float64(int(start)) {
			return nil, false, fmt.Errorf("tiered_pricing: bad range start %q", t.Range[0])
		}
		o := PriceOverride{MinPromptTokens: int(start) + 1}
		for _, f := range []struct {
			dst *money.Rate
			src json.Number
		}{
			{&o.Prompt, t.Input}, {&o.Completion, t.Output}, {&o.InputCacheRead, t.CacheRead},
			{&o.InputCacheWrite, t.CacheWrite}, {&o.InternalReasoning, t.Reasoning},
		} {
			if err := setOverridePrice(f.dst, f.src); err != nil {
				return nil, false, err
			}
		}
		out = appendOverride(out, o)
	}
	if slices.ContainsFunc(out, func(o PriceOverride) bool {
		return o.Prompt < 0 || o.Prompt > maxTokenPrice || o.Completion < 0 || o.Completion > maxTokenPrice ||
			o.InputCacheRead < 0 || o.InputCacheWrite < 0 || o.InternalReasoning < 0
	}) {
		return nil, false, nil
	}
	slices.SortStableFunc(out, func(a, b PriceOverride) int { return a.MinPromptTokens - b.MinPromptTokens })
	return out, true, nil
}

// setOverridePrice parses a source price into dst; "" leaves it zero.
func setOverridePrice(dst *money.Rate, n json.Number) error {
	if n == "" {
		return nil
	}
	r, err := parsePrice(n.String())
	if err != nil {
		return err
	}
	*dst = r
	return nil
}

// appendOverride appends o unless it replaces no price (a zero source
// price cannot be told apart from "unchanged", and only free models list
// one).
func appendOverride(out []PriceOverride, o PriceOverride) []PriceOverride {
	if o.Prompt == 0 && o.Completion == 0 && o.InputCacheRead == 0 && o.InputCacheWrite == 0 && o.InternalReasoning == 0 {
		return out
	}
	return append(out, o)
}
