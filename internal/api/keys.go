package api

import (
	"net/http"
)

// keyRoutes registers the account endpoints every key may call. (Key
// management under /keys is still to come; see issue 5's notes.)
func (s *Server) keyRoutes(mux *http.ServeMux) {
	for _, prefix := range []string{"/api/v1", "/v1"} {
		mux.Handle("GET "+prefix+"/credits", s.handle(s.credits))
	}
}

// GET /credits: the key's account's credits ever added and usage ever
// charged, in USD.
func (s *Server) credits(w http.ResponseWriter, r *http.Request) error {
	c, err := s.authenticate(r)
	if err != nil {
		return err
	}
	if err := s.Flush(r.Context()); err != nil {
		return err
	}
	a, err := s.store.Account(r.Context(), c.account.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
		"total_credits": a.TotalCredits, "total_usage": a.TotalUsage,
	}})
	return nil
}
