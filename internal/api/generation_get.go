package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/switchyard-dev/switchyard/internal/apierr"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// GET /generation?id=gen-…: one generation's metadata and cost, for the
// account that made it.
func (s *Server) getGeneration(w http.ResponseWriter, r *http.Request) error {
	c, err := s.authenticate(r)
	if err != nil {
		return err
	}
	id := r.URL.Query().Get("id")
	if id == "" {
		return apierr.New(apierr.InvalidRequest, "id is required").With("error_type", "invalid_request")
	}
	g, err := s.store.Generation(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		// Records are written in batches a moment after the response:
		// a client asking at once gets its record written first.
		if err = s.Flush(r.Context()); err == nil {
			g, err = s.store.Generation(r.Context(), id)
		}
	}
	notFound := apierr.New(apierr.NotFound, "generation %q not found", id).With("error_type", "not_found")
	switch {
	case errors.Is(err, store.ErrNotFound):
		return notFound
	case err != nil:
		return apierr.Wrap(apierr.Internal, err, "internal error while reading the generation")
	case g.AccountID != c.account.ID:
		return notFound // never reveal another account's generations
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": generationJSON(g)})
	return nil
}

// maxRecentGenerations bounds GET /generations.
const maxRecentGenerations = 200

// GET /generations[?limit=N] (management key): the account's most recent
// generations, newest first (default 50), each as GET /generation shows it.
func (s *Server) listGenerations(w http.ResponseWriter, r *http.Request) error {
	c, err := s.manage(r)
	if err != nil {
		return err
	}
	limit := 50
	if l := r.URL.Query().Get("limit"); l != "" {
		if limit, err = strconv.Atoi(l); err != nil || limit < 1 || limit > maxRecentGenerations {
			return apierr.New(apierr.InvalidRequest, "limit must be between 1 and %d", maxRecentGenerations).
				With("error_type", "invalid_request")
		}
	}
	if err := s.Flush(r.Context()); err != nil {
		return apierr.Wrap(apierr.Internal, err, "internal error while writing generations")
	}
	gens, err := s.store.RecentGenerations(r.Context(), c.account.ID, limit)
	if err != nil {
		return apierr.Wrap(apierr.Internal, err, "internal error while reading generations")
	}
	out := make([]map[string]any, len(gens))
	for i, g := range gens {
		out[i] = generationJSON(g)
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
	return nil
}

// generationJSON is a generation as the API shows it (OpenRouter's
// fields, and Switchyard's status, error and routing attempts).
func generationJSON(g store.Generation) map[string]any {
	return map[string]any{
		"id":                       g.ID,
		"created_at":               g.CreatedAt,
		"model":                    g.Model,
		"provider_name":            g.ProviderName,
		"upstream_id":              g.UpstreamID,
		"api_type":                 "completions",
		"http_referer":             nullable(g.HTTPReferer),
		"app_title":                nullable(g.AppTitle),
		"external_user":            nullable(g.User),
		"session_id":               nullable(g.SessionID),
		"streamed":                 g.Streamed,
		"cancelled":                g.Cancelled,
		"finish_reason":            nullable(g.FinishReason),
		"native_finish_reason":     nullable(g.NativeFinishReason),
		"latency":                  g.LatencyMs,
		"generation_time":          g.GenerationTimeMs,
		"tokens_prompt":            g.PromptTokens,
		"tokens_completion":        g.CompletionTokens,
		"native_tokens_prompt":     g.PromptTokens,
		"native_tokens_completion": g.CompletionTokens,
		"native_tokens_reasoning":  g.ReasoningTokens,
		"native_tokens_cached":     g.CachedTokens,
		"total_cost":               g.Cost,
		"usage":                    g.Cost,
		"is_byok":                  g.IsBYOK,
		"attempts":                 g.Attempts,
		"status":                   g.Status,
		"error":                    nullable(g.Error),
		"provider_responses":       providerResponsesJSON(g.ProviderResponses),
	}
}

// providerResponsesJSON renders the routing attempts of a generation.
func providerResponsesJSON(prs []store.ProviderResponse) []map[string]any {
	out := make([]map[string]any, 0, len(prs))
	for _, p := range prs {
		out = append(out, map[string]any{
			"provider": p.Name, "provider_slug": p.Provider, "model": p.Model, "endpoint": p.Endpoint,
			"status": p.Status, "latency": p.LatencyMs, "error": nullable(p.Error),
		})
	}
	return out
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
