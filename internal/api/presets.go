package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/switchyard-dev/switchyard/internal/apierr"
	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/preset"
	"github.com/switchyard-dev/switchyard/internal/store"
)

// presetRoutes registers the preset management endpoints under /api/v1 and
// /v1. They need a management key; presets belong to its account.
func (s *Server) presetRoutes(mux *http.ServeMux) {
	for _, prefix := range []string{"/api/v1", "/v1"} {
		mux.Handle("GET "+prefix+"/presets", s.handle(s.listPresets))
		mux.Handle("POST "+prefix+"/presets", s.handle(s.createPreset))
		mux.Handle("GET "+prefix+"/presets/{slug}", s.handle(s.getPreset))
		mux.Handle("PATCH "+prefix+"/presets/{slug}", s.handle(s.updatePreset))
		mux.Handle("DELETE "+prefix+"/presets/{slug}", s.handle(s.deletePreset))
		mux.Handle("GET "+prefix+"/presets/{slug}/versions", s.handle(s.presetVersions))
	}
}

// applyPreset resolves a preset invoked by a chat request body
// (`"model":"@preset/slug"`, `"preset":"slug"` or `"model":"m@preset/slug"`)
// from the account's presets and returns the merged body to decode (see
// package preset). A body that invokes none is returned as it is, after
// one bytes.Contains.
func (s *Server) applyPreset(ctx context.Context, accountID int64, body []byte) ([]byte, error) {
	inv, err := preset.Parse(body)
	if err != nil {
		return nil, presetInvalid(err.Error())
	}
	if inv == nil {
		return body, nil
	}
	p, err := s.store.Preset(ctx, accountID, inv.Slug)
	if err != nil {
		return nil, presetError(err, inv.Slug, "reading the preset")
	}
	merged, err := inv.Apply(p.Config)
	if err != nil {
		return nil, presetInvalid(err.Error())
	}
	return merged, nil
}

// presetJSON is a preset version as the API returns it.
type presetJSON struct {
	Slug        string          `json:"slug"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Config      json.RawMessage `json:"config"`
	Version     int             `json:"version"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
}

func presetOut(p store.Preset) presetJSON {
	return presetJSON{
		Slug: p.Slug, Name: p.Name, Description: p.Description, Config: p.Config,
		Version: p.Version, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
	}
}

func presetsOut(ps []store.Preset) []presetJSON {
	out := make([]presetJSON, len(ps))
	for i, p := range ps {
		out[i] = presetOut(p)
	}
	return out
}

// GET /presets: the account's presets, latest versions, by slug.
func (s *Server) listPresets(w http.ResponseWriter, r *http.Request) error {
	c, ps, err := s.managePresets(r)
	if err != nil {
		return err
	}
	list, err := ps.ListPresets(r.Context(), c.account.ID)
	if err != nil {
		return presetError(err, "", "listing presets")
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": presetsOut(list)})
	return nil
}

// POST /presets {slug, name, description, config}: version 1 of a new
// preset. The name defaults to the slug.
func (s *Server) createPreset(w http.ResponseWriter, r *http.Request) error {
	c, ps, err := s.managePresets(r)
	if err != nil {
		return err
	}
	var in struct {
		Slug        string          `json:"slug"`
		Name        *string         `json:"name"`
		Description string          `json:"description"`
		Config      json.RawMessage `json:"config"`
	}
	if err := s.decodeStrict(w, r, &in); err != nil {
		return err
	}
	if !store.ValidPresetSlug(in.Slug) {
		return presetInvalid("slug must be 1 to 64 lowercase letters, digits and '-', starting and ending with a letter or digit")
	}
	if in.Config == nil {
		return presetInvalid("config is required: a JSON object of chat request fields and system_prompt")
	}
	if err := checkPresetConfig(in.Config); err != nil {
		return err
	}
	np := store.NewPreset{AccountID: c.account.ID, Slug: in.Slug, Name: in.Slug, Description: in.Description, Config: in.Config}
	if in.Name != nil {
		np.Name = *in.Name
	}
	p, err := ps.CreatePreset(r.Context(), np)
	if err != nil {
		return presetError(err, in.Slug, "creating the preset")
	}
	writeJSON(w, http.StatusCreated, map[string]any{"data": presetOut(p)})
	return nil
}

// GET /presets/{slug}: the latest version.
func (s *Server) getPreset(w http.ResponseWriter, r *http.Request) error {
	c, ps, err := s.managePresets(r)
	if err != nil {
		return err
	}
	slug := r.PathValue("slug")
	p, err := ps.Preset(r.Context(), c.account.ID, slug)
	if err != nil {
		return presetError(err, slug, "reading the preset")
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": presetOut(p)})
	return nil
}

// PATCH /presets/{slug} {name?, description?, config?}: a new version, the
// fields given replacing the latest version's (config as a whole).
func (s *Server) updatePreset(w http.ResponseWriter, r *http.Request) error {
	c, ps, err := s.managePresets(r)
	if err != nil {
		return err
	}
	slug := r.PathValue("slug")
	var in struct {
		Name        *string         `json:"name"`
		Description *string         `json:"description"`
		Config      json.RawMessage `json:"config"`
	}
	if err := s.decodeStrict(w, r, &in); err != nil {
		return err
	}
	if in.Name == nil && in.Description == nil && in.Config == nil {
		return presetInvalid("nothing to update: send name, description or config")
	}
	if in.Config != nil {
		if err := checkPresetConfig(in.Config); err != nil {
			return err
		}
	}
	cur, err := ps.Preset(r.Context(), c.account.ID, slug)
	if err != nil {
		return presetError(err, slug, "reading the preset")
	}
	np := store.NewPreset{AccountID: c.account.ID, Slug: slug, Name: cur.Name, Description: cur.Description, Config: cur.Config}
	if in.Name != nil {
		np.Name = *in.Name
	}
	if in.Description != nil {
		np.Description = *in.Description
	}
	if in.Config != nil {
		np.Config = in.Config
	}
	p, err := ps.UpdatePreset(r.Context(), np)
	if err != nil {
		return presetError(err, slug, "updating the preset")
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": presetOut(p)})
	return nil
}

// DELETE /presets/{slug}: the preset and all its versions.
func (s *Server) deletePreset(w http.ResponseWriter, r *http.Request) error {
	c, ps, err := s.managePresets(r)
	if err != nil {
		return err
	}
	slug := r.PathValue("slug")
	if err := ps.DeletePreset(r.Context(), c.account.ID, slug); err != nil {
		return presetError(err, slug, "deleting the preset")
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"slug": slug, "deleted": true}})
	return nil
}

// GET /presets/{slug}/versions: every version, oldest first.
func (s *Server) presetVersions(w http.ResponseWriter, r *http.Request) error {
	c, ps, err := s.managePresets(r)
	if err != nil {
		return err
	}
	slug := r.PathValue("slug")
	versions, err := ps.PresetVersions(r.Context(), c.account.ID, slug)
	if err != nil {
		return presetError(err, slug, "reading the preset's versions")
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": presetsOut(versions)})
	return nil
}

// managePresets authenticates a management key and returns the preset
// store.
func (s *Server) managePresets(r *http.Request) (*caller, store.PresetStore, error) {
	c, err := s.manage(r)
	return c, s.store, err
}

// decodeStrict reads a management request body into v, refusing unknown
// fields: unlike inference requests, these come from our own clients.
func (s *Server) decodeStrict(w http.ResponseWriter, r *http.Request, v any) error {
	body, held, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	defer s.bodies.give(held)
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return presetInvalid("invalid request body: " + err.Error())
	}
	if dec.More() {
		return presetInvalid("invalid request body: more than one JSON value")
	}
	return nil
}

// checkPresetConfig validates a config as package preset does, then its
// values as a chat request's would be, with a placeholder conversation.
func checkPresetConfig(config json.RawMessage) error {
	req, err := preset.CheckConfig(config)
	if err != nil {
		return presetInvalid(err.Error())
	}
	req.Messages = []openai.Message{{Role: "user", Content: openai.TextContent("-")}}
	if req.Model == "" {
		req.Model = "-" // the request may name the model
	}
	if err := validateChat(req); err != nil {
		return apierr.From(err).With("error_type", "invalid_request")
	}
	return nil
}

// presetError maps a store error about the preset slug to the client's.
func presetError(err error, slug, doing string) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return apierr.New(apierr.NotFound, "preset %q not found", slug).With("error_type", "not_found")
	case errors.Is(err, store.ErrAlreadyExists):
		return apierr.New(apierr.InvalidRequest, "a preset named %q already exists; PATCH it to add a version", slug).
			With("error_type", "already_exists")
	case errors.Is(err, store.ErrInvalid):
		return apierr.Wrap(apierr.InvalidRequest, err, "invalid preset").With("error_type", "invalid_request")
	}
	return apierr.Wrap(apierr.Internal, err, "internal error while "+doing)
}

// presetInvalid is a 400 with the given client message.
func presetInvalid(msg string) error {
	return apierr.New(apierr.InvalidRequest, "%s", msg).With("error_type", "invalid_request")
}
