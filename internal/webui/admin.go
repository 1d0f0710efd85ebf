package webui

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/switchyard-dev/switchyard/internal/health"
)

// adminProvider is a provider of GET /api/v1/providers.
type adminProvider struct {
	Name      string `json:"name"`
	Slug      string `json:"slug"`
	Protocol  string `json:"protocol"`
	Routable  bool   `json:"routable"`
	Simulated bool   `json:"simulated"`
}

// adminEndpoint is an endpoint's live health.
type adminEndpoint struct {
	Provider, Model string
	Stats           health.Stats
}

// Uptime is the share of the last day's requests that succeeded, nil
// without requests.
func (e adminEndpoint) Uptime() *float64 {
	if e.Stats.Requests1d == 0 {
		return nil
	}
	v := e.Stats.Uptime1d
	return &v
}

// LatencyP50 is the median time to first token over 5 minutes, in ms.
func (e adminEndpoint) LatencyP50() *float64 {
	if e.Stats.Latency5m.Count == 0 {
		return nil
	}
	v := e.Stats.Latency5m.P50
	return &v
}

// adminStealth is a stealth model and what serves it.
type adminStealth struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	Retired   bool    `json:"retired"`
	Successor *string `json:"successor"`
	Endpoints []struct {
		Provider      string `json:"provider"`
		Tag           string `json:"tag"`
		UpstreamModel string `json:"upstream_model"`
	} `json:"endpoints"`
}

// adminPreset is a preset of GET /api/v1/presets.
type adminPreset struct {
	Slug        string    `json:"slug"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Version     int       `json:"version"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// adminData is the admin page.
type adminData struct {
	Providers        []adminProvider
	Routable, Listed int
	Endpoints        []adminEndpoint
	Stealth          []adminStealth
	Presets          []adminPreset
}

// GET /admin: providers, endpoint health and breakers, stealth models and
// presets (management key).
func (u *UI) adminPage(w http.ResponseWriter, r *http.Request, s *session) error {
	if !u.signedIn(w, r, s) {
		return nil
	}
	if !s.management {
		return needManagement("The admin page")
	}
	var (
		d         adminData
		providers struct{ Data []adminProvider }
		stealth   struct{ Data []adminStealth }
		presets   struct{ Data []adminPreset }
	)
	for path, out := range map[string]any{
		"/api/v1/providers": &providers, "/api/v1/stealth": &stealth, "/api/v1/presets": &presets,
	} {
		if err := u.get(r, s, path, out); err != nil {
			return err
		}
	}
	d.Providers, d.Stealth, d.Presets = providers.Data, stealth.Data, presets.Data
	slices.SortStableFunc(d.Providers, func(a, b adminProvider) int {
		return cmp.Or(-cmpBool(a.Routable, b.Routable), strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)))
	})
	for _, p := range d.Providers {
		if p.Routable {
			d.Routable++
		}
	}
	d.Listed = len(d.Providers)
	if u.health != nil {
		u.health.Each(func(provider, model string, e *health.Endpoint) {
			d.Endpoints = append(d.Endpoints, adminEndpoint{Provider: provider, Model: model, Stats: e.Stats()})
		})
	}
	slices.SortFunc(d.Endpoints, func(a, b adminEndpoint) int {
		return cmp.Or(strings.Compare(a.Provider, b.Provider), strings.Compare(a.Model, b.Model))
	})
	u.render(w, r, s, http.StatusOK, "admin", view{Title: "Admin", Active: "admin",
		Scripts: []string{"js/app.js"}, Data: d})
	return nil
}

// cmpBool orders false before true.
func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
