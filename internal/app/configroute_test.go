package app

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchyard-dev/switchyard/internal/catalog"
	"github.com/switchyard-dev/switchyard/internal/config"
	"github.com/switchyard-dev/switchyard/internal/provider/providertest"
)

// TestConfigFileProviderIsRouted runs the app with the README's config
// shape: a provider declared in the file, with an endpoint for a model the
// catalog lacks, is created, priced and routed to; a catalog provider is
// routable only when its conventional credential variable is set.
func TestConfigFileProviderIsRouted(t *testing.T) {
	fake := providertest.NewOpenAI(t, providertest.WithReply("hello from acme"), providertest.WithAPIKey("acme-secret"))
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "switchyard.yaml")
	yaml := `
providers:
  - slug: acme
    name: Acme AI
    protocol: openai
    base_url: ` + fake.URL + `
    api_key_env: ACME_API_KEY
    endpoints:
      - model: acme/house-model
        upstream_model: house-1
        pricing: { prompt: "0.000001", completion: "0.000002" }
        context_length: 32768
`
	if err := os.WriteFile(cfgFile, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ACME_API_KEY": "acme-secret", "GROQ_API_KEY": "gsk-test", "ANTHROPIC_API_KEY": "sk-ant-test"}
	cfg, err := config.Load(cfgFile, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = "127.0.0.1:0"
	cfg.DB = filepath.Join(dir, "sy.db")

	base, key, stdout := runApp(t, cfg, func(k string) string { return env[k] })

	req, _ := http.NewRequest(http.MethodPost, base+"/chat/completions",
		strings.NewReader(`{"model":"acme/house-model","messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "hello from acme") ||
		!strings.Contains(string(body), `"provider":"Acme AI"`) {
		t.Fatalf("status %d body %s", resp.StatusCode, body)
	}
	if got := fake.Last().JSON["model"]; got != "house-1" {
		t.Fatalf("upstream model %v", got)
	}

	// Providers: acme, groq and anthropic (credentials in the environment)
	// are routable; openai (no OPENAI_API_KEY) is listed but not routable.
	resp, err = http.Get(base + "/providers")
	if err != nil {
		t.Fatal(err)
	}
	var provs struct{ Data []map[string]any }
	json.NewDecoder(resp.Body).Decode(&provs)
	resp.Body.Close()
	routable := map[string]bool{}
	for _, p := range provs.Data {
		routable[p["slug"].(string)] = p["routable"] == true
	}
	if !routable["acme"] || !routable["groq"] || !routable["anthropic"] || routable["openai"] {
		t.Fatalf("routable: acme %v groq %v anthropic %v openai %v",
			routable["acme"], routable["groq"], routable["anthropic"], routable["openai"])
	}
	if out := stdout.String(); strings.Contains(out, "acme-secret") || strings.Contains(out, "gsk-test") {
		t.Fatal("a credential was printed")
	}
}

// TestEnvCredentialWithoutBaseURL: a catalog provider whose base URL is
// account-specific (Cloudflare, Databricks) stays unroutable, with a
// warning, when only its credential is set; the server still starts.
func TestEnvCredentialWithoutBaseURL(t *testing.T) {
	cat, err := catalog.New(&catalog.File{
		Providers: []catalog.Provider{
			{Slug: "nourl", Name: "No URL", Protocol: catalog.ProtocolOpenAI, APIKeyEnv: []string{"NOURL_KEY"}},
			{Slug: "withurl", Name: "With URL", Protocol: catalog.ProtocolOpenAI, BaseURL: "http://127.0.0.1:1/v1",
				APIKeyEnv: []string{"WITHURL_KEY"}},
			{Slug: "nokey", Name: "No Key", Protocol: catalog.ProtocolOpenAI, BaseURL: "http://127.0.0.1:1/v1",
				APIKeyEnv: []string{"NOKEY_KEY"}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	adapters, err := newAdapters()
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"NOURL_KEY": "k1", "WITHURL_KEY": "k2"}
	getenv := func(k string) string { return env[k] }
	clients, err := buildClients(cat, adapters, config.Default(), nil, getenv, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if clients["nourl"] != nil || clients["withurl"] == nil || clients["nokey"] != nil {
		t.Fatalf("clients %v", clients)
	}

	// Declared in the config file without a usable URL, it is an error.
	cfg := config.Default()
	cfg.Providers = []config.Provider{{ProviderOverlay: catalog.ProviderOverlay{Slug: "nourl"}}}
	if _, err := buildClients(cat, adapters, cfg, nil, getenv, slog.New(slog.DiscardHandler)); err == nil {
		t.Fatal("a declared provider without a base URL started")
	}
}
