// Package router turns a chat request into an ordered list of endpoints and
// executes it against them, failing over before the first byte reaches the
// client.
//
// A routing decision (Plan) follows OpenRouter's documented algorithm:
//
//  1. Resolve the requested model, then each models[] fallback (variants
//     :nitro and :floor are sorts; switchyard/auto picks a model, see
//     auto.go).
//  2. Filter each model's endpoints by the hard constraints (filter.go):
//     provider.only / ignore / quantizations / max_price /
//     data_collection / zdr / require_parameters, the context length and
//     the maximum output, and routability.
//  3. Order the rest (select.go): provider.order first; then either a
//     sort (price, throughput, latency) or, by default, price-weighted load
//     balancing: the first endpoint is drawn at random with weight
//     1/price², price being the request's expected cost there, the others
//     follow by ascending cost. Endpoints with a recent outage or an open
//     circuit breaker, lacking a parameter the request uses, or missing a
//     preferred throughput or latency move to the back.
//
// Everything that does not depend on the request is precomputed by
// newPlanner, so a decision is a map lookup and a sort of a few endpoints,
// without formatting; the explanation is built only when asked for.
package router

import (
	"strings"

	"github.com/switchyard-dev/switchyard/internal/apierr"
	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/health"
	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

// Candidate is one endpoint the request may be sent to.
type Candidate struct {
	Model    *catalog.Model
	Endpoint *catalog.Endpoint
	Provider *catalog.Provider
	Client   provider.Provider
	// Health is the endpoint's live health: read to route, and where the
	// outcome of an attempt is recorded.
	Health *health.Endpoint
	// BYOK says Client uses the account's own provider key (Call.BYOK).
	BYOK bool
}

// PlanOptions ask for more than the order.
type PlanOptions struct {
	// Explain asks for the decision's Explanation.
	Explain bool
	// Sticky names the provider slug that served this conversation last
	// (prompt-cache stickiness): it goes first when eligible.
	Sticky string
	// BYOK are the account's own provider clients (Call.BYOK): endpoints
	// of providers the operator has no client for become candidates
	// served with them.
	BYOK map[string]provider.Provider
}

// Plan is a routing decision.
type Plan struct {
	// Candidates in the order they will be tried.
	Candidates []Candidate
	// Explain is the decision explained, when PlanOptions.Explain.
	Explain *Explanation
}

// Plan returns the candidates for req in the order they will be tried.
func (r *Router) Plan(req *openai.ChatRequest, o PlanOptions) (*Plan, error) {
	return r.planner.plan(req, o)
}

// planner holds what planning precomputes; see newPlanner.
type planner struct {
	r      *Router
	models map[string]*modelPlan // by canonical model id
	// known holds every provider slug and display name, lowercased, to
	// validate provider preferences.
	known map[string]bool
	auto  autoPool
}

// modelPlan is one model's endpoints, routable ones first.
type modelPlan struct {
	model     *catalog.Model
	endpoints []endpointPlan
	routable  int // endpoints[:routable] have a client
}

// endpointPlan is an endpoint with what routing needs to know about it.
type endpointPlan struct {
	cand Candidate
	// supports is the set of parameters the endpoint honours.
	supports paramSet
	// context is the endpoint's context length (the model's when the
	// endpoint states none); 0 when unknown.
	context int64
}

func newPlanner(r *Router) *planner {
	p := &planner{r: r, models: make(map[string]*modelPlan, len(r.cat.Models())), known: make(map[string]bool)}
	for _, pr := range r.cat.Providers() {
		p.known[strings.ToLower(pr.Slug)] = true
		p.known[strings.ToLower(pr.Name)] = true
	}
	for _, m := range r.cat.Models() {
		mp := p.modelPlan(m)
		p.models[m.ID] = mp
		p.auto.add(mp)
	}
	p.auto.finish()
	return p
}

func (p *planner) modelPlan(m *catalog.Model) *modelPlan {
	mp := &modelPlan{model: m, endpoints: make([]endpointPlan, 0, len(m.Endpoints))}
	var unroutable []endpointPlan
	for i := range m.Endpoints {
		e := &m.Endpoints[i]
		prov := p.r.cat.Provider(e.Provider)
		ep := endpointPlan{
			cand:     Candidate{Model: m, Endpoint: e, Provider: prov, Client: p.r.clients[prov.Slug]},
			supports: endpointSupports(m, e, p.r.clients[prov.Slug]),
			context:  int64(e.ContextLength),
		}
		if ep.context == 0 {
			ep.context = int64(m.ContextLength)
		}
		if ep.cand.Client == nil {
			unroutable = append(unroutable, ep)
			continue
		}
		ep.cand.Health = p.r.health.Endpoint(prov.Slug, m.ID)
		mp.endpoints = append(mp.endpoints, ep)
	}
	mp.routable = len(mp.endpoints)
	mp.endpoints = append(mp.endpoints, unroutable...)
	return mp
}

// byokOnly returns mp's endpoints that only the account's own keys can
// serve (their provider has no operator client but a BYOK one), as
// candidates with that client.
func (p *planner) byokOnly(mp *modelPlan, byok map[string]provider.Provider) []endpointPlan {
	var out []endpointPlan
	for _, ep := range mp.endpoints[mp.routable:] {
		client := byok[ep.cand.Provider.Slug]
		if client == nil {
			continue
		}
		ep.cand.Client, ep.cand.BYOK = client, true
		ep.cand.Health = p.r.health.Endpoint(ep.cand.Provider.Slug, mp.model.ID)
		ep.supports = endpointSupports(mp.model, ep.cand.Endpoint, client)
		out = append(out, ep)
	}
	return out
}

// dynamicVariants are model-id suffixes that only change routing; the
// canonical model is the id without them. Static variants (:free,
// :thinking, :extended) are catalog models of their own.
var dynamicVariants = [...]struct {
	suffix string
	sort   sortBy
}{{":nitro", sortThroughput}, {":floor", sortPrice}}

// resolve finds the model for a requested id, and the sort its dynamic
// variant implies.
func (p *planner) resolve(id string) (*modelPlan, sortBy) {
	if mp := p.lookup(id); mp != nil {
		return mp, sortNone
	}
	for _, v := range dynamicVariants {
		if base, ok := strings.CutSuffix(id, v.suffix); ok {
			return p.lookup(base), v.sort
		}
	}
	return nil, sortNone
}

func (p *planner) lookup(id string) *modelPlan {
	if mp, ok := p.models[id]; ok {
		return mp
	}
	if m := p.r.cat.Model(id); m != nil {
		return p.models[m.ID]
	}
	return nil
}

// group is one requested model, resolved.
type group struct {
	mp *modelPlan
	// sort is the variant's sort, when the request sets none.
	sort sortBy
	// auto is set when switchyard/auto chose the model.
	auto bool
}

// maxGroups bounds the models of one request kept on the stack; more
// spill to the heap.
const maxGroups = 8

// plan is the routing decision; see the package comment.
func (p *planner) plan(req *openai.ChatRequest, o PlanOptions) (*Plan, error) {
	var s spec
	if err := p.parseSpec(req, &s); err != nil {
		return nil, err
	}
	n := analyze(req)
	var gbuf [maxGroups]group
	groups, err := p.groups(req, &n, gbuf[:0])
	if err != nil {
		return nil, err
	}
	total := 0
	for _, g := range groups {
		total += g.mp.routable
	}
	var ibuf [16]item
	items := ibuf[:0]
	if total > len(ibuf) {
		items = make([]item, 0, total)
	}
	var strategy string
	for _, g := range groups {
		start := len(items)
		items = s.filter(items, g.mp, &n)
		if len(o.BYOK) > 0 {
			items = s.filterBYOK(items, p.byokOnly(g.mp, o.BYOK), &n)
		}
		if s.partitionNone {
			continue
		}
		kept, st := p.order(items[start:], &s, g.sort, &n, o.Sticky)
		items = items[:start+kept]
		if strategy == "" {
			strategy = st // the first model with candidates decides
		}
	}
	if s.partitionNone {
		kept, st := p.order(items, &s, sortNone, &n, o.Sticky)
		items, strategy = items[:kept], st
	}
	if len(items) == 0 {
		return nil, p.noEndpoints(groups, &s, &n)
	}
	plan := &Plan{Candidates: make([]Candidate, len(items))}
	for i := range items {
		plan.Candidates[i] = items[i].ep.cand
	}
	if o.Explain {
		plan.Explain = p.explain(groups, items, strategy, &s, &n)
	}
	return plan, nil
}

// groups resolves the requested model and its models[] fallbacks, in
// order and without repeats.
func (p *planner) groups(req *openai.ChatRequest, n *need, out []group) ([]group, error) {
	add := func(id string) error {
		if id == "" {
			return nil
		}
		g, err := p.group(id, req, n)
		if err != nil {
			return err
		}
		for _, prev := range out {
			if prev.mp == g.mp {
				return nil
			}
		}
		out = append(out, g)
		return nil
	}
	if err := add(req.Model); err != nil {
		return nil, err
	}
	for _, id := range req.Models {
		if err := add(id); err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, apierr.New(apierr.InvalidRequest, "model is required").With("error_type", "invalid_request")
	}
	return out, nil
}

func (p *planner) group(id string, req *openai.ChatRequest, n *need) (group, error) {
	if id == AutoModel {
		mp := p.auto.choose(n)
		if mp == nil {
			return group{}, apierr.New(apierr.NotFound,
				"%s found no routable model that supports this request", AutoModel).With("error_type", "not_found")
		}
		return group{mp: mp, auto: true}, nil
	}
	mp, sort := p.resolve(id)
	if mp == nil {
		return group{}, apierr.New(apierr.InvalidRequest, "%s is not a valid model ID", id).
			With("error_type", "invalid_request")
	}
	if m := mp.model; m.Retired() {
		return group{}, apierr.New(apierr.Gone, "%s has been retired; use %s instead", m.ID, m.Successor).
			With("error_type", "model_deprecated").With("successor", m.Successor)
	}
	return group{mp: mp, sort: sort}, nil
}
