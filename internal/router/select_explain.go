package router

import (
	"fmt"

	"github.com/switchyard-dev/switchyard/internal/health"
)

// explain builds the Explanation of a decision: the models, the strategy,
// the candidates in order with their expected cost, weight and the
// reasons they moved, and the exclusions.
func (p *planner) explain(groups []group, items []item, strategy string, s *spec, n *need) *Explanation {
	x := &Explanation{Strategy: strategy, Candidates: make([]ExplainedCandidate, len(items))}
	for _, g := range groups {
		x.Models = append(x.Models, g.mp.model.ID)
	}
	for i := range items {
		it := &items[i]
		c := &x.Candidates[i]
		*c = ExplainedCandidate{
			Model: it.ep.cand.Model.ID, Provider: it.ep.cand.Provider.Slug, Tag: it.ep.cand.Endpoint.Tag,
			ExpectedCost: float64(it.cost) / 1e15, Weight: it.weight, Probability: it.share, Reasons: reasons(it, s),
		}
	}
	for _, g := range groups {
		if !g.auto {
			continue
		}
		for i := range items {
			if items[i].ep.cand.Model == g.mp.model {
				x.Candidates[i].Reasons = append(x.Candidates[i].Reasons, AutoModel+" chose "+g.mp.model.ID)
				break
			}
		}
	}
	x.Excluded = p.exclusions(groups, s, n)
	if x.Excluded == nil {
		x.Excluded = []Exclusion{}
	}
	x.Attempts = []ExplainedAttempt{}
	return x
}

// reasons says why an endpoint was placed where it is.
func reasons(it *item, s *spec) []string {
	var out []string
	h := it.ep.cand.Health
	if it.rank < len(s.order) {
		out = append(out, fmt.Sprintf("provider.order position %d", it.rank+1))
	}
	if h.RecentOutage() {
		out = append(out, "recent outage")
	}
	if h.BreakerState() == health.BreakerOpen {
		out = append(out, "circuit breaker open")
	}
	if it.lacks != 0 {
		out = append(out, "does not support "+it.lacks.String())
	}
	if it.demoted&demotedSlow != 0 {
		out = append(out, "misses preferred_min_throughput or preferred_max_latency")
	}
	if s.sort != sortNone && !it.metricKnown && s.sort != sortPrice {
		out = append(out, "no "+sortNames[s.sort]+" data yet")
	}
	return out
}
