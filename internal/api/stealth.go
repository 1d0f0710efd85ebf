package api

import (
	"net/http"
	"regexp"
	"slices"

	"github.com/switchyard-dev/switchyard/internal/apierr"
	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/router"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// Stealth models (catalog.Model.Stealth) are served under an alias: what a
// client can see of them — responses, chunks, errors, /models, generation
// records, activity and rankings — names the provider "Stealth" and never
// the real provider, its endpoint tag or the upstream model. The request
// path masks them at these points:
//
//   - the response's and chunks' provider (generation.providerName), and
//     the upstream's system_fingerprint and service_tier, dropped;
//   - errors: the real names are replaced in messages, and the upstream's
//     raw body and the other attempts' errors are dropped (scrub);
//   - routing explanations are not given;
//   - generation records are written masked (generationRecord), so that
//     GET /generation, /activity and the rankings read them masked;
//   - /models and /models/{id}/endpoints show the "stealth" provider;
//   - provider preferences name stealth endpoints only as "stealth"
//     (router.matches), so probing with provider.only reveals nothing.
//
// GET /api/v1/stealth (management key) is the one place that shows the
// mapping.

// stealthModels returns the stealth models a request may be routed to.
func (s *Server) stealthModels(req *openai.ChatRequest) []*catalog.Model {
	var out []*catalog.Model
	for _, id := range append([]string{req.Model}, req.Models...) {
		if m := s.cat.Model(id); m != nil && m.Stealth && !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

// stealthSecrets are the names a stealth request's errors must not show:
// its stealth models' providers (slug, name, endpoint tags) and upstream
// models, longest first so that a name containing another is replaced
// whole.
func (s *Server) stealthSecrets(models []*catalog.Model) []string {
	var out []string
	add := func(v string) {
		if len(v) >= 2 && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	for _, m := range models {
		for _, e := range m.Endpoints {
			add(e.Provider)
			add(e.Tag)
			add(e.UpstreamModel)
			if p := s.cat.Provider(e.Provider); p != nil {
				add(p.Name)
			}
		}
	}
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// scrubText replaces every secret in text (case-insensitively) with
// "Stealth".
func scrubText(text string, secrets []string) string {
	for _, sec := range secrets {
		re := regexp.MustCompile(`(?i)` + regexp.QuoteMeta(sec))
		text = re.ReplaceAllLiteralString(text, catalog.StealthProviderName)
	}
	return text
}

// scrub returns err as a stealth request's client may see it: its message
// with the real names replaced, its metadata reduced to the error type
// and the "Stealth" provider. Errors of requests without stealth models
// are returned as they are.
func (s *Server) scrub(g *generation, err error) error {
	if err == nil || len(g.stealth) == 0 {
		return err
	}
	if g.attempts == nil { // for the record, which masks them itself
		g.attempts = router.AttemptsOf(err)
	}
	e := apierr.From(err)
	secrets := s.stealthSecrets(g.stealth)
	out := &apierr.Error{Kind: e.Kind, Message: scrubText(e.Message, secrets), RetryAfter: e.RetryAfter}
	for _, k := range []string{"error_type", "successor", "limit"} {
		if v, ok := e.Metadata[k]; ok {
			out.With(k, v)
		}
	}
	if _, ok := e.Metadata["provider_name"]; ok {
		out.With("provider_name", catalog.StealthProviderName)
	}
	return out
}

// maskRecord hides a stealth generation's provider in its record.
func (s *Server) maskRecord(rec *store.Generation, stealth []*catalog.Model) {
	if len(stealth) == 0 {
		return
	}
	secrets := s.stealthSecrets(stealth)
	if m := s.cat.Model(rec.Model); m != nil && m.Stealth && rec.ProviderSlug != "" {
		rec.ProviderSlug, rec.ProviderName = catalog.StealthProvider, catalog.StealthProviderName
		rec.UpstreamModel, rec.UpstreamID = "", ""
	}
	rec.Error = scrubText(rec.Error, secrets)
	for i := range rec.ProviderResponses {
		pr := &rec.ProviderResponses[i]
		if m := s.cat.Model(pr.Model); m != nil && m.Stealth {
			pr.Provider, pr.Name, pr.Endpoint = catalog.StealthProvider, catalog.StealthProviderName, catalog.StealthProvider
		}
		pr.Error = scrubText(pr.Error, secrets)
	}
}

// stealthRoutes serves the operator's view of the stealth models.
func (s *Server) stealthRoutes(mux *http.ServeMux) {
	for _, prefix := range []string{"/api/v1", "/v1"} {
		mux.Handle("GET "+prefix+"/stealth", s.handle(s.listStealth))
	}
}

// GET /stealth (management key): each stealth model and what serves it.
func (s *Server) listStealth(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.manage(r); err != nil {
		return err
	}
	type endpointJSON struct {
		Provider      string `json:"provider"`
		Tag           string `json:"tag"`
		UpstreamModel string `json:"upstream_model"`
	}
	type stealthJSON struct {
		ID        string         `json:"id"`
		Name      string         `json:"name"`
		Retired   bool           `json:"retired"`
		Successor *string        `json:"successor"`
		Endpoints []endpointJSON `json:"endpoints"`
	}
	out := []stealthJSON{}
	for _, m := range s.cat.Models() {
		if !m.Stealth {
			continue
		}
		sj := stealthJSON{ID: m.ID, Name: m.Name, Retired: m.Retired(), Successor: nullable(m.Successor), Endpoints: []endpointJSON{}}
		for _, e := range m.Endpoints {
			sj.Endpoints = append(sj.Endpoints, endpointJSON{e.Provider, e.Tag, e.UpstreamModel})
		}
		out = append(out, sj)
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
	return nil
}

// providerName is the provider a client is told served g.
func (g *generation) providerName() string {
	if g.cand.Model != nil && g.cand.Model.Stealth {
		return catalog.StealthProviderName
	}
	return g.cand.Provider.Name
}

// stealthy reports whether g was served by a stealth model.
func (g *generation) stealthy() bool { return g.served && g.cand.Model.Stealth }

// endpointProvider is the provider slug a client is told serves e of m.
func endpointProvider(m *catalog.Model, e *catalog.Endpoint) string {
	if m.Stealth {
		return catalog.StealthProvider
	}
	return e.Provider
}
