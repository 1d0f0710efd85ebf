package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/switchyard-dev/switchyard/internal/apierr"
	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// BYOK ("bring your own key"): an account stores its own upstream key for a
// provider; its requests to that provider's endpoints use the key first
// and are charged only the BYOK fee (a share of the list price). Keys are
// sealed with the operator's key (secretbox) before they reach the store,
// bound to their account and provider.

// BYOKClients builds upstream clients with an account's own keys.
type BYOKClients interface {
	// Clients returns the account's clients by provider slug (none when it
	// stored no key).
	Clients(ctx context.Context, accountID int64) (map[string]provider.Provider, error)
	// Forget drops what is cached for the account after its keys change.
	Forget(accountID int64)
}

// BYOKContext is the context a provider key is sealed for: a sealed key
// copied to another account or provider does not open.
func BYOKContext(accountID int64, provider string) string {
	return fmt.Sprintf("switchyard/byok/account:%d/provider:%s", accountID, provider)
}

// byokRoutes registers the BYOK key endpoints (management keys).
func (s *Server) byokRoutes(mux *http.ServeMux) {
	for _, prefix := range []string{"/api/v1", "/v1"} {
		mux.Handle("GET "+prefix+"/byok", s.handle(s.listBYOK))
		mux.Handle("PUT "+prefix+"/byok/{provider}", s.handle(s.putBYOK))
		mux.Handle("DELETE "+prefix+"/byok/{provider}", s.handle(s.deleteBYOK))
	}
}

// manage authenticates a management key.
func (s *Server) manage(r *http.Request) (*caller, error) {
	c, err := s.authenticate(r)
	if err == nil && !c.key.IsManagement {
		err = apierr.New(apierr.Forbidden, "this endpoint needs a management key").With("error_type", "permission_denied")
	}
	return c, err
}

// GET /byok: the providers the account has its own key for (never the
// keys).
func (s *Server) listBYOK(w http.ResponseWriter, r *http.Request) error {
	c, err := s.manage(r)
	if err != nil {
		return err
	}
	keys, err := s.store.ProviderKeys(r.Context(), c.account.ID)
	if err != nil {
		return apierr.Wrap(apierr.Internal, err, "internal error while listing provider keys")
	}
	data := make([]map[string]any, 0, len(keys))
	for slug := range keys {
		data = append(data, map[string]any{"provider": slug, "routable": s.router.Routable(slug)})
	}
	sort.Slice(data, func(i, j int) bool { return data[i]["provider"].(string) < data[j]["provider"].(string) })
	writeJSON(w, http.StatusOK, map[string]any{"data": data})
	return nil
}

// putBYOKRequest is the body of PUT /byok/{provider}.
type putBYOKRequest struct {
	APIKey string `json:"api_key"`
}

// PUT /byok/{provider}: store (or replace) the account's key for a
// provider.
func (s *Server) putBYOK(w http.ResponseWriter, r *http.Request) error {
	c, err := s.manage(r)
	if err != nil {
		return err
	}
	if s.secrets == nil {
		return apierr.New(apierr.InvalidRequest,
			"this server stores no provider keys: its operator has not set billing.byok_key").
			With("error_type", "byok_disabled")
	}
	slug := r.PathValue("provider")
	if s.cat.Provider(slug) == nil {
		return apierr.New(apierr.NotFound, "unknown provider %q", slug).With("error_type", "not_found")
	}
	var req putBYOKRequest
	if err := s.decodeStrict(w, r, &req); err != nil {
		return err
	}
	key := strings.TrimSpace(req.APIKey)
	if key == "" || len(key) > 8<<10 {
		return apierr.New(apierr.InvalidRequest, "api_key must be a non-empty string of at most 8 KiB").
			With("error_type", "invalid_request")
	}
	sealed := s.secrets.Seal([]byte(key), BYOKContext(c.account.ID, slug))
	if err := s.store.SetProviderKey(r.Context(), c.account.ID, slug, sealed); err != nil {
		return apierr.Wrap(apierr.Internal, err, "internal error while storing the provider key")
	}
	s.forgetBYOK(c.account.ID)
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"provider": slug, "routable": s.router.Routable(slug)}})
	return nil
}

// DELETE /byok/{provider}
func (s *Server) deleteBYOK(w http.ResponseWriter, r *http.Request) error {
	c, err := s.manage(r)
	if err != nil {
		return err
	}
	slug := r.PathValue("provider")
	err = s.store.DeleteProviderKey(r.Context(), c.account.ID, slug)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return apierr.New(apierr.NotFound, "no key stored for provider %q", slug).With("error_type", "not_found")
	case err != nil:
		return apierr.Wrap(apierr.Internal, err, "internal error while deleting the provider key")
	}
	s.forgetBYOK(c.account.ID)
	writeJSON(w, http.StatusOK, map[string]any{"deleted": true})
	return nil
}

func (s *Server) forgetBYOK(accountID int64) {
	if s.byok != nil {
		s.byok.Forget(accountID)
	}
}

// byokClients returns the clients of g's account's own keys, if any. A
// failure to load them is logged and the request proceeds with the
// operator's keys: better served at list price than refused.
func (s *Server) byokClients(ctx context.Context, g *generation) map[string]provider.Provider {
	if s.byok == nil {
		return nil
	}
	clients, err := s.byok.Clients(ctx, g.caller.account.ID)
	if err != nil {
		s.logger.ErrorContext(ctx, "loading the account's provider keys", "account", g.caller.account.ID, "error", err)
		return nil
	}
	return clients
}
