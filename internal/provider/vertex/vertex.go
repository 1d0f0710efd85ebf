// Package vertex is the adapter for Google Vertex AI: Gemini models
// through package gemini at
// {base}/publishers/google/models/{model}:generateContent (and
// :streamGenerateContent?alt=sse), and Claude models through package
// anthropic on its "vertex" platform, chosen by model id. {base} is
// https://{location}-aiplatform.googleapis.com/v1/projects/{project}/locations/{location}
// (cfg.BaseURL), or the global location of the credential's project.
//
// Requests carry an OAuth2 bearer token: cfg.Auth when set, else one
// obtained with the service-account key that cfg.APIKey holds, either as
// the JSON itself or as the path of its file (the convention of
// GOOGLE_APPLICATION_CREDENTIALS).
package vertex

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"

	"github.com/switchyard-dev/switchyard/internal/openai"
	"github.com/switchyard-dev/switchyard/internal/provider"
	"github.com/switchyard-dev/switchyard/internal/provider/anthropic"
	"github.com/switchyard-dev/switchyard/internal/provider/gemini"
	"github.com/switchyard-dev/switchyard/internal/provider/googleauth"
)

// Adapter is a provider.Provider for Vertex AI. It is safe for concurrent
// use.
type Adapter struct {
	name   string
	base   string // {base} of the package doc, without a trailing slash
	gemini *gemini.Adapter

	claudeCfg  provider.Config // for anthropic.New, built on first use
	claudeOnce sync.Once
	claude     provider.Provider
	claudeErr  error
}

var (
	_ provider.Provider  = (*Adapter)(nil)
	_ provider.Describer = (*Adapter)(nil)
)

// New returns an Adapter for cfg. It is a provider.Factory.
func New(cfg provider.Config) (provider.Provider, error) {
	// The key is needed for a token source or a project, unless cfg
	// gives both.
	var key []byte
	if cfg.Auth == nil || cfg.BaseURL == "" {
		if cfg.APIKey == "" {
			return nil, errors.New("vertex: no credential: set a service-account JSON key (or its path) as the API key")
		}
		var err error
		if key, err = credential(cfg.APIKey.Reveal()); err != nil {
			return nil, err
		}
	}
	auth := cfg.Auth
	if auth == nil {
		a, err := googleauth.FromServiceAccountJSON(key, cfg.HTTPClient)
		if err != nil {
			return nil, fmt.Errorf("vertex: %w", err)
		}
		auth = a
	}
	base := cfg.BaseURL
	if base == "" {
		project := projectID(key)
		if project == "" {
			return nil, errors.New("vertex: no base URL, and no project_id in the service-account key to build one")
		}
		base = GlobalBaseURL(project)
	}
	u, err := provider.ParseBaseURL(cfg.Slug, base, "")
	if err != nil {
		return nil, fmt.Errorf("vertex: %w", err)
	}
	base = strings.TrimRight(u.String(), "/")

	// The adapters below authenticate with auth only: the key never
	// leaves as a header.
	cfg.Name = cmp.Or(cfg.Name, cfg.Slug, "Google Vertex AI")
	cfg.BaseURL, cfg.Auth, cfg.APIKey = base, auth, ""
	g, err := gemini.NewAdapter(cfg, gemini.WithEndpoint(publisherEndpoint(base)))
	if err != nil {
		return nil, fmt.Errorf("vertex: %w", err)
	}
	claude := cfg
	claude.Platform = "vertex"
	return &Adapter{name: cfg.Name, base: base, gemini: g, claudeCfg: claude}, nil
}

// GlobalBaseURL is the base URL of a project's global location.
func GlobalBaseURL(project string) string {
	return "https://aiplatform.googleapis.com/v1/projects/" + url.PathEscape(project) + "/locations/global"
}

// publisherEndpoint is the gemini.Endpoint of Google's models under base.
func publisherEndpoint(base string) gemini.Endpoint {
	return func(model string, stream bool) string {
		model = strings.TrimPrefix(model, "publishers/google/models/")
		u := base + "/publishers/google/models/" + url.PathEscape(model)
		if stream {
			return u + ":streamGenerateContent?alt=sse"
		}
		return u + ":generateContent"
	}
}

// credential returns the service-account key: the value itself when it
// is JSON, else the contents of the file it names.
func credential(v string) ([]byte, error) {
	if t := strings.TrimSpace(v); strings.HasPrefix(t, "{") {
		return []byte(t), nil
	}
	b, err := os.ReadFile(v)
	if err != nil {
		return nil, fmt.Errorf("vertex: the credential is neither a service-account JSON key nor a readable key file: %w", err)
	}
	return bytes.TrimSpace(b), nil
}

// projectID is the project_id of a service-account key, or "".
func projectID(key []byte) string {
	var k struct {
		ProjectID string `json:"project_id"`
	}
	if json.Unmarshal(key, &k) != nil {
		return ""
	}
	return k.ProjectID
}

// Capabilities implements provider.Describer with the capabilities of the
// Gemini models; Claude requests are checked by the anthropic adapter.
func (a *Adapter) Capabilities() provider.Capabilities { return a.gemini.Capabilities() }

// Chat sends a non-streamed chat completion to the model's family.
func (a *Adapter) Chat(ctx context.Context, req *provider.Request) (*openai.ChatResponse, error) {
	p, err := a.route(req)
	if err != nil {
		return nil, err
	}
	return p.Chat(ctx, req)
}

// ChatStream starts a streamed chat completion with the model's family.
func (a *Adapter) ChatStream(ctx context.Context, req *provider.Request) (provider.Stream, error) {
	p, err := a.route(req)
	if err != nil {
		return nil, err
	}
	return p.ChatStream(ctx, req)
}

// route returns the adapter of the requested model: Anthropic's for
// Claude models (built on first use), Gemini's for the others.
func (a *Adapter) route(req *provider.Request) (provider.Provider, error) {
	if !IsClaude(gemini.Model(req)) {
		return a.gemini, nil
	}
	return a.claudeAdapter()
}

func (a *Adapter) claudeAdapter() (provider.Provider, error) {
	a.claudeOnce.Do(func() {
		a.claude, a.claudeErr = anthropic.New(a.claudeCfg)
	})
	if a.claudeErr != nil {
		return nil, &provider.Error{Provider: a.name, Type: "server", Message: "Claude on Vertex AI is not available: " + a.claudeErr.Error(), Err: a.claudeErr}
	}
	return a.claude, nil
}

// ModelCapabilities implements provider.ModelDescriber: Claude models
// have the anthropic adapter's capabilities, the others Gemini's.
func (a *Adapter) ModelCapabilities(model string) provider.Capabilities {
	if IsClaude(model) {
		if p, err := a.claudeAdapter(); err == nil {
			if d, ok := p.(provider.Describer); ok {
				return d.Capabilities()
			}
		}
	}
	return a.gemini.Capabilities()
}

// IsClaude reports whether a Vertex model id names an Anthropic model.
func IsClaude(model string) bool {
	model = strings.TrimPrefix(model, "publishers/anthropic/models/")
	return strings.HasPrefix(model, "claude")
}
