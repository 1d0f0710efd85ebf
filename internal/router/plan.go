// Package router turns a chat request into an ordered list of endpoints and
// executes it against them, failing over before the first byte reaches the
// client.
//
// This release orders candidates deterministically: the request's model
// first, then each `models[]` fallback; within a model, the endpoints named
// by provider.order first, the rest by ascending price (prompt + completion),
// ties broken by provider slug. Price-, latency- and health-aware weighting
// is the routing issue's work; Plan is the seam where it goes.
package router

import (
	"cmp"
	"slices"
	"strings"

	"github.com/switchyard-dev/switchyard/internal/apierr"
	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
)

// Candidate is one endpoint the request may be sent to.
type Candidate struct {
	Model    *catalog.Model
	Endpoint *catalog.Endpoint
	Provider *catalog.Provider
	Client   provider.Provider
}

// dynamicVariants are model-id suffixes that only change routing; the
// canonical model is the id without them.
var dynamicVariants = []string{":nitro", ":floor"}

// resolveModel finds the catalog model for a requested id.
func (r *Router) resolveModel(id string) *catalog.Model {
	if m := r.cat.Model(id); m != nil {
		return m
	}
	for _, v := range dynamicVariants {
		if base, ok := strings.CutSuffix(id, v); ok {
			return r.cat.Model(base)
		}
	}
	return nil
}

// planner holds what planning precomputes; see newPlanner.
type planner struct{}

func newPlanner(*Router) *planner { return &planner{} }

// PlanOptions ask for more than the order.
type PlanOptions struct {
	// Explain asks for the decision's Explanation.
	Explain bool
	// Sticky names the provider slug that served this conversation last
	// (prompt-cache stickiness): it goes first when eligible.
	Sticky string
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
	cands, err := r.plan(req)
	if err != nil {
		return nil, err
	}
	return &Plan{Candidates: cands}, nil
}

func (r *Router) plan(req *openai.ChatRequest) ([]Candidate, error) {
	ids := requestedModels(req)
	if len(ids) == 0 {
		return nil, apierr.New(apierr.InvalidRequest, "model is required")
	}
	prefs := req.Provider
	if prefs == nil {
		prefs = &openai.ProviderPrefs{}
	}
	if err := r.checkProviderSlugs(prefs); err != nil {
		return nil, err
	}
	allowFallbacks := prefs.AllowFallbacks == nil || *prefs.AllowFallbacks

	var (
		out       []Candidate
		excluded  []string // "<provider>: <why>" for the error message
		anyModel  bool
		seenModel = make(map[string]bool)
	)
	for _, id := range ids {
		m := r.resolveModel(id)
		if m == nil {
			return nil, apierr.New(apierr.InvalidRequest, "%s is not a valid model ID", id).
				With("error_type", "invalid_request")
		}
		if seenModel[m.ID] {
			continue
		}
		seenModel[m.ID] = true
		anyModel = true
		cands, why := r.candidatesFor(m, prefs)
		excluded = append(excluded, why...)
		if !allowFallbacks && len(cands) > 1 {
			cands = cands[:max(1, countOrdered(cands, prefs.Order))]
		}
		out = append(out, cands...)
	}
	if len(out) == 0 && anyModel {
		return nil, noEndpoints(ids, prefs, excluded)
	}
	return out, nil
}

func requestedModels(req *openai.ChatRequest) []string {
	var ids []string
	if req.Model != "" {
		ids = append(ids, req.Model)
	}
	for _, m := range req.Models {
		if m != "" && !slices.Contains(ids, m) {
			ids = append(ids, m)
		}
	}
	return ids
}

// candidatesFor returns m's routable endpoints in order, and why the others
// were left out.
func (r *Router) candidatesFor(m *catalog.Model, prefs *openai.ProviderPrefs) ([]Candidate, []string) {
	var (
		out []Candidate
		why []string
	)
	for i := range m.Endpoints {
		e := &m.Endpoints[i]
		p := r.cat.Provider(e.Provider)
		switch {
		case len(prefs.Only) > 0 && !matchesAny(prefs.Only, p, e):
			why = append(why, p.Slug+": not in provider.only")
			continue
		case matchesAny(prefs.Ignore, p, e):
			why = append(why, p.Slug+": in provider.ignore")
			continue
		}
		client := r.clients[p.Slug]
		if client == nil {
			why = append(why, p.Slug+": "+r.unroutable(p))
			continue
		}
		out = append(out, Candidate{Model: m, Endpoint: e, Provider: p, Client: client})
	}
	slices.SortStableFunc(out, func(a, b Candidate) int {
		ra, rb := orderRank(prefs.Order, a), orderRank(prefs.Order, b)
		if ra != rb {
			return cmp.Compare(ra, rb)
		}
		pa := a.Endpoint.Pricing.Prompt + a.Endpoint.Pricing.Completion
		pb := b.Endpoint.Pricing.Prompt + b.Endpoint.Pricing.Completion
		if pa != pb {
			return cmp.Compare(pa, pb)
		}
		return cmp.Compare(a.Endpoint.Tag, b.Endpoint.Tag)
	})
	return out, why
}

func (r *Router) unroutable(p *catalog.Provider) string {
	if !r.adapters.Supports(p.Protocol) {
		return "no adapter for protocol " + p.Protocol + " yet"
	}
	return "no credentials configured"
}

// orderRank is the position of c's provider in order, or len(order).
func orderRank(order []string, c Candidate) int {
	for i, s := range order {
		if matches(s, c.Provider, c.Endpoint) {
			return i
		}
	}
	return len(order)
}

func countOrdered(cands []Candidate, order []string) int {
	n := 0
	for _, c := range cands {
		if orderRank(order, c) < len(order) {
			n++
		}
	}
	return n
}

func matchesAny(slugs []string, p *catalog.Provider, e *catalog.Endpoint) bool {
	for _, s := range slugs {
		if matches(s, p, e) {
			return true
		}
	}
	return false
}

// matches reports whether a provider preference slug names this endpoint:
// a base slug ("together") matches all its endpoints, a full tag
// ("deepinfra/turbo") only that one; display names match too.
func matches(s string, p *catalog.Provider, e *catalog.Endpoint) bool {
	return strings.EqualFold(s, p.Slug) || strings.EqualFold(s, e.Tag) || strings.EqualFold(s, p.Name)
}

func (r *Router) checkProviderSlugs(prefs *openai.ProviderPrefs) error {
	for _, list := range [][]string{prefs.Order, prefs.Only, prefs.Ignore} {
		for _, s := range list {
			base, _, _ := strings.Cut(s, "/")
			if r.cat.Provider(strings.ToLower(base)) == nil && !r.providerNamed(s) {
				return apierr.New(apierr.InvalidRequest, "unknown provider %q in provider preferences", s).
					With("error_type", "invalid_request")
			}
		}
	}
	return nil
}

func (r *Router) providerNamed(name string) bool {
	for _, p := range r.cat.Providers() {
		if strings.EqualFold(p.Name, name) {
			return true
		}
	}
	return false
}

func noEndpoints(ids []string, prefs *openai.ProviderPrefs, excluded []string) error {
	model := strings.Join(ids, ", ")
	filtered := len(prefs.Only) > 0 || len(prefs.Ignore) > 0
	if filtered {
		return apierr.New(apierr.NotFound, "No endpoints found for %s matching your provider preferences", model).
			With("error_type", "not_found").With("excluded", excluded)
	}
	if len(excluded) == 0 {
		return apierr.New(apierr.NotFound, "No endpoints found for %s", model).
			With("error_type", "not_found")
	}
	return apierr.New(apierr.Unavailable, "No available provider for %s: none of its %d endpoints is configured for routing",
		model, len(excluded)).With("error_type", "provider_unavailable").With("excluded", excluded)
}
