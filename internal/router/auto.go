package router

import (
	"cmp"
	"slices"
)

// AutoModel is the router model: a request for it is planned as a request
// for the model autoPool.choose picks, and reports that model.
const AutoModel = "switchyard/auto"

// autoPool is what switchyard/auto chooses from: every model with a
// routable endpoint, by ascending list price.
//
// The rule, until the rankings issue adds a task classifier:
//
//  1. Eligible models support, on at least one routable endpoint, every
//     capability the request uses (tools, response_format and structured
//     outputs, image inputs, reasoning, and with require_parameters every
//     parameter), and fit it: context length ≥ estimated prompt +
//     max_tokens, and max_tokens ≤ the largest maximum output.
//  2. The quality shortlist is the upper half of the eligible models by
//     list price (prompt + completion per token on their cheapest
//     endpoint): price stands in for quality.
//  3. The choice is the shortlisted model with the lowest expected cost
//     for this request (see expectedCost), ties broken by id.
//
// Provider preferences then apply to the chosen model as to any other.
type autoPool struct {
	models []autoModel
}

type autoModel struct {
	mp   *modelPlan
	list int64 // the cheapest prompt + completion rate, femto-dollars per token
}

func (a *autoPool) add(mp *modelPlan) {
	if mp.routable == 0 || mp.model.ID == AutoModel {
		return
	}
	am := autoModel{mp: mp, list: -1}
	for i := range mp.endpoints[:mp.routable] {
		pr := &mp.endpoints[i].cand.Endpoint.Pricing
		if l := addSat(max(int64(pr.Prompt), 0), max(int64(pr.Completion), 0)); am.list < 0 || l < am.list {
			am.list = l
		}
	}
	a.models = append(a.models, am)
}

func (a *autoPool) finish() {
	slices.SortStableFunc(a.models, func(x, y autoModel) int {
		return cmp.Or(cmp.Compare(x.list, y.list), cmp.Compare(x.mp.model.ID, y.mp.model.ID))
	})
}

// autoFit is the constraint an endpoint must meet to serve the request:
// every parameter it uses (n.all, soft ones included), its context and
// its output.
var autoFit = spec{requireParameters: true}

// eligible reports whether one of the model's routable endpoints can
// serve the request; n.all must include n.soft.
func (m *autoModel) eligible(n *need) bool {
	for i := range m.mp.endpoints[:m.mp.routable] {
		if autoFit.exclude(&m.mp.endpoints[i], n) == kept {
			return true
		}
	}
	return false
}

// choose returns the model for the request, or nil when none is eligible.
func (a *autoPool) choose(req *need) *modelPlan {
	n := *req
	n.all |= n.soft
	count := 0
	for i := range a.models {
		if a.models[i].eligible(&n) {
			count++
		}
	}
	var (
		best     *modelPlan
		bestCost int64
		skip     = count / 2 // the cheaper half is not on the shortlist
	)
	for i := range a.models {
		m := &a.models[i]
		if !m.eligible(&n) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		c := m.cheapest(&n)
		if best == nil || c < bestCost || c == bestCost && m.mp.model.ID < best.model.ID {
			best, bestCost = m.mp, c
		}
	}
	return best
}

// cheapest is the request's lowest expected cost over the model's
// routable endpoints.
func (m *autoModel) cheapest(n *need) int64 {
	best := int64(-1)
	for i := range m.mp.endpoints[:m.mp.routable] {
		if c := expectedCost(&m.mp.endpoints[i].cand.Endpoint.Pricing, n); best < 0 || c < best {
			best = c
		}
	}
	return best
}
