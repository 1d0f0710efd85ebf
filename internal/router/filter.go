package router

import (
	"fmt"
	"strings"

	"github.com/switchyard-dev/switchyard/internal/catalog"
)

// exclusion is why an endpoint was left out; exclusions are checked in
// this order and the first that applies is the one reported.
type exclusion uint8

const (
	kept exclusion = iota
	byOnly
	byIgnore
	byQuantizations
	byMaxPrice
	byDataCollection
	byZDR
	byRequireParameters
	byContextLength
	byMaxTokens
	byUnroutable
)

// excludedBy is the metadata.excluded_by value of each exclusion: the
// provider preference field, or the capability that did not fit.
var excludedBy = [...]string{
	kept:                "",
	byOnly:              "only",
	byIgnore:            "ignore",
	byQuantizations:     "quantizations",
	byMaxPrice:          "max_price",
	byDataCollection:    "data_collection",
	byZDR:               "zdr",
	byRequireParameters: "require_parameters",
	byContextLength:     "context_length",
	byMaxTokens:         "max_tokens",
	byUnroutable:        "unroutable",
}

// preference reports whether the exclusion comes from the request's
// provider preferences (the client can lift it).
func (x exclusion) preference() bool { return x >= byOnly && x <= byRequireParameters }

// filter appends to items mp's routable endpoints that pass every hard
// constraint.
func (s *spec) filter(items []item, mp *modelPlan, n *need) []item {
	for i := range mp.endpoints[:mp.routable] {
		ep := &mp.endpoints[i]
		if s.exclude(ep, n) == kept {
			items = append(items, item{ep: ep})
		}
	}
	return items
}

// filterBYOK appends the endpoints of eps (byokOnly's) that pass every
// hard constraint.
func (s *spec) filterBYOK(items []item, eps []endpointPlan, n *need) []item {
	for i := range eps {
		if s.exclude(&eps[i], n) == kept {
			items = append(items, item{ep: &eps[i]})
		}
	}
	return items
}

// exclude returns the first constraint ep fails, or kept. Routability is
// the caller's to check.
func (s *spec) exclude(ep *endpointPlan, n *need) exclusion {
	e, p := ep.cand.Endpoint, ep.cand.Provider
	switch {
	case len(s.only) > 0 && !matchesAny(s.only, &ep.cand):
		return byOnly
	case len(s.ignore) > 0 && matchesAny(s.ignore, &ep.cand):
		return byIgnore
	case len(s.quantizations) > 0 && !quantizationIn(s.quantizations, e.Quantization):
		return byQuantizations
	case s.maxPrice.set && !s.maxPrice.admits(&e.Pricing):
		return byMaxPrice
	case s.denyDataCollection && p.DataPolicy.CollectsData():
		return byDataCollection
	case s.zdr && !p.DataPolicy.ZDR:
		return byZDR
	case s.requireParameters && n.all&^ep.supports != 0:
		return byRequireParameters
	case ep.context > 0 && ep.context < n.promptTokens+n.maxOutput:
		return byContextLength
	case n.maxOutput > 0 && e.MaxCompletionTokens > 0 && n.maxOutput > int64(e.MaxCompletionTokens):
		return byMaxTokens
	}
	return kept
}

func (l *priceLimit) admits(p *catalog.Pricing) bool {
	return within(p.Prompt, l.prompt) && within(p.Completion, l.completion) &&
		within(p.Request, l.request) && within(p.Image, l.image)
}

// quantizationIn reports whether q is in the list; an endpoint that
// states none is "unknown".
func quantizationIn(list []string, q string) bool {
	if q == "" {
		q = "unknown"
	}
	for _, v := range list {
		if strings.EqualFold(v, q) {
			return true
		}
	}
	return false
}

func matchesAny(slugs []string, c *Candidate) bool {
	for _, s := range slugs {
		if matches(s, c) {
			return true
		}
	}
	return false
}

// matches reports whether a provider preference slug names this endpoint:
// a base slug ("together") matches all its endpoints, a full tag
// ("deepinfra/turbo") only that one; display names match too. A stealth
// model's endpoints answer only to "stealth": preferences naming real
// providers must not tell which one serves it.
func matches(s string, c *Candidate) bool {
	if c.Model.Stealth {
		return strings.EqualFold(s, catalog.StealthProvider)
	}
	p, e := c.Provider, c.Endpoint
	return strings.EqualFold(s, p.Slug) || strings.EqualFold(s, e.Tag) || strings.EqualFold(s, p.Name)
}

// exclusions lists every endpoint of the groups' models that the
// constraints leave out, and why: for errors and explanations, never on
// the hot path.
func (p *planner) exclusions(groups []group, s *spec, n *need) []Exclusion {
	var out []Exclusion
	for _, g := range groups {
		for i := range g.mp.endpoints {
			ep := &g.mp.endpoints[i]
			x := s.exclude(ep, n)
			if x == kept && ep.cand.Client == nil {
				x = byUnroutable
			}
			if x == kept {
				continue
			}
			out = append(out, Exclusion{
				Model: g.mp.model.ID, Provider: ep.cand.Provider.Slug,
				ExcludedBy: excludedBy[x], Reason: p.reason(x, ep, s, n),
			})
		}
	}
	return out
}

// reason explains an exclusion in words.
func (p *planner) reason(x exclusion, ep *endpointPlan, s *spec, n *need) string {
	e, prov := ep.cand.Endpoint, ep.cand.Provider
	switch x {
	case byOnly:
		return "not in provider.only"
	case byIgnore:
		return "in provider.ignore"
	case byQuantizations:
		return fmt.Sprintf("quantization %s is not in provider.quantizations", orDefault(e.Quantization, "unknown"))
	case byMaxPrice:
		return fmt.Sprintf("price (prompt $%s/M, completion $%s/M, request $%s, image $%s) is above provider.max_price",
			e.Pricing.Prompt.PerMillion(), e.Pricing.Completion.PerMillion(), e.Pricing.Request, e.Pricing.Image)
	case byDataCollection:
		return "the provider stores or trains on prompts, and provider.data_collection is deny"
	case byZDR:
		return "the provider has no zero-data-retention agreement"
	case byRequireParameters:
		return "does not support " + (n.all &^ ep.supports).String()
	case byContextLength:
		return fmt.Sprintf("context length %d < about %d prompt tokens + %d max tokens", ep.context, n.promptTokens, n.maxOutput)
	case byMaxTokens:
		return fmt.Sprintf("max_tokens %d > the endpoint's maximum output of %d", n.maxOutput, e.MaxCompletionTokens)
	case byUnroutable:
		return p.unroutable(prov)
	}
	return ""
}

func (p *planner) unroutable(prov *catalog.Provider) string {
	if !p.r.adapters.Supports(prov.Protocol) {
		return "no adapter for protocol " + prov.Protocol + " yet"
	}
	return "no credentials configured"
}
