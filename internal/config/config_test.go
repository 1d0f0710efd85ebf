package config

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

func noEnv(string) string { return "" }

// TestREADMEExample loads the configuration example of the README, so the
// documented shape can never drift from what the code accepts.
func TestREADMEExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)## Configuration file.*?```yaml\n(.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README has no yaml block under ## Configuration file")
	}
	path := filepath.Join(t.TempDir(), "switchyard.yaml")
	if err := os.WriteFile(path, m[1], 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Providers) != 1 {
		t.Fatalf("providers %+v", cfg.Providers)
	}
	p := cfg.Providers[0]
	if p.Slug != "acme" || p.Protocol != "openai" || p.APIKeyEnv != "ACME_API_KEY" || len(p.Endpoints) != 1 ||
		p.Endpoints[0].UpstreamModel != "llama-3.3-70b" || *p.Endpoints[0].Pricing.Prompt != "0.00000059" ||
		p.Headers["X-Team"] != "research" || cfg.FirstByteTimeout != 120*time.Second || len(cfg.Models) != 1 {
		t.Fatalf("decoded %+v", cfg)
	}
}
