package router

import (
	"strings"

	"github.com/switchyard-dev/switchyard/internal/apierr"
)

// noEndpoints is the error when the constraints leave nothing to try. It
// names what excluded the endpoints, most actionable first:
//
//   - 404 when a provider preference (only, ignore, quantizations,
//     max_price, data_collection, zdr, require_parameters) excluded some;
//   - 400 when the request does not fit (context length, max_tokens);
//   - 503 when endpoints exist but none is routable;
//   - 404 when the models have no endpoint at all.
//
// metadata.excluded_by lists every exclusion; metadata.excluded says the
// same as "<provider>: <reason>" strings.
func (p *planner) noEndpoints(groups []group, s *spec, n *need) error {
	ids := make([]string, len(groups))
	for i, g := range groups {
		ids[i] = g.mp.model.ID
	}
	model := strings.Join(ids, ", ")
	excl := p.exclusions(groups, s, n)
	if len(excl) == 0 {
		return apierr.New(apierr.NotFound, "No endpoints found for %s", model).With("error_type", "not_found")
	}
	var prefs, fit []string // excluded_by values, in order of the filters
	for x := byOnly; x < byUnroutable; x++ {
		if !excludes(excl, x) {
			continue
		}
		if x.preference() {
			prefs = append(prefs, "provider."+excludedBy[x])
		} else {
			fit = append(fit, excludedBy[x])
		}
	}
	var e *apierr.Error
	switch {
	case len(prefs) > 0:
		e = apierr.New(apierr.NotFound, "No endpoints found for %s matching your provider preferences (excluded by %s)",
			model, strings.Join(prefs, ", ")).With("error_type", "not_found")
	case len(fit) > 0:
		e = p.unfit(model, fit, n).With("error_type", fit[0]+"_exceeded")
	default:
		e = apierr.New(apierr.Unavailable, "No available provider for %s: none of its %d endpoints is configured for routing",
			model, len(excl)).With("error_type", "provider_unavailable")
	}
	summary := make([]string, len(excl))
	for i, x := range excl {
		summary[i] = x.Provider + ": " + x.Reason
	}
	return e.With("excluded_by", excl).With("excluded", summary)
}

// unfit is the 400 of a request too large for every endpoint.
func (p *planner) unfit(model string, fit []string, n *need) *apierr.Error {
	if fit[0] == excludedBy[byContextLength] {
		return apierr.New(apierr.InvalidRequest,
			"The request needs about %d tokens (%d prompt + %d max_tokens), more than the context length of every endpoint of %s",
			n.promptTokens+n.maxOutput, n.promptTokens, n.maxOutput, model)
	}
	return apierr.New(apierr.InvalidRequest, "max_tokens %d is more than every endpoint of %s can return", n.maxOutput, model)
}

func excludes(excl []Exclusion, x exclusion) bool {
	for _, e := range excl {
		if e.ExcludedBy == excludedBy[x] {
			return true
		}
	}
	return false
}
